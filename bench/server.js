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
import { corsHeaders, listen, parseArgs, serveStatic, trackSockets } from '../dist/support.js'
import { buildScenario } from './scenarios.js'

const args = parseArgs(process.argv.slice(2))
const staticRoots = typeof args.static === 'string' ? { '/static/': args.static } : {}

const cache = new Map()
function scenario(name, quick) {
  const key = `${name}:${quick}`
  if (!cache.has(key)) cache.set(key, buildScenario(name, quick))
  return cache.get(key)
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x')
  try {
    if (url.pathname.startsWith('/stream/')) {
      const s = scenario(url.pathname.slice(8), url.searchParams.get('quick') === '1')
      res.writeHead(200, { ...SSE_HEADERS, ...corsHeaders(req) })
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
      res.writeHead(200, { ...SSE_HEADERS, ...corsHeaders(req) })
      res.write('data: ready\n\n')
    } else if (!(await serveStatic(req, res, staticRoots))) {
      res.writeHead(404).end()
    }
  } catch (err) {
    if (!res.headersSent) res.writeHead(500)
    res.end()
  }
})
server.keepAliveTimeout = 60_000
const sockets = trackSockets(server)

function shutdown() {
  server.close()
  sockets.destroyAll()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
process.stdin.on('end', shutdown) // the orchestrator died: do not linger
process.stdin.on('close', shutdown)
process.stdin.resume()

const port = await listen(server, 0, '127.0.0.1')
process.stdout.write(JSON.stringify({ port }) + '\n')
