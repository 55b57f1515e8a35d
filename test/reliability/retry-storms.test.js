// Retry storms: servers that refuse, drop or accept-and-drop every attempt. The request rate must stay what the
// retry policy says, maxAttempts must end failures, and close() during a wait must be the last word.
// (In-memory shouldRetry/maxAttempts semantics are in fetch-level.test.js; the 503 backoff curve with jitter 0 is in
// lifecycle.test.js. These run over real sockets and check rates, jitter bounds and silence after close().)
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource } from '../../dist/index.js'
import { startDropServer, startFaultServer } from '../../reliability/fault-servers.js'
import { gapsOf, next, track } from './helpers.js'

/** @type {Awaited<ReturnType<typeof startFaultServer>>} */
let faults
before(async () => {
  faults = await startFaultServer()
})
after(() => faults.close())

/** The first error event for which `predicate` holds. */
const errorWhere = (source, predicate, ms = 8000) => next(source, 'error', ms, predicate)
const retryAfterMs = (response) => Number(response?.headers.get('retry-after')) * 1000

test('503 + Retry-After honoured by shouldRetry: one request per Retry-After, and maxAttempts ends it', async () => {
  const path = '/unavailable'
  const source = track(`${faults.url}${path}?retryAfter=1&case=ra`, {
    retry: { maxAttempts: 3, shouldRetry: (error) => (error.code === 503 ? retryAfterMs(error.response) : true) },
  })
  const codes = []
  source.addEventListener('error', (e) => codes.push([e.code, source.readyState]))
  const last = await errorWhere(source, () => source.readyState === FetchEventSource.CLOSED)
  const times = faults.hits.filter((h) => h.url.includes('case=ra')).map((h) => h.time)
  assert.deepEqual(codes, [[503, 0], [503, 0], [503, 2]])
  assert.match(last.message, /gave up after 3 attempts/)
  assert.equal(times.length, 3)
  for (const gap of gapsOf(times)) assert.ok(gap >= 995 && gap < 1500, `gap ${gap.toFixed(0)} ms, Retry-After says 1000`)
})

test('a server that accepts the TCP connection and closes it: backoff within the policy and the storm floor (jitter included), maxAttempts ends it', async () => {
  const drop = await startDropServer()
  const policy = { initialDelay: 20, factor: 2, maxDelay: 300, jitter: 0.2, maxAttempts: 7 }
  try {
    const source = track(drop.url, { retry: policy })
    const errors = []
    source.addEventListener('error', (e) => errors.push([e.code, source.readyState]))
    await errorWhere(source, () => source.readyState === FetchEventSource.CLOSED)
    assert.equal(drop.accepts.length, 7)
    assert.deepEqual(errors, [...Array(6).fill(['network', 0]), ['network', 2]])
    // failures 1..6: the first retry waits the reconnection time (20 ms); later ones grow ×2 from it, but never under
    // the storm floor (100 ms doubling: 100, 200, 400 …), capped at 300 ms, less ≤ 20 % jitter, and never under 100.
    const nominal = [20, 100, 200, 300, 300, 300]
    gapsOf(drop.accepts).forEach((gap, i) => {
      const low = i === 0 ? nominal[i] : Math.max(100, nominal[i] * (1 - policy.jitter))
      assert.ok(gap >= low - 2 && gap < nominal[i] + 600, `wait ${i + 1}: ${gap.toFixed(0)} ms, policy allows [${low}, ${nominal[i]}]`)
    })
  } finally {
    await drop.close()
  }
})

test('a server that accepts the stream and ends it empty: each empty stream is a failure for the backoff, but not for maxAttempts', async () => {
  const path = '/accept-drop'
  const source = track(`${faults.url}${path}?case=empty`, { retry: { initialDelay: 100, maxAttempts: 2, jitter: 0 } })
  let opens = 0
  source.onopen = () => opens++
  const codes = []
  source.addEventListener('error', (e) => codes.push(e.code))
  const hits = () => faults.hits.filter((h) => h.url.includes('case=empty')).map((h) => h.time)
  await errorWhere(source, () => hits().length >= 5)
  source.close()
  const gaps = gapsOf(hits())
  assert.equal(opens, 5)
  assert.deepEqual(codes, Array(5).fill('stream-ended'))
  // 100 (the reconnection time, as the spec says), then ×2 per empty stream: 200, 400, 800.
  const nominal = [100, 200, 400, 800]
  gaps.forEach((gap, i) => assert.ok(gap >= nominal[i] - 2 && gap < nominal[i] + 500, `wait ${i + 1}: ${gap.toFixed(0)} ms, expected ≈ ${nominal[i]}`))
})

test('no reconnect storms (5 s each, side by side): a dead server with initialDelay 0 and a server that accepts, sends retry: 0 and ends get ≤ 12 attempts; a server sending one event per connection with retry: 50 keeps its pace', async () => {
  // A port that refuses: a server bound and closed again.
  const dead = await startDropServer()
  const deadUrl = dead.url
  await dead.close()
  let deadAttempts = 0
  const countingFetch = (input, init) => (deadAttempts++, fetch(input, init))
  const deadSource = track(deadUrl, { fetch: countingFetch, retry: { initialDelay: 0 } })
  const emptySource = track(`${faults.url}/accept-drop?retry=0&case=storm`)
  const oneEvent = Buffer.from('retry: 50\nid: 1\ndata: tick\n\n').toString('base64url')
  const pacedSource = track(`${faults.url}/raw?b64=${oneEvent}&case=paced`)
  let ticks = 0
  pacedSource.onmessage = () => ticks++
  const emptyCodes = new Set()
  emptySource.addEventListener('error', (e) => emptyCodes.add(e.code))

  const started = performance.now()
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const ticksIn3s = ticks
  await new Promise((resolve) => setTimeout(resolve, 5000 - (performance.now() - started)))
  for (const source of [deadSource, emptySource, pacedSource]) source.close()

  const emptyRequests = faults.hits.filter((h) => h.url.includes('case=storm')).length
  assert.ok(deadAttempts >= 5 && deadAttempts <= 12, `dead server: ${deadAttempts} attempts in 5 s`)
  assert.ok(emptyRequests >= 5 && emptyRequests <= 12, `accept, retry: 0, end: ${emptyRequests} requests in 5 s`)
  assert.deepEqual([...emptyCodes], ['stream-ended'])
  assert.ok(ticksIn3s >= 20, `one event per connection, retry: 50: ${ticksIn3s} events in 3 s`)
})

test('Retry-After: 1 on a 503 with shouldRetry: () => true waits about 1 s; Retry-After: 0 in a loop stays within the storm floor', async () => {
  const slow = track(`${faults.url}/unavailable?retryAfter=1&case=ra-true`, { retry: { maxAttempts: 3, shouldRetry: () => true } })
  const zero = track(`${faults.url}/unavailable?retryAfter=0&case=ra-zero`, { retry: { initialDelay: 0, shouldRetry: () => true } })
  await errorWhere(slow, () => slow.readyState === FetchEventSource.CLOSED)
  zero.close()
  const times = (tag) => faults.hits.filter((h) => h.url.includes(`case=${tag}`)).map((h) => h.time)
  const slowGaps = gapsOf(times('ra-true'))
  assert.equal(slowGaps.length, 2)
  for (const gap of slowGaps) assert.ok(gap >= 995 && gap < 1500, `gap ${gap.toFixed(0)} ms, Retry-After says 1000`)
  // ~2.1 s of Retry-After: 0 with a zero reconnection time: 0, 100, 200, 400, 800 … ms, so at most 7 requests.
  const zeroCount = times('ra-zero').length
  assert.ok(zeroCount >= 4 && zeroCount <= 7, `Retry-After: 0 in a loop: ${zeroCount} requests in ~2 s`)
})

test('close() during any reconnect wait is final: no request is sent afterwards', async () => {
  const drop = await startDropServer()
  try {
    // Three waits at once: after a 503 (shouldRetry: 200 ms), after network errors (backoff), after a normal end.
    const unavailable = track(`${faults.url}/unavailable?retryAfter=1&case=close`, { retry: { shouldRetry: () => 200 } })
    const dropped = track(drop.url, { retry: { initialDelay: 30, jitter: 0 } })
    const ended = track(`${faults.url}/accept-drop?retry=150&case=close`)
    const closedAt = await Promise.all([
      errorWhere(unavailable, () => true).then(() => unavailable.close()),
      errorWhere(dropped, () => drop.accepts.length === 3).then(() => dropped.close()),
      errorWhere(ended, () => true).then(() => ended.close()),
    ])
    assert.equal(closedAt.length, 3)
    const counts = () => [faults.count('/unavailable'), drop.accepts.length, faults.count('/accept-drop')]
    const atClose = counts()
    // Each would have reconnected within 200 ms (backoff: 120 ms); wait well past that, bounded.
    await new Promise((resolve) => setTimeout(resolve, 600))
    assert.deepEqual(counts(), atClose)
    for (const source of [unavailable, dropped, ended]) assert.equal(source.readyState, FetchEventSource.CLOSED)
  } finally {
    await drop.close()
  }
})
