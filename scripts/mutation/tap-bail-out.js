// node:test's TAP reporter, plus a `Bail out!` line right after the first failed test, for the mutation run
// (stryker.config.mjs: --test-reporter=./scripts/mutation/tap-bail-out.js).
//
// Stryker's TAP runner stops a suite at the first failure (forceBail), but its TAP parser reports a failed test
// point only once the next test point or the plan arrives. When the failed test is the last one, or a mutant leaves
// later tests (or the process) waiting, that is never, and the mutant runs into Stryker's timeout of the whole run
// of files instead of being killed at once. `Bail out!` is reported as it arrives.
import { tap } from 'node:test/reporters'

const MARK = 'stryker-mutation-bail-out-mark'

/** @param {AsyncIterable<{ type: string, data: any }>} source */
export default async function* tapBailOut(source) {
  /** @type {string | undefined} */
  let failed
  async function* marked() {
    for await (const event of source) {
      yield event
      if (failed === undefined && event.type === 'test:fail' && !event.data.todo) {
        failed = String(event.data.name)
        // Rendered by the TAP reporter as a `# …` line once the failure itself is out; replaced below.
        yield { type: 'test:diagnostic', data: { nesting: 0, message: MARK, file: event.data.file } }
      }
    }
  }
  for await (const chunk of tap(marked())) {
    yield chunk.includes(MARK) ? `Bail out! ${failed?.replace(/[\r\n]+/g, ' ')}\n` : chunk
  }
}
