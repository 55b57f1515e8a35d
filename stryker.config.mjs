// Mutation testing of src/ (StrykerJS). Run it with `npm run mutate` (scripts/mutation/run.js), which runs Stryker on
// Node 24 from .runtimes/ (Stryker 10 needs Node 22+, and the suites reach src/*.ts through Node's type stripping).
// How the suites reach the instrumented sources, and the results: docs/mutation.md.

/** The suites. Each file is one "test" for Stryker: a mutant runs only the files that reached it, in this order, and
 * stops at the first one that fails (forceBail). Fastest first, but the parser's suite second: it kills most of the
 * parser's mutants, which every other file reaches too (placed by speed, a parser mutant ran 9 files before the one
 * that killed it). Left out, with the reason: docs/mutation.md. */
export const testFiles = [
  'test/options.test.js',
  'test/parser.test.js',
  'test/pinned.test.js',
  'test/error-reports.test.js',
  'test/release.test.js',
  'test/runtime-cache-control.test.js',
  'test/runtime-cache-control-deno.test.js',
  'test/page-life.test.js',
  'test/differences.test.js',
  'test/shared-connection.test.js',
  'test/fetch-level.test.js',
  'test/reliability/error-codes.test.js',
  'test/reliability/malformed.test.js',
  'test/reliability/stalls.test.js',
  'test/lifecycle.test.js',
  'test/conformance.test.js',
]

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/**/*.ts'],
  testRunner: 'tap',
  tap: {
    testFiles,
    // register.js maps dist/index.js to src/index.ts (in the sandbox: the instrumented copy); tap-bail-out.js is
    // node:test's TAP with a `Bail out!` line at the first failure, so the runner stops the suite at once;
    // {{hookFile}} is Stryker's coverage and active-mutant hook. --test-timeout turns a test that a mutant leaves
    // waiting forever (a response it now refuses, an event that never comes) into a failure, instead of Stryker's
    // timeout for the whole run of files: after 10 s, where the longest test takes 3 s alone, because a test that
    // fails only since 3 suites share 2 cores would count a surviving mutant as killed. With --test-force-exit,
    // tap-bail-out.js also fails a file whose process would not exit after its last test.
    nodeArgs: ['--import', './scripts/mutation/register.js', '--test-force-exit', '--test-reporter=./scripts/mutation/tap-bail-out.js', '--test-timeout=10000', '-r', '{{hookFile}}', '{{testFile}}'],
    forceBail: true,
  },
  coverageAnalysis: 'perTest',
  concurrency: 3,
  // Stryker's own limit, 1.5 × the files' time + 10 s: left for mutants that block the event loop (an endless
  // loop), where --test-timeout cannot fire. The margin is wide for the same reason: a timeout counts as detected.
  timeoutMS: 10_000,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // Only what the suites load is copied into the sandbox (.runtimes/ alone is hundreds of MB).
  ignorePatterns: ['/*', '!/src', '!/test', '!/dist', '!/reliability', '!/scripts', '!/package.json'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportTests: false },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
}
