// Child process (--expose-gc): `for await` with a consumer that stalls on the first event while the whole stream
// arrives, then drains one event per macrotask. Nothing may be lost; the heap held by the backlog is measured (the
// iterator buffers without bound by design: message-iterator.ts).
//   node --expose-gc reliability/clients/iterator-client.js EVENTS_URL TOTAL
import { FetchEventSource } from '../../dist/index.js'
import { EVENT_TYPES, verifyDelivery } from '../stream-script.js'

const [url, totalArg] = process.argv.slice(2)
const total = Number(totalArg)
const gc = /** @type {() => void} */ (globalThis.gc)
const heap = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const base = heap()
const started = performance.now()
const source = new FetchEventSource(url, { retry: { initialDelay: 1 } })
// A listener sees each event as it is dispatched: how far arrival runs ahead of the loop.
let arrived = 0
/** @type {() => void} */
let allArrived = () => {}
const arrivedPromise = new Promise((resolve) => (allArrived = () => resolve(undefined)))
for (const type of EVENT_TYPES) source.addEventListener(type, () => ++arrived === total && allArrived())

const received = []
let backlogHeap = 0
let peakBacklog = 0
let failure
try {
  for await (const event of source) {
    if (received.length === 0) {
      // Stall until everything is buffered (bounded), then weigh the backlog.
      let timer
      await Promise.race([arrivedPromise, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))])
      clearTimeout(timer)
      peakBacklog = arrived - 1
      backlogHeap = heap() - base
    }
    received.push({ id: event.lastEventId, type: event.type, data: event.data })
    await new Promise((resolve) => setImmediate(resolve))
  }
} catch (error) {
  // The stream is over: the server answers 204 once resumed past the end, which ends the loop with that error.
  failure = { code: /** @type {any} */ (error).code }
}
process.stdout.write(
  JSON.stringify({
    total,
    received: received.length,
    problem: verifyDelivery(received, total),
    ending: failure,
    peakBacklog,
    backlogHeapMiB: +(backlogHeap / 1048576).toFixed(1),
    bytesPerBufferedEvent: Math.round(backlogHeap / Math.max(1, peakBacklog)),
    ms: Math.round(performance.now() - started),
  }) + '\n',
)
