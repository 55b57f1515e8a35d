// Tests for fetch-eventsource/testing (the build: dist/testing.js), with plain fetch (and raw node:http where fetch would
// normalise the request, e.g. `..` in paths). Every case is bounded; the suite closes what it opens.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { startTestServer } from '../../dist/testing.js'

const here = path.dirname(fileURLToPath(import.meta.url))

/** @type {Awaited<ReturnType<typeof startTestServer>>} */
let server
/** @type {string} */
let staticDir

before(async () => {
  staticDir = await mkdtemp(path.join(tmpdir(), 'sse-static-'))
  await mkdir(path.join(staticDir, 'sub'))
  await writeFile(path.join(staticDir, 'a.js'), 'export const a = 1\n')
  await writeFile(path.join(staticDir, 'page.html'), '<!doctype html><p>é</p>\n')
  await writeFile(path.join(staticDir, 'style.css'), 'p{}\n')
  await writeFile(path.join(staticDir, 'data.json'), '{"x":1}')
  await writeFile(path.join(staticDir, 'a.js.map'), '{"version":3}')
  await writeFile(path.join(staticDir, 'pixel.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]))
  await writeFile(path.join(staticDir, 'sub', 'inner.js'), 'export {}\n')
  server = await startTestServer({ port: 0, staticRoots: { '/static/': staticDir } })
})

after(async () => {
  await server.close()
  await rm(staticDir, { recursive: true, force: true })
})

/**
 * @param {unknown[]} responses
 * @returns {Promise<{ key: string, url: string }>}
 */
async function script(responses) {
  const res = await fetch(`${server.url}/script`, { method: 'POST', body: JSON.stringify({ responses }) })
  assert.equal(res.status, 200, await res.clone().text())
  return res.json()
}

/** @param {string} key */
async function requests(key, preflight = false) {
  const res = await fetch(`${server.url}/requests/${key}${preflight ? '?preflight=1' : ''}`)
  return res.json()
}

/**
 * Reads a body chunk by chunk as the client receives it.
 * @param {Response} res
 */
function chunks(res) {
  const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).getReader()
  return {
    async next() {
      const { value, done } = await reader.read()
      return done ? null : Buffer.from(value)
    },
    cancel: () => reader.cancel(),
  }
}

/**
 * A raw request that keeps the path exactly as written (fetch would resolve `..`).
 * @param {string} rawPath
 * @param {string} [method]
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: string }>}
 */
function rawRequest(rawPath, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/`, { path: rawPath, method, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: /** @type {number} */ (res.statusCode), headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('scripts', () => {
  test('POST /script answers a key and a URL under /s/', async () => {
    // The server's own pages (either host name) and Node may register a script; another page may not.
    const foreign = await fetch(`${server.url}/script`, { method: 'POST', body: JSON.stringify({ responses: [] }), headers: { origin: 'http://a.localhost' } })
    assert.equal(foreign.status, 403)
    await foreign.text()
    const own = new URL(server.url).port
    const res = await fetch(`${server.url}/script`, { method: 'POST', body: JSON.stringify({ responses: [] }), headers: { origin: `http://localhost:${own}` } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    // No origin is reflected and credentials are never allowed.
    assert.equal(res.headers.get('access-control-allow-origin'), '*')
    assert.equal(res.headers.get('access-control-allow-credentials'), null)
    const { key, url } = await res.json()
    assert.match(key, /^k[0-9a-f]{16}$/)
    assert.equal(url, `${server.url}/s/${key}`)
  })

  test('GET /script?responses=<base64url> registers the same way', async () => {
    const encoded = Buffer.from(JSON.stringify([{ body: ['data: q\n\n'] }])).toString('base64url')
    const res = await fetch(`${server.url}/script?responses=${encoded}`)
    assert.equal(res.status, 200)
    const { url } = await res.json()
    assert.equal(await (await fetch(url)).text(), 'data: q\n\n')
  })

  test('serves responses in order with exact headers and bytes, then 204', async () => {
    const { url } = await script([
      { body: ['data: a\n\n', { bytes: [0xef, 0xbb, 0xbf] }, { b64: Buffer.from('data: é\n\n').toString('base64') }, { repeat: 'ab', times: 3 }] },
      { status: 500, headers: { 'Content-Type': 'text/plain', 'x-extra': 'yes', 'cache-control': null }, body: ['boom'] },
    ])
    const first = await fetch(url)
    assert.equal(first.status, 200)
    assert.equal(first.headers.get('content-type'), 'text/event-stream')
    assert.equal(first.headers.get('cache-control'), 'no-cache')
    assert.equal(first.headers.get('access-control-allow-origin'), null)
    assert.deepEqual(
      Buffer.from(await first.arrayBuffer()),
      Buffer.concat([Buffer.from('data: a\n\n'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: é\n\nababab')]),
    )

    const second = await fetch(url)
    assert.equal(second.status, 500)
    assert.equal(second.headers.get('content-type'), 'text/plain')
    assert.equal(second.headers.get('x-extra'), 'yes')
    assert.equal(second.headers.get('cache-control'), null)
    assert.equal(await second.text(), 'boom')

    for (let i = 0; i < 2; i++) {
      const done = await fetch(url)
      assert.equal(done.status, 204)
      assert.equal(await done.text(), '')
    }
  })

  test('a null content-type removes the default entirely', async () => {
    const { url } = await script([{ headers: { 'content-type': null } }])
    const res = await fetch(url)
    assert.equal(res.headers.get('content-type'), null)
    await res.arrayBuffer()
  })

  test('unknown key: 404 text/plain', async () => {
    const res = await fetch(`${server.url}/s/nosuchkey`)
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8')
    await res.text()
  })

  test('invalid scripts are refused with the reason', async () => {
    /** @type {[unknown, RegExp][]} */
    const cases = [
      [{ responses: 'nope' }, /responses.*array/],
      [{ responses: [{ end: 'explode' }] }, /responses\[0\]\.end/],
      [{ responses: [{ body: [{ delay: -1 }] }] }, /body\[0\]\.delay/],
      [{ responses: [{ body: [{ bytes: [256] }] }] }, /bytes/],
      [{ responses: [{ body: [42] }] }, /body\[0\]/],
      [{ responses: [{ status: 99 }] }, /status/],
      [{ responses: [{ headers: { 'bad name': 'x' } }] }, /headers/],
      [{ responses: [{ headers: { 'x-a': 'line\nbreak' } }] }, /headers/],
      [{ responses: [{ colour: 'red' }] }, /unknown field "colour"/],
    ]
    for (const [body, pattern] of cases) {
      const res = await fetch(`${server.url}/script`, { method: 'POST', body: JSON.stringify(body) })
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.match((await res.json()).error, pattern)
    }
    const bad = await fetch(`${server.url}/script`, { method: 'POST', body: '{not json' })
    assert.equal(bad.status, 400)
    assert.match((await bad.json()).error, /invalid JSON/)
    const badQuery = await fetch(`${server.url}/script?responses=%%%`)
    assert.equal(badQuery.status, 400)
    await badQuery.text()
  })

  test('records every request in arrival order: method, path+query, lower-case headers, body', async () => {
    const { key, url } = await script([{ body: ['data: 1\n\n'] }, {}])
    await (await fetch(`${url}?attempt=1`, { headers: { 'Last-Event-ID': 'x1', 'X-Custom': 'V' } })).text()
    await (await fetch(url, { method: 'POST', body: 'héllo', headers: { 'content-type': 'text/plain' } })).text()
    await (await fetch(url)).text()
    const log = await requests(key)
    assert.equal(log.length, 3)
    assert.deepEqual(
      log.map((/** @type {any} */ r) => [r.method, r.url, r.body]),
      [['GET', `/s/${key}?attempt=1`, ''], ['POST', `/s/${key}`, 'héllo'], ['GET', `/s/${key}`, '']],
    )
    assert.equal(log[0].headers['last-event-id'], 'x1')
    assert.equal(log[0].headers['x-custom'], 'V')
    assert.equal(log[1].headers['content-type'], 'text/plain')
    assert.ok(Object.keys(log[0].headers).every((h) => h === h.toLowerCase()))
    assert.deepEqual(await requests('neverused'), [])
  })

  test('preflight: 204 with permissive CORS, no response consumed, recorded apart', async () => {
    const { key, url } = await script([{ body: ['data: first\n\n'], cors: true }])
    const pre = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'http://a.localhost:1', 'access-control-request-method': 'POST', 'access-control-request-headers': 'last-event-id, x-token' },
    })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://a.localhost:1')
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true')
    assert.equal(pre.headers.get('access-control-allow-methods'), 'POST')
    assert.equal(pre.headers.get('access-control-allow-headers'), 'last-event-id, x-token')
    const res = await fetch(url, { headers: { origin: 'http://a.localhost:1' } })
    assert.equal(await res.text(), 'data: first\n\n')
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://a.localhost:1')
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true')
    assert.equal(res.headers.get('access-control-allow-headers'), 'last-event-id, authorization, content-type, x-*')
    assert.equal(res.headers.get('access-control-expose-headers'), '*')
    assert.deepEqual((await requests(key)).map((/** @type {any} */ r) => r.method), ['GET'])
    const preflights = await requests(key, true)
    assert.equal(preflights.length, 1)
    assert.equal(preflights[0].method, 'OPTIONS')
    assert.equal(preflights[0].headers['access-control-request-method'], 'POST')
  })

  test('cors without an Origin header answers *', async () => {
    const { url } = await script([{ cors: true }])
    const res = await fetch(url)
    assert.equal(res.headers.get('access-control-allow-origin'), '*')
    await res.text()
  })

  test('redirect: 302 by default, a given 3xx kept, followed by fetch', async () => {
    const target = await script([{ body: ['data: moved\n\n'] }])
    const { url } = await script([{ redirect: `/s/${target.key}` }, { redirect: target.url, status: 307 }])
    const manual = await fetch(url, { redirect: 'manual' })
    assert.equal(manual.status, 302)
    assert.equal(manual.headers.get('location'), `/s/${target.key}`)
    await manual.arrayBuffer()
    const followed = await fetch(url)
    assert.equal(followed.redirected, true)
    assert.equal(followed.url, target.url)
    assert.equal(await followed.text(), 'data: moved\n\n')
    const targetLog = await requests(target.key)
    assert.equal(targetLog.length, 1)
  })

  test('each body item arrives as its own chunk; delays separate them', async () => {
    const { url } = await script([{ body: [{ bytes: [0xef, 0xbb, 0xbf] }, { delay: 40 }, 'data: a\n\n', { delay: 40 }, 'data: b\n\n'] }])
    const started = Date.now()
    const res = await fetch(url)
    const body = chunks(res)
    assert.deepEqual(await body.next(), Buffer.from([0xef, 0xbb, 0xbf]))
    assert.equal((await body.next())?.toString(), 'data: a\n\n')
    assert.equal((await body.next())?.toString(), 'data: b\n\n')
    assert.equal(await body.next(), null)
    assert.ok(Date.now() - started >= 75, 'the delays were honoured')
  })

  test('headers are flushed before a leading delay', async () => {
    const { url } = await script([{ body: [{ delay: 300 }, 'data: late\n\n'] }])
    const started = Date.now()
    const res = await fetch(url)
    assert.ok(Date.now() - started < 250, 'response head arrived before the delay ended')
    assert.equal(await res.text(), 'data: late\n\n')
  })

  test('end: "destroy" cuts the stream after the body', async () => {
    // The pause keeps the cut apart from the data: Bun's fetch drops bytes that arrive with the connection's end.
    const { url } = await script([{ body: ['data: a\n\n', { delay: 50 }], end: 'destroy' }])
    const res = await fetch(url)
    const body = chunks(res)
    let received = ''
    await assert.rejects(async () => {
      for (let c; (c = await body.next()); ) received += c.toString()
    })
    assert.equal(received, 'data: a\n\n')
  })

  test('attempts are counted per key', async () => {
    const a = await script([{ body: ['a0'] }, { body: ['a1'] }])
    const b = await script([{ body: ['b0'] }])
    assert.equal(await (await fetch(a.url)).text(), 'a0')
    assert.equal(await (await fetch(b.url)).text(), 'b0')
    assert.equal(await (await fetch(a.url)).text(), 'a1')
    assert.equal((await fetch(b.url)).status, 204)
  })
})

describe('hanging responses and close()', () => {
  test('a hanging stream stays open until close(), which releases it and resolves', async () => {
    const own = await startTestServer({ port: 0 })
    const res = await fetch(`${own.url}/script`, { method: 'POST', body: JSON.stringify({ responses: [{ body: ['data: x\n\n'], end: 'hang' }] }) })
    const { url } = await res.json()
    const stream = await fetch(url)
    const body = chunks(stream)
    assert.equal((await body.next())?.toString(), 'data: x\n\n')
    const pending = body.next()
    const outcome = await Promise.race([pending.then(() => 'ended', () => 'ended'), new Promise((r) => setTimeout(r, 100, 'still open'))])
    assert.equal(outcome, 'still open')
    const started = Date.now()
    await own.close()
    assert.ok(Date.now() - started < 500, 'close() did not wait for the hanging stream')
    await assert.rejects(pending)
    // Idempotent.
    await own.close()
  })

  test('close() also cuts a stream paused in a long delay', async () => {
    const own = await startTestServer({ port: 0 })
    const res = await fetch(`${own.url}/script`, { method: 'POST', body: JSON.stringify({ responses: [{ body: ['data: x\n\n', { delay: 60_000 }, 'data: y\n\n'] }] }) })
    const stream = await fetch((await res.json()).url)
    const body = chunks(stream)
    assert.equal((await body.next())?.toString(), 'data: x\n\n')
    await own.close()
    await assert.rejects(body.next())
  })

  test('close() rejects a pending waitForResults', async () => {
    const own = await startTestServer({ port: 0 })
    // The handler is attached before close() rejects it: Deno and Bun fail a test on a rejection left unhandled.
    const rejected = assert.rejects(own.waitForResults('never', 10_000), /closed/)
    await own.close()
    await rejected
  })
})

describe('resumable counter', () => {
  /**
   * @param {string} query
   * @param {Record<string, string>} [headers]
   */
  async function counter(query, headers = {}) {
    const res = await fetch(`${server.url}/counter?${query}`, { headers })
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() }
  }

  test('sends `per` events from Last-Event-ID + 1, then 204 past total', async () => {
    assert.deepEqual(await counter('total=5&per=2&key=c1'), { status: 200, type: 'text/event-stream', text: 'id: 1\ndata: 1\n\nid: 2\ndata: 2\n\n' })
    assert.deepEqual(await counter('total=5&per=2&key=c1', { 'last-event-id': '2' }), { status: 200, type: 'text/event-stream', text: 'id: 3\ndata: 3\n\nid: 4\ndata: 4\n\n' })
    assert.deepEqual(await counter('total=5&per=2&key=c1', { 'last-event-id': '4' }), { status: 200, type: 'text/event-stream', text: 'id: 5\ndata: 5\n\n' })
    assert.deepEqual(await counter('total=5&per=2&key=c1', { 'last-event-id': '5' }), { status: 204, type: null, text: '' })
    const log = await requests('c1')
    assert.deepEqual(log.map((/** @type {any} */ r) => r.headers['last-event-id'] ?? null), [null, '2', '4', '5'])
    assert.equal(log[0].url, '/counter?total=5&per=2&key=c1')
  })

  test('?lastEventId= is used when there is no header; the header wins otherwise', async () => {
    assert.equal((await counter('total=4&per=1&lastEventId=2')).text, 'id: 3\ndata: 3\n\n')
    assert.equal((await counter('total=4&per=1&lastEventId=2', { 'last-event-id': '0' })).text, 'id: 1\ndata: 1\n\n')
  })

  test('retry=R comes first; per defaults to all remaining events', async () => {
    assert.equal((await counter('total=3&retry=500')).text, 'retry: 500\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n')
  })

  test('a non-numeric Last-Event-ID starts over at 1', async () => {
    assert.equal((await counter('total=1', { 'last-event-id': 'abc' })).text, 'id: 1\ndata: 1\n\n')
  })

  test('each event is its own chunk', async () => {
    const res = await fetch(`${server.url}/counter?total=3&retry=10`)
    const body = chunks(res)
    /** @type {string[]} */
    const seen = []
    for (let c; (c = await body.next()); ) seen.push(c.toString())
    // The client may coalesce chunks that arrive together, but never splits an event.
    assert.equal(seen.join(''), 'retry: 10\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\n')
    assert.ok(seen.every((c) => c.endsWith('\n\n')))
  })

  test('bad parameters: 400', async () => {
    for (const q of ['total=-1', 'total=x', 'per=0', 'key=bad%20key']) {
      const r = await counter(q)
      assert.equal(r.status, 400, q)
      assert.match(JSON.parse(r.text).error, /query parameter/)
    }
  })

  test('counter preflights are recorded under the key', async () => {
    const pre = await fetch(`${server.url}/counter?total=1&key=c2`, { method: 'OPTIONS', headers: { origin: 'http://b.localhost', 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' } })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-headers'), 'last-event-id')
    assert.equal((await requests('c2', true)).length, 1)
    assert.equal((await requests('c2')).length, 0)
  })
})

describe('static roots', () => {
  test('serves files with the right content type and no-store', async () => {
    /** @type {[string, string, string][]} */
    const expected = [
      ['a.js', 'text/javascript', 'export const a = 1\n'],
      ['page.html', 'text/html; charset=utf-8', '<!doctype html><p>é</p>\n'],
      ['style.css', 'text/css; charset=utf-8', 'p{}\n'],
      ['data.json', 'application/json', '{"x":1}'],
      ['a.js.map', 'application/json', '{"version":3}'],
      ['sub/inner.js', 'text/javascript', 'export {}\n'],
    ]
    for (const [file, type, content] of expected) {
      const res = await fetch(`${server.url}/static/${file}`)
      assert.equal(res.status, 200, file)
      assert.equal(res.headers.get('content-type'), type, file)
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.equal(await res.text(), content)
    }
    const png = await fetch(`${server.url}/static/pixel.png`)
    assert.equal(png.headers.get('content-type'), 'image/png')
    assert.deepEqual(Buffer.from(await png.arrayBuffer()), Buffer.from([0x89, 0x50, 0x4e, 0x47]))
  })

  test('no directory listings, missing files 404, non-GET 405', async () => {
    for (const p of ['/static/', '/static/sub', '/static/sub/', '/static/missing.js']) {
      const res = await fetch(server.url + p)
      assert.equal(res.status, 404, p)
      await res.text()
    }
    const post = await fetch(`${server.url}/static/a.js`, { method: 'POST' })
    assert.equal(post.status, 405)
    await post.text()
  })

  test('refuses `..` escapes, raw or percent-encoded, with 403', async () => {
    const escapes = [
      '/static/../test-server.test.js',
      '/static/sub/../../x',
      '/static/%2e%2e/x',
      '/static/%2E%2E%2Fx',
      '/static/sub/..%2f..%2fx',
      '/static/..%5cx',
      '/static/%00',
      '/static/%E0%A4%A',
    ]
    for (const p of escapes) {
      const res = await rawRequest(p)
      assert.equal(res.status, 403, p)
    }
    void here
  })
})

describe('results channel', () => {
  test('404 until posted; waitForResults resolves with the posted JSON; GET returns it', async () => {
    const missing = await fetch(`${server.url}/results/run1`)
    assert.equal(missing.status, 404)
    await missing.text()
    const waiting = server.waitForResults('run1', 2000)
    const post = await fetch(`${server.url}/results/run1`, { method: 'POST', body: JSON.stringify({ passed: 3, failed: [] }) })
    assert.equal(post.status, 200)
    await post.text()
    assert.deepEqual(await waiting, { passed: 3, failed: [] })
    assert.deepEqual(await (await fetch(`${server.url}/results/run1`)).json(), { passed: 3, failed: [] })
    assert.deepEqual(await server.waitForResults('run1', 10), { passed: 3, failed: [] })
  })

  test('waitForResults rejects on timeout; bad JSON is a 400', async () => {
    await assert.rejects(server.waitForResults('run2', 30), /within 30 ms/)
    const bad = await fetch(`${server.url}/results/run2`, { method: 'POST', body: '{' })
    assert.equal(bad.status, 400)
    await bad.text()
  })
})

describe('Node-side helpers', () => {
  test('script() registers without HTTP and requests(url) returns what that URL received', async () => {
    const url = server.script([{ body: ['id: 1\ndata: a\n\n'] }, { status: 204 }])
    assert.match(url, new RegExp(`^${server.url}/s/k[0-9a-f]{16}$`))
    assert.deepEqual(server.requests(url), [])
    const first = await fetch(url, { method: 'POST', headers: { 'x-n': '1', 'content-type': 'text/plain' }, body: 'hi' })
    assert.equal(await first.text(), 'id: 1\ndata: a\n\n')
    const second = await fetch(`${url}?again=1`, { headers: { 'last-event-id': '1' } })
    assert.equal(second.status, 204)
    const log = server.requests(url)
    assert.deepEqual(log.map((r) => [r.method, r.url, r.body]), [['POST', new URL(url).pathname, 'hi'], ['GET', `${new URL(url).pathname}?again=1`, '']])
    assert.equal(log[0]?.headers['x-n'], '1')
    assert.equal(log[1]?.headers['last-event-id'], '1')
    assert.deepEqual(server.requests(url, { preflight: true }), [])
    // The counter's key works the same way; a URL the server never saw gives [].
    await (await fetch(`${server.url}/counter?total=1&key=ck1`)).text()
    assert.deepEqual(server.requests(`${server.url}/counter?key=ck1`).map((r) => r.url), ['/counter?total=1&key=ck1'])
    assert.deepEqual(server.requests(`${server.url}/s/knever`), [])
    assert.throws(() => server.script(/** @type {any} */ ([{ end: 'later' }])), /end: expected/)
  })
})

describe('bounds', () => {
  test('one script may expand to at most scriptBytes: the 187-byte repeat URL of issue 12 is refused', async () => {
    const small = await startTestServer({ limits: { scriptBytes: 1024 * 1024, totalScriptBytes: 4 * 1024 * 1024 } })
    try {
      // Each item asks for 64 MiB; before the cap, one such URL took the server from 47 MB to 309 MB for good.
      const items = Array.from({ length: 4 }, () => ({ repeat: 'x', times: 64 * 1024 * 1024 }))
      const encoded = Buffer.from(JSON.stringify([{ body: items }])).toString('base64url')
      const before = process.memoryUsage().arrayBuffers
      const res = await fetch(`${small.url}/script?responses=${encoded}`)
      assert.equal(res.status, 413)
      assert.match((await res.json()).error, /responses\[0\]\.body\[0\]: the script expands to more than 1048576 bytes/)
      assert.ok(process.memoryUsage().arrayBuffers - before < 8 * 1024 * 1024, 'nothing was allocated for the refused script')
      // Many small items count too: each costs at least its bookkeeping.
      const many = await fetch(`${small.url}/script`, { method: 'POST', body: JSON.stringify({ responses: [{ body: Array(20_000).fill('') }] }) })
      assert.equal(many.status, 413)
      await many.text()
      // Just under the cap is fine and plays back exactly.
      const ok = small.script([{ body: [{ repeat: 'ab', times: 500_000 }] }])
      assert.equal((await (await fetch(ok)).text()).length, 1_000_000)
    } finally {
      await small.close()
    }
  })

  test('all live scripts together are capped, and scripts expire after ttlMs unused', async () => {
    const small = await startTestServer({ limits: { scriptBytes: 1024 * 1024, totalScriptBytes: 2 * 1024 * 1024, ttlMs: 300 } })
    try {
      const big = [{ body: [{ repeat: 'x', times: 900 * 1024 }] }]
      const a = small.script(big)
      small.script(big)
      assert.throws(() => small.script(big), /live scripts would hold more than 2097152 bytes/)
      const refused = await fetch(`${small.url}/script`, { method: 'POST', body: JSON.stringify({ responses: big }) })
      assert.equal(refused.status, 413)
      await refused.text()
      // After the TTL the old scripts are gone (404) and their room is free again.
      await new Promise((resolve) => setTimeout(resolve, 400))
      const c = small.script(big)
      const gone = await fetch(a)
      assert.equal(gone.status, 404)
      assert.match(await gone.text(), /unknown or expired script key/)
      assert.equal((await (await fetch(c)).text()).length, 900 * 1024)
    } finally {
      await small.close()
    }
  })

  test('control routes never reflect an origin with credentials; scripted responses with cors: true do', async () => {
    const origin = { origin: 'http://evil.localhost' }
    for (const path of ['/requests/kx', '/results/none']) {
      // Another page is refused outright, and learns nothing (no CORS header lets it read the answer).
      const refused = await fetch(`${server.url}${path}`, { headers: origin })
      assert.equal(refused.status, 403, path)
      assert.equal(refused.headers.get('access-control-allow-origin'), null, path)
      await refused.text()
      const res = await fetch(`${server.url}${path}`, { headers: { origin: server.url } })
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path)
      assert.equal(res.headers.get('access-control-allow-credentials'), null, path)
      await res.text()
    }
    const pre = await fetch(`${server.url}/script`, { method: 'OPTIONS', headers: { ...origin, 'access-control-request-method': 'POST' } })
    assert.equal(pre.headers.get('access-control-allow-origin'), '*')
    assert.equal(pre.headers.get('access-control-allow-credentials'), null)
  })

  test('recorded requests are capped per key', async () => {
    const small = await startTestServer({ limits: { requestsPerKey: 3 } })
    try {
      const url = small.script([])
      for (let i = 0; i < 5; i++) await (await fetch(`${url}?n=${i}`)).text()
      assert.deepEqual(small.requests(url).map((r) => new URL(r.url, url).searchParams.get('n')), ['2', '3', '4'])
    } finally {
      await small.close()
    }
  })
})

test('unknown paths: 404; GET / lists the endpoints', async () => {
  const res = await fetch(`${server.url}/nope`)
  assert.equal(res.status, 404)
  await res.text()
  const index = await fetch(`${server.url}/`)
  assert.match(await index.text(), /POST \/script/)
})

test('standalone: `node e2e/test-server.js` prints its URL and serves', async () => {
  const child = spawn(process.execPath, [path.join(here, '../../e2e/test-server.js')], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no URL printed within 2 s')), 2000)
      let out = ''
      child.stdout.on('data', (c) => {
        out += c
        const m = out.match(/http:\/\/127\.0\.0\.1:\d+/)
        if (m) {
          clearTimeout(timer)
          resolve(m[0])
        }
      })
    })
    const res = await fetch(`${url}/counter?total=1`)
    assert.equal(await res.text(), 'id: 1\ndata: 1\n\n')
  } finally {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
})

test('bounds found in review: results expire and are kept as text, preflights to unknown keys open no log, a busy key keeps its count honest', async () => {
  const server = await startTestServer({ port: 0, limits: { ttlMs: 100, requestsPerKey: 3, recordedBytes: 8000 } })
  try {
    const posted = await fetch(`${server.url}/results/r1`, { method: 'POST', body: '{"ok":[1,2,3]}' })
    assert.equal(posted.status, 200)
    await posted.text()
    const got = await fetch(`${server.url}/results/r1`)
    assert.deepEqual([got.status, await got.json()], [200, { ok: [1, 2, 3] }])
    // The sweeper runs every ttlMs: unused for longer than that, the result is gone.
    await new Promise((resolve) => setTimeout(resolve, 350))
    const expired = await fetch(`${server.url}/results/r1`)
    assert.equal(expired.status, 404)
    await expired.text()

    const preflight = await fetch(`${server.url}/s/kneverregistered`, { method: 'OPTIONS', headers: { origin: 'http://example.test', 'access-control-request-method': 'GET' } })
    await preflight.text()
    assert.deepEqual(server.requests(`${server.url}/s/kneverregistered`, { preflight: true }), [])

    // Ten requests to one key keep 3 records; the bytes of the 7 dropped are no longer counted, so a second key's
    // log survives (it used to be evicted by the inflated count).
    const a = server.script([{ status: 204 }])
    const b = server.script([{ status: 204 }])
    await (await fetch(b)).text()
    for (let i = 0; i < 10; i++) await (await fetch(a)).text()
    assert.equal(server.requests(a).length, 3)
    assert.equal(server.requests(b).length, 1)
  } finally {
    await server.close()
  }
})

test('the request logs stay within recordedBytes when bodies never arrive: a refused body still counts, a dropped record is refunded what it was charged', async () => {
  const cap = 64 * 1024
  const server = await startTestServer({ port: 0, host: '127.0.0.1', limits: { recordedBytes: cap, requestsPerKey: 1 } })
  const pad = 'x'.repeat(12 * 1024)
  /** A POST with node:http, which can declare a body larger than the server reads (fetch cannot lie about it). */
  const post = (path, { headers = {}, body = undefined } = {}) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, path, method: 'POST', headers, agent: false, timeout: 5000 }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode))
      })
      req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within 5 s`)))
      req.on('error', reject)
      if (body === undefined) req.flushHeaders()
      else req.end(body)
    })
  const held = (prefix, n) => {
    let bytes = 0
    let keys = 0
    for (let i = 0; i < n; i++) {
      const records = server.requests(`${server.url}/counter?key=${prefix}${i}`)
      if (records.length > 0) keys++
      for (const r of records) bytes += r.body.length + (r.headers['x-pad']?.length ?? 0)
    }
    return { bytes, keys }
  }
  try {
    // Refused before their bodies (declared over the limit), each with a 12 KiB header: one key, then many.
    for (let i = 0; i < 20; i++) assert.equal(await post('/counter?key=same&total=0', { headers: { 'content-length': String(9e9), 'x-pad': pad } }), 413)
    for (let i = 0; i < 40; i++) assert.equal(await post(`/counter?key=refused${i}&total=0`, { headers: { 'content-length': String(9e9), 'x-pad': pad } }), 413)
    // Only the newest few of those fit; their records were charged, so older keys went.
    const refused = held('refused', 40)
    assert.ok(refused.keys >= 1 && refused.keys <= Math.ceil(cap / pad.length), `${refused.keys} refused requests still recorded`)
    // Then 40 keys with a 60 KiB body each: the count was not driven below zero, so the cap still holds.
    const body = 'B'.repeat(60 * 1024)
    for (let i = 0; i < 40; i++) assert.equal(await post(`/counter?key=k${i}&total=0`, { headers: { 'content-type': 'text/plain' }, body }), 204)
    const kept = held('k', 40)
    assert.deepEqual(kept, { bytes: body.length, keys: 1 }, 'one 60 KiB body fits under 64 KiB, and the newest log stays')
    assert.equal(server.requests(`${server.url}/counter?key=k39`).length, 1, 'the newest log is the one kept')
  } finally {
    await server.close()
  }
})

test('a limit given as undefined keeps its default (the types allow it under exactOptionalPropertyTypes)', async () => {
  const limits = { scriptBytes: undefined, totalScriptBytes: undefined, ttlMs: undefined, requestsPerKey: undefined, recordedBytes: undefined }
  const server = await startTestServer({ port: 0, host: '127.0.0.1', staticRoots: undefined, limits })
  try {
    const a = server.script([{ status: 204 }, { status: 204 }])
    const b = server.script([{ status: 204 }])
    await (await fetch(b)).text()
    for (let i = 0; i < 2; i++) await (await fetch(a)).text()
    // Spread over the defaults, an undefined recordedBytes made every request drop every other key's log.
    assert.deepEqual([server.requests(a).length, server.requests(b).length], [2, 1])
  } finally {
    await server.close()
  }
})

test('a static root does not serve what a symbolic link inside it points to outside it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'fes-static-'))
  const { symlink } = await import('node:fs/promises')
  try {
    await mkdir(path.join(dir, 'root'))
    await writeFile(path.join(dir, 'secret.txt'), 'SECRET OUTSIDE ROOT')
    await writeFile(path.join(dir, 'root', 'inside.txt'), 'inside')
    await symlink(path.join(dir, 'secret.txt'), path.join(dir, 'root', 'link.txt'))
    const server = await startTestServer({ port: 0, staticRoots: { '/static/': path.join(dir, 'root') } })
    try {
      const inside = await fetch(`${server.url}/static/inside.txt`)
      assert.deepEqual([inside.status, await inside.text()], [200, 'inside'])
      const link = await fetch(`${server.url}/static/link.txt`)
      assert.deepEqual([link.status, await link.text()], [403, 'forbidden\n'])
    } finally {
      await server.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
