// Exact-bytes tests for e2e/server/sse-writer.js.

import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import http from 'node:http'
import { describe, test } from 'node:test'
import { SSE_HEADERS, SSEWriter, formatComment, formatEvent, lastEventId, newStream } from '../../e2e/server/sse-writer.js'

describe('formatEvent', () => {
  test('writes id, event, retry, data in that order, whatever the key order', () => {
    assert.equal(
      formatEvent({ data: 'hello', retry: 1000, event: 'tick', id: '7' }),
      'id: 7\nevent: tick\nretry: 1000\ndata: hello\n\n',
    )
  })

  test('each field alone', () => {
    assert.equal(formatEvent({ data: 'x' }), 'data: x\n\n')
    assert.equal(formatEvent({ id: 'a' }), 'id: a\n\n')
    assert.equal(formatEvent({ event: 'e' }), 'event: e\n\n')
    assert.equal(formatEvent({ retry: 0 }), 'retry: 0\n\n')
  })

  test('numeric ids are written in decimal', () => {
    assert.equal(formatEvent({ id: 42, data: '' }), 'id: 42\ndata:\n\n')
  })

  test('empty values have no trailing whitespace', () => {
    assert.equal(formatEvent({ id: '', event: '', data: '' }), 'id:\nevent:\ndata:\n\n')
  })

  test('splits data on CRLF, CR and LF into separate data lines', () => {
    assert.equal(formatEvent({ data: 'a\r\nb\rc\nd' }), 'data: a\ndata: b\ndata: c\ndata: d\n\n')
  })

  test('keeps empty lines, a trailing line break and leading spaces', () => {
    assert.equal(formatEvent({ data: 'hello\n\nworld' }), 'data: hello\ndata:\ndata: world\n\n')
    assert.equal(formatEvent({ data: 'a\n' }), 'data: a\ndata:\n\n')
    assert.equal(formatEvent({ data: ' x' }), 'data:  x\n\n')
    assert.equal(formatEvent({ data: '\r\n' }), 'data:\ndata:\n\n')
  })

  test('decodes Uint8Array data as UTF-8', () => {
    const bytes = new TextEncoder().encode('héllo\n€')
    assert.equal(formatEvent({ data: bytes.subarray(0) }), 'data: héllo\ndata: €\n\n')
    const view = new Uint8Array([0, 0x61, 0x62, 0]).subarray(1, 3)
    assert.equal(formatEvent({ data: view }), 'data: ab\n\n')
  })

  test('throws on CR or LF in id or event', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\r\nb', '\n']) {
      assert.throws(() => formatEvent({ id: bad, data: 'x' }), { name: 'TypeError', message: /id must not contain CR or LF/ })
      assert.throws(() => formatEvent({ event: bad, data: 'x' }), { name: 'TypeError', message: /event must not contain CR or LF/ })
    }
  })

  test('throws on NUL in id but allows it in event and data', () => {
    assert.throws(() => formatEvent({ id: 'a\0b' }), { name: 'TypeError', message: /id must not contain NUL/ })
    assert.equal(formatEvent({ event: 'a\0b', data: 'c\0d' }), 'event: a\0b\ndata: c\0d\n\n')
  })

  test('validates retry as a non-negative integer of ms', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60]) {
      assert.throws(() => formatEvent({ retry: bad }), { name: 'RangeError' })
    }
    assert.throws(() => formatEvent({ retry: /** @type {any} */ ('100') }), { name: 'TypeError' })
    assert.equal(formatEvent({ retry: 30000 }), 'retry: 30000\n\n')
  })

  test('rejects events with nothing to write and data of the wrong type', () => {
    assert.throws(() => formatEvent({}), /at least one of/)
    assert.throws(() => formatEvent(/** @type {any} */ (null)), TypeError)
    assert.throws(() => formatEvent({ data: /** @type {any} */ ({ a: 1 }) }), /data must be a string or Uint8Array/)
    assert.throws(() => formatEvent({ id: /** @type {any} */ ({}) }), /id must be a string/)
  })
})

describe('formatComment', () => {
  test('one comment line per line of text', () => {
    assert.equal(formatComment('hi'), ': hi\n')
    assert.equal(formatComment(''), ':\n')
    assert.equal(formatComment(), ':\n')
    assert.equal(formatComment('a\r\nb\nc\rd'), ': a\n: b\n: c\n: d\n')
    assert.equal(formatComment('x\n'), ': x\n:\n')
  })

  test('rejects non-strings', () => {
    assert.throws(() => formatComment(/** @type {any} */ (5)), TypeError)
  })
})

/**
 * A stand-in for ServerResponse that records calls, to count writes exactly.
 */
class FakeResponse extends EventEmitter {
  headersSent = false
  destroyed = false
  writableLength = 0
  /** @type {string[]} */ writes = []
  /** @type {[number, Record<string, unknown>] | null} */ head = null
  flushed = false
  ended = false
  /** @param {number} status @param {Record<string, unknown>} headers */
  writeHead(status, headers) {
    this.head = [status, headers]
    this.headersSent = true
  }
  flushHeaders() {
    this.flushed = true
  }
  /** @param {string} chunk */
  write(chunk) {
    this.writes.push(chunk)
    return true
  }
  end() {
    this.ended = true
  }
  destroy() {
    this.destroyed = true
    this.emit('close')
  }
}

describe('SSEWriter (unit)', () => {
  test('sets the stream headers, merges extra ones and flushes the head at once', () => {
    const res = new FakeResponse()
    newStream(/** @type {any} */ (res), { headers: { 'X-Extra': '1', 'Cache-Control': 'no-store' } })
    assert.deepEqual(res.head, [
      200,
      { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no', 'x-extra': '1' },
    ])
    assert.equal(res.flushed, true)
    assert.deepEqual(SSE_HEADERS, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' })
  })

  test('one write per event, comment and keep-alive', () => {
    const res = new FakeResponse()
    const w = new SSEWriter(/** @type {any} */ (res))
    assert.equal(w.writeEvent({ id: '1', event: 'a', data: 'x\ny' }), true)
    assert.equal(w.publish({ data: 'z' }), true)
    assert.equal(w.writeComment('note'), true)
    assert.equal(w.writeKeepAlive(), true)
    assert.deepEqual(res.writes, ['id: 1\nevent: a\ndata: x\ndata: y\n\n', 'data: z\n\n', ': note\n', ':\n'])
  })

  test('invalid events throw and write nothing', () => {
    const res = new FakeResponse()
    const w = new SSEWriter(/** @type {any} */ (res))
    assert.throws(() => w.writeEvent({ id: 'a\nb', data: 'x' }), TypeError)
    assert.deepEqual(res.writes, [])
  })

  test('refuses a response whose headers were already sent', () => {
    const res = new FakeResponse()
    res.headersSent = true
    assert.throws(() => new SSEWriter(/** @type {any} */ (res)), /already sent/)
  })

  test('close() ends once, aborts the signal, and later writes report false', () => {
    const res = new FakeResponse()
    const w = new SSEWriter(/** @type {any} */ (res))
    assert.equal(w.closed, false)
    assert.equal(w.signal.aborted, false)
    w.close()
    w.close()
    assert.equal(res.ended, true)
    assert.equal(w.closed, true)
    assert.equal(w.signal.aborted, true)
    assert.equal(w.writeEvent({ data: 'late' }), false)
    assert.equal(w.writeKeepAlive(), false)
    assert.deepEqual(res.writes, [])
  })

  test('disconnects a client whose unsent output exceeds maxBuffered', () => {
    const res = new FakeResponse()
    const w = new SSEWriter(/** @type {any} */ (res), { maxBuffered: 10 })
    res.writableLength = 11
    assert.equal(w.writeEvent({ data: 'x' }), false)
    assert.equal(res.destroyed, true)
    assert.equal(w.closed, true)
    assert.equal(w.writeEvent({ data: 'y' }), false)
  })
})

/**
 * Runs `handler` behind a real node:http server for one request and returns the raw response.
 * @param {(req: http.IncomingMessage, res: http.ServerResponse) => void} handler
 * @param {Record<string, string>} [requestHeaders]
 */
async function roundTrip(handler, requestHeaders = {}) {
  const server = http.createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: requestHeaders })
    const bytes = Buffer.from(await res.arrayBuffer())
    return { res, text: bytes.toString('utf8') }
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}

describe('SSEWriter over node:http', () => {
  test('exact headers and body bytes', async () => {
    const { res, text } = await roundTrip((req, res) => {
      const w = new SSEWriter(res, { headers: { 'x-trace': 'abc' } })
      w.writeComment('hello')
      w.writeEvent({ id: '1', event: 'greeting', retry: 2500, data: 'héllo\r\nwörld' })
      w.writeEvent({ data: '{"a":1}' })
      w.writeKeepAlive()
      w.close()
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/event-stream')
    assert.equal(res.headers.get('cache-control'), 'no-cache')
    assert.equal(res.headers.get('x-accel-buffering'), 'no')
    assert.equal(res.headers.get('x-trace'), 'abc')
    assert.equal(text, ': hello\nid: 1\nevent: greeting\nretry: 2500\ndata: héllo\ndata: wörld\n\ndata: {"a":1}\n\n:\n')
  })

  test('a custom status is honoured', async () => {
    const { res, text } = await roundTrip((req, res) => {
      new SSEWriter(res, { status: 201 }).close()
    })
    assert.equal(res.status, 201)
    assert.equal(text, '')
  })

  test('lastEventId reads the Last-Event-ID header, or gives an empty string', async () => {
    /** @type {string[]} */
    const seen = []
    const handler = (/** @type {http.IncomingMessage} */ req, /** @type {http.ServerResponse} */ res) => {
      seen.push(lastEventId(req))
      res.end()
    }
    await roundTrip(handler, { 'Last-Event-ID': 'evt-41' })
    await roundTrip(handler)
    assert.deepEqual(seen, ['evt-41', ''])
  })

  test('when the client goes away the writer closes and its signal aborts', async () => {
    const server = http.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      const ac = new AbortController()
      const requested = once(server, 'request')
      const responded = fetch(`http://127.0.0.1:${port}/`, { signal: ac.signal })
      const [, res] = await requested
      const w = new SSEWriter(res)
      const response = await responded
      assert.equal(response.status, 200)
      assert.equal(w.writeEvent({ data: 'one' }), true)
      ac.abort()
      await once(w.signal, 'abort')
      assert.equal(w.closed, true)
      assert.equal(w.writeEvent({ data: 'two' }), false)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
