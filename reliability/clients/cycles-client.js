// Child process (--expose-gc): connect/close cycles, one after the other, each closed at a seeded stage (before it
// connects, on open, on its first event, during the reconnect wait, after a reconnect). The heap after a full GC is
// sampled along the way; the least-squares slope (bytes per cycle) says whether closed sources leak.
// The first WARMUP cycles are not sampled: the heap climbs while the JIT and the HTTP pool warm up, then stays flat.
//   node --expose-gc reliability/clients/cycles-client.js COUNTER_URL CYCLES SEED [WARMUP]
import { FetchEventSource } from '../../dist/index.js'
import { derive } from '../seed.js'

const [url, cyclesArg, seedArg, warmupArg = '0'] = process.argv.slice(2)
const cycles = Number(cyclesArg)
const warmup = Number(warmupArg)
const seed = Number(seedArg)
const random = derive(seed, 'cycles')
const gc = /** @type {() => void} */ (globalThis.gc)
const STAGES = ['sync', 'open', 'message', 'reconnect-wait', 'second-message']
const stages = Object.fromEntries(STAGES.map((s) => [s, 0]))
const samples = []
const every = Math.max(1, Math.floor(cycles / 40))

// Every source is watched: once closed and unreachable, the GC must be able to collect it. A source still held by
// a timer, a socket, a listener or a pending promise after close() is a leak, however small the heap slope.
let collected = 0
const registry = new FinalizationRegistry(() => collected++)

/** One cycle: resolves once the source is closed at `stage`. */
function cycle(stage) {
  const source = new FetchEventSource(url)
  registry.register(source, undefined)
  if (stage === 'sync') {
    source.close()
    return Promise.resolve()
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      source.close()
      reject(new Error(`cycle stuck waiting for ${stage}`))
    }, 10_000)
    let messages = 0
    const done = () => {
      clearTimeout(timer)
      source.close()
      resolve(undefined)
    }
    source.onopen = () => stage === 'open' && done()
    source.onmessage = () => {
      messages++
      if (stage === 'message' || (stage === 'second-message' && messages === 2)) done()
    }
    source.onerror = () => {
      if (stage === 'reconnect-wait' && source.readyState === FetchEventSource.CONNECTING) done()
      else if (source.readyState === FetchEventSource.CLOSED) {
        clearTimeout(timer)
        reject(new Error('source failed'))
      }
    }
  })
}

const started = performance.now()
gc()
const rssStart = process.memoryUsage().rss
for (let i = 0; i < warmup + cycles; i++) {
  const stage = STAGES[Math.floor(random() * STAGES.length)]
  stages[stage]++
  await cycle(stage)
  if (i >= warmup && (i + 1 - warmup) % every === 0) {
    gc()
    gc()
    samples.push([i + 1 - warmup, process.memoryUsage().heapUsed])
  }
}
// Let finalizers run: a few GCs with turns of the event loop in between (bounded).
const total = warmup + cycles
for (let k = 0; k < 100 && collected < total; k++) {
  gc()
  await new Promise((resolve) => setTimeout(resolve, 20))
}

/** Least-squares slope of heap against cycle number, in bytes per cycle. @param {number[][]} points */
const slopeOf = (points) => {
  const n = points.length
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  return points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / points.reduce((a, [x]) => a + (x - mx) ** 2, 0)
}
const round = (x) => Math.round(x * 100) / 100
process.stdout.write(
  JSON.stringify({
    cycles,
    warmup,
    seed,
    sourcesCreated: total,
    sourcesCollected: collected,
    stages,
    ms: Math.round(performance.now() - started),
    heapSlopeBytesPerCycle: round(slopeOf(samples)),
    heapSlopeSecondHalf: round(slopeOf(samples.slice(Math.floor(samples.length / 2)))),
    heapFirstMiB: +(samples[0][1] / 1048576).toFixed(2),
    heapLastMiB: +(samples.at(-1)[1] / 1048576).toFixed(2),
    heapMinMiB: +(Math.min(...samples.map(([, y]) => y)) / 1048576).toFixed(2),
    heapMaxMiB: +(Math.max(...samples.map(([, y]) => y)) / 1048576).toFixed(2),
    rssGrowthMiB: +((process.memoryUsage().rss - rssStart) / 1048576).toFixed(1),
    samples: samples.map(([x, y]) => [x, y]),
  }) + '\n',
)
