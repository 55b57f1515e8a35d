// Makes the Node test suites run the TypeScript sources instead of the build, for mutation testing
// (scripts/mutation/run.js, stryker.config.mjs). Loaded with `node --import ./scripts/mutation/register.js` on a
// Node with type stripping (22.18+, 24), it redirects two kinds of imports:
//   <root>/dist/index.js           -> <root>/src/index.ts      (what every suite imports)
//   ./x.js from a file in src/     -> ./x.ts                   (src/ imports its siblings by their built names)
// Nothing else changes: dist/testing.js, dist/server.js, dist/support.js and dist/cli.js are built from server/ and
// cli/ and stay the built files. <root> is the folder above scripts/, so inside Stryker's sandbox it is the sandbox
// and the suites run the instrumented copies of src/.
//
// Child processes started by a suite (the keep-alive and exit-code checks start `process.execPath` on a script that
// imports dist/index.js) inherit the hook through NODE_OPTIONS, so they run the same sources, with the same active
// mutant (Stryker passes it in the environment).
import { existsSync } from 'node:fs'
import { registerHooks } from 'node:module'
import { fileURLToPath } from 'node:url'

if (typeof registerHooks !== 'function' || !process.features?.typescript) {
  throw new Error(`scripts/mutation/register.js needs a Node with module.registerHooks and type stripping (22.18+); this is ${process.version}`)
}

const root = new URL('../../', import.meta.url)
const distIndex = new URL('dist/index.js', root).href
const srcIndex = new URL('src/index.ts', root).href
const srcDir = new URL('src/', root).href

registerHooks({
  resolve(specifier, context, nextResolve) {
    const { parentURL } = context
    if (parentURL?.startsWith(srcDir) && specifier.startsWith('.') && specifier.endsWith('.js')) {
      const ts = new URL(specifier.slice(0, -3) + '.ts', parentURL)
      if (existsSync(ts)) return { url: ts.href, format: 'module-typescript', shortCircuit: true }
    }
    // Relative and file: specifiers are compared before resolving, so dist/index.js need not exist.
    if (/^(\.\.?\/|file:)/.test(specifier) && parentURL && new URL(specifier, parentURL).href === distIndex) {
      return { url: srcIndex, format: 'module-typescript', shortCircuit: true }
    }
    const resolved = nextResolve(specifier, context)
    if (resolved.url === distIndex) return { url: srcIndex, format: 'module-typescript', shortCircuit: true }
    return resolved
  },
})

// Quoted, so a path with spaces survives NODE_OPTIONS' splitting.
const self = `--import=${JSON.stringify(fileURLToPath(import.meta.url))}`
if (!(process.env.NODE_OPTIONS ?? '').includes(self)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${self}`.trim()
}

// A mutant that turns a loop endless (`i++` into `i--` in the parser's line search) blocks the event loop, where
// neither --test-timeout nor the reporter can act: left alone it runs into Stryker's timeout for the whole run of
// files (1.5 × their time + 10 s, about 45 s; 16 of the first 102 mutants of a run). A watchdog thread sees the main
// thread's beat stop and, after BLOCKED_MS, writes a failed TAP test point and `Bail out!`, and ends the process. No suite blocks its loop for anywhere near that long (the runs unmutated would fail).
const BLOCKED_MS = 5000
const beat = new Int32Array(new SharedArrayBuffer(4))
setInterval(() => Atomics.add(beat, 0, 1), 100).unref()
const { Worker } = await import('node:worker_threads')
const watchdog = new Worker(
  `const { workerData } = process.getBuiltinModule('node:worker_threads')
  const { writeFileSync, writeSync } = process.getBuiltinModule('node:fs')
  let last = -1
  let since = Date.now()
  setInterval(() => {
    const now = Atomics.load(workerData.beat, 0)
    if (now !== last) (last = now), (since = Date.now())
    else if (Date.now() - since >= workerData.limit) {
      // What Stryker's TAP runner needs to count a kill: a failed test point and the file its hook writes at exit
      // (that hook cannot run now; outside a dry run it holds no coverage). Then the process ends: the blocked
      // thread cannot take the runner's SIGTERM.
      const reason = 'the event loop was blocked for ' + workerData.limit / 1000 + ' s'
      writeSync(1, 'not ok 9999 - ' + reason + '\\nBail out! ' + reason + '\\n')
      if (process.env.STRYKER_NAMESPACE !== undefined && process.env.STRYKER_DRY_RUN !== 'true') {
        writeFileSync('stryker-output-' + process.pid + '.json', '{}')
      }
      process.kill(process.pid, 'SIGKILL')
    }
  }, 250)`,
  // execArgv: [], so that a child started with --input-type=module (error-codes.test.js) does not make the
  // worker's script a module; an error of the watchdog itself must never reach the suite as an uncaught exception.
  { eval: true, execArgv: [], workerData: { beat, limit: BLOCKED_MS } },
)
watchdog.on('error', () => {})
watchdog.unref()
