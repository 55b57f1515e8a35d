// The demo server under abuse, at the socket level and all at once, while real clients (this library) stream from
// it: huge declared bodies, bodies cut off mid-way, garbage and oversized request heads, unauthenticated uploads,
// a flood of oversized bodies, too many streams for one user. Every abuser gets a 4xx (or Node's own 400/431 and a
// closed socket), nothing crashes, and the chat stream and an LLM stream keep delivering.
// (test/server/demo.test.js covers each validation message one request at a time; this adds concurrency, raw
// sockets and the library as the client.)
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
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

const post = (path, headers, body = '') =>
  `POST ${path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\nContent-Type: application/json\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`

test('abuse all at once gets 4xx answers while chat and LLM streams through the library keep flowing', async () => {
  const chat = track(`${demo.url}/chat/sse?username=watcher`)
  const broadcasts = []
  chat.addEventListener('broadcast', (e) => broadcasts.push(JSON.parse(e.data).message))
  await next(chat, 'welcome')

  const big = JSON.stringify({ from: 'mallory', message: 'x'.repeat(20 * 1024) })
  const abuse = await Promise.all([
    // A 10 GB body announced: refused before a byte of it is read, connection closed.
    raw(post('/chat/broadcast', { 'Content-Length': String(10 * 1024 ** 3) })),
    raw(post('/llm/stream', { Authorization: 'Bearer demo-token', 'Content-Length': String(10 * 1024 ** 3) })),
    // Unauthenticated upload: 401 before the body is read.
    raw(post('/llm/stream', { 'Content-Length': String(1024 * 1024) }, 'x'.repeat(1024))),
    // Garbage instead of HTTP, and a 64 KiB header: Node's parser answers and closes.
    raw('\x16\x03\x01 not http at all\r\n\r\n'),
    raw(`GET /chat/sse?username=x HTTP/1.1\r\nHost: demo\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`),
    // A body cut off mid-way, and a chunked body that never ends in time.
    raw(post('/chat/broadcast', { 'Content-Length': '1000' }, '{"from": "mallory", "mess'), { destroyAfterWrite: true }),
    raw(post('/chat/broadcast', { 'Transfer-Encoding': 'chunked' }, `4000\r\n${'y'.repeat(0x4000)}\r\n4000\r\n${'y'.repeat(0x4000)}\r\n`)),
    // Malformed JSON nested 10,000 deep.
    raw(post('/chat/broadcast', { 'Content-Length': '10000' }, '['.repeat(10_000))),
    // A flood of oversized bodies.
    ...Array.from({ length: 50 }, () => raw(post('/chat/broadcast', { 'Content-Length': String(Buffer.byteLength(big)) }, big))),
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
  const greedy = Array.from({ length: 10 }, () => track(`${demo.url}/chat/sse?username=greedy`))
  await Promise.all(greedy.map((s) => next(s, 'welcome')))
  const eleventh = track(`${demo.url}/chat/sse?username=greedy`, { retry: { maxAttempts: 1 } })
  const refused = await next(eleventh, 'error')
  assert.deepEqual([refused.code, eleventh.readyState], [429, FetchEventSource.CLOSED])
  for (const s of greedy) s.close()

  // Still serving, still delivering: a broadcast reaches the watcher, and an LLM answer streams to its end.
  const delivered = next(chat, 'broadcast', 5000, (e) => JSON.parse(e.data).message === 'still here')
  const ok = await fetch(`${demo.url}/chat/broadcast`, { method: 'POST', body: JSON.stringify({ from: 'alice', message: 'still here' }) })
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
