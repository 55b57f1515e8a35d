// The server behind the page-life browser tests: one numbered stream that every connection resumes.
//
//   GET /page-life/page.html   the test page (loads the browser build and exposes startSource())
//   GET /page-life/away.html   a second page, to navigate away to and back from (back/forward cache)
//   GET /dist/…                the library's build
//   GET /ticks                 `id: n` / `data: n` every `tickMs`, from Last-Event-ID + 1 (or 1), forever
//
// Event n is the same event on every connection, so a page that resumes with the right Last-Event-ID sees each
// number once, in order, whatever happens to its connections: the tests compare ids, not timings. Each request is
// logged with its Last-Event-ID and the time its connection opened and ended. Loopback only, port 0.
import { createServer } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { lastEventId, newStream } from '../../dist/server.js'
import { serveStatic, trackSockets } from '../../dist/support.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const STATIC = { '/page-life/': join(root, 'e2e/page-life'), '/dist/': join(root, 'dist') }

/**
 * @typedef {{ id: number, lastEventId: string, openedAt: number, endedAt: number | undefined, ended: Promise<void> }} TickRequest
 * @param {{ tickMs?: number }} [options]
 */
export async function startPageLifeServer({ tickMs = 40 } = {}) {
  /** @type {TickRequest[]} */
  const requests = []
  /** @type {Set<() => void>} */
  const listeners = new Set()
  /** @type {Set<import('../../dist/server.js').EventStream>} */
  const streams = new Set()

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/ticks') {
      const resumeFrom = lastEventId(req)
      /** @type {() => void} */
      let markEnded = () => {}
      /** @type {TickRequest} */
      const record = { id: requests.length + 1, lastEventId: resumeFrom, openedAt: Date.now(), endedAt: undefined, ended: new Promise((resolve) => (markEnded = resolve)) }
      requests.push(record)
      for (const listener of listeners) listener()
      const stream = newStream(res)
      streams.add(stream)
      let n = /^\d+$/.test(resumeFrom) ? Number(resumeFrom) : 0
      const timer = setInterval(() => {
        n += 1
        stream.send({ id: String(n), data: String(n) })
      }, tickMs)
      stream.signal.addEventListener('abort', () => {
        clearInterval(timer)
        streams.delete(stream)
        record.endedAt = Date.now()
        markEnded()
        for (const listener of listeners) listener()
      })
      return
    }
    // no-cache, not the default no-store: a no-store page is kept out of the back/forward cache, which a test needs.
    serveStatic(req, res, STATIC, { headers: { 'cache-control': 'no-cache' } }).then(
      (served) => served || res.writeHead(404).end(),
      () => res.destroy(),
    )
    return
  })
  const sockets = trackSockets(server)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /**
     * Resolves once `predicate()` holds, checked on every request and every ended connection; rejects after `ms`.
     * @param {string} what @param {() => boolean} predicate @param {number} [ms]
     */
    waitFor(what, predicate, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate()) return
          listeners.delete(check)
          clearTimeout(timer)
          resolve(undefined)
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`${what}: not within ${ms} ms (requests: ${JSON.stringify(requests.map(({ ended, ...r }) => r))})`))
        }, ms)
        listeners.add(check)
        check()
      })
    },
    /** Ends every open stream from the server's side (the clients see the body end and reconnect). */
    endStreams() {
      for (const stream of streams) stream.close()
    },
    async close() {
      for (const stream of streams) stream.close()
      sockets.destroyAll()
      await new Promise((resolve) => server.close(() => resolve(undefined)))
    },
  }
}
