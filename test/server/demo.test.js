// Tests for the demo server (demo/server.js), in-process on port 0 with fast timings.

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { startDemoServer } from '../../demo/server.js'
import { answerTokens } from '../../demo/llm.js'
import { openStream } from './sse-reader.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoDist = path.resolve(here, '../../dist')

/** @type {Awaited<ReturnType<typeof startDemoServer>>} */
let server
/** @type {string} */
let distDir
/** @type {Array<{ close(): void }>} */
const streams = []

before(async () => {
  distDir = await mkdtemp(path.join(tmpdir(), 'demo-dist-'))
  await writeFile(path.join(distDir, 'fetch-eventsource.browser.js'), 'export class FetchEventSource {}\n')
  server = await startDemoServer({ port: 0, priceIntervalMs: 25, heartbeatMs: 80, tokenDelayMs: [1, 3], presenceBatchMs: 0, distDir })
})

after(async () => {
  for (const s of streams) s.close()
  await server.close()
  await rm(distDir, { recursive: true, force: true })
})

/**
 * @param {string} pathAndQuery
 * @param {Parameters<typeof openStream>[1]} [init]
 */
async function stream(pathAndQuery, init) {
  const s = await openStream(server.url + pathAndQuery, init)
  streams.push(s)
  return s
}

/**
 * @param {string} pathname
 * @param {unknown} body JSON-encoded unless already a string/stream
 * @param {Record<string, string>} [headers]
 */
async function post(pathname, body, headers = {}) {
  const isRaw = typeof body === 'string' || body instanceof ReadableStream || body instanceof Uint8Array
  const res = await fetch(server.url + pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: isRaw ? /** @type {any} */ (body) : JSON.stringify(body),
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  })
  return { status: res.status, body: await res.json() }
}

describe('stock prices: GET /price', () => {
  test('snapshot first, then one event per symbol per tick, sharing the tick as id', async () => {
    const s = await stream('/price')
    assert.equal(s.response.status, 200)
    assert.equal(s.response.headers.get('content-type'), 'text/event-stream')
    assert.equal(s.response.headers.get('cache-control'), 'no-cache')
    assert.equal(s.response.headers.get('x-accel-buffering'), 'no')

    const snapshot = await s.nextEvent()
    assert.equal(snapshot?.kind, 'event')
    assert.equal(snapshot.event, 'snapshot')
    assert.match(/** @type {string} */ (snapshot.id), /^\d+$/)
    const snap = JSON.parse(/** @type {string} */ (snapshot.data))
    assert.equal(snap.intervalMs, 25)
    const symbols = snap.symbols.map((/** @type {any} */ q) => q.symbol)
    assert.deepEqual(symbols, ['AAPL', 'AMZN', 'GOOG', 'MSFT', 'NVDA', 'TSLA'])
    for (const q of snap.symbols) {
      assert.equal(typeof q.name, 'string')
      assert.ok(q.price > 0 && q.open > 0)
      assert.ok(Array.isArray(q.history) && q.history.length >= 1 && q.history.at(-1) === q.price)
    }

    const firstTick = Number(snapshot.id) + 1
    for (let tick = firstTick; tick < firstTick + 2; tick++) {
      for (const symbol of symbols) {
        const ev = await s.nextEvent()
        assert.equal(ev?.kind, 'event')
        assert.equal(ev.event, symbol)
        assert.equal(ev.id, String(tick))
        const data = JSON.parse(/** @type {string} */ (ev.data))
        assert.deepEqual(Object.keys(data), ['symbol', 'price', 'open', 'change', 'changePercent', 'time'])
        assert.equal(data.symbol, symbol)
        assert.ok(data.price > 0)
        assert.equal(data.change, Math.round((data.price - data.open) * 100) / 100)
        assert.equal(typeof data.time, 'number')
      }
    }
    s.close()
  })

  test('POST /price is refused', async () => {
    const res = await fetch(`${server.url}/price`, { method: 'POST' })
    assert.equal(res.status, 405)
    assert.deepEqual(await res.json(), { error: 'use GET' })
  })
})

describe('chat', () => {
  /** @type {Map<string, string>} username → session token */
  const tokens = new Map()

  /** POST /chat/join; the token is remembered for `as(username)`. */
  async function register(/** @type {string} */ username) {
    const res = await post('/chat/join', { username })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.deepEqual(Object.keys(res.body), ['username', 'token'])
    assert.match(res.body.token, /^[A-Za-z0-9_-]{32}$/)
    tokens.set(username, res.body.token)
    return /** @type {string} */ (res.body.token)
  }

  /** The Authorization header of `username`'s session. */
  const as = (/** @type {string} */ username) => ({ authorization: `Bearer ${tokens.get(username)}` })

  /**
   * Opens `username`'s stream (joining first if needed).
   * @param {string} username
   * @param {string} [lastEventId]
   */
  async function join(username, lastEventId) {
    if (!tokens.has(username)) await register(username)
    const s = await stream('/chat/sse', { headers: { ...as(username), ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) } })
    assert.equal(s.response.status, 200)
    return s
  }

  /** @param {Awaited<ReturnType<typeof join>>} s */
  async function untilWelcome(s) {
    /** @type {any[]} */
    const before = []
    for (;;) {
      const ev = await s.nextEvent()
      assert.ok(ev && ev.kind === 'event', 'stream ended before welcome')
      if (ev.event === 'welcome') return { welcome: ev, before }
      before.push(ev)
    }
  }

  /**
   * The next message event (broadcast/direct), skipping presence updates.
   * @param {Awaited<ReturnType<typeof join>>} s
   */
  async function nextMessage(s, ms = 1000) {
    const deadline = Date.now() + ms
    for (;;) {
      const ev = await s.nextEvent(Math.max(1, deadline - Date.now()))
      if (ev === null) return null
      if (ev.kind === 'event' && ev.event !== 'presence') return { sseId: ev.id, event: ev.event, ...JSON.parse(/** @type {string} */ (ev.data)) }
    }
  }

  /**
   * Asserts that no message arrives within `ms` (presence and heartbeats aside).
   * @param {Awaited<ReturnType<typeof join>>} s
   */
  async function assertQuiet(s, ms = 120) {
    await assert.rejects(nextMessage(s, ms), /no SSE item/)
  }

  const epochId = (/** @type {number} */ n) => `${server.chat.epoch}-${n}`

  /**
   * The next presence delta naming `name` (earlier ones, e.g. for the reader's own arrival, are skipped).
   * @param {Awaited<ReturnType<typeof join>>} s @param {string} name
   */
  async function nextPresence(s, name) {
    for (;;) {
      const ev = await s.nextEvent()
      assert.ok(ev, 'stream ended')
      if (ev.kind === 'event' && ev.event === 'presence' && JSON.parse(/** @type {string} */ (ev.data)).joined.concat(JSON.parse(/** @type {string} */ (ev.data)).left).includes(name)) return ev
    }
  }

  test('broadcast reaches everyone, direct only sender and recipient; presence comes as deltas', async () => {
    const alice = await join('alice')
    const { welcome } = await untilWelcome(alice)
    assert.equal(welcome.retry, 2000)
    assert.match(/** @type {string} */ (welcome.id), new RegExp(`^${server.chat.epoch}-\\d+$`))
    assert.deepEqual(JSON.parse(/** @type {string} */ (welcome.data)), { username: 'alice', online: ['alice'], epoch: server.chat.epoch })
    const bob = await join('bob')
    await untilWelcome(bob)
    assert.equal((await nextPresence(alice, 'bob')).data, JSON.stringify({ joined: ['bob'], left: [] }))
    const carol = await join('carol')
    await untilWelcome(carol)

    const sent = await post('/chat/broadcast', { message: 'hello <b>all</b>' }, as('bob'))
    assert.equal(sent.status, 200)
    const m = sent.body.message
    assert.deepEqual(Object.keys(m), ['id', 'type', 'from', 'to', 'message', 'timestamp'])
    assert.deepEqual([m.type, m.from, m.to, m.message], ['broadcast', 'bob', '', 'hello <b>all</b>'])
    for (const s of [alice, bob, carol]) {
      const got = await nextMessage(s)
      assert.deepEqual(got, { sseId: epochId(m.id), event: 'broadcast', ...m })
    }

    const dm = (await post('/chat/direct', { to: 'bob', message: 'psst' }, as('alice'))).body.message
    assert.equal(dm.id, m.id + 1)
    assert.deepEqual(await nextMessage(bob), { sseId: epochId(dm.id), event: 'direct', ...dm })
    assert.deepEqual(await nextMessage(alice), { sseId: epochId(dm.id), event: 'direct', ...dm })
    await assertQuiet(carol)
    carol.close()
    assert.equal((await nextPresence(alice, 'carol')).data, JSON.stringify({ joined: [], left: ['carol'] }))
    for (const s of [alice, bob]) s.close()
  })

  test('a reconnect with Last-Event-ID gets exactly what it missed, once, then live messages', async () => {
    const dave = await join('dave')
    const { welcome } = await untilWelcome(dave)
    const erin = await join('erin')
    await untilWelcome(erin)
    const seen = (await post('/chat/broadcast', { message: 'before' }, as('erin'))).body.message
    assert.equal((await nextMessage(dave))?.sseId, epochId(seen.id))
    assert.ok(Number(String(welcome.id).split('-')[1]) < seen.id)
    dave.close()

    // While dave is away (his session lives on during the grace period):
    const missed1 = (await post('/chat/broadcast', { message: 'while away 1' }, as('erin'))).body.message
    const missed2 = await post('/chat/direct', { to: 'dave', message: 'while away 2' }, as('erin'))
    assert.equal(missed2.status, 200)
    const notForDave = (await post('/chat/direct', { to: 'erin', message: 'note to self' }, as('erin'))).body.message

    const back = await join('dave', epochId(seen.id))
    const { welcome: again, before } = await untilWelcome(back)
    const replayed = before.filter((ev) => ev.event !== 'presence').map((ev) => [ev.id, ev.event, JSON.parse(ev.data).message])
    assert.deepEqual(replayed, [
      [epochId(missed1.id), 'broadcast', 'while away 1'],
      [epochId(missed2.body.message.id), 'direct', 'while away 2'],
    ])
    // The welcome moves the client's last id to the head, past the message dave may not see.
    assert.equal(again.id, epochId(notForDave.id))

    const live = (await post('/chat/broadcast', { message: 'live' }, as('erin'))).body.message
    assert.equal((await nextMessage(back))?.message, 'live')
    assert.equal(live.id, notForDave.id + 1)
    await assertQuiet(back)
    back.close()

    // Resuming from the head replays nothing.
    const fresh = await join('dave', epochId(live.id))
    const { before: none } = await untilWelcome(fresh)
    assert.deepEqual(none.filter((ev) => ev.event !== 'presence'), [])
    fresh.close()
    erin.close()
  })

  test('an id from an earlier run of the server gets `reset`, then the history from its start', async () => {
    const own = await startDemoServer({ port: 0, distDir, epoch: 'run2' })
    try {
      const join2 = await fetch(`${own.url}/chat/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"ivy"}' })
      const { token } = await join2.json()
      for (const message of ['one', 'two', 'three']) {
        const res = await fetch(`${own.url}/chat/broadcast`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ message }) })
        assert.equal(res.status, 200)
        await res.text()
      }
      // Last-Event-ID 500 (the old scheme) and `run1-500` (an earlier epoch) both come from another run.
      for (const last of ['500', 'run1-500', 'run2-500']) {
        const s = await openStream(`${own.url}/chat/sse`, { headers: { authorization: `Bearer ${token}`, 'last-event-id': last } })
        const items = []
        for (let ev = await s.nextEvent(); ev?.event !== 'welcome'; ev = await s.nextEvent()) items.push([ev?.event, ev?.id, ev?.data && JSON.parse(ev.data).message])
        s.close()
        assert.deepEqual(items, [
          ['reset', undefined, undefined],
          ['broadcast', 'run2-1', 'one'],
          ['broadcast', 'run2-2', 'two'],
          ['broadcast', 'run2-3', 'three'],
        ], last)
      }
    } finally {
      await own.close()
    }
  })

  test('a freed name joined again does not get the direct messages of the session that held it, live or replayed', async () => {
    const own = await startDemoServer({ port: 0, distDir, epoch: 'run3', presenceGraceMs: 50, unusedSessionMs: 50 })
    const joinAs = async (username) => {
      const res = await fetch(`${own.url}/chat/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) })
      assert.equal(res.status, 200)
      return (await res.json()).token
    }
    try {
      const alice = await joinAs('alice')
      await joinAs('bob') // bob never opens a stream, so his session is freed after unusedSessionMs
      const sent = await fetch(`${own.url}/chat/direct`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` }, body: JSON.stringify({ to: 'bob', message: 'SECRET for bob' }) })
      assert.equal(sent.status, 200)
      await sent.text()
      await new Promise((resolve) => setTimeout(resolve, 120))
      const mallory = await joinAs('bob')
      const s = await openStream(`${own.url}/chat/sse`, { headers: { authorization: `Bearer ${mallory}`, 'last-event-id': 'run3-0' } })
      const items = []
      for (let ev = await s.nextEvent(); ev?.event !== 'welcome'; ev = await s.nextEvent()) items.push(ev?.event)
      s.close()
      assert.deepEqual(items.filter((event) => event === 'direct'), [])
    } finally {
      await own.close()
    }
  })

  test('identity: a direct message reaches only the holder of the recipient token; nobody sends or drops as someone else', async () => {
    const judy = await join('judy')
    await untilWelcome(judy)
    const kim = await join('kim')
    await untilWelcome(kim)
    const secret = (await post('/chat/direct', { to: 'judy', message: 'for judy only' }, as('kim'))).body.message

    // Someone else claiming judy's name: no session, no stream, no replay.
    const taken = await post('/chat/join', { username: 'judy' })
    assert.deepEqual(taken, { status: 409, body: { error: 'judy is taken; choose another name' } })
    for (const headers of [{}, { authorization: 'Bearer not-a-real-token-at-all' }, { authorization: tokens.get('judy') ?? '' }]) {
      const res = await fetch(`${server.url}/chat/sse?username=judy`, { headers: { ...headers, 'last-event-id': epochId(0) } })
      assert.equal(res.status, 401)
      assert.match((await res.json()).error, /session token/)
    }
    // With a token of one's own, the query parameter means nothing: mallory's replay holds no direct message for judy.
    await register('mallory')
    const mallory = await stream(`/chat/sse?username=judy`, { headers: { ...as('mallory'), 'last-event-id': epochId(0) } })
    const { before, welcome } = await untilWelcome(mallory)
    assert.equal(JSON.parse(welcome.data).username, 'mallory')
    assert.ok(before.every((ev) => !String(ev.data).includes('for judy only')), 'a direct message leaked into a replay')
    assert.ok(before.every((ev) => ev.event !== 'direct'))
    // Live: the next direct to judy reaches judy, not mallory.
    const live = (await post('/chat/direct', { to: 'judy', message: 'live for judy' }, as('kim'))).body.message
    assert.equal((await nextMessage(judy))?.id, secret.id)
    assert.equal((await nextMessage(judy))?.id, live.id)
    await assertQuiet(mallory)

    // Sending or dropping as judy with mallory's token: refused, and judy's stream stays up.
    const spoof = await post('/chat/broadcast', { from: 'judy', message: 'I am judy' }, as('mallory'))
    assert.deepEqual(spoof, { status: 403, body: { error: 'this token speaks for mallory only' } })
    const anonymous = await post('/chat/broadcast', { message: 'hi' })
    assert.equal(anonymous.status, 401)
    const drop = await post('/chat/drop', {}, as('mallory'))
    assert.deepEqual(drop, { status: 200, body: { dropped: 1 } })
    const stillUp = (await post('/chat/broadcast', { message: 'judy still here?' }, as('kim'))).body.message
    assert.equal((await nextMessage(judy))?.id, stillUp.id)
    for (const s of [judy, kim]) s.close()
  })

  test('bad requests get a 4xx JSON error and the server keeps serving', async () => {
    const frank = await join('frank')
    await untilWelcome(frank)
    const big = 'x'.repeat(4097)
    /** @type {[string, unknown, number, RegExp][]} */
    const cases = [
      ['/chat/direct', { to: 'nobody-here', message: 'hi' }, 404, /unknown recipient: nobody-here/],
      ['/chat/broadcast', { message: '' }, 400, /must not be empty/],
      ['/chat/broadcast', { message: ' \n\t ' }, 400, /must not be empty/],
      ['/chat/broadcast', { message: 42 }, 400, /must be a string/],
      ['/chat/broadcast', { message: big }, 413, /too long/],
      ['/chat/broadcast', { message: 'é'.repeat(2049) }, 413, /too long/],
      ['/chat/broadcast', '{"message": ', 400, /not valid JSON/],
      ['/chat/broadcast', '["frank"]', 400, /JSON object/],
      ['/chat/join', { username: 'bad name!' }, 400, /username must be/],
      ['/chat/join', { username: 'x'.repeat(33) }, 400, /username must be/],
      ['/chat/direct', { to: '../etc', message: 'x' }, 400, /to must be/],
      ['/chat/broadcast', JSON.stringify({ message: 'y'.repeat(17 * 1024) }), 413, /body too large/],
    ]
    for (const [pathname, body, status, pattern] of cases) {
      const res = await post(pathname, body, as('frank'))
      assert.equal(res.status, status, `${pathname} ${String(body).slice(0, 60)}`)
      assert.deepEqual(Object.keys(res.body), ['error'])
      assert.match(res.body.error, pattern)
    }

    // A chunked body (no Content-Length) is cut off once it crosses 16 KiB.
    const chunked = Readable.toWeb(Readable.from((function* () {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(1024, 0x61)
    })()))
    const cut = await post('/chat/broadcast', chunked, as('frank'))
    assert.equal(cut.status, 413)

    // Exactly 4 KiB is fine.
    const ok = await post('/chat/broadcast', { message: 'z'.repeat(4096) }, as('frank'))
    assert.equal(ok.status, 200)
    assert.equal((await nextMessage(frank))?.message, 'z'.repeat(4096))

    const getBroadcast = await fetch(`${server.url}/chat/broadcast`)
    assert.equal(getBroadcast.status, 405)
    await getBroadcast.text()
    const noToken = await fetch(`${server.url}/chat/sse`)
    assert.equal(noToken.status, 401)
    await noToken.text()

    // Still serving, and still delivering.
    const after = await post('/chat/broadcast', { message: 'still here' }, as('frank'))
    assert.equal(after.status, 200)
    assert.equal((await nextMessage(frank))?.message, 'still here')
    frank.close()
  })

  test('only same-origin JSON: form posts, query parameters, foreign Origin and Host are refused', async () => {
    const gina = await join('gina')
    await untilWelcome(gina)
    const { port } = server
    /** @type {[string, RequestInit, number, RegExp][]} */
    const cases = [
      // What a cross-site <form> can send: text/plain or urlencoded bodies, no Authorization header.
      ['/chat/broadcast', { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: '{"message":"x"}' }, 403, /cross-origin/],
      ['/chat/broadcast', { method: 'POST', headers: { 'content-type': 'text/plain', ...as('gina') }, body: '{"message":"x"}' }, 415, /must be JSON/],
      ['/chat/broadcast', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...as('gina') }, body: 'message=x' }, 415, /must be JSON/],
      ['/chat/direct?to=gina&message=hello', { method: 'POST', headers: as('gina') }, 415, /must be JSON/],
      ['/chat/broadcast', { method: 'POST', headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site', ...as('gina') }, body: '{"message":"x"}' }, 403, /cross-site/],
      ['/chat/broadcast', { method: 'POST', headers: { 'content-type': 'application/json', origin: `http://localhost.evil:${port}`, ...as('gina') }, body: '{"message":"x"}' }, 403, /cross-origin/],
      ['/chat/sse', { headers: { origin: 'http://evil.example', ...as('gina') } }, 403, /cross-origin/],
      ['/chat/sse', { headers: { host: `rebound.example:${port}`, ...as('gina') } }, 421, /unexpected Host/],
      ['/', { headers: { host: 'rebound.example' } }, 421, /unexpected Host/],
    ]
    for (const [pathname, init, status, pattern] of cases) {
      const res = await rawRequest(pathname, init)
      assert.equal(res.status, status, `${pathname} ${JSON.stringify(init.headers)}`)
      assert.match(JSON.parse(res.body).error, pattern)
    }
    // The same request from the page's own origin works, under every loopback name.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const res = await rawRequest('/chat/broadcast', { method: 'POST', headers: { host, origin: `http://${host}`, 'content-type': 'application/json; charset=utf-8', ...as('gina') }, body: '{"message":"from my page"}' })
      assert.equal(res.status, 200, host)
      assert.equal((await nextMessage(gina))?.message, 'from my page')
    }
    gina.close()
  })

  test('heartbeat comments keep idle streams alive; /chat/drop ends the caller’s stream', async () => {
    const hank = await join('hank')
    await untilWelcome(hank)
    let item
    do item = await hank.next(1000)
    while (item?.kind !== 'comment')
    assert.deepEqual(item, { kind: 'comment', text: 'heartbeat' })

    const dropped = await post('/chat/drop', {}, as('hank'))
    assert.deepEqual(dropped, { status: 200, body: { dropped: 1 } })
    let end
    do end = await hank.next(1000)
    while (end !== null)
    assert.equal(end, null)
  })

  test('an aborted request body logs exactly one line', async () => {
    /** @type {string[]} */
    const lines = []
    const own = await startDemoServer({ port: 0, distDir, log: (line) => lines.push(line) })
    try {
      const join2 = await fetch(`${own.url}/chat/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"lou"}' })
      const { token } = await join2.json()
      const { port } = new URL(own.url)
      const socket = net.connect(Number(port), '127.0.0.1')
      await once(socket, 'connect')
      socket.write(`POST /chat/broadcast HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\n{"message": "cut`)
      await new Promise((resolve) => setTimeout(resolve, 50))
      socket.destroy()
      const deadline = Date.now() + 2000
      while (lines.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.deepEqual(lines, ['request aborted by the client'])
    } finally {
      await own.close()
    }
  })
})

/**
 * A request through node:http, which (unlike fetch) lets a test set Host and Origin.
 * @param {string} pathname @param {RequestInit} init
 * @returns {Promise<{ status: number, body: string }>}
 */
function rawRequest(pathname, init) {
  return new Promise((resolve, reject) => {
    const { port } = new URL(server.url)
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method: init.method ?? 'GET', headers: /** @type {Record<string, string>} */ (init.headers ?? {}) }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      // A stream that was accepted would never end: take what the head says.
      if (res.headers['content-type'] === 'text/event-stream') (res.destroy(), resolve({ status: res.statusCode ?? 0, body: '{}' }))
    })
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${pathname} within 5 s`)))
    req.end(typeof init.body === 'string' ? init.body : undefined)
  })
}

describe('LLM stream: POST /llm/stream', () => {
  const prompt = 'What is SSE?'
  /** @param {Record<string, string>} [extra] */
  const headers = (extra = {}) => ({ authorization: 'Bearer demo-token', 'content-type': 'application/json', ...extra })

  test('401 JSON error without or with a wrong token', async () => {
    for (const auth of [undefined, 'Bearer nope', 'Basic ZGVtbzpkZW1v', 'Bearer demo-token-x']) {
      const res = await fetch(`${server.url}/llm/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ prompt }),
      })
      assert.equal(res.status, 401, String(auth))
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="demo"')
      assert.match((await res.json()).error, /bearer token/)
    }
  })

  test('bad bodies: 400 / 413', async () => {
    /** @type {[string, number][]} */
    const cases = [['{', 400], ['{}', 400], [JSON.stringify({ prompt: '  ' }), 400], [JSON.stringify({ prompt: 'x'.repeat(2001) }), 413], ['null', 400]]
    for (const [body, status] of cases) {
      const res = await fetch(`${server.url}/llm/stream`, { method: 'POST', headers: headers(), body })
      assert.equal(res.status, status, body.slice(0, 40))
      assert.equal(typeof (await res.json()).error, 'string')
    }
    const get = await fetch(`${server.url}/llm/stream`, { headers: headers() })
    assert.equal(get.status, 405)
    await get.text()
  })

  test('streams every token in order with ids, then done, then ends', async () => {
    const s = await stream('/llm/stream', { method: 'POST', headers: headers(), body: JSON.stringify({ prompt }) })
    assert.equal(s.response.status, 200)
    assert.equal(s.response.headers.get('content-type'), 'text/event-stream')
    assert.deepEqual(await s.nextEvent(), { kind: 'event', retry: 1000 })
    const expected = answerTokens(prompt)
    assert.ok(expected.length > 20)
    let text = ''
    for (let i = 0; i < expected.length; i++) {
      const ev = await s.nextEvent()
      assert.equal(ev?.kind, 'event')
      assert.equal(ev.event, 'token')
      assert.equal(ev.id, String(i))
      const data = JSON.parse(/** @type {string} */ (ev.data))
      assert.equal(data.index, i)
      text += data.text
    }
    assert.equal(text, expected.join(''))
    assert.ok(text.includes('You asked: "What is SSE?"'))
    assert.deepEqual(await s.nextEvent(), {
      kind: 'event', id: String(expected.length), event: 'done', data: JSON.stringify({ tokens: expected.length, finishReason: 'stop' }),
    })
    assert.equal(await s.nextEvent(), null)
  })

  test('resumes after Last-Event-ID; 204 once done was seen', async () => {
    const n = answerTokens(prompt).length
    const body = JSON.stringify({ prompt })
    const s = await stream('/llm/stream', { method: 'POST', headers: headers({ 'last-event-id': '5' }), body })
    await s.nextEvent() // retry
    assert.equal((await s.nextEvent())?.id, '6')
    s.close()
    const tail = await stream('/llm/stream', { method: 'POST', headers: headers({ 'last-event-id': String(n - 1) }), body })
    await tail.nextEvent()
    assert.equal((await tail.nextEvent())?.event, 'done')
    const over = await fetch(`${server.url}/llm/stream`, { method: 'POST', headers: headers({ 'last-event-id': String(n) }), body })
    assert.equal(over.status, 204)
  })

  test('a client that goes away stops the stream', async () => {
    const s = await stream('/llm/stream', { method: 'POST', headers: headers(), body: JSON.stringify({ prompt }) })
    await s.nextEvent()
    await s.nextEvent()
    s.close()
    // Nothing to observe from outside but the absence of errors and leaks: the suite exits cleanly.
  })
})

describe('pages and static files', () => {
  test('pages are served with a strict CSP and load the browser build', async () => {
    for (const [route, title] of [['/', 'fetch-eventsource demos'], ['/stocks', 'Stock prices'], ['/chat', 'Chat'], ['/llm', 'LLM stream']]) {
      const res = await fetch(server.url + route)
      assert.equal(res.status, 200, route)
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
      assert.match(/** @type {string} */ (res.headers.get('content-security-policy')), /script-src 'self'/)
      const html = await res.text()
      assert.ok(html.includes(`<title>${title}`), route)
      assert.ok(!/<script>|\son[a-z]+=/.test(html), `${route}: no inline script or handlers`)
    }
    for (const page of ['stocks-page.js', 'chat-page.js', 'llm-page.js']) {
      const res = await fetch(`${server.url}/${page}`)
      assert.equal(res.headers.get('content-type'), 'text/javascript')
      const js = await res.text()
      assert.ok(js.includes("from '/dist/fetch-eventsource.browser.js'"), page)
      assert.ok(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(js), `${page}: text only`)
    }
    const css = await fetch(`${server.url}/styles.css`)
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8')
    await css.text()
  })

  test('/dist/ maps to the build folder; 404 elsewhere', async () => {
    const lib = await fetch(`${server.url}/dist/fetch-eventsource.browser.js`)
    assert.equal(lib.status, 200)
    assert.equal(lib.headers.get('content-type'), 'text/javascript')
    assert.equal(await lib.text(), 'export class FetchEventSource {}\n')
    for (const p of ['/nope', '/dist/missing.js', '/server.js']) {
      const res = await fetch(server.url + p)
      assert.equal(res.status, 404, p)
      await res.text()
    }
  })
})

test('close() ends open streams promptly', async () => {
  const own = await startDemoServer({ port: 0, priceIntervalMs: 20, tokenDelayMs: [1, 2] })
  const price = await openStream(`${own.url}/price`)
  const joined = await fetch(`${own.url}/chat/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"zed"}' })
  const { token } = await joined.json()
  const chat = await openStream(`${own.url}/chat/sse`, { headers: { authorization: `Bearer ${token}` } })
  await price.nextEvent()
  await chat.nextEvent()
  const started = Date.now()
  await own.close()
  assert.ok(Date.now() - started < 500)
  for (const s of [price, chat]) {
    let item
    do item = await s.next(1000)
    while (item !== null)
    s.close()
  }
})

// Runs only once the lead's build exists: the real client against the demo server.
test('the library (dist/index.js) streams the LLM answer and closes on done', { skip: !existsSync(path.join(repoDist, 'index.js')) && 'dist/ not built yet' }, async () => {
  const { FetchEventSource } = await import(path.join(repoDist, 'index.js'))
  const prompt = 'Hello library'
  const source = new FetchEventSource(`${server.url}/llm/stream`, {
    method: 'POST',
    headers: () => ({ authorization: 'Bearer demo-token', 'content-type': 'application/json' }),
    body: JSON.stringify({ prompt }),
  })
  try {
    const text = await new Promise((resolve, reject) => {
      let acc = ''
      const timer = setTimeout(() => reject(new Error('no done within 5 s')), 5000)
      source.addEventListener('token', (/** @type {MessageEvent} */ e) => (acc += JSON.parse(e.data).text))
      source.addEventListener('done', () => {
        clearTimeout(timer)
        source.close()
        resolve(acc)
      })
      source.addEventListener('error', (/** @type {any} */ e) => {
        if (source.readyState === source.CLOSED) {
          clearTimeout(timer)
          reject(new Error(`source closed: ${e.code} ${e.message}`))
        }
      })
    })
    assert.equal(text, answerTokens(prompt).join(''))
    assert.equal(source.readyState, source.CLOSED)
  } finally {
    source.close()
  }
})
