// Header injection and credential leaks, checked on the wire: a bare-TCP server keeps every request head byte for
// byte, so an injected line could not hide behind a parsing server. (Static headers and the lastEventId option with
// CR/LF/NUL are refused at construction: options.test.js.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { FetchEventSource } from '../../dist/index.js'
import { chromiumAvailable } from '../../reliability/chromium.js'
import { runChromiumRedirects } from '../../reliability/chromium-redirects.js'
import { RAW_204, rawEventStream, startRawServer } from '../../reliability/raw-server.js'
import { next, track } from './helpers.js'

const latin1OfUtf8 = (text) => Buffer.from(text, 'utf8').toString('latin1')
const lastEventIdLines = (request) => request.headerLines.filter((line) => /^last-event-id:/i.test(line))

/** A server that gives each /p/K a stream whose only event sets id ids[K], then 204 once resumed. */
async function idServer(ids) {
  return startRawServer((request) => {
    const k = Number(request.path.split('/')[2])
    if (lastEventIdLines(request).length > 0) return RAW_204
    return rawEventStream(`retry: 5\nid: ${ids[k]}\ndata: x\n\n`)
  })
}

test('ids received from the server cannot inject headers: the reconnect carries one Last-Event-ID line with the UTF-8 bytes, nothing more', async () => {
  const ids = ['a\u2028b\u2029c', 'n\u0085el', 'x: y', '\u00e9\u00ff\u4e2d\u{1F600}', '%0d%0aSet-Cookie: a=b', 'Set-Cookie:\tfoo', '\u00a0nbsp\u00a0', '\uFFFD\uFEFF']
  const server = await idServer(ids)
  try {
    await Promise.all(
      ids.map(async (id, k) => {
        const source = track(`${server.url}/p/${k}`)
        await next(source, 'error', 5000, () => source.readyState === FetchEventSource.CLOSED)
      }),
    )
    ids.forEach((id, k) => {
      const [first, second, ...rest] = server.requests.filter((r) => r.path === `/p/${k}`)
      assert.equal(rest.length, 0)
      assert.deepEqual(lastEventIdLines(first), [])
      // Header names are case-insensitive: Bun's fetch sends `Last-Event-Id`, Node's and Deno's `last-event-id`.
      const lines = lastEventIdLines(second).map((line) => line.replace(/^[^:]*/, (name) => name.toLowerCase()))
      assert.deepEqual(lines, [`last-event-id: ${latin1OfUtf8(id)}`], `id ${JSON.stringify(id)}`)
      // The same headers as the first request plus exactly that one line: no injected line of any kind.
      assert.equal(second.headerLines.length, first.headerLines.length + 1, second.raw)
    })
  } finally {
    await server.close()
  }
})

test('an id with a control character (legal SSE) is kept as lastEventId but left out of the reconnect, which still happens', async () => {
  // Spec: only NUL makes an id invalid. Node's fetch refuses bytes 0x01-0x08, 0x0B-0x1F and 0x7F in header values
  // on every attempt, so sending such an id would mean endless failed reconnects. The library leaves the header
  // out for such ids, in every runtime alike (README, "Differences"), and the reconnect goes through.
  const ids = ['a\u0001b', 'del\u007f', 'vt\u000bff\u000c']
  const server = await idServer(ids)
  try {
    const outcomes = await Promise.all(
      ids.map(async (id, k) => {
        const source = track(`${server.url}/p/${k}`)
        let opens = 0
        await next(source, 'open', 5000, () => ++opens === 2)
        source.close()
        const requests = server.requests.filter((r) => r.path === `/p/${k}`)
        return { id, lastEventId: source.lastEventId, headers: requests.slice(0, 2).map((r) => lastEventIdLines(r)) }
      }),
    )
    assert.deepEqual(outcomes, ids.map((id) => ({ id, lastEventId: id, headers: [[], []] })))
  } finally {
    await server.close()
  }
})

test('headers functions cannot inject either: a CR/LF value or a bad name fails the attempt before any byte is sent', async () => {
  const server = await startRawServer(() => RAW_204)
  try {
    const bad = [() => ({ 'x-token': 'a\r\nInjected: 1' }), () => ({ 'x-token': 'a\nInjected: 1' }), () => ({ 'bad name': 'v' }), () => [['x-a', 'b\0c']]]
    const results = await Promise.all(
      bad.map(async (headers) => {
        const source = track(server.url, { headers, retry: { maxAttempts: 2, initialDelay: 5 } })
        const errors = []
        source.addEventListener('error', (e) => errors.push([e.code, e.cause instanceof TypeError, source.readyState]))
        await next(source, 'error', 5000, () => source.readyState === FetchEventSource.CLOSED)
        return errors
      }),
    )
    // A programming error, not a network failure: reported once as invalid-request (the cause is fetch's own
    // TypeError), and not retried, whatever maxAttempts allows.
    for (const errors of results) assert.deepEqual(errors, [['invalid-request', true, 2]])
    assert.equal(server.requests.length, 0)
  } finally {
    await server.close()
  }
})

/** Two origins on loopback (different ports): A redirects /go?status=S to B, B records what it gets. */
async function redirectPair() {
  const seen = []
  const b = http.createServer((req, res) => {
    seen.push({ method: req.method, headers: req.headers })
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end('data: from b\n\n')
  })
  await new Promise((resolve) => b.listen(0, '127.0.0.1', resolve))
  const bUrl = `http://127.0.0.1:${b.address().port}`
  const a = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://a')
    if (url.pathname === '/same') {
      seen.push({ method: req.method, headers: req.headers })
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end('data: from a\n\n')
      return
    }
    const target = url.searchParams.get('to') === 'same' ? '/same' : `${bUrl}/`
    res.writeHead(Number(url.searchParams.get('status') ?? 307), { location: target })
    res.end()
  })
  await new Promise((resolve) => a.listen(0, '127.0.0.1', resolve))
  return {
    aUrl: `http://127.0.0.1:${a.address().port}`,
    bUrl,
    seen,
    close: async () => {
      for (const server of [a, b]) {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      }
    },
  }
}

const SECRETS = { authorization: 'Bearer secret', cookie: 'session=secret', 'proxy-authorization': 'Basic c2VjcmV0', 'x-api-key': 'key-123' }

test('cross-origin redirects (Node fetch): Authorization, Cookie and Proxy-Authorization are dropped with or without withCredentials; custom headers and Last-Event-ID follow', async () => {
  const pair = await redirectPair()
  try {
    for (const withCredentials of [false, true]) {
      for (const status of [301, 302, 303, 307, 308]) {
        const source = track(`${pair.aUrl}/go?status=${status}`, { withCredentials, headers: SECRETS, lastEventId: '41' })
        const message = await next(source, 'message')
        source.close()
        assert.equal(message.origin, pair.bUrl)
        const { headers } = pair.seen.at(-1)
        const context = `${status}, withCredentials ${withCredentials}`
        assert.deepEqual(
          [headers.authorization, headers.cookie, headers['proxy-authorization'], headers['x-api-key'], headers['last-event-id']],
          [undefined, undefined, undefined, 'key-123', '41'],
          context,
        )
      }
    }
    // A same-origin redirect keeps them all.
    const source = track(`${pair.aUrl}/go?status=307&to=same`, { headers: SECRETS })
    await next(source, 'message')
    source.close()
    const { headers } = pair.seen.at(-1)
    assert.deepEqual([headers.authorization, headers.cookie, headers['x-api-key']], [SECRETS.authorization, SECRETS.cookie, 'key-123'])
  } finally {
    await pair.close()
  }
})

test('cross-origin redirects (Chromium): the cookie goes only with withCredentials; Authorization is dropped; custom headers and Last-Event-ID follow after a preflight', async () => {
  assert.ok(chromiumAvailable(), 'Chromium is not installed: apt-get install -y chromium')
  const { cases } = await runChromiumRedirects()
  const atB = Object.fromEntries(cases.map((c) => [c.id, [c.outcome, c.atB.map(({ method, cookie, authorization, apiKey, lastEventId }) => ({ method, cookie, authorization, apiKey, lastEventId }))]]))
  const get = (extra = {}) => ({ method: 'GET', cookie: undefined, authorization: undefined, apiKey: undefined, lastEventId: undefined, ...extra })
  const preflight = { method: 'OPTIONS', cookie: undefined, authorization: undefined, apiKey: undefined, lastEventId: undefined }
  assert.deepEqual(atB, {
    plain: ['message', [get()]],
    credentials: ['message', [get({ cookie: 'session=secret' })]],
    headers: ['message', [preflight, get({ apiKey: 'key-123', lastEventId: '41' })]],
    'headers-credentials': ['message', [preflight, get({ cookie: 'session=secret', apiKey: 'key-123', lastEventId: '41' })]],
  })
})

test('what a server sends never reaches an error message raw: a status text and a Location with terminal escapes are escaped', async () => {
  const ESC = '\x1b'
  const server = await startRawServer((request) =>
    request.path === '/status'
      ? `HTTP/1.1 503 Busy${ESC}]0;pwned\x07${ESC}[2J\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`
      : // Node's HTTP parser refuses C0 controls in header values; a C1 CSI (0x9B, obs-text) gets through.
        `HTTP/1.1 307 Temporary Redirect\r\nlocation: /x\x9b2J\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
  )
  try {
    const status = track(`${server.url}/status`)
    const redirect = track(`${server.url}/redirect`, { redirect: 'error' })
    const [a, b] = await Promise.all([next(status, 'error'), next(redirect, 'error')])
    assert.equal(a.message, 'Expected status 200, got 503 Busy\\x1b]0;pwned\\x07\\x1b[2J')
    assert.equal(b.code, 'redirect')
    // The raw server writes its text as UTF-8: U+009B goes out as C2 9B, which a header (Latin-1) reads as Â + CSI.
    assert.equal(b.message, "Refused a redirect to /x\u00c2\\u009b2J (redirect: 'error')")
    for (const message of [a.message, b.message]) assert.doesNotMatch(message, /[\x00-\x1f\x7f-\x9f]/)
  } finally {
    await server.close()
  }
})
