// The demo server under abuse, at the socket level and all at once, while real clients (this library) stream from
// it: huge declared bodies, bodies cut off mid-way, garbage and oversized request heads, unauthenticated uploads,
// a flood of oversized bodies, too many streams for one user. Every abuser gets a 4xx (or Node's own 400/431 and a
// closed socket), nothing crashes, and the chat stream and an LLM stream keep delivering.
// (test/server/demo.test.js covers each validation message one request at a time; this adds concurrency, raw
// sockets and the library as the client.)
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { PassThrough } from 'node:stream'
import { startDemoServer } from '../../demo/server.js'
import { FetchEventSource } from '../../dist/index.js'
import { next, track } from './helpers.js'

/** @type {Awaited<ReturnType<typeof startDemoServer>>} */
let demo
before(async () => {
  demo = await startDemoServer({ port: 0, priceIntervalMs: 50, heartbeatMs: 1000, tokenDelayMs: [1, 2] })
})
after(() => demo.close())

/**
 * Sends raw bytes, collects the reply until the server closes the socket (or `ms` passes), then closes.
 * @param {string | Buffer} bytes @param {{ ms?: number, destroyAfterWrite?: boolean }} [options]
 * @returns {Promise<{ status: number | undefined, closedByServer: boolean, reply: string }>}
 */
function raw(bytes, { ms = 3000, destroyAfterWrite = false } = {}) {
  return new Promise((resolve) => {
    const port = Number(new URL(demo.url).port)
    const socket = net.connect(port, '127.0.0.1')
    let reply = ''
    let closedByServer = false
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      const status = /^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1]
      resolve({ status: status === undefined ? undefined : Number(status), closedByServer, reply })
    }
    const timer = setTimeout(finish, ms)
    socket.on('error', () => {})
    socket.on('data', (d) => (reply += d.toString('latin1')))
    socket.on('end', () => {
      closedByServer = true
      finish()
    })
    socket.write(bytes, () => destroyAfterWrite && finish())
  })
}

const host = () => new URL(demo.url).host
const post = (path, headers, body = '') =>
  `POST ${path} HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\nContent-Type: application/json\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`

/** POST /chat/join → the Authorization header of the new session. */
async function session(/** @type {string} */ username) {
  const res = await fetch(`${demo.url}/chat/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) })
  assert.equal(res.status, 200)
  return { authorization: `Bearer ${(await res.json()).token}` }
}

test('abuse all at once gets 4xx answers while chat and LLM streams through the library keep flowing', async () => {
  const watcher = await session('watcher')
  const chat = track(`${demo.url}/chat/sse`, { headers: watcher })
  const broadcasts = []
  chat.addEventListener('broadcast', (e) => broadcasts.push(JSON.parse(e.data).message))
  await next(chat, 'welcome')

  const mallory = await session('mallory')
  const big = JSON.stringify({ message: 'x'.repeat(20 * 1024) })
  const abuse = await Promise.all([
    // A 10 GB body announced: refused before a byte of it is read, connection closed.
    raw(post('/chat/broadcast', { ...mallory, 'Content-Length': String(10 * 1024 ** 3) })),
    raw(post('/llm/stream', { Authorization: 'Bearer demo-token', 'Content-Length': String(10 * 1024 ** 3) })),
    // Unauthenticated upload: 401 before the body is read.
    raw(post('/llm/stream', { 'Content-Length': String(1024 * 1024) }, 'x'.repeat(1024))),
    // Garbage instead of HTTP, and a 64 KiB header: Node's parser answers and closes.
    raw('\x16\x03\x01 not http at all\r\n\r\n'),
    raw(`GET /chat/sse HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`),
    // A body cut off mid-way, and a chunked body that never ends in time.
    raw(post('/chat/broadcast', { ...mallory, 'Content-Length': '1000' }, '{"mess'), { destroyAfterWrite: true }),
    raw(post('/chat/broadcast', { ...mallory, 'Transfer-Encoding': 'chunked' }, `4000\r\n${'y'.repeat(0x4000)}\r\n4000\r\n${'y'.repeat(0x4000)}\r\n`)),
    // Malformed JSON nested 10,000 deep.
    raw(post('/chat/broadcast', { ...mallory, 'Content-Length': '10000' }, '['.repeat(10_000))),
    // A flood of oversized bodies.
    ...Array.from({ length: 50 }, () => raw(post('/chat/broadcast', { ...mallory, 'Content-Length': String(Buffer.byteLength(big)) }, big))),
  ])
  const [huge, hugeLLM, unauthorized, garbage, bigHeader, cutOff, chunked, nested, ...flood] = abuse
  assert.deepEqual([huge.status, huge.closedByServer], [413, true])
  assert.deepEqual([hugeLLM.status, hugeLLM.closedByServer], [413, true])
  assert.equal(unauthorized.status, 401)
  assert.deepEqual([garbage.status, garbage.closedByServer], [400, true])
  assert.deepEqual([bigHeader.status, bigHeader.closedByServer], [431, true])
  assert.equal(cutOff.status, undefined) // the client left; nothing to answer
  assert.equal(chunked.status, 413)
  assert.equal(nested.status, 400)
  for (const reply of flood) assert.equal(reply.status, 413)

  // One user may not hold more than 10 streams: the 11th is refused with 429, the others stay up.
  const greedyAuth = await session('greedy')
  const greedy = Array.from({ length: 10 }, () => track(`${demo.url}/chat/sse`, { headers: greedyAuth }))
  await Promise.all(greedy.map((s) => next(s, 'welcome')))
  const eleventh = track(`${demo.url}/chat/sse`, { headers: greedyAuth, retry: { maxAttempts: 1 } })
  const refused = await next(eleventh, 'error')
  assert.deepEqual([refused.code, eleventh.readyState], [429, FetchEventSource.CLOSED])
  for (const s of greedy) s.close()

  // Still serving, still delivering: a broadcast reaches the watcher, and an LLM answer streams to its end.
  const delivered = next(chat, 'broadcast', 5000, (e) => JSON.parse(e.data).message === 'still here')
  const ok = await fetch(`${demo.url}/chat/broadcast`, { method: 'POST', headers: { ...(await session('alice')), 'content-type': 'application/json' }, body: JSON.stringify({ message: 'still here' }) })
  assert.equal(ok.status, 200)
  await ok.text()
  await delivered
  assert.deepEqual(broadcasts, ['still here'])

  const llm = track(`${demo.url}/llm/stream`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-token', 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'Are you still there?' }),
  })
  let tokens = 0
  llm.addEventListener('token', () => tokens++)
  const done = await next(llm, 'done', 10_000)
  llm.close()
  assert.equal(JSON.parse(done.data).tokens, tokens)
  assert.ok(tokens > 10)
})

/**
 * Posts `count` broadcasts of 4 KiB as `auth`, eight at a time.
 * @param {string} base @param {Record<string, string>} auth @param {number} count
 */
async function broadcast4K(base, auth, count) {
  for (let i = 0; i < count; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, count - i) }, async (_, k) => {
        const message = `#${i + k} `.padEnd(4096, 'm')
        const res = await fetch(`${base}/chat/broadcast`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ message }) })
        assert.equal(res.status, 200)
        await res.text()
      }),
    )
  }
}

test('chat replay: a reader 300 and 1,000 broadcasts of 4 KiB behind catches up exactly once, without a cut or a reconnect', async () => {
  const own = await startDemoServer({ port: 0, historySize: 1000, heartbeatMs: 60_000 })
  try {
    const res = await fetch(`${own.url}/chat/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"poster"}' })
    const auth = { authorization: `Bearer ${(await res.json()).token}` }
    await broadcast4K(own.url, auth, 300)
    // The issue's case: Last-Event-ID 0 (from an earlier run, or the old id scheme) after 300 broadcasts.
    for (const [lastEventId, expected, resets] of [['0', 300, 1], [`${own.chat.epoch}-0`, 300, 0]]) {
      const source = track(`${own.url}/chat/sse`, { headers: auth, lastEventId })
      const ids = /** @type {string[]} */ ([])
      let opens = 0
      let errors = 0
      let resetEvents = 0
      source.addEventListener('open', () => opens++)
      source.addEventListener('error', () => errors++)
      source.addEventListener('reset', () => resetEvents++)
      source.addEventListener('broadcast', (e) => ids.push(/** @type {MessageEvent} */ (e).lastEventId))
      await next(source, 'welcome', 20_000)
      source.close()
      assert.deepEqual([opens, errors, resetEvents], [1, 0, resets], `Last-Event-ID ${lastEventId}`)
      assert.deepEqual(ids, Array.from({ length: expected }, (_, i) => `${own.chat.epoch}-${i + 1}`))
    }

    // 1,000 behind, and the reader stops reading for a second first: the replay waits for it instead of piling
    // 4 MiB into the 1 MiB output cap.
    await broadcast4K(own.url, auth, 700)
    const body = await new Promise((resolve, reject) => {
      const { port } = new URL(own.url)
      const req = http.get({ host: '127.0.0.1', port, path: '/chat/sse', headers: { ...auth, 'last-event-id': `${own.chat.epoch}-0` } }, (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.pause()
        setTimeout(() => response.resume(), 1000)
        response.on('data', (chunk) => {
          text += chunk
          if (text.includes('event: welcome')) (req.destroy(), resolve(text))
        })
        response.on('end', () => reject(new Error(`stream ended before welcome after ${text.length} bytes`)))
      })
      req.on('error', reject)
      req.setTimeout(30_000, () => req.destroy(new Error('no welcome within 30 s')))
    })
    const replayed = [...String(body).matchAll(/^id: (\S+)\nevent: broadcast\n/gm)].map((m) => m[1])
    assert.equal(replayed.length, 1000)
    assert.deepEqual(replayed, Array.from({ length: 1000 }, (_, i) => `${own.chat.epoch}-${i + 1}`))
  } finally {
    await own.close()
  }
})

test('1,000 chat users join and leave with the server process using under 2 s of CPU', async () => {
  // The server runs in its own process so its CPU time is measured apart from the clients'.
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    import { startDemoServer } from ${JSON.stringify(new URL('../../demo/server.js', import.meta.url).href)}
    const demo = await startDemoServer({ port: 0, heartbeatMs: 60_000 })
    console.log(JSON.stringify({ url: demo.url }))
    process.stdin.setEncoding('utf8')
    // 'cpu' answers once every chat stream is gone, so the leaves are fully counted.
    process.stdin.on('data', async (line) => {
      if (!line.startsWith('cpu')) return
      const deadline = Date.now() + 10_000
      while (demo.chat.connections > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      console.log(JSON.stringify({ ...process.cpuUsage(), connections: demo.chat.connections }))
    })
    process.stdin.on('end', () => demo.close().then(() => process.exit(0)))
  `], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = child.stdout.setEncoding('utf8').pipe(new PassThrough({ objectMode: true }))
  const nextLine = () => new Promise((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error('the demo process did not answer within 20 s')), 20_000)
    const onData = (/** @type {string} */ chunk) => {
      buffer += chunk
      const nl = buffer.indexOf('\n')
      if (nl === -1) return
      clearTimeout(timer)
      lines.off('data', onData)
      resolve(JSON.parse(buffer.slice(0, nl)))
    }
    lines.on('data', onData)
  })
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
  /** @type {http.ClientRequest[]} */
  const open = []
  try {
    const { url } = /** @type {{ url: string }} */ (await nextLine())
    const { port } = new URL(url)
    const request = (/** @type {string} */ method, /** @type {string} */ path, /** @type {Record<string, string>} */ headers, body = '') =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: method === 'POST' ? agent : false }, (res) => {
          if (method === 'GET') return resolve({ req, res })
          let text = ''
          res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve(JSON.parse(text)))
        })
        req.on('error', reject)
        req.end(body)
      })
    const USERS = 1000
    const tokens = []
    for (let i = 0; i < USERS; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, USERS - i) }, (_, k) => request('POST', '/chat/join', { 'content-type': 'application/json' }, JSON.stringify({ username: `u${i + k}` }))))
      tokens.push(...batch.map((b) => /** @type {any} */ (b).token))
    }
    const before = /** @type {{ user: number, system: number, connections: number }} */ (child.stdin.write('cpu\n'), await nextLine())
    const started = performance.now()
    // Join: every user opens a stream and waits for its welcome; streams are read (and dropped) as they come.
    let presenceBytes = 0
    for (let i = 0; i < USERS; i += 50) {
      await Promise.all(tokens.slice(i, i + 50).map(async (token) => {
        const { req, res } = /** @type {any} */ (await request('GET', '/chat/sse', { authorization: `Bearer ${token}` }))
        open.push(req)
        assert.equal(res.statusCode, 200)
        await new Promise((resolve) => {
          let seen = ''
          res.setEncoding('utf8').on('data', (/** @type {string} */ c) => {
            presenceBytes += c.length
            if (seen !== null && (seen += c).includes('event: welcome')) ((seen = /** @type {any} */ (null)), resolve(undefined))
          })
        })
      }))
    }
    // Leave: everyone disconnects.
    for (const req of open.splice(0)) req.destroy()
    const after = /** @type {{ user: number, system: number, connections: number }} */ (child.stdin.write('cpu\n'), await nextLine())
    assert.equal(after.connections, 0)
    const cpuMs = (after.user + after.system - before.user - before.system) / 1000
    console.log(`# 1,000 users joined and left: server CPU ${Math.round(cpuMs)} ms, wall ${Math.round(performance.now() - started)} ms, ${Math.round(presenceBytes / 1024)} KiB received in all`)
    assert.ok(cpuMs < 2000, `server CPU ${Math.round(cpuMs)} ms`)
  } finally {
    for (const req of open) req.destroy()
    agent.destroy()
    child.stdin.end()
    await once(child, 'exit')
  }
})

test('a cross-origin form post is refused, with or without a stolen name', async () => {
  const form = (/** @type {string} */ type, /** @type {string} */ body, extra = '') =>
    `POST /chat/broadcast HTTP/1.1\r\nHost: ${host()}\r\nOrigin: http://evil.example\r\nConnection: close\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`
  const replies = await Promise.all([
    raw(form('application/x-www-form-urlencoded', 'from=watcher&message=hi')),
    raw(form('text/plain', '{"from":"watcher","message":"hi"}')),
    raw(form('multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="message"\r\n\r\nhi\r\n--x--\r\n')),
    // A browser that sends no Origin still says where the request came from.
    raw(form('text/plain', '{"message":"hi"}', 'Sec-Fetch-Site: cross-site\r\n').replace(/Origin: [^\r]*\r\n/, '')),
  ])
  for (const reply of replies) {
    assert.equal(reply.status, 403, reply.reply.slice(0, 200))
    assert.match(reply.reply, /"error":"cross-(origin|site) requests are not accepted"/)
  }
})
