// Stalled servers: headers and then silence, or a byte at a time. heartbeatTimeout is an idle timeout (no byte for
// that long), so it catches silence and a trickle slower than it, and lets a slow but live trickle through; without
// it, close() still ends everything at once: the server sees the connection go.
// (lifecycle.test.js covers a stall after a first event and a server that never sends headers.)
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource } from '../../dist/index.js'
import { startFaultServer } from '../../reliability/fault-servers.js'
import { next, track } from './helpers.js'

/** @type {Awaited<ReturnType<typeof startFaultServer>>} */
let faults
before(async () => {
  faults = await startFaultServer()
})
after(() => faults.close())

test('headers and then nothing: heartbeat-timeout once the timeout has passed since the headers, then a new attempt', async () => {
  const source = track(`${faults.url}/stall?case=hb`, { heartbeatTimeout: 200, retry: { initialDelay: 10 } })
  await next(source, 'open')
  const error = await next(source, 'error')
  // The timer runs from the response's arrival, which is after the server saw the request.
  const detectedAfter = performance.now() - faults.hits.find((h) => h.url.includes('case=hb')).time
  assert.equal(error.code, 'heartbeat-timeout')
  assert.equal(source.readyState, FetchEventSource.CONNECTING)
  assert.ok(detectedAfter >= 198 && detectedAfter < 700, `detected ${detectedAfter.toFixed(0)} ms after the request, timeout 200`)
  await next(source, 'open')
  source.close()
  assert.equal(faults.hits.filter((h) => h.url.includes('case=hb')).length, 2)
})

test('a trickle: one byte per 80 ms passes a 400 ms heartbeat intact; one byte per 300 ms trips a 150 ms one', async () => {
  const live = track(`${faults.url}/trickle?every=80&text=${encodeURIComponent('id: 7\ndata: sl\u00f6w\n\n')}`, { heartbeatTimeout: 400 })
  const slow = track(`${faults.url}/trickle?every=300`, { heartbeatTimeout: 150, retry: { maxAttempts: 1 } })
  const liveErrors = []
  live.onerror = (e) => liveErrors.push(e.code)
  const [message, timeout] = await Promise.all([next(live, 'message'), next(slow, 'error')])
  live.close()
  slow.close()
  assert.deepEqual([message.data, message.lastEventId, liveErrors], ['sl\u00f6w', '7', []])
  assert.equal(timeout.code, 'heartbeat-timeout')
})

test('without heartbeatTimeout, close() on a stalled or trickling stream ends it at once: CLOSED, and the server sees the response go', async () => {
  const closedBefore = faults.closedCount('/stall') + faults.closedCount('/trickle')
  const stalled = track(`${faults.url}/stall?case=close`)
  const trickling = track(`${faults.url}/trickle?every=50&text=${encodeURIComponent('data: never complete')}`)
  const messages = []
  trickling.onmessage = (e) => messages.push(e.data)
  await Promise.all([next(stalled, 'open'), next(trickling, 'open')])
  const closedAt = performance.now()
  stalled.close()
  trickling.close()
  assert.equal(stalled.readyState, FetchEventSource.CLOSED)
  assert.equal(trickling.readyState, FetchEventSource.CLOSED)
  await faults.waitFor(() => faults.closedCount('/stall') + faults.closedCount('/trickle') === closedBefore + 2, 2000)
  const latency = performance.now() - closedAt
  assert.ok(latency < 500, `the server saw both responses close ${latency.toFixed(0)} ms after close()`)
  assert.deepEqual(messages, [])
})
