// Streaming and timing behaviour over a real loopback socket, and the promise that nothing keeps a Node process
// alive once a source is closed or has failed.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { FetchEventSource } from '../dist/index.js'

/** @type {Map<string, (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void>} */
const routes = new Map()
const hits = new Map()
let server
let base

before(async () => {
  server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname
    const n = (hits.get(path) ?? 0) + 1
    hits.set(path, n)
    const route = routes.get(path)
    if (route === undefined) {
      res.writeHead(404).end()
      return
    }
    route(req, res, n)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${server.address().port}`
})

after(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const sseHead = (res) => {
  res.socket.setNoDelay(true)
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
}

routes.set('/streaming', (req, res) => {
  sseHead(res)
  res.write('data: first\n\n')
  const timer = setInterval(() => res.write(': keep-alive\n'), 50)
  res.on('close', () => clearInterval(timer))
})
routes.set('/ends-with-long-retry', (req, res) => {
  sseHead(res)
  res.end('retry: 600000\ndata: x\n\n')
})
routes.set('/no-headers', () => {})
routes.set('/not-found', (req, res) => res.writeHead(404).end())

function runScenario(scenario, path) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('support/client-scenario.js', import.meta.url)), base + path, scenario], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    let closedAt
    child.stdout.on('data', (data) => {
      out += data
      if (closedAt === undefined && out.includes('"closed"')) closedAt = performance.now()
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${scenario}: the process was still alive after 5 s; output: ${out}`))
    }, 5000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      const records = out.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))
      resolve({ code, records: records.filter((r) => r.type !== 'closed').map(({ at, ...r }) => r), exitDelay: performance.now() - closedAt })
    })
  })
}

const exits = [
  ['close-while-open', '/streaming', [{ type: 'message', data: 'first' }]],
  ['close-during-reconnect-wait', '/ends-with-long-retry', [{ type: 'error', readyState: 0 }]],
  ['close-while-connecting', '/no-headers', []],
  ['break-for-await', '/streaming', [{ type: 'message', data: 'first' }, { type: 'state', readyState: 2 }]],
  ['abort-signal', '/streaming', [{ type: 'state', readyState: 2 }]],
  ['fatal-status', '/not-found', [{ type: 'error', readyState: 2, code: 404 }]],
]

for (const [scenario, path, expected] of exits) {
  test(`the process exits by itself: ${scenario}`, async () => {
    const { code, records, exitDelay } = await runScenario(scenario, path)
    assert.equal(code, 0)
    assert.deepEqual(records, expected)
    // Exiting takes the child's own shutdown only; a pending timer or socket would hold it for seconds.
    assert.ok(exitDelay < 1500, `exited ${exitDelay.toFixed(0)} ms after close`)
  })
}

test('the server retry field sets the reconnection time; Last-Event-ID is sent on reconnect', async () => {
  const times = []
  const ids = []
  routes.set('/retry', (req, res, n) => {
    times.push(performance.now())
    ids.push(req.headers['last-event-id'] ?? null)
    sseHead(res)
    res.end(n === 1 ? 'retry: 250\nid: 41\ndata: a\n\n' : 'id: 42\ndata: b\n\n')
  })
  const source = new FetchEventSource(`${base}/retry`, { retry: { initialDelay: 5000 } })
  const data = []
  await new Promise((resolve) => {
    source.onmessage = (e) => {
      data.push([e.data, e.lastEventId])
      if (data.length === 2) resolve()
    }
  })
  source.close()
  assert.deepEqual(data, [['a', '41'], ['b', '42']])
  assert.deepEqual(ids, [null, '41'])
  const gap = times[1] - times[0]
  assert.ok(gap >= 245 && gap < 1500, `reconnected after ${gap.toFixed(0)} ms, expected ≈ 250`)
})

test('failed attempts back off: delays grow by factor, capped at maxDelay, no jitter', async () => {
  const times = []
  routes.set('/unavailable', (req, res) => {
    times.push(performance.now())
    res.writeHead(503).end()
  })
  const source = new FetchEventSource(`${base}/unavailable`, {
    retry: { initialDelay: 40, factor: 2, maxDelay: 100, jitter: 0, shouldRetry: () => true },
  })
  await new Promise((resolve) => {
    source.onerror = () => times.length === 5 && resolve()
  })
  source.close()
  const gaps = times.slice(1).map((t, i) => t - times[i])
  const nominal = [40, 80, 100, 100]
  gaps.forEach((gap, i) => assert.ok(gap >= nominal[i] - 2 && gap < nominal[i] + 400, `gap ${i}: ${gap.toFixed(0)} ms, expected ≈ ${nominal[i]}`))
})

test('jitter never makes a reconnect wait less than the reconnection time (a server retry: at the cap)', async () => {
  const times = []
  routes.set('/retry-at-cap', (req, res, n) => {
    times.push(performance.now())
    if (n > 1) return void res.writeHead(503).end()
    sseHead(res)
    res.end('retry: 300\ndata: a\n\n')
  })
  // maxDelay = the server's retry: every grown delay is capped there, and jitter 1 could take all of it off. The
  // standard waits at least the reconnection time ("optionally some more"), so the jitter is added instead: every
  // wait is between 300 and 600 ms.
  const source = new FetchEventSource(`${base}/retry-at-cap`, {
    retry: { initialDelay: 10, maxDelay: 300, factor: 2, jitter: 1, shouldRetry: () => true },
  })
  await new Promise((resolve) => {
    source.onerror = () => times.length === 5 && resolve()
  })
  source.close()
  const gaps = times.slice(1).map((t, i) => t - times[i])
  gaps.forEach((gap, i) => assert.ok(gap >= 298 && gap < 1300, `gap ${i}: ${gap.toFixed(0)} ms, expected 300 to 600 ms (and timer slack)`))
})

test('heartbeatTimeout drops a stalled stream, reports heartbeat-timeout while CONNECTING, and reconnects', async () => {
  routes.set('/stalls', (req, res, n) => {
    sseHead(res)
    res.write(`retry: 10\nid: ${n}\ndata: event ${n}\n\n`) // then nothing at all
  })
  const source = new FetchEventSource(`${base}/stalls`, { heartbeatTimeout: 150 })
  const records = []
  await new Promise((resolve) => {
    source.onmessage = (e) => {
      records.push(['message', e.data, e.lastEventId])
      if (records.length === 3) resolve()
    }
    source.onerror = (e) => records.push(['error', e.code, source.readyState])
  })
  source.close()
  assert.deepEqual(records, [
    ['message', 'event 1', '1'],
    ['error', 'heartbeat-timeout', 0],
    ['message', 'event 2', '2'],
  ])
})

test('heartbeatTimeout also catches a server that never sends response headers', async () => {
  routes.set('/silent', () => {})
  const source = new FetchEventSource(`${base}/silent`, { heartbeatTimeout: 100, retry: { maxAttempts: 2, initialDelay: 10 } })
  const errors = []
  await new Promise((resolve) => {
    source.onerror = (e) => {
      errors.push([e.code, source.readyState])
      if (source.readyState === 2) resolve()
    }
  })
  assert.deepEqual(errors, [['heartbeat-timeout', 0], ['heartbeat-timeout', 2]])
})

test('maxBufferSize: an endless line fails fast with bounded memory; earlier events delivered; no reconnect', async () => {
  const limit = 1024 * 1024
  let written = 0
  let peakHeap = 0
  const heapBefore = process.memoryUsage().heapUsed
  let connectionClosed
  const closedPromise = new Promise((resolve) => (connectionClosed = resolve))
  routes.set('/endless-line', (req, res) => {
    sseHead(res)
    res.write('id: 5\ndata: before\n\n')
    const block = 'x'.repeat(64 * 1024)
    const pump = () => {
      while (written < 256 * 1024 * 1024) {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - heapBefore)
        written += block.length
        if (!res.write(block)) return void res.once('drain', pump)
      }
      res.end()
    }
    res.on('close', connectionClosed)
    pump()
  })
  const source = new FetchEventSource(`${base}/endless-line`, { maxBufferSize: limit })
  const records = []
  source.onmessage = (e) => records.push(['message', e.data, e.lastEventId])
  await new Promise((resolve) => {
    source.onerror = (e) => {
      records.push(['error', e.code, source.readyState])
      resolve()
    }
  })
  await closedPromise
  assert.deepEqual(records, [
    ['message', 'before', '5'],
    ['error', 'max-buffer-size-exceeded', 2],
  ])
  assert.equal(hits.get('/endless-line'), 1)
  // The client stopped reading at the limit: what was written is the limit plus socket buffers, not 256 MiB.
  assert.ok(written < 32 * 1024 * 1024, `server wrote ${written} bytes before the client hung up`)
  assert.ok(peakHeap < 48 * 1024 * 1024, `heap grew by ${peakHeap} bytes`)
})

test('maxBufferSize: an event made of many short data lines is bounded too', async () => {
  routes.set('/endless-event', (req, res) => {
    sseHead(res)
    const lines = 'data: 0123456789abcdef\n'.repeat(4096)
    const pump = () => {
      for (let i = 0; i < 4096; i++) if (!res.write(lines)) return void res.once('drain', pump)
      res.end()
    }
    pump()
  })
  const source = new FetchEventSource(`${base}/endless-event`, { maxBufferSize: 100_000 })
  const error = await new Promise((resolve) => (source.onerror = resolve))
  assert.equal(error.code, 'max-buffer-size-exceeded')
  assert.equal(source.readyState, FetchEventSource.CLOSED)
})
