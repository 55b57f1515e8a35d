// One client, one scenario, one process (spawned by run.js; runnable alone for profiling):
//
//   node --expose-gc bench/worker.js --client ours --scenario tokens [--quick] [--warmup 1] [--iters 3]
//        [--server http://127.0.0.1:PORT] [--timeout 60000]
//
// Builds the scenario's bytes (untimed), then times each run from constructing the client to its end-of-stream
// callback, and verifies every run against the generated events: warm-ups by count + checksum of (type, data), timed
// runs by count + exact comparison (the drain: decoded length). `--profile FILE` writes a CPU profile of the timed
// runs. Prints one JSON line: { client, scenario, times: [ms...], cpuTimes, ok, wrong?, ... }.
import { buildScenario, createSink, verify } from './scenarios.js'
import { byName } from './clients/index.js'
import { parseArgs } from './lib.js'

const args = parseArgs()
const quick = !!args.quick
const client = byName[args.client]
const warmup = Number(args.warmup ?? 1)
const iters = Number(args.iters ?? 3)
const timeoutMs = Number(args.timeout ?? 60_000)

function finish(result) {
  process.stdout.write(JSON.stringify({ client: args.client, scenario: args.scenario, ...result }) + '\n')
  process.exit(0)
}

if (!client) finish({ error: `unknown client ${args.client}` })
const available = client.available()
if (available !== true) finish({ skipped: available })

const s = buildScenario(args.scenario, quick)
await client.load()

/** A fresh Response over a ReadableStream that hands out the scenario's chunks one per pull. */
function memoryFetch() {
  const { bytes, bounds } = s
  return async function fetch(_url, init) {
    let i = 0
    const body = new ReadableStream({
      pull(controller) {
        if (i + 1 >= bounds.length) controller.close()
        else controller.enqueue(bytes.subarray(bounds[i], bounds[++i]))
      },
    })
    init?.signal?.throwIfAborted?.()
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
  }
}

const url = s.transport === 'http' ? `${args.server}/stream/${s.name}${quick ? '?quick=1' : ''}` : 'http://bench.invalid/stream'
const fetchImpl = s.transport === 'http' ? undefined : memoryFetch()

function once(checksum) {
  return new Promise((resolve, reject) => {
    let chars = -1
    const sink = createSink(s.expected, { checksum })
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const close = client.open(url, {
      fetch: fetchImpl,
      types: s.types,
      onEvent: sink.event,
      onChars: (n) => (chars = n),
      onEnd: () => {
        const ms = performance.now() - t0
        const cpu = process.cpuUsage(c0)
        close?.()
        resolve({ ms, cpu: (cpu.user + cpu.system) / 1000, sink, chars })
      },
      onFail: (err) => {
        close?.()
        reject(err)
      },
    })
  })
}

const times = []
const cpuTimes = []
const deadline = setTimeout(() => finish({ error: `timeout after ${timeoutMs} ms`, timeout: true, times }), timeoutMs)
const failures = []
let last
// --profile FILE: CPU profile of the timed runs only (not setup, not warm-up), for bench/profile.js.
let session
async function post(method, params) {
  return new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))))
}
try {
  for (let i = 0; i < warmup + iters; i++) {
    globalThis.gc?.()
    if (args.profile && i === warmup) {
      const { Session } = await import('node:inspector')
      session = new Session()
      session.connect()
      await post('Profiler.enable')
      await post('Profiler.setSamplingInterval', { interval: 100 })
      await post('Profiler.start')
    }
    // Warm-up runs verify by checksum, timed runs by exact comparison (see scenarios.createSink).
    const checksum = i < warmup
    const r = await once(checksum)
    last = r
    const problem = client.drain
      ? r.chars === s.textLength ? null : `decoded ${r.chars} chars, expected ${s.textLength}`
      : verify(r.sink, s.expected, { checksum })
    if (problem) failures.push(`${checksum ? 'checksum run' : 'exact run'}: ${problem}`)
    if (i >= warmup) {
      times.push(r.ms)
      cpuTimes.push(r.cpu)
    }
  }
} catch (err) {
  clearTimeout(deadline)
  finish({ error: String(err?.stack || err).split('\n').slice(0, 3).join(' | '), times })
}
clearTimeout(deadline)
if (session) {
  const { profile } = await post('Profiler.stop')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(args.profile, JSON.stringify(profile))
}
finish({
  label: client.label,
  version: client.version(),
  times,
  cpuTimes,
  ok: failures.length === 0,
  wrong: failures[0],
  count: last.sink.count,
  verifiedBy: warmup > 0 ? 'checksum (warm-up) + exact comparison (timed)' : 'exact comparison',
  expected: { count: s.expected.count, checksum: s.expected.checksum, dataChars: s.expected.dataChars },
  bytes: s.bytes.length,
  chunks: s.bounds.length - 1,
})
