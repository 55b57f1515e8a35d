// Child process (--expose-gc): N concurrent sources in one process against the test server, each served 100 events
// on a response that then stays open. Measures memory per open connection, closes everything, checks that nothing
// is left holding the event loop, prints one JSON line and must then exit by itself.
//   node --expose-gc reliability/clients/load-client.js URL N EVENTS_EACH TIMEOUT_MS
import { FetchEventSource } from '../../dist/index.js'

const [url, countArg, eachArg, timeoutArg = '60000'] = process.argv.slice(2)
const count = Number(countArg)
const each = Number(eachArg)
const gc = /** @type {() => void} */ (globalThis.gc)
const memory = () => {
  gc()
  gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss, external: m.external + m.arrayBuffers }
}
/** Resource types keeping the loop alive, without the stdio pipes every child has. */
const holding = () => process.getActiveResourcesInfo().filter((type) => type !== 'PipeWrap' && type !== 'TTYWrap')

const before = memory()
const started = performance.now()
const sources = []
const received = new Array(count).fill(0)
const bad = []
let complete = 0
let errors = 0

const allDelivered = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`only ${complete}/${count} sources got ${each} events within ${timeoutArg} ms (${errors} errors)`)), Number(timeoutArg))
  for (let k = 0; k < count; k++) {
    const source = new FetchEventSource(url)
    source.onmessage = (e) => {
      const n = ++received[k]
      if (e.data !== String(n) || e.lastEventId !== String(n)) bad.push({ source: k, n, data: e.data, id: e.lastEventId })
      if (n === each && ++complete === count) {
        clearTimeout(timer)
        resolve(undefined)
      }
    }
    source.onerror = () => errors++
    sources.push(source)
  }
})

try {
  await allDelivered
} catch (error) {
  process.stderr.write(String(error) + '\n')
}
const deliveredMs = Math.round(performance.now() - started)
const open = sources.filter((s) => s.readyState === FetchEventSource.OPEN).length
const loaded = memory()
for (const source of sources) source.close()
sources.length = 0
const closedAt = performance.now()
// Sockets are released asynchronously after close(): wait (bounded) until nothing holds the loop but this timer.
let left = holding()
while (left.some((t) => t !== 'Timeout') && performance.now() - closedAt < 5000) {
  await new Promise((resolve) => setTimeout(resolve, 20))
  left = holding().filter((t) => t !== 'Timeout')
}
const releasedMs = Math.round(performance.now() - closedAt)
const after = memory()
const perConnection = (key) => Math.round((loaded[key] - before[key]) / count)
process.stdout.write(
  JSON.stringify({
    count,
    each,
    complete,
    open,
    delivered: received.reduce((a, b) => a + b, 0),
    bad: bad.slice(0, 5),
    errors,
    deliveredMs,
    perConnectionBytes: { heap: perConnection('heap'), rss: perConnection('rss'), external: perConnection('external') },
    loadedMiB: { heap: +(loaded.heap / 1048576).toFixed(1), rss: +(loaded.rss / 1048576).toFixed(1) },
    afterCloseMiB: { heap: +(after.heap / 1048576).toFixed(1), rss: +(after.rss / 1048576).toFixed(1) },
    heapRetainedAfterCloseBytes: after.heap - before.heap,
    holdingAfterClose: holding().filter((t) => t !== 'Timeout'),
    releasedMs,
  }) + '\n',
)
