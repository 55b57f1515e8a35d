// Where the time goes: runs one client on one scenario under `node --cpu-prof` and prints self time by function and
// by area (the client's code, eventsource-parser, web streams, TextDecoder, events, GC, the benchmark's handler),
// sampled over the timed runs only.
//
//   node bench/profile.js [--client ours] [--scenario tokens] [--iters 8] [--top 25] [--keep]
//   NODE=.runtimes/node24/node_modules/.bin/node node bench/profile.js    (another Node line, from npm run test:runtimes)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { parseArgs, startServer, ROOT } from './lib.js'
import { SCENARIOS } from './scenarios.js'

const args = parseArgs()
const client = args.client ?? 'ours'
const scenario = args.scenario ?? 'tokens'
const top = Number(args.top ?? 25)
const dir = mkdtempSync(join(tmpdir(), 'fes-prof-'))
const worker = fileURLToPath(new URL('./worker.js', import.meta.url))
const profilePath = join(dir, 'timed.cpuprofile')
const server = SCENARIOS[scenario]?.transport === 'http' ? await startServer() : null
const run = spawnSync(
  process.env.NODE ?? process.execPath,
  ['--expose-gc', worker, '--client', client, '--scenario', scenario, '--warmup', String(args.warmup ?? 2), '--iters', String(args.iters ?? 8),
    '--profile', profilePath, ...(args.quick ? ['--quick'] : []), ...(server ? ['--server', server.url] : [])],
  { encoding: 'utf8' },
)
await server?.close()
const result = JSON.parse(run.stdout.trim().split('\n').pop())
const profile = JSON.parse(readFileSync(profilePath, 'utf8'))

// Self time per node from the sample timeline.
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map()
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i + 1] ?? 0
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt)
}
// The profile covers the timed runs only (worker.js --profile starts it after the warm-ups).
function area(cf) {
  const u = cf.url || ''
  const f = cf.functionName
  if (f === '(garbage collector)') return 'GC'
  if (f === '(idle)' || f === '(program)' || f === '(root)') return f
  if (u.includes('/bench/scenarios.js')) return 'bench handler (exact comparison)'
  if (u.includes('/bench/')) return 'bench harness (fetch stub, adapter)'
  if (u.includes('eventsource-parser')) return 'eventsource-parser'
  if (u.includes('node_modules')) return 'peer client code'
  if (u.includes(`${ROOT}dist/`)) return 'ours (dist/index.js)'
  if (u.includes('webstreams') || u.includes('web/streams') || u.includes('readablestream')) return 'web streams (node:internal)'
  if (u.includes('encoding') || (f === 'decode' && u === '')) return 'TextDecoder'
  // Node's Event constructor stamps timeStamp with now(); MessageEvent lives in internal/worker/io.
  if (u.includes('event_target') || u.includes('worker/io') || (f === 'now' && u === '')) return 'Event / MessageEvent / EventTarget (node:internal)'
  if (u.includes('node:events')) return 'EventEmitter (node:events)'
  if (u.includes('undici') || u.includes('fetch')) return 'undici / Response'
  if (u.startsWith('node:') || u === '') return `node internals / builtins`
  return 'other'
}
const funcs = new Map()
const areas = new Map()
let total = 0
for (const [id, t] of self) {
  const n = byId.get(id)
  const cf = n.callFrame
  const a = area(cf)
  if (a === '(idle)' || a === '(root)') continue
  total += t
  areas.set(a, (areas.get(a) ?? 0) + t)
  const key = `${cf.functionName || '(anonymous)'}  ${(cf.url || '').replace(/^.*\/(node_modules|dist|bench)\//, '$1/').replace(/^file:\/\//, '')}:${cf.lineNumber + 1}`
  funcs.set(key, (funcs.get(key) ?? 0) + t)
}
const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)}%`
console.log(`${client} on ${scenario}: ${result.times?.map((t) => t.toFixed(0)).join(', ')} ms per run; verified: ${result.ok}`)
console.log(`\nself time by area (timed runs only; ${(total / 1000).toFixed(0)} ms sampled):`)
for (const [a, t] of [...areas].sort((x, y) => y[1] - x[1])) console.log(`  ${pct(t)}  ${a}`)
console.log(`\ntop ${top} functions by self time:`)
for (const [k, t] of [...funcs].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(t)}  ${k}`)
if (args.keep) console.log(`\nprofile kept in ${dir} (open in Chrome DevTools > Performance)`)
else rmSync(dir, { recursive: true, force: true })
