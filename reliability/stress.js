#!/usr/bin/env node
// The heavy reliability runs behind the README's "Reliability" figures (`npm run stress`; a few minutes on 2 cores).
// The bounded versions of the same checks run in `npm test` (test/reliability/).
//
//   node reliability/stress.js                 every section; rewrites reliability/RESULTS.md and results.json
//   node reliability/stress.js cuts load       some sections (prints JSON; RESULTS.md only with --md)
//   SEED=123 node reliability/stress.js cuts   replay the seeded parts
//
// Sections: cuts, chromium, restarts, storms, stalls, hostile, amplification, comments, load, cycles, iterator, redirects.
// Exit status 1 if any exactly-once or bounded-memory check failed (the figures are still written).

import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestServer } from '../dist/testing.js'
import { FetchEventSource } from '../dist/index.js'
import { parseArgs } from '../dist/support.js'
import { runClient } from './child.js'
import { LINE, RSS_MARGIN, runCommentFlood } from './comment-flood.js'
import { runChromiumCuts } from './chromium-cuts.js'
import { runChromiumRedirects } from './chromium-redirects.js'
import { runNodeCuts } from './cut-run.js'
import { startDropServer, startFaultServer } from './fault-servers.js'
import { runServerRestarts } from './restart-run.js'
import { startResumableServer } from './resumable-server.js'
import { runSeed } from './seed.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')
const MiB = 1024 * 1024
const args = parseArgs(process.argv.slice(2), { flags: ['md'] })
const ALL = ['cuts', 'chromium', 'restarts', 'storms', 'stalls', 'hostile', 'amplification', 'comments', 'load', 'cycles', 'iterator', 'redirects']
const chosen = args._
const sections = chosen.length ? chosen : ALL
const writeMd = args.md === true || chosen.length === 0
const seed = runSeed()
/** @type {string[]} */
const failures = []
const check = (ok, what) => {
  if (!ok) failures.push(what)
  return ok
}
const log = (...a) => console.error(`[stress ${new Date().toISOString().slice(11, 19)}]`, ...a)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return { min: round(s[0] ?? 0), median: round(s[Math.floor(s.length / 2)] ?? 0), max: round(s.at(-1) ?? 0) }
}

for (const s of sections) if (!ALL.includes(s)) throw new Error(`unknown section ${s} (${ALL.join(', ')})`)
if (!existsSync(path.join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build`')

/** @type {Record<string, any>} */
const results = {}

// ---- connection cuts -------------------------------------------------------------------------------------------

async function cuts() {
  const runs = []
  // Five seeds in mixed framing, then one per framing: every run 10,000 events.
  const plan = [0, 1, 2, 3, 4].map((k) => ({ seed: seed + k, framing: 'mixed' })).concat([
    { seed: seed + 5, framing: 'chunked' },
    { seed: seed + 6, framing: 'close' },
  ])
  for (const { seed: s, framing } of plan) {
    const run = await runNodeCuts({ total: 10_000, seed: s, framing, maxBytes: 4096, timeoutMs: 120_000 })
    const { cutLog, ...summary } = run
    runs.push(summary)
    check(run.problem === null && run.cuts >= 100, `node cuts seed ${s}: ${run.problem ?? `${run.cuts} cuts`}`)
    log(`cuts seed ${s} ${framing}: ${run.received}/10000, ${run.cuts} cuts, ${run.durationMs} ms, ${run.problem ?? 'exactly once'}`)
  }
  return { events: 10_000, runs }
}

async function chromium() {
  const run = await runChromiumCuts({ total: 10_000, seed, framing: 'mixed', maxBytes: 4096, timeoutMs: 120_000 })
  check(run.problem === null && run.cuts >= 100, `chromium cuts: ${run.problem ?? `${run.cuts} cuts`}`)
  log(`chromium cuts: ${run.received}/10000, ${run.cuts} cuts, ${run.durationMs} ms, ${run.problem ?? 'exactly once'}`)
  return run
}

// ---- server restarts ----------------------------------------------------------------------------------------------

async function restarts() {
  const policy = { initialDelay: 100, maxDelay: 800, factor: 2, jitter: 0.2 }
  const run = await runServerRestarts({ clients: 200, total: 3000, kills: 3, downAttempts: 5, interval: 2, policy, timeoutMs: 120_000 })
  // Per position in an outage: the waits all clients observed, against the policy's [nominal × (1 − jitter), nominal].
  const byPosition = []
  for (const outages of run.outages) {
    for (const waits of outages) waits.forEach((w, i) => (byPosition[i] ??= []).push(w))
  }
  const positions = byPosition.slice(0, 7).map((ws, i) => {
    const nominal = run.nominal[Math.min(i, run.nominal.length - 1)]
    const low = i < 2 ? nominal : nominal * (1 - policy.jitter)
    const below = ws.filter((w) => w < low - 2).length
    check(below === 0, `restart wait ${i + 1}: ${below} waits below ${low} ms`)
    return { wait: i + 1, nominal, allowed: [low, nominal], observed: stats(ws), samples: ws.length, belowPolicy: below }
  })
  check(run.problems.length === 0, `restarts: ${run.problems.slice(0, 3).join('; ')}`)
  log(`restarts: ${run.clients} clients × ${run.total} events, ${run.kills} kills, ${run.problems.length} problems, ${run.durationMs} ms`)
  return { clients: run.clients, total: run.total, kills: run.kills, policy, problems: run.problems.length, positions, durationMs: run.durationMs }
}

// ---- retry storms -------------------------------------------------------------------------------------------------

/** Requests a source sends in `ms` against `url`, and its state afterwards. */
async function rate(url, init, ms, count) {
  const source = new FetchEventSource(url, init)
  const before = count()
  await sleep(ms)
  const n = count() - before
  const state = source.readyState
  source.close()
  return { requests: n, perMinute: Math.round((n * 60_000) / ms), windowMs: ms, readyStateAfter: state }
}

async function storms() {
  const faults = await startFaultServer()
  const drop = await startDropServer()
  try {
    // A refusing port: bound, then closed again.
    const dead = await startDropServer()
    const deadUrl = dead.url
    await dead.close()
    let deadAttempts = 0
    const countingFetch = (input, init) => (deadAttempts++, fetch(input, init))
    const oneEvent = Buffer.from('retry: 50\nid: 1\ndata: tick\n\n').toString('base64url')
    const out = {
      '503 Retry-After: 1, default policy': await rate(`${faults.url}/unavailable?retryAfter=1`, {}, 3000, () => faults.count('/unavailable')),
      '503 Retry-After: 1, shouldRetry: () => true (Retry-After honoured by default)': await rate(`${faults.url}/unavailable?retryAfter=1&k=1`, { retry: { shouldRetry: () => true } }, 10_000, () => faults.count('/unavailable')),
      '503 Retry-After: 0, shouldRetry: () => true, initialDelay 0': await rate(`${faults.url}/unavailable?retryAfter=0`, { retry: { initialDelay: 0, shouldRetry: () => true } }, 5000, () => faults.count('/unavailable')),
      'TCP accept-and-close, policy 1:100 of the defaults (30 ms … 300 ms, jitter 0.2)': await rate(drop.url, { retry: { initialDelay: 30, maxDelay: 300 } }, 10_000, () => drop.accepts.length),
      'dead server (connection refused), initialDelay 0': await rate(deadUrl, { fetch: countingFetch, retry: { initialDelay: 0 } }, 5000, () => deadAttempts),
      '200 then end at once, reconnection time 100 ms (1:30 of the default)': await rate(`${faults.url}/accept-drop`, { retry: { initialDelay: 100 } }, 5000, () => faults.count('/accept-drop')),
      '200 then end at once, after the server sent retry: 0': await rate(`${faults.url}/accept-drop?retry=0`, {}, 5000, () => faults.count('/accept-drop')),
      'one event per connection, then end, retry: 50': await rate(`${faults.url}/raw?b64=${oneEvent}`, {}, 3000, () => faults.count('/raw')),
    }
    // Steady state of the TCP case: after the first waits, one attempt per maxDelay × (1 − jitter/2) on average.
    const tail = drop.accepts.slice(-10)
    const steadyGaps = tail.slice(1).map((t, i) => t - tail[i])
    out['TCP accept-and-close, policy 1:100 of the defaults (30 ms … 300 ms, jitter 0.2)'].steadyWaitMs = stats(steadyGaps)
    check(out['503 Retry-After: 1, default policy'].requests === 1, 'storm: default policy retried a 503')
    check(out['503 Retry-After: 1, shouldRetry: () => true (Retry-After honoured by default)'].perMinute <= 66, 'storm: Retry-After not honoured')
    for (const key of ['503 Retry-After: 0, shouldRetry: () => true, initialDelay 0', 'dead server (connection refused), initialDelay 0', '200 then end at once, after the server sent retry: 0']) {
      check(out[key].requests <= 12, `storm: ${key}: ${out[key].requests} requests in 5 s`)
    }
    check(out['one event per connection, then end, retry: 50'].requests >= 20, 'storm: one event per connection slowed down')
    log('storms', JSON.stringify(out))
    return out
  } finally {
    await faults.close()
    await drop.close()
  }
}

// ---- stalls -------------------------------------------------------------------------------------------------------

async function stalls() {
  const faults = await startFaultServer()
  try {
    // heartbeatTimeout 500 on 50 stalled streams: when each notices, measured from its request at the server.
    const n = 50
    const sources = []
    const detections = await Promise.all(
      Array.from({ length: n }, (_, k) => {
        const source = new FetchEventSource(`${faults.url}/stall?hb=${k}`, { heartbeatTimeout: 500, retry: { maxAttempts: 1 } })
        sources.push(source)
        return new Promise((resolve) => {
          source.onerror = (e) => {
            const hit = faults.hits.find((h) => h.url === `/stall?hb=${k}`)
            resolve({ code: e.code, afterMs: performance.now() - (hit?.time ?? 0) })
          }
        })
      }),
    )
    for (const s of sources) s.close()
    check(detections.every((d) => d.code === 'heartbeat-timeout'), 'stalls: not all detected')
    // close() without a heartbeat on 200 stalled streams: when the server sees each response close.
    const closedBefore = faults.closedCount('/stall')
    const stalled = Array.from({ length: 200 }, (_, k) => new FetchEventSource(`${faults.url}/stall?close=${k}`))
    await Promise.all(stalled.map((s) => new Promise((resolve) => (s.onopen = resolve))))
    const t = performance.now()
    for (const s of stalled) s.close()
    await faults.waitFor(() => faults.closedCount('/stall') - closedBefore >= 200, 10_000)
    const allClosedMs = performance.now() - t
    return {
      heartbeat500: { streams: n, detectedAfterMs: stats(detections.map((d) => d.afterMs)) },
      closeWithoutHeartbeat: { streams: 200, serverSawAllClosedAfterMs: round(allClosedMs) },
    }
  } finally {
    await faults.close()
  }
}

// ---- hostile streams ----------------------------------------------------------------------------------------------

async function hostile() {
  const faults = await startFaultServer()
  const out = {}
  try {
    for (const kind of ['line', 'event', 'comment', 'comment-lines', 'field-lines', 'blank-lines']) {
      const legal = kind.endsWith('-lines')
      const then = encodeURIComponent('\ndata: end\n\n')
      const url = `${faults.url}/hostile/${kind}?bytes=${200 * MiB}${legal ? `&then=${then}` : ''}`
      const { result, exitedAfterResultMs } = await runClient('clients/hostile-client.js', [url, String(MiB), '120000'], { timeoutMs: 180_000 })
      await faults.waitFor(() => faults.hostile.closedAt > 0, 10_000).catch(() => {})
      const ok = legal
        ? result.messages.join() === 'end' && result.errors.length === 0
        : result.errors.length === 1 && result.errors[0].code === 'max-buffer-size-exceeded'
      check(ok, `hostile ${kind}: ${JSON.stringify(result.errors)}`)
      out[kind] = {
        outcome: legal ? (ok ? 'stayed OPEN, next event delivered' : 'FAILED') : result.errors[0]?.code,
        serverWroteMiB: round(faults.hostile.written / MiB),
        ms: result.ms,
        throughputMiBps: legal ? round(faults.hostile.written / MiB / (result.ms / 1000)) : undefined,
        peakMiB: result.peakMiB,
        exitedAfterCloseMs: exitedAfterResultMs,
      }
      log(`hostile ${kind}: ${JSON.stringify(out[kind])}`)
    }
  } finally {
    await faults.close()
  }
  return { limit: '1 MiB (1,048,576 characters)', budget: '200 MiB per stream', kinds: out }
}

async function amplification() {
  const shapes = [
    ['endless line, 64 KiB chunks', 'x', 65536],
    ['endless line of 中, 64 KiB chunks', '\u4e2d', 65536],
    ['endless event of "data: 0123456789abcdef" lines', 'data: 0123456789abcdef\n', 65536],
    ['endless event of empty "data" lines', 'data\n', 65536],
    ['endless event of "data: 中" lines', 'data: \u4e2d\n', 65536],
    ['endless line, 1 byte per chunk', 'x', 1],
    ['endless line of 中, 3 bytes per chunk', '\u4e2d', 3],
  ]
  const out = []
  for (const [name, pattern, chunk] of shapes) {
    const at = async (limit) => (await runClient('clients/buffer-memory.js', [JSON.stringify(pattern), String(chunk), String(limit)], { timeoutMs: 120_000 })).result
    const small = await at(256 * 1024)
    const large = await at(1024 * 1024)
    const marginal = (large.peakHeapBytes - small.peakHeapBytes) / (768 * 1024)
    out.push({ shape: name, heapMiBAt1Mi: round(large.peakHeapBytes / MiB), bytesPerChar: round(marginal), atDefault16MiMiB: Math.round(marginal * 16) })
    // The same bound as test/reliability/hostile.test.js: 8 bytes of heap per character of maxBufferSize.
    check(marginal <= 8, `amplification: ${name} holds ${round(marginal)} bytes of heap per character of maxBufferSize`)
    log(`amplification ${name}: ${round(marginal)} B/char`)
  }
  return out
}

/**
 * A comment flood read by ours, eventsource 5 and a bare fetch reader loop (the limit), 5 alternating rounds of 2 s,
 * one process per client (reliability/comment-flood.js). The same bounds as test/reliability/comment-flood.test.js.
 */
async function comments() {
  const { rounds, ms, summary } = await runCommentFlood({ rounds: 5, ms: 2000, log: (line) => log(`comments ${line}`) })
  const clients = Object.fromEntries(
    Object.entries(summary).map(([kind, s]) => [
      kind,
      {
        rssMiB: round(s.rssMiB),
        heapMiB: round(s.heapMiB),
        arrayBuffersMiB: round(s.arrayBuffersMiB),
        youngGenerationMiB: round(s.newSpaceMiB),
        readMiB: Math.round(s.readMiB),
        MiBps: Math.round(s.mibPerSecond),
        rssMiBRuns: s.rssMiBRuns.map((x) => round(x)),
        problems: s.problems,
      },
    ]),
  )
  const { ours, eventsource } = clients
  for (const [kind, c] of Object.entries(clients)) check(c.problems.length === 0, `comments ${kind}: ${c.problems.join('; ')}`)
  check(ours.youngGenerationMiB <= eventsource.youngGenerationMiB, `comments: young generation ${ours.youngGenerationMiB} MiB against ${eventsource.youngGenerationMiB} for eventsource 5`)
  check(ours.rssMiB <= eventsource.rssMiB * RSS_MARGIN, `comments: RSS growth ${ours.rssMiB} MiB against ${eventsource.rssMiB} for eventsource 5`)
  return { rounds, secondsPerClient: ms / 1000, line: LINE.trim(), rssMargin: RSS_MARGIN, clients }
}

// ---- load and leaks -----------------------------------------------------------------------------------------------

async function load() {
  const server = await startTestServer()
  try {
    const count = 1000
    let body = ''
    for (let i = 1; i <= 100; i++) body += `id: ${i}\ndata: ${i}\n\n`
    // Registered directly: 1,000 responses of 100 events are 1.5 MB of script, over what POST /script accepts (1 MiB).
    const url = server.script(Array.from({ length: count }, () => ({ body: [body], end: 'hang' })))
    const { result, exitedAfterResultMs, code } = await runClient('clients/load-client.js', [url, String(count), '100', '120000'], { timeoutMs: 180_000 })
    check(result.complete === count && result.bad.length === 0 && result.holdingAfterClose.length === 0 && code === 0, 'load: not all delivered or handles left')
    log(`load: ${JSON.stringify(result)}`)
    return { ...result, exitedAfterCloseMs: exitedAfterResultMs, exitCode: code }
  } finally {
    await server.close()
  }
}

async function cycles() {
  const server = await startTestServer()
  try {
    const url = `${server.url}/counter?total=1000000000&per=1&retry=1`
    const { result } = await runClient('clients/cycles-client.js', [url, '10000', String(seed), '3000'], { timeoutMs: 600_000 })
    check(result.sourcesCollected === result.sourcesCreated, `cycles: ${result.sourcesCreated - result.sourcesCollected} closed sources never collected`)
    check(
      Math.abs(result.heapSlopeBytesPerCycle) < 100 && Math.abs(result.heapSlopeSecondHalf) < 100,
      `cycles: heap slope ${result.heapSlopeBytesPerCycle} B/cycle (second half ${result.heapSlopeSecondHalf})`,
    )
    const { samples, ...summary } = result
    log(`cycles: ${JSON.stringify(summary)}`)
    return { ...summary, samplesMiB: samples.map(([x, y]) => [x, round(y / MiB, 2)]) }
  } finally {
    await server.close()
  }
}

async function iterator() {
  const total = 100_000
  const resumable = await startResumableServer({ total, batch: 64 })
  try {
    const { result } = await runClient('clients/iterator-client.js', [`${resumable.url}/events`, String(total)], { timeoutMs: 120_000 })
    check(result.problem === null, `iterator: ${result.problem}`)
    log(`iterator: ${JSON.stringify(result)}`)
    return result
  } finally {
    await resumable.close()
  }
}

async function redirects() {
  return runChromiumRedirects()
}

// ---- run ----------------------------------------------------------------------------------------------------------

const runners = { cuts, chromium, restarts, storms, stalls, hostile, amplification, comments, load, cycles, iterator, redirects }
const started = Date.now()
for (const name of sections) {
  log(`section ${name}`)
  const t = performance.now()
  try {
    results[name] = await runners[name]()
  } catch (error) {
    failures.push(`${name}: ${error instanceof Error ? error.message : error}`)
    results[name] = { error: String(error instanceof Error ? error.stack : error) }
    log(`section ${name} failed:`, error)
  }
  results[name].sectionMs = Math.round(performance.now() - t)
}

const chromiumVersion = (() => {
  try {
    return execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return 'not installed'
  }
})()
const machine = {
  date: new Date().toISOString(),
  node: process.version,
  chromium: chromiumVersion,
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
  memoryGiB: round(os.totalmem() / 1024 ** 3),
  loadAverage: os.loadavg().map((x) => round(x, 2)),
  seed,
  totalSeconds: Math.round((Date.now() - started) / 1000),
}
const report = { machine, failures, results }
process.stdout.write(JSON.stringify(report, null, 2) + '\n')
if (writeMd) {
  writeFileSync(path.join(here, 'results.json'), JSON.stringify(report, null, 2) + '\n')
  const { renderResults } = await import('./results-md.js')
  writeFileSync(path.join(here, 'RESULTS.md'), renderResults(report))
  log('wrote reliability/RESULTS.md and reliability/results.json')
}
if (failures.length) {
  log(`FAILED (SEED=${seed}):\n  ${failures.join('\n  ')}`)
  process.exitCode = 1
}
