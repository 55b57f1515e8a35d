// Child process (--expose-gc): how much heap a source retains while a line or an event is pending, per character
// of maxBufferSize. The stream comes from an in-memory fetch, so nothing but the library is measured: `pattern`
// repeated without end, cut into chunks of `chunkBytes`, until the source fails with max-buffer-size-exceeded.
// The heap is measured after a full GC before chunks are handed over, i.e. with everything pending retained. The
// growth includes about 2 MiB of fetch and stream machinery allocated once (compare two limits for the marginal cost).
//   node --expose-gc reliability/clients/buffer-memory.js '<pattern as JSON>' CHUNK_BYTES LIMIT_CHARS
import { FetchEventSource } from '../../dist/index.js'

const [patternJSON, chunkArg, limitArg] = process.argv.slice(2)
const pattern = JSON.parse(patternJSON)
const chunkBytes = Number(chunkArg)
const limit = Number(limitArg)
const gc = /** @type {() => void} */ (globalThis.gc)

const patternBytes = new TextEncoder().encode(pattern).length
if (patternBytes > 4096) throw new Error('pattern too long')
const encoded = new TextEncoder().encode(pattern.repeat(Math.ceil((chunkBytes + 4096) / patternBytes)))
let chunks = 0
let peak = 0
let bytes = 0
gc()
const base = process.memoryUsage().heapUsed
const measureEvery = Math.max(1, Math.floor(65536 / chunkBytes))

const fetch = async () =>
  new Response(
    new ReadableStream(
      {
        pull(controller) {
          if (chunks++ % measureEvery === 0) {
            gc()
            peak = Math.max(peak, process.memoryUsage().heapUsed - base)
          }
          // Consecutive slices of the repeated pattern: the chunk boundaries fall anywhere, UTF-8 sequences included.
          const start = bytes % patternBytes
          controller.enqueue(encoded.slice(start, start + chunkBytes))
          bytes += chunkBytes
        },
      },
      { highWaterMark: 0 },
    ),
    { headers: { 'content-type': 'text/event-stream' } },
  )

const started = performance.now()
const source = new FetchEventSource('http://memory.test/', { fetch, maxBufferSize: limit, retry: { maxAttempts: 1 } })
const events = []
source.addEventListener('message', (e) => events.push(e.data.length))
source.onerror = (e) => {
  source.close()
  process.stdout.write(
    JSON.stringify({
      pattern,
      chunkBytes,
      limit,
      code: e.code,
      events: events.length,
      chunks,
      bytes,
      ms: Math.round(performance.now() - started),
      peakHeapBytes: peak,
      bytesPerLimitChar: Math.round((peak / limit) * 10) / 10,
    }) + '\n',
  )
}
