// Driver smoke test, independent of the project's test server and library:
// each engine loads a page from a tiny loopback server, opens a native EventSource, and POSTs what it saw.
//   node e2e/browsers/smoke.js [chromium|firefox|webkit ...]
import { createServer } from 'node:http'
import { drivers, engines } from './drivers/index.js'
import { withTimeout } from './drivers/common.js'

const PAGE = `<!doctype html><meta charset=utf-8><title>smoke</title><script type=module>
const seen = []
const es = new EventSource('/sse')
const done = (why) => { es.close(); fetch('/results', { method: 'POST', body: JSON.stringify({ why, seen, ua: navigator.userAgent }) }) }
es.onopen = () => seen.push({ type: 'open', readyState: es.readyState })
es.onmessage = (e) => { seen.push({ type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin === location.origin }); if (seen.length === 3) done('count') }
es.onerror = () => { seen.push({ type: 'error', readyState: es.readyState }); if (es.readyState === 2) done('closed') }
setTimeout(() => done('timeout'), 5000)
</script>`

/** @type {(value: any) => void} */
let deliver = () => {}
const server = createServer((req, res) => {
  if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
  if (req.url === '/sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    res.write('id: 1\ndata: hello\n\n')
    setTimeout(() => res.end('id: 2\nevent: message\ndata: world\n\n'), 20)
    return
  }
  if (req.url === '/results' && req.method === 'POST') {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => (res.writeHead(204).end(), deliver(JSON.parse(body))))
    return
  }
  res.writeHead(404).end()
})
await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)))
const url = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}/`

let failed = 0
for (const engine of process.argv.slice(2).length ? process.argv.slice(2) : engines) {
  const t0 = Date.now()
  const got = new Promise((r) => (deliver = r))
  let session
  try {
    session = await drivers[engine].launch({ timeoutMs: 30_000 })
    await session.goto(url)
    const result = await withTimeout(got, 15_000, `${engine} results`)
    const types = result.seen.map((/** @type {any} */ s) => s.type + (s.data ? `:${s.data}` : '')).join(' ')
    const ok = result.why === 'count' && types === 'open message:hello message:world'
    if (!ok) failed++
    console.log(`${engine} ${session.version}: ${ok ? 'ok' : 'FAILED'} (${Date.now() - t0} ms) ${types}`)
  } catch (e) {
    failed++
    console.log(`${engine}: FAILED ${e instanceof Error ? e.message : e}`)
    if (session) console.log(session.logs.join('\n'))
  } finally {
    await session?.close()
  }
}
server.closeAllConnections()
server.close()
process.exitCode = failed ? 1 : 0
