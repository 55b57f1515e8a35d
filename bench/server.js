// The benchmark's HTTP server, run in its own process so its work never shares a thread with a measured client.
//
//   node bench/server.js [--quick] [--static DIR]   → prints one JSON line {"port":N} when listening
//
// GET /stream/NAME        the scenario's bytes as text/event-stream, written in its chunk bounds (16 KiB pieces for
//                         the token stream), honouring backpressure; `?quick=1` for the quick sizes
// GET /idle               `data: ready\n\n`, then holds the response open (memory benchmark)
// GET /static/FILE        files from --static DIR (the Chromium page and its bundles)
// Binds 127.0.0.1 on a free port. Exits on SIGTERM/SIGINT or when its parent's stdin closes.
import http from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import { buildScenario } from './scenarios.js'

const args = process.argv.slice(2)
const staticDir = args.includes('--static') ? args[args.indexOf('--static') + 1] : null

const cache = new Map()
function scenario(name, quick) {
  const key = `${name}:${quick}`
  if (!cache.has(key)) cache.set(key, buildScenario(name, quick))
  return cache.get(key)
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'access-control-allow-origin': '*',
}
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json' }

const sockets = new Set()
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x')
  try {
    if (url.pathname.startsWith('/stream/')) {
      const s = scenario(url.pathname.slice(8), url.searchParams.get('quick') === '1')
      res.writeHead(200, SSE_HEADERS)
      const { bytes, bounds } = s
      for (let i = 0; i + 1 < bounds.length; i++) {
        if (res.destroyed) return
        if (!res.write(bytes.subarray(bounds[i], bounds[i + 1]))) {
          await new Promise((resolve) => {
            const done = () => {
              res.off('drain', done)
              res.off('close', done)
              resolve()
            }
            res.on('drain', done)
            res.on('close', done)
          })
        }
      }
      res.end()
    } else if (url.pathname === '/idle') {
      res.writeHead(200, SSE_HEADERS)
      res.write('data: ready\n\n')
    } else if (staticDir && url.pathname.startsWith('/static/')) {
      const rel = normalize(decodeURIComponent(url.pathname.slice(8)))
      if (rel.startsWith('..')) throw Object.assign(new Error('forbidden'), { status: 403 })
      const body = await readFile(join(staticDir, rel))
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] || 'application/octet-stream' })
      res.end(body)
    } else {
      res.writeHead(404).end()
    }
  } catch (err) {
    if (!res.headersSent) res.writeHead(err.status || (err.code === 'ENOENT' ? 404 : 500))
    res.end()
  }
})
server.keepAliveTimeout = 60_000
server.on('connection', (socket) => {
  socket.setNoDelay(true)
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
})

function shutdown() {
  server.close()
  for (const socket of sockets) socket.destroy()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
process.stdin.on('end', shutdown) // the orchestrator died: do not linger
process.stdin.on('close', shutdown)
process.stdin.resume()

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
})
