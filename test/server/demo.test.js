// Tests for the demo server (demo/server.js), in-process on port 0 with fast timings.

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
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
  server = await startDemoServer({ port: 0, priceIntervalMs: 25, heartbeatMs: 80, tokenDelayMs: [1, 3], distDir })
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
 */
async function post(pathname, body) {
  const isRaw = typeof body === 'string' || body instanceof ReadableStream || body instanceof Uint8Array
  const res = await fetch(server.url + pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
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
  /**
   * Connects a user and consumes the welcome (and the presence announcement of its arrival).
   * @param {string} username
   * @param {string} [lastEventId]
   */
  async function join(username, lastEventId) {
    const s = await stream(`/chat/sse?username=${username}`, lastEventId === undefined ? {} : { headers: { 'last-event-id': lastEventId } })
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

  test('broadcast reaches everyone, direct only sender and recipient', async () => {
    const alice = await join('alice')
    const { welcome } = await untilWelcome(alice)
    assert.equal(welcome.retry, 2000)
    assert.match(/** @type {string} */ (welcome.id), /^\d+$/)
    assert.deepEqual(JSON.parse(/** @type {string} */ (welcome.data)), { username: 'alice', online: ['alice'] })
    const bob = await join('bob')
    await untilWelcome(bob)
    const carol = await join('carol')
    await untilWelcome(carol)

    const sent = await post('/chat/broadcast', { from: 'bob', message: 'hello <b>all</b>' })
    assert.equal(sent.status, 200)
    const m = sent.body.message
    assert.deepEqual(Object.keys(m), ['id', 'type', 'from', 'to', 'message', 'timestamp'])
    assert.deepEqual([m.type, m.from, m.to, m.message], ['broadcast', 'bob', '', 'hello <b>all</b>'])
    for (const s of [alice, bob, carol]) {
      const got = await nextMessage(s)
      assert.deepEqual(got, { sseId: String(m.id), event: 'broadcast', ...m })
    }

    const dm = (await post('/chat/direct', { from: 'alice', to: 'bob', message: 'psst' })).body.message
    assert.equal(dm.id, m.id + 1)
    assert.deepEqual(await nextMessage(bob), { sseId: String(dm.id), event: 'direct', ...dm })
    assert.deepEqual(await nextMessage(alice), { sseId: String(dm.id), event: 'direct', ...dm })
    await assertQuiet(carol)
    for (const s of [alice, bob, carol]) s.close()
  })

  test('a reconnect with Last-Event-ID gets exactly what it missed, once, then live messages', async () => {
    const dave = await join('dave')
    const { welcome } = await untilWelcome(dave)
    const erin = await join('erin')
    await untilWelcome(erin)
    const seen = (await post('/chat/broadcast', { from: 'erin', message: 'before' })).body.message
    assert.equal((await nextMessage(dave))?.sseId, String(seen.id))
    assert.ok(Number(welcome.id) < seen.id)
    dave.close()

    // While dave is away (still a known recipient during the grace period):
    const missed1 = (await post('/chat/broadcast', { from: 'erin', message: 'while away 1' })).body.message
    const missed2 = await post('/chat/direct', { from: 'erin', to: 'dave', message: 'while away 2' })
    assert.equal(missed2.status, 200)
    const notForDave = (await post('/chat/direct', { from: 'erin', to: 'erin', message: 'note to self' })).body.message

    const back = await join('dave', String(seen.id))
    const { welcome: again, before } = await untilWelcome(back)
    const replayed = before.filter((ev) => ev.event !== 'presence').map((ev) => [ev.id, ev.event, JSON.parse(ev.data).message])
    assert.deepEqual(replayed, [
      [String(missed1.id), 'broadcast', 'while away 1'],
      [String(missed2.body.message.id), 'direct', 'while away 2'],
    ])
    // The welcome moves the client's last id to the head, past the message dave may not see.
    assert.equal(again.id, String(notForDave.id))

    const live = (await post('/chat/broadcast', { from: 'erin', message: 'live' })).body.message
    assert.equal((await nextMessage(back))?.message, 'live')
    assert.equal(live.id, notForDave.id + 1)
    await assertQuiet(back)
    back.close()

    // Resuming from the head replays nothing.
    const fresh = await join('dave', String(live.id))
    const { before: none } = await untilWelcome(fresh)
    assert.deepEqual(none.filter((ev) => ev.event !== 'presence'), [])
    fresh.close()
    erin.close()
  })

  test('bad requests get a 4xx JSON error and the server keeps serving', async () => {
    const frank = await join('frank')
    await untilWelcome(frank)
    const big = 'x'.repeat(4097)
    /** @type {[string, unknown, number, RegExp][]} */
    const cases = [
      ['/chat/direct', { from: 'frank', to: 'nobody-here', message: 'hi' }, 404, /unknown recipient: nobody-here/],
      ['/chat/broadcast', { from: 'frank', message: '' }, 400, /must not be empty/],
      ['/chat/broadcast', { from: 'frank', message: ' \n\t ' }, 400, /must not be empty/],
      ['/chat/broadcast', { from: 'frank', message: 42 }, 400, /must be a string/],
      ['/chat/broadcast', { from: 'frank', message: big }, 413, /too long/],
      ['/chat/broadcast', { from: 'frank', message: 'é'.repeat(2049) }, 413, /too long/],
      ['/chat/broadcast', '{"from": "frank", "message": ', 400, /not valid JSON/],
      ['/chat/broadcast', '["frank"]', 400, /JSON object/],
      ['/chat/broadcast', { from: 'bad name!', message: 'x' }, 400, /from must be/],
      ['/chat/broadcast', { from: 'x'.repeat(33), message: 'x' }, 400, /from must be/],
      ['/chat/direct', { from: 'frank', to: '../etc', message: 'x' }, 400, /to must be/],
      ['/chat/broadcast', JSON.stringify({ from: 'frank', message: 'y'.repeat(17 * 1024) }), 413, /body too large/],
    ]
    for (const [pathname, body, status, pattern] of cases) {
      const res = await post(pathname, body)
      assert.equal(res.status, status, `${pathname} ${String(body).slice(0, 60)}`)
      assert.deepEqual(Object.keys(res.body), ['error'])
      assert.match(res.body.error, pattern)
    }

    // A chunked body (no Content-Length) is cut off once it crosses 16 KiB.
    const chunked = Readable.toWeb(Readable.from((function* () {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(1024, 0x61)
    })()))
    const cut = await post('/chat/broadcast', chunked)
    assert.equal(cut.status, 413)

    // Exactly 4 KiB is fine.
    const ok = await post('/chat/broadcast', { from: 'frank', message: 'z'.repeat(4096) })
    assert.equal(ok.status, 200)
    assert.equal((await nextMessage(frank))?.message, 'z'.repeat(4096))

    const getBroadcast = await fetch(`${server.url}/chat/broadcast`)
    assert.equal(getBroadcast.status, 405)
    await getBroadcast.text()
    const badUser = await fetch(`${server.url}/chat/sse?username=no%20spaces`)
    assert.equal(badUser.status, 400)
    assert.match((await badUser.json()).error, /username must be/)
    const noUser = await fetch(`${server.url}/chat/sse`)
    assert.equal(noUser.status, 400)
    await noUser.text()

    // Still serving, and still delivering.
    const after = await post('/chat/broadcast', { from: 'frank', message: 'still here' })
    assert.equal(after.status, 200)
    assert.equal((await nextMessage(frank))?.message, 'still here')
    frank.close()
  })

  test('Hertz-style query parameters work when the body is empty', async () => {
    const gina = await join('gina')
    await untilWelcome(gina)
    const res = await fetch(`${server.url}/chat/direct?from=kitex&to=gina&message=hello%20gina`, { method: 'POST' })
    assert.equal(res.status, 200)
    await res.json()
    const { type, from, to, message } = /** @type {any} */ (await nextMessage(gina))
    assert.deepEqual({ type, from, to, message }, {
      type: 'direct', from: 'kitex', to: 'gina', message: 'hello gina',
    })
    gina.close()
  })

  test('heartbeat comments keep idle streams alive; /chat/drop ends a user stream', async () => {
    const hank = await join('hank')
    await untilWelcome(hank)
    let item
    do item = await hank.next(1000)
    while (item?.kind !== 'comment')
    assert.deepEqual(item, { kind: 'comment', text: 'heartbeat' })

    const dropped = await post('/chat/drop', { username: 'hank' })
    assert.deepEqual(dropped, { status: 200, body: { dropped: 1 } })
    let end
    do end = await hank.next(1000)
    while (end !== null)
    assert.equal(end, null)
  })
})

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
  const chat = await openStream(`${own.url}/chat/sse?username=zed`)
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
