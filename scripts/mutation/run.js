#!/usr/bin/env node
// `npm run mutate`: mutation testing of src/ with StrykerJS (stryker.config.mjs), on any Node that runs npm.
//
//   npm run mutate                          incremental: retests only mutants whose code or covering suites changed
//   npm run mutate -- --force               every mutant again (after changing test helpers: see docs/mutation.md)
//   npm run mutate -- --mutate src/base64.ts   one file (other files' results are kept in the incremental file)
//
// Arguments go to `stryker run` as they are. What this adds around Stryker:
// - Node 24 from .runtimes/node24 (installed from the npm registry by scripts/runtime-matrix.js when missing):
//   Stryker 10 needs Node 22+, and the suites load src/*.ts through Node's type stripping. It is first on the PATH,
//   because the TAP runner starts each suite as `node …`.
// - dist/ built when missing or older than server/: the suites import dist/testing.js and dist/support.js (built
//   from server/, not mutated); dist/index.js itself is replaced by src/ (scripts/mutation/register.js).
// - CONFORMANCE_CONCURRENCY=8: test/conformance.test.js runs its cases 8 at a time (18 s -> 5 s a run).
// Then it prints how long the whole run took.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { RUNTIMES, ensureRuntime } from '../runtime-matrix.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const STRYKER = path.join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js')

/** Newest modification time of the files under dir, in ms. */
function newest(dir) {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs)
  }
  return latest
}

/** @param {string} command @param {string[]} args @param {import('node:child_process').SpawnOptions} [options] */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', ...options })
    // Stopping this script stops the run (Stryker then ends its test processes).
    const forward = (/** @type {NodeJS.Signals} */ signal) => child.kill(signal)
    process.on('SIGINT', forward).on('SIGTERM', forward)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward)
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}

if (!existsSync(STRYKER)) {
  console.error('mutate: @stryker-mutator/core is not installed; run `npm ci` first')
  process.exit(1)
}

const started = Date.now()
const node24 = RUNTIMES.find((r) => r.name === 'node24')
if (!node24) throw new Error('scripts/runtime-matrix.js has no node24 runtime')
const runtime = await ensureRuntime(node24)
console.log(`mutate: Node ${runtime.version} (${runtime.source}) ${path.relative(ROOT, runtime.bin) || runtime.bin}`)

const built = ['dist/testing.js', 'dist/support.js', 'dist/server.js'].map((f) => path.join(ROOT, f))
if (!built.every((f) => existsSync(f)) || newest(path.join(ROOT, 'server')) > Math.min(...built.map((f) => statSync(f).mtimeMs))) {
  console.log('mutate: building dist/ (the suites import dist/testing.js and dist/support.js)')
  const code = await run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'])
  if (code !== 0) process.exit(code)
}

const env = {
  ...process.env,
  PATH: `${path.dirname(runtime.bin)}${path.delimiter}${process.env.PATH ?? ''}`,
  CONFORMANCE_CONCURRENCY: process.env.CONFORMANCE_CONCURRENCY ?? '8',
}
const code = await run(runtime.bin, [STRYKER, 'run', 'stryker.config.mjs', ...process.argv.slice(2)], { env })

// The incremental file is committed: keep it free of this machine's paths and of the command line (Stryker reads
// only its files and testFiles), and one value per line, so that its diffs say which mutants changed. Stryker also
// writes it when the run is interrupted (Ctrl-C), with what it had tested: the next run goes on from there.
const incremental = path.join(ROOT, 'reports', 'stryker-incremental.json')
if (existsSync(incremental)) {
  // Paths under the project become relative; a status reason (a test's failure message) that still names a
  // machine path (a stack in node_modules, a temporary folder) is dropped: Stryker only shows it.
  const report = JSON.parse(readFileSync(incremental, 'utf8').replaceAll(JSON.stringify(ROOT).slice(1, -1), '.'))
  delete report.projectRoot
  delete report.config
  for (const file of Object.values(report.files ?? {})) {
    for (const mutant of file.mutants ?? []) {
      if (/(^|[^\w.-])\/(work|root|home|tmp)\//.test(mutant.statusReason ?? '')) delete mutant.statusReason
    }
  }
  writeFileSync(incremental, JSON.stringify(report, null, 1) + '\n')
}
const seconds = Math.round((Date.now() - started) / 1000)
const duration = `${Math.floor(seconds / 60)} min ${seconds % 60} s`
console.log(`mutate: finished in ${duration} (exit status ${code})`)

// What docs/mutation.md says about the run, then the document itself (scores and survivors).
if (code === 0 && existsSync(path.join(ROOT, 'reports', 'mutation', 'mutation.json'))) {
  const info = { date: new Date(started).toISOString(), duration, seconds, node: runtime.version, args: process.argv.slice(2) }
  writeFileSync(path.join(ROOT, 'reports', 'mutation', 'run.json'), JSON.stringify(info, null, 2) + '\n')
  process.exitCode = await run(process.execPath, [path.join(ROOT, 'scripts', 'mutation', 'report.js')])
} else {
  process.exitCode = code
}
