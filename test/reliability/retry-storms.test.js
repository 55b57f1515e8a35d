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

test('a server that accepts the TCP connection and closes it: backoff within the policy (jitter included), maxAttempts ends it', async () => {
  const drop = await startDropServer()
  const policy = { initialDelay: 20, factor: 2, maxDelay: 160, jitter: 0.2, maxAttempts: 7 }
  try {
    const source = track(drop.url, { retry: policy })
    const errors = []
    source.addEventListener('error', (e) => errors.push([e.code, source.readyState]))
    await errorWhere(source, () => source.readyState === FetchEventSource.CLOSED)
    assert.equal(drop.accepts.length, 7)
    assert.deepEqual(errors, [...Array(6).fill(['network', 0]), ['network', 2]])
    // failures 1..6: the first retry waits the reconnection time; later ones grow ×2 up to 160 ms, less ≤ 20 % jitter.
    const nominal = [20, 40, 80, 160, 160, 160]
    gapsOf(drop.accepts).forEach((gap, i) => {
      const low = i === 0 ? nominal[i] : nominal[i] * (1 - policy.jitter)
      assert.ok(gap >= low - 2 && gap < nominal[i] + 600, `wait ${i + 1}: ${gap.toFixed(0)} ms, policy allows [${low}, ${nominal[i]}]`)
    })
  } finally {
    await drop.close()
  }
})

test('a server that accepts the stream and ends it at once: one request per reconnection time, no growth, not ended by maxAttempts', async () => {
  const path = '/accept-drop'
  const source = track(`${faults.url}${path}`, { retry: { initialDelay: 100, maxAttempts: 2 } })
  let opens = 0
  source.onopen = () => opens++
  const before = faults.count(path)
  await errorWhere(source, () => faults.count(path) - before >= 6)
  source.close()
  const times = faults.hits.filter((h) => h.path === path).slice(before).map((h) => h.time)
  // Every attempt was accepted (open), so none counts as failed: the wait stays the reconnection time.
  assert.equal(opens, 6)
  for (const gap of gapsOf(times)) assert.ok(gap >= 98 && gap < 600, `gap ${gap.toFixed(0)} ms, expected ≈ 100`)
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
