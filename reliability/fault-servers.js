// Misbehaving servers, one route per fault, each request logged with its arrival time and headers:
//
//   /unavailable?retryAfter=S     503 with Retry-After: S (a retry storm's trigger)
//   /accept-drop?retry=R          200 event stream, optional `retry: R`, then the body ends at once (empty stream)
//   /accept-reset                 200 event stream headers, then the socket is destroyed
//   /stall                        200 event stream headers, then nothing, ever
//   /trickle?every=MS&text=T      200, then T (default one event) one byte per MS ms, then nothing
//   /hostile/KIND?bytes=N&chunk=C endless bodies (below), at most N bytes in writes of C bytes, with backpressure;
//                                  `then` (query) is written once the N bytes are out (e.g. a final event)
//   /raw?b64=...                  200 event stream, the given bytes, end
//   /redirect?status=S&to=PATH    a redirect (default 307) to PATH on the same server
// plus `startDropServer()`: a bare TCP server that closes every connection on accept (no HTTP at all).
//
// Hostile KINDs (what an attacker or a broken proxy can send):
//   line            one endless line, no line break              → max-buffer-size-exceeded
//   event           an endless event of `data:` lines            → max-buffer-size-exceeded
//   comment         one endless comment, no line break           → max-buffer-size-exceeded (it is a line)
//   comment-lines   endless `: keep-alive` comment lines         → legal: the source must stay OPEN
//   field-lines     endless `event:`/`id:`/`retry:` lines         → legal: nothing accumulates
//   blank-lines     endless blank lines                          → legal
//   line-cjk        an endless line of 3-byte characters, C bytes per write

import http from 'node:http'
import net from 'node:net'
import { closer, isMain, listen, trackSockets } from '../dist/support.js'

/** @typedef {{ path: string, url: string, time: number, headers: http.IncomingHttpHeaders }} Hit */

const PATTERNS = /** @type {Record<string, string>} */ ({
  line: 'x',
  event: 'data: 0123456789abcdef\n',
  comment: 'y',
  'comment-lines': ': keep-alive 0123456789abcdef\n',
  'field-lines': 'event: tick\nid: 12345\nretry: 1000\n',
  'blank-lines': '\n',
  'line-cjk': '中',
})
const PREFIX = /** @type {Record<string, string>} */ ({ line: 'id: 5\ndata: before\n\n', comment: 'id: 5\ndata: before\n\n:' })

/**
 * @param {{ port?: number }} [options]
 */
export async function startFaultServer({ port = 0 } = {}) {
  /** @type {Hit[]} */
  const hits = []
  const hostile = { written: 0, closedAt: 0 }
  /** @type {Set<() => void>} */
  const closeWatchers = new Set()
  /** @type {Map<string, number>} responses closed (finished, or the client went away), by path */
  const closed = new Map()

  const sse = (/** @type {http.ServerResponse} */ res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    res.flushHeaders()
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x.invalid')
    const q = url.searchParams
    hits.push({ path: url.pathname, url: req.url ?? '/', time: performance.now(), headers: req.headers })
    res.on('close', () => {
      closed.set(url.pathname, (closed.get(url.pathname) ?? 0) + 1)
      for (const watcher of [...closeWatchers]) watcher()
    })
    switch (url.pathname) {
      case '/unavailable':
        res.writeHead(503, { 'retry-after': q.get('retryAfter') ?? '1', 'content-type': 'text/plain' })
        res.end('busy\n')
        return
      case '/accept-drop':
        sse(res)
        res.end(q.has('retry') ? `retry: ${q.get('retry')}\n\n` : '')
        return
      case '/accept-reset':
        sse(res)
        setImmediate(() => res.socket?.destroy())
        return
      case '/stall':
        sse(res)
        return
      case '/trickle': {
        sse(res)
        const text = Buffer.from(q.get('text') ?? 'id: 1\ndata: slow\n\n')
        const every = Number(q.get('every') ?? 1000)
        let i = 0
        const timer = setInterval(() => {
          if (i < text.length) res.write(text.subarray(i, ++i))
        }, every)
        res.on('close', () => clearInterval(timer))
        return
      }
      case '/redirect':
        res.writeHead(Number(q.get('status') ?? 307), { location: q.get('to') ?? '/' })
        res.end()
        return
      case '/raw':
        sse(res)
        res.end(Buffer.from(q.get('b64') ?? '', 'base64url'))
        return
    }
    if (url.pathname.startsWith('/hostile/')) {
      const kind = url.pathname.slice('/hostile/'.length)
      const pattern = PATTERNS[kind]
      if (pattern === undefined) {
        res.writeHead(404).end()
        return
      }
      const budget = Number(q.get('bytes') ?? 200 * 1024 * 1024)
      const chunkSize = Number(q.get('chunk') ?? 64 * 1024)
      const block = Buffer.from(pattern.repeat(Math.max(1, Math.ceil(chunkSize / Buffer.byteLength(pattern)))))
      const piece = block.subarray(0, Math.max(1, Math.floor(chunkSize / Buffer.byteLength(pattern))) * Buffer.byteLength(pattern))
      sse(res)
      hostile.written = 0
      hostile.closedAt = 0
      res.on('close', () => (hostile.closedAt = performance.now()))
      if (PREFIX[kind]) res.write(PREFIX[kind])
      const small = piece.length < 1024
      const pump = () => {
        while (!res.destroyed && hostile.written < budget) {
          hostile.written += piece.length
          const ok = res.write(piece)
          // Tiny writes go one per turn, so each can reach the client as its own read.
          if (small) return void setImmediate(pump)
          if (!ok) return void res.once('drain', pump)
        }
        if (!res.destroyed) res.end(q.get('then') ?? '')
      }
      pump()
      return
    }
    res.writeHead(404).end()
  })
  const sockets = trackSockets(server)
  const boundPort = await listen(server, port, '127.0.0.1')
  return {
    url: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    hits,
    hostile,
    /** @param {string} pathname responses on that path that have closed (ended, or the client went away) */
    closedCount: (pathname) => closed.get(pathname) ?? 0,
    /** Open TCP connections (Node's fetch may keep an idle spare one open for a few seconds). */
    get connections() {
      return sockets.size
    },
    /**
     * Resolves when `predicate()` holds, checked whenever a response closes; rejects after `ms`.
     * @param {() => boolean} predicate @param {number} ms
     */
    waitFor(predicate, ms) {
      return new Promise((resolve, reject) => {
        if (predicate()) return resolve(undefined)
        const timer = setTimeout(() => {
          closeWatchers.delete(check)
          reject(new Error(`condition not met within ${ms} ms`))
        }, ms)
        const check = () => {
          if (!predicate()) return
          clearTimeout(timer)
          closeWatchers.delete(check)
          resolve(undefined)
        }
        closeWatchers.add(check)
      })
    },
    /** @param {string} pathname */
    count: (pathname) => hits.filter((h) => h.path === pathname).length,
    close: closer(server, sockets),
  }
}

/** A TCP server that accepts and immediately closes every connection: a network error for every attempt. */
export async function startDropServer() {
  /** @type {number[]} */
  const accepts = []
  const server = net.createServer((socket) => {
    accepts.push(performance.now())
    socket.destroy()
  })
  const port = await listen(server, 0, '127.0.0.1')
  return {
    url: `http://127.0.0.1:${port}`,
    accepts,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  }
}

if (isMain(import.meta.url)) {
  const server = await startFaultServer(JSON.parse(process.argv[2] ?? '{}'))
  process.stdout.write(JSON.stringify({ port: server.port }) + '\n')
}
