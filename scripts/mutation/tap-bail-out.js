// node:test's TAP reporter for the mutation run (stryker.config.mjs: --test-reporter=./scripts/mutation/tap-bail-out.js),
// plus two `Bail out!` lines that turn a slow "timeout" into an immediate "killed":
//
// - Right after the first failed test. Stryker's TAP runner stops a suite at the first failure (forceBail), but its
//   TAP parser reports a failed test point only once the next test point or the plan arrives. When the failed test
//   is the last one, or a mutant leaves later tests waiting, that is never, and the mutant would run into Stryker's
//   timeout of the whole run of files instead of being killed at once. `Bail out!` is reported as it arrives.
// - When the process would not exit after its last test. A mutant that leaves a timer or a connection behind (a
//   close() that forgets to clear the reconnect timer) passes every test and then keeps the process alive: under
//   `npm test` that file never ends. The run passes --test-force-exit, so node:test reports the plan once every
//   test is done; the reporter then waits up to EXIT_GRACE_MS for what keeps the event loop alive to go (sockets
//   that are still closing) and, if something stays, bails out naming it. The suites pass this check unmutated
//   (Stryker's dry run would fail otherwise).
import { setTimeout as sleep } from 'node:timers/promises'
import { tap } from 'node:test/reporters'

const MARK = 'stryker-mutation-bail-out-mark'
const EXIT_GRACE_MS = 1000

/** What keeps the event loop alive, less the standard streams (Stryker reads stdout through a pipe, which stays
 * open; a child process left running still shows as ProcessWrap) and the one timer this reporter's own wait adds. */
function keptAlive(waiting = false) {
  const resources = process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap')
  if (waiting) resources.splice(resources.lastIndexOf('Timeout'), 1)
  return resources
}

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
    // The top-level plan comes once every test is done (with --test-force-exit, before the loop has drained).
    if (failed === undefined && /^1\.\.\d+\n$/.test(chunk)) {
      let left = keptAlive()
      for (let waited = 0; left.length > 0 && waited < EXIT_GRACE_MS; waited += 20) {
        const wait = sleep(20)
        left = keptAlive(true)
        await wait
        left = keptAlive()
      }
      if (left.length > 0) yield `Bail out! the process would not exit after its last test: ${left.join(', ')} left\n`
    }
  }
}
