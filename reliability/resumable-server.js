// A resumable event stream for exactly-once tests: event i (1..total) is a pure function of i, so any server
// process, restarted or not, resumes from `Last-Event-ID` with the same bytes, and a client can check every
// event it gets against `expectedData(i)` / `expectedType(i)` (stream-script.js).
//
// The wire text (stream-script.js) is built to make cuts hurt: mixed line endings and UTF-8 widths. Framing per
// response:
//   'chunked'  Transfer-Encoding: chunked, kept alive: a cut is a network error for the client;
//   'close'    Connection: close with no length: the body ends at EOF, so a cut is a *normal* end of stream
//              at an arbitrary byte (the client must drop the incomplete event and its id, rule 33);
//   'mixed'    alternates the two by request number.
//
//   const server = await startResumableServer({ total: 10_000, retry: 1 })
//   server.url + '/events'   ·  server.stats  ·  await server.close()
//
// Standalone (server-restart tests spawn it): `node reliability/resumable-server.js '{"port":0,"total":2000}'`
// prints one JSON line `{"port":N}` when listening; SIGKILL is the point.
//
// Routes: GET /events[?lastEventId=] · OPTIONS (CORS preflight, cached 10 min) · /dist/* and /reliability/*
// static (the Chromium page).

import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { closer, corsHeaders, isMain, listen, originOf, preflightHeaders, serveStatic, trackSockets } from '../dist/support.js'
import { frameEvent } from './stream-script.js'

export { EVENT_TYPES, expectedData, expectedType, frameEvent, verifyDelivery } from './stream-script.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(here, '..')

/**
 * @typedef {object} ResumableOptions
 * @property {number} [port]
 * @property {string} [host]
 * @property {number} [total]       events in the whole stream (ids 1..total); past it: 204
 * @property {number} [per]         most events per response before ending it normally (default: all)
 * @property {number} [batch]       events per write (default 8)
 * @property {number} [interval]    ms between writes (default 0: as fast as the socket drains)
 * @property {number} [retry]       sends `retry: N` first in every response
 * @property {'chunked' | 'close' | 'mixed'} [framing]
 */

/** @param {ResumableOptions} [options] */
export async function startResumableServer({
  port = 0,
  host = '127.0.0.1',
  total = 1000,
  per = Infinity,
  batch = 8,
  interval = 0,
  retry,
  framing = 'chunked',
} = {}) {
  const stats = { requests: 0, preflights: 0, responses204: 0, eventsWritten: 0, resumedFrom: /** @type {number[]} */ ([]) }
  // Chromium runs reach it from another origin, with credentials.
  const cors = (/** @type {http.IncomingMessage} */ req) => corsHeaders(req, { credentials: true })

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {URL} url
   */
  const serveEvents = (req, res, url) => {
    const n = stats.requests++
    const header = req.headers['last-event-id']
    const last = typeof header === 'string' ? header : url.searchParams.get('lastEventId') ?? ''
    const start = /^\d{1,9}$/.test(last) ? Number(last) + 1 : 1
    if (stats.resumedFrom.length < 100_000) stats.resumedFrom.push(start)
    if (start > total) {
      stats.responses204++
      res.writeHead(204, cors(req))
      res.end()
      return
    }
    const close = framing === 'close' || (framing === 'mixed' && n % 2 === 1)
    const headers = { 'content-type': 'text/event-stream', 'cache-control': 'no-store', ...cors(req), ...(close ? { connection: 'close' } : {}) }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    // Without a length and without chunked framing the body is delimited by the end of the connection.
    if (close) res.removeHeader('transfer-encoding')
    res.writeHead(200)
    const end = Math.min(total, start + per - 1)
    let i = start
    let timer
    res.on('close', () => clearTimeout(timer))
    if (retry !== undefined) res.write(`retry: ${retry}\n\n`)
    const pump = () => {
      while (!res.destroyed) {
        if (i > end) {
          res.end()
          return
        }
        let text = ''
        for (let k = 0; k < batch && i <= end; k++, i++) {
          text += frameEvent(i)
          stats.eventsWritten++
        }
        const ok = res.write(text)
        if (interval > 0) {
          timer = setTimeout(pump, interval)
          return
        }
        if (!ok) {
          res.once('drain', pump)
          return
        }
      }
    }
    pump()
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x.invalid')
    try {
      if (req.method === 'OPTIONS') {
        stats.preflights++
        res.writeHead(204, preflightHeaders(req, cors(req), 600))
        res.end()
        return
      }
      if (url.pathname === '/events') return serveEvents(req, res, url)
      const roots = { '/dist/': path.join(ROOT, 'dist'), '/reliability/': here }
      if (await serveStatic(req, res, roots)) return
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error))
      else res.destroy()
    }
  })
  const sockets = trackSockets(server)
  const boundPort = await listen(server, port, host)
  return {
    url: originOf(host, boundPort),
    port: boundPort,
    stats,
    /** Open connections right now. */
    get connections() {
      return sockets.size
    },
    close: closer(server, sockets),
  }
}

if (isMain(import.meta.url)) {
  const options = JSON.parse(process.argv[2] ?? '{}')
  const server = await startResumableServer(options)
  process.stdout.write(JSON.stringify({ port: server.port }) + '\n')
  process.once('SIGTERM', () => server.close().then(() => process.exit(0)))
}
