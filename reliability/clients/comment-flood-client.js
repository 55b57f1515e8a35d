// Child process (run with --expose-gc): one client reading a comment flood (reliability/comment-flood.js) to its
// end, with its memory sampled while the bytes stream in. Prints one JSON line: the peaks over the baseline taken
// just before connecting, and the bytes the client read.
//   node --expose-gc reliability/clients/comment-flood-client.js KIND URL [DEADLINE_MS]
// KIND:
//   ours          FetchEventSource (dist/index.js)
//   eventsource   the `eventsource` package (v5): fetch + TextDecoder + eventsource-parser
//   fetch-decode  the limit: a bare fetch + getReader() loop that decodes each chunk and drops the text
//   fetch-bytes   the floor: the same loop without decoding
// The two sources stop at the flood's final event (`data: end`), the bare loops at the end of the body.
import v8 from 'node:v8'
import { EventSource } from 'eventsource'
import { FetchEventSource } from '../../dist/index.js'

const [kind, url, deadlineArg = '60000'] = process.argv.slice(2)
const gc = /** @type {() => void} */ (globalThis.gc)
if (typeof gc !== 'function') throw new Error('run with --expose-gc')

// The baseline: everything loaded, a full GC, a moment for the allocator to settle.
gc()
await new Promise((resolve) => setTimeout(resolve, 50))
gc()
const base = process.memoryUsage()
/** The young generation's committed size: V8 grows it when objects keep surviving scavenges (a held chunk does). */
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0
const peak = { rss: 0, heapUsed: 0, arrayBuffers: 0, newSpace: newSpace() }
let samples = 0
// RSS is cheap to read: every 5 ms. The heap figures (process.memoryUsage walks the heap spaces) every 25 ms.
const sample = (full) => {
  samples++
  peak.rss = Math.max(peak.rss, process.memoryUsage.rss() - base.rss)
  if (!full) return
  const m = process.memoryUsage()
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed - base.heapUsed)
  // ArrayBuffers: the fetch's byte chunks among them (`external` already counts them, so it is not added).
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers - base.arrayBuffers)
  peak.newSpace = Math.max(peak.newSpace, newSpace())
}
let ticks = 0
const timer = setInterval(() => sample(++ticks % 5 === 0), 5)
const started = performance.now()
let bytes = 0
/** @type {string | null} */
let problem = null
let done = false

const deadline = setTimeout(() => finish('deadline'), Number(deadlineArg))

if (kind === 'ours' || kind === 'eventsource') {
  const source = kind === 'ours' ? new FetchEventSource(url, { retry: { maxAttempts: 1 } }) : new EventSource(url)
  source.onmessage = (/** @type {MessageEvent} */ e) => {
    source.close()
    finish(e.data === 'end' ? null : `unexpected event ${JSON.stringify(e.data.slice(0, 40))}`)
  }
  source.onerror = (/** @type {any} */ e) => {
    source.close()
    finish(`error ${e.code ?? e.message ?? ''}`)
  }
} else if (kind === 'fetch-decode' || kind === 'fetch-bytes') {
  const decode = kind === 'fetch-decode'
  const response = await fetch(url)
  const reader = /** @type {ReadableStream<Uint8Array>} */ (response.body).getReader()
  const decoder = new TextDecoder()
  for (;;) {
    const { done: end, value } = await reader.read()
    if (end) break
    bytes += value.byteLength
    if (decode) decoder.decode(value, { stream: true })
  }
  finish(null)
} else {
  throw new Error(`unknown client ${kind}`)
}

/** @param {string | null} why */
function finish(why) {
  if (done) return
  done = true
  sample(true)
  clearInterval(timer)
  clearTimeout(deadline)
  problem = why
  const ms = Math.round(performance.now() - started)
  // maxRSS is the process's high-water mark in KiB, startup included: a check on the sampled peak.
  const maxRssGrowth = process.resourceUsage().maxRSS * 1024 - base.rss
  process.stdout.write(JSON.stringify({ kind, problem, ms, samples, bytes, baseRss: base.rss, peakBytes: { ...peak, maxRss: maxRssGrowth } }) + '\n')
}
