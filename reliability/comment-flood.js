// A comment flood: an event stream of nothing but `: keep-alive` comment lines, written as fast as the socket takes
// them (64 KiB writes with backpressure) for a fixed time, then one `data: end` event. Used by `npm run stress`
// (section `comments`) and test/reliability/comment-flood.test.js to compare the RSS a client grows by while
// reading it: ours, `eventsource` 5, and a bare fetch reader loop (the limit), each in its own process.
//
//   startCommentFloodServer({ ms })   loopback server (127.0.0.1, free port); every response floods for `ms`
//   runCommentFlood({ rounds, ms })   clients alternating in one run, one child process each; medians per client

import http from 'node:http'
import { closer, listen, trackSockets } from '../dist/support.js'
import { runClient } from './child.js'

export const KINDS = ['ours', 'eventsource', 'fetch-decode', 'fetch-bytes']
export const LINE = ': keep-alive 0123456789abcdef\n'
/**
 * Ours may grow RSS by up to this times eventsource 5's (medians of the same run): ours / eventsource 5 measured
 * 0.97–1.08 over 4 runs of 3 rounds on a shared 2-core machine, with the same code path in both.
 */
export const RSS_MARGIN = 1.15
const BLOCK = Buffer.from(LINE.repeat(Math.floor(65536 / LINE.length)))

/**
 * @param {{ ms?: number, maxLifetimeMs?: number }} [options]
 *   ms: how long each response floods; maxLifetimeMs: the server closes itself after that, whatever happens
 */
export async function startCommentFloodServer({ ms = 2000, maxLifetimeMs = 10 * 60_000 } = {}) {
  /** Bytes written per response, in request order. */
  /** @type {number[]} */
  const written = []
  const server = http.createServer((req, res) => {
    const index = written.push(0) - 1
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    const until = performance.now() + ms
    const pump = () => {
      while (!res.destroyed) {
        if (performance.now() >= until) {
          res.end('data: end\n\n')
          return
        }
        written[index] += BLOCK.length
        if (!res.write(BLOCK)) return void res.once('drain', pump)
      }
    }
    pump()
  })
  const sockets = trackSockets(server)
  const port = await listen(server, 0, '127.0.0.1')
  const close = closer(server, sockets, () => clearTimeout(lifetime))
  const lifetime = setTimeout(close, maxLifetimeMs)
  lifetime.unref()
  return { url: `http://127.0.0.1:${port}/`, written, close }
}

const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * Runs every client `rounds` times, alternating (round 1: a b c d, round 2: b c d a, …) so a burst of load from
 * elsewhere on the machine does not land on one client only.
 * @param {{ rounds?: number, ms?: number, kinds?: string[], nodeArgs?: string[], log?: (line: string) => void }} [options]
 *   nodeArgs: extra flags for the client processes (e.g. `--max-semi-space-size=1` to see what the young generation costs)
 */
export async function runCommentFlood({ rounds = 3, ms = 2000, kinds = KINDS, nodeArgs = [], log = () => {} } = {}) {
  const server = await startCommentFloodServer({ ms, maxLifetimeMs: rounds * kinds.length * (ms + 30_000) })
  /** @type {Record<string, any[]>} */
  const runs = Object.fromEntries(kinds.map((k) => [k, []]))
  try {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[(i + r) % kinds.length]
        const before = server.written.length
        const { result, code } = await runClient('clients/comment-flood-client.js', [kind, server.url, String(ms + 20_000)], {
          timeoutMs: ms + 30_000,
          nodeArgs: ['--expose-gc', ...nodeArgs],
        })
        // What the server got out on this client's connection: every client reads to the end, so what it read.
        const bytes = server.written.slice(before).reduce((a, b) => a + b, 0)
        const run = { round: r, ...result, exitCode: code, bytes }
        runs[kind].push(run)
        log(`${kind}: RSS +${(run.peakBytes.rss / 2 ** 20).toFixed(1)} MiB, heap +${(run.peakBytes.heapUsed / 2 ** 20).toFixed(1)} MiB, array buffers +${(run.peakBytes.arrayBuffers / 2 ** 20).toFixed(1)} MiB, young generation ${(run.peakBytes.newSpace / 2 ** 20).toFixed(0)} MiB, ${(run.bytes / 2 ** 20).toFixed(0)} MiB read in ${run.ms} ms${run.problem ? `, ${run.problem}` : ''}`)
      }
    }
  } finally {
    await server.close()
  }
  /** @type {Record<string, any>} */
  const summary = {}
  for (const kind of kinds) {
    const xs = runs[kind]
    const MiB = 2 ** 20
    summary[kind] = {
      rssMiB: median(xs.map((x) => x.peakBytes.rss)) / MiB,
      maxRssMiB: median(xs.map((x) => x.peakBytes.maxRss)) / MiB,
      heapMiB: median(xs.map((x) => x.peakBytes.heapUsed)) / MiB,
      arrayBuffersMiB: median(xs.map((x) => x.peakBytes.arrayBuffers)) / MiB,
      newSpaceMiB: median(xs.map((x) => x.peakBytes.newSpace)) / MiB,
      readMiB: median(xs.map((x) => x.bytes)) / MiB,
      mibPerSecond: median(xs.map((x) => x.bytes / MiB / (x.ms / 1000))),
      problems: xs.map((x) => x.problem).filter((p) => p !== null),
      rssMiBRuns: xs.map((x) => x.peakBytes.rss / MiB),
    }
  }
  return { rounds, ms, summary, runs }
}
