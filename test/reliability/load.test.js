// Load and leaks, each client in its own process (--expose-gc) against the project's scripted test server:
// many concurrent sources (1,000, as `npm run stress`), connect/close cycles with the heap slope, and
// the async iterator under a consumer that stalls. The processes must exit by themselves after close().
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startTestServer } from '../../dist/testing.js'
import { runClient } from '../../reliability/child.js'
import { startResumableServer } from '../../reliability/resumable-server.js'
import { runSeed } from '../../reliability/seed.js'

/** @type {Awaited<ReturnType<typeof startTestServer>>} */
let server
before(async () => {
  server = await startTestServer()
})
after(() => server.close())

/** A script serving `count` responses, each 100 events (id = data = 1..100) and then left open. */
function hangingScript(count) {
  let body = ''
  for (let i = 1; i <= 100; i++) body += `id: ${i}\ndata: ${i}\n\n`
  // Registered directly: 1,000 such responses are 1.5 MB, over what POST /script accepts.
  return server.script(Array.from({ length: count }, () => ({ body: [body], end: 'hang' })))
}

// The README's Reliability table (from `npm run stress`, 1,000 sources): 31 KiB heap and 88 KiB RSS per connection
// (29 KiB before eventsource-parser 4, whose closures add about 1.3 KiB per idle source: README, Performance).
// This test runs the same 1,000 sources (3-5 s), so its figures are the published ones, not a smaller run's with the
// process's fixed cost spread over fewer connections (at 200 sources: 42 KiB heap, and RSS anywhere in 150-310 KB).
// Measured with the project's own parser on the system Node 20.20.2, 2 shared cores, 9 runs, some beside a CPU-bound
// test: heap 30,134-30,270 bytes (29.4-29.6 KiB, ±0.3 %), RSS 87,638-96,207 bytes (85.6-94.0 KiB); the stress run
// with eventsource-parser 4 measured 31 KiB and 88 KiB. The bounds: heap within 20 % of the published figure (31 KiB
// × 1.2: heap is that steady, so a regression of a fifth shows); RSS, which moves with the allocator and the machine
// by 10 % here, published × 1.5.
const PUBLISHED_HEAP_PER_CONNECTION = 31 * 1024
const PUBLISHED_RSS_PER_CONNECTION = 88 * 1024

test('1,000 concurrent sources in one process get 100 events each, within the published heap and RSS per connection; after close() nothing holds the process and it exits', async () => {
  const count = 1000
  const url = hangingScript(count)
  const { result, code, exitedAfterResultMs } = await runClient('clients/load-client.js', [url, String(count), '100', '20000'], { timeoutMs: 30_000 })
  assert.equal(code, 0)
  assert.deepEqual([result.complete, result.open, result.delivered, result.bad, result.errors], [count, count, count * 100, [], 0])
  assert.deepEqual(result.holdingAfterClose, [])
  // Per open connection (source + fetch + socket).
  const { heap, rss } = result.perConnectionBytes
  assert.ok(heap < PUBLISHED_HEAP_PER_CONNECTION * 1.2, `heap per connection: ${heap} bytes, published ${PUBLISHED_HEAP_PER_CONNECTION}`)
  assert.ok(rss < PUBLISHED_RSS_PER_CONNECTION * 1.5, `RSS per connection: ${rss} bytes, published ${PUBLISHED_RSS_PER_CONNECTION}`)
  assert.ok(exitedAfterResultMs < 3000, `the process lived ${exitedAfterResultMs} ms after closing everything`)
})

test('connect/close cycles closed at every stage: every closed source is garbage-collected, the heap stays flat', async () => {
  const seed = runSeed(7)
  const url = `${server.url}/counter?total=1000000000&per=1&retry=1`
  const { result, code } = await runClient('clients/cycles-client.js', [url, '1500', String(seed), '0'], { timeoutMs: 45_000 })
  assert.equal(code, 0)
  for (const stage of Object.keys(result.stages)) assert.ok(result.stages[stage] > 100, `stage ${stage} ran ${result.stages[stage]} times`)
  // The exact leak check: a source held by anything after close() (timer, socket, listener, promise) is never finalized.
  assert.equal(result.sourcesCollected, result.sourcesCreated, `[SEED=${seed}] closed sources not collected`)
  // The heap slope needs thousands of warm-up cycles to settle (npm run stress reports it); here only a loose bound.
  assert.ok(result.heapMaxMiB - result.heapMinMiB < 4, `heap ranged ${result.heapMinMiB}-${result.heapMaxMiB} MiB`)
})

test('for await with a stalled consumer: 20,000 events buffered and then all yielded in order; the backlog costs bytes per event, bounded by the stream', async () => {
  const total = 20_000
  const resumable = await startResumableServer({ total, batch: 64 })
  try {
    const { result, code, exitedAfterResultMs } = await runClient('clients/iterator-client.js', [`${resumable.url}/events`, String(total)], { timeoutMs: 30_000 })
    assert.equal(code, 0)
    assert.deepEqual([result.received, result.problem, result.ending], [total, null, { code: 204 }])
    assert.equal(result.peakBacklog, total - 1)
    // No backpressure by design: the backlog is the events themselves (MessageEvent + data), a few hundred bytes each.
    assert.ok(result.bytesPerBufferedEvent < 2000, `${result.bytesPerBufferedEvent} bytes per buffered event`)
    assert.ok(exitedAfterResultMs < 3000)
  } finally {
    await resumable.close()
  }
})
