// Child process (run with --expose-gc): one FetchEventSource against a hostile stream, with its memory sampled
// while the bytes stream in. Prints one JSON line: what it saw and the peaks over the baseline.
//   node --expose-gc reliability/clients/hostile-client.js URL MAX_BUFFER_SIZE
// It stops at the first `error` that closes the source, or at the first message (the hostile routes end a legal
// stream with `then=data: end`), and closes the source either way.
import { FetchEventSource } from '../../dist/index.js'

const [url, limitArg, deadlineArg = '60000'] = process.argv.slice(2)
const gc = /** @type {() => void} */ (globalThis.gc)
if (typeof gc !== 'function') throw new Error('run with --expose-gc')

gc()
const base = process.memoryUsage()
const peak = { heapAfterGc: 0, heapRaw: 0, rss: 0, external: 0 }
let samples = 0
const sample = (withGc) => {
  if (withGc) gc()
  const m = process.memoryUsage()
  samples++
  if (withGc) peak.heapAfterGc = Math.max(peak.heapAfterGc, m.heapUsed - base.heapUsed)
  peak.heapRaw = Math.max(peak.heapRaw, m.heapUsed - base.heapUsed)
  peak.rss = Math.max(peak.rss, m.rss - base.rss)
  peak.external = Math.max(peak.external, m.external + m.arrayBuffers - base.external - base.arrayBuffers)
}
// Raw samples often, a full GC now and then: the post-GC peak is what the source retains.
let ticks = 0
const timer = setInterval(() => sample(++ticks % 5 === 0), 10)

const started = performance.now()
const messages = []
const errors = []
const source = new FetchEventSource(url, { maxBufferSize: limitArg === 'Infinity' ? Infinity : Number(limitArg), retry: { maxAttempts: 1 } })
const onMessage = (/** @type {MessageEvent} */ e) => {
  messages.push(e.data.length > 40 ? `${e.data.slice(0, 40)}…(${e.data.length})` : e.data)
  if (e.data === 'end') finish()
}
source.addEventListener('message', onMessage)
source.addEventListener('tick', onMessage)
const deadline = setTimeout(() => finish(true), Number(deadlineArg))
source.onerror = (e) => {
  errors.push({ code: e.code, readyState: source.readyState })
  if (source.readyState === FetchEventSource.CLOSED) finish()
}

function finish(timedOut = false) {
  sample(true)
  clearInterval(timer)
  clearTimeout(deadline)
  const readyState = source.readyState
  source.close()
  const mb = (n) => Math.round((n / 1048576) * 10) / 10
  process.stdout.write(
    JSON.stringify({
      messages,
      errors,
      timedOut,
      readyStateAtEnd: readyState,
      ms: Math.round(performance.now() - started),
      samples,
      peakMiB: { heapAfterGc: mb(peak.heapAfterGc), heapRaw: mb(peak.heapRaw), rss: mb(peak.rss), external: mb(peak.external) },
      peakBytes: peak,
    }) + '\n',
  )
}
