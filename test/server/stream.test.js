// fetch-eventsource/server as a public API: exact bytes, backpressure, the output cap, keep-alive, and the
// web-standard variant streaming to FetchEventSource. Runs against the build (`npm run build`).

import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import http from 'node:http'
import { describe, test } from 'node:test'
import { SSE_HEADERS, formatComment, formatEvent, lastEventId, newStream, newWebStream } from '../../dist/server.js'
import { FetchEventSource } from '../../dist/index.js'

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
  writableNeedDrain = false
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
  get writableEnded() {
    return this.ended
  }
  destroy() {
    this.destroyed = true
    this.emit('close')
  }
}

describe('newStream (unit)', () => {
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

  test('one write per event, comment and keep-alive', async () => {
    const res = new FakeResponse()
    const w = newStream(/** @type {any} */ (res))
    assert.equal(w.send({ id: '1', event: 'a', data: 'x\ny' }), true)
    assert.equal(await w.publish({ data: 'z' }), true)
    assert.equal(w.comment('note'), true)
    assert.equal(w.comment(), true)
    assert.deepEqual(res.writes, ['id: 1\nevent: a\ndata: x\ndata: y\n\n', 'data: z\n\n', ': note\n', ':\n'])
  })

  test('invalid events throw and write nothing', () => {
    const res = new FakeResponse()
    const w = newStream(/** @type {any} */ (res))
    assert.throws(() => w.send({ id: 'a\nb', data: 'x' }), TypeError)
    // publish throws synchronously too: a fire-and-forget publish cannot become an unhandled rejection.
    assert.throws(() => w.publish({ event: 'a\rb', data: 'x' }), TypeError)
    assert.throws(() => w.publish({ id: 'a\0b', data: 'x' }), TypeError)
    assert.deepEqual(res.writes, [])
  })

  test('refuses a response whose headers were already sent', () => {
    const res = new FakeResponse()
    res.headersSent = true
    assert.throws(() => newStream(/** @type {any} */ (res)), /already sent/)
  })

  test('close() ends once, aborts the signal, and later writes report false', async () => {
    const res = new FakeResponse()
    const w = newStream(/** @type {any} */ (res))
    assert.equal(w.closed, false)
    assert.equal(w.signal.aborted, false)
    w.close()
    w.close()
    assert.equal(res.ended, true)
    assert.equal(w.closed, true)
    assert.equal(w.signal.aborted, true)
    assert.equal(w.send({ data: 'late' }), false)
    assert.equal(w.comment(), false)
    assert.equal(await w.publish({ data: 'late' }), false)
    assert.deepEqual(res.writes, [])
  })

  test('a response ended by other code (a timeout middleware) is closed for writing at once, before its close event', async () => {
    const res = new FakeResponse()
    const stream = newStream(/** @type {any} */ (res))
    res.end()
    // Writing to an ended node:http response is an unhandled 'error' event: the stream must not try.
    assert.deepEqual([stream.send({ data: 'late' }), await stream.publish({ data: 'later' }), stream.comment('x')], [false, false, false])
    assert.deepEqual([res.writes, stream.closed, stream.signal.aborted], [[], true, true])
  })

  test('a finished response ends the stream even before it closes', async () => {
    const res = new FakeResponse()
    const stream = newStream(/** @type {any} */ (res))
    res.emit('finish')
    assert.equal(stream.closed, true)
  })

  test('Uint8Array data keeps a leading BOM (it is data), and a number id must be finite', () => {
    assert.equal(formatEvent({ data: Uint8Array.of(0xef, 0xbb, 0xbf, 0x41) }), 'data: \ufeffA\n\n')
    assert.throws(() => formatEvent({ id: NaN, data: 'x' }), RangeError)
    assert.throws(() => formatEvent({ id: Infinity, data: 'x' }), RangeError)
  })

  test('maxBuffered defaults to 1 MiB: exactly 1 MiB unsent keeps the client, one byte more disconnects it', () => {
    const res = new FakeResponse()
    const w = newStream(/** @type {any} */ (res))
    res.writableLength = 1024 * 1024
    assert.equal(w.send({ data: 'x' }), true)
    assert.equal(res.destroyed, false)
    res.writableLength = 1024 * 1024 + 1
    assert.equal(w.send({ data: 'y' }), false)
    assert.deepEqual([res.destroyed, w.closed, w.signal.aborted], [true, true, true])
  })

  test('disconnects a client whose unsent output exceeds maxBuffered', () => {
    const res = new FakeResponse()
    const w = newStream(/** @type {any} */ (res), { maxBuffered: 10 })
    res.writableLength = 11
    assert.equal(w.send({ data: 'x' }), false)
    assert.equal(res.destroyed, true)
    assert.equal(w.closed, true)
    assert.equal(w.signal.aborted, true)
    assert.equal(w.send({ data: 'y' }), false)
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

describe('newStream over node:http', () => {
  test('exact headers and body bytes', async () => {
    const { res, text } = await roundTrip((req, res) => {
      const w = newStream(res, { headers: { 'x-trace': 'abc' } })
      w.comment('hello')
      w.send({ id: '1', event: 'greeting', retry: 2500, data: 'héllo\r\nwörld' })
      w.send({ data: '{"a":1}' })
      w.comment()
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
      newStream(res, { status: 201 }).close()
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
      const w = newStream(res)
      const response = await responded
      assert.equal(response.status, 200)
      assert.equal(w.send({ data: 'one' }), true)
      ac.abort()
      await once(w.signal, 'abort')
      assert.equal(w.closed, true)
      assert.equal(w.send({ data: 'two' }), false)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

/** A node:http server on 127.0.0.1 and a free port, running `handler`; `stop()` ends it and every connection. */
async function serve(/** @type {http.RequestListener} */ handler) {
  const server = http.createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Rejects after `ms` with `what`, so a test waiting on an event can never hang. */
function within(/** @type {Promise<any>} */ promise, /** @type {number} */ ms, /** @type {string} */ what) {
  /** @type {NodeJS.Timeout} */
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer))
}

describe('publish: backpressure', () => {
  test('a producer awaiting publish delivers 2,000 events of 4 KiB to a reader that stops for 1 s: all, in order, no cut', async () => {
    const COUNT = 2000
    const payload = (/** @type {number} */ i) => String(i).padStart(6, '0') + 'x'.repeat(4096 - 6)
    let published = 0
    let publishedWhenReaderResumed = -1
    let maxQueued = 0
    /** @type {Promise<void>} */
    let produced = Promise.resolve()
    const srv = await serve((req, res) => {
      const stream = newStream(res)
      produced = (async () => {
        for (let i = 0; i < COUNT; i++) {
          if (!(await stream.publish({ id: i, data: payload(i) }))) throw new Error(`stream ended at ${i}`)
          published++
          maxQueued = Math.max(maxQueued, res.writableLength)
        }
        stream.close()
      })()
    })
    try {
      const started = performance.now()
      const body = await within(
        new Promise((resolve, reject) => {
          http.get(srv.url, (res) => {
            /** @type {Buffer[]} */
            const chunks = []
            res.on('data', (c) => chunks.push(c))
            res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
            res.on('error', reject)
            res.on('aborted', () => reject(new Error('response cut')))
            // The reader stops reading for a second right after the head.
            res.pause()
            setTimeout(() => {
              publishedWhenReaderResumed = published
              res.resume()
            }, 1000)
          }).on('error', reject)
        }),
        30_000,
        'the slow reader to receive the whole stream',
      )
      await produced
      const events = body.split('\n\n').filter(Boolean)
      assert.equal(events.length, COUNT)
      for (let i = 0; i < COUNT; i++) assert.equal(events[i], `id: ${i}\ndata: ${payload(i)}`, `event ${i}`)
      // The producer was held back while the reader slept, and never queued near the 1 MiB cap.
      // (the kernel's socket buffers take a few MiB before publish has to wait, so only "not all of them" is certain)
      assert.ok(publishedWhenReaderResumed > 0 && publishedWhenReaderResumed < COUNT, `published ${publishedWhenReaderResumed} before the reader resumed`)
      // The README says "at most ~12 KiB queued in user space" (12,363 B measured). publish resolves only once the
      // output is below the response's high-water mark (16 KiB), so at most one more event can be queued on top.
      const eventBytes = formatEvent({ id: COUNT - 1, data: payload(COUNT - 1) }).length
      assert.ok(maxQueued < 16 * 1024 + eventBytes, `queued up to ${maxQueued} bytes`)
      console.log(`# 2,000 x 4 KiB to a reader paused 1 s: ${Math.round(performance.now() - started)} ms, ${publishedWhenReaderResumed} published during the pause, max queued ${maxQueued} B`)
    } finally {
      await srv.stop()
    }
  })

  test('without awaiting, the output cap cuts a reader that never reads, and the signal aborts', async () => {
    /** @type {import('../../dist/server.js').EventStream | undefined} */
    let stream
    const srv = await serve((req, res) => {
      stream = newStream(res, { maxBuffered: 256 * 1024 })
    })
    const req = http.get(srv.url)
    try {
      const [res] = await within(once(req, 'response'), 5000, 'response head')
      res.pause()
      const s = /** @type {import('../../dist/server.js').EventStream} */ (stream)
      let sent = 0
      while (s.send({ data: 'y'.repeat(16 * 1024) })) sent++
      assert.equal(s.closed, true)
      assert.equal(s.signal.aborted, true)
      assert.ok(sent > 0 && sent < 1000, `sent ${sent} events before the cut`)
      assert.equal(await s.publish({ data: 'after' }), false)
    } finally {
      req.destroy()
      await srv.stop()
    }
  })

  test('keepAlive writes a bare comment on its timer and stops with the stream', async () => {
    const srv = await serve((req, res) => {
      const stream = newStream(res, { keepAlive: 30 })
      setTimeout(() => stream.close(), 200)
    })
    try {
      const res = await fetch(srv.url)
      const text = await within(res.text(), 5000, 'stream end')
      const beats = text.split('\n').filter(Boolean)
      assert.ok(beats.length >= 3, `saw ${beats.length} keep-alives`)
      assert.ok(beats.every((l) => l === ':'), JSON.stringify(text))
    } finally {
      await srv.stop()
    }
    assert.throws(() => newStream(/** @type {any} */ (new FakeResponse()), { keepAlive: 0 }), RangeError)
  })

  test('lastEventId also reads a fetch Request', () => {
    assert.equal(lastEventId(new Request('http://x/', { headers: { 'Last-Event-ID': '9' } })), '9')
    assert.equal(lastEventId(new Request('http://x/')), '')
  })
})

describe('newWebStream', () => {
  /** A fetch-style route handler, the shape Hono, Deno.serve, Bun.serve and route handlers use. */
  const handler = (/** @type {Request} */ request) => {
    const stream = newWebStream({ signal: request.signal, headers: { 'x-route': 'web' } })
    const from = Number(lastEventId(request) || 0)
    ;(async () => {
      await stream.publish({ retry: 20 })
      for (let i = from + 1; i <= from + 3; i++) await stream.publish({ id: i, event: 'tick', data: `t${i}` })
      stream.close()
    })()
    return stream.response
  }

  test('streams to FetchEventSource, which resumes with Last-Event-ID', async () => {
    const source = new FetchEventSource('http://route.invalid/ticks', {
      fetch: async (input, init) => handler(new Request(input, init)),
    })
    const seen = /** @type {string[]} */ ([])
    try {
      await within(
        new Promise((resolve) => {
          source.addEventListener('tick', (event) => {
            seen.push(`${event.lastEventId}:${event.data}`)
            if (seen.length === 6) resolve(undefined)
          })
        }),
        5000,
        'six ticks over two connections',
      )
    } finally {
      source.close()
    }
    assert.deepEqual(seen, ['1:t1', '2:t2', '3:t3', '4:t4', '5:t5', '6:t6'])
  })

  test('the Response has the stream head; publish waits for the reader and the cap cuts one that never reads', async () => {
    const stream = newWebStream({ highWaterMark: 1024, maxBuffered: 8 * 1024 })
    assert.equal(stream.response.status, 200)
    assert.equal(stream.response.headers.get('content-type'), 'text/event-stream')
    assert.equal(stream.response.headers.get('cache-control'), 'no-cache')
    const reader = /** @type {ReadableStream<Uint8Array>} */ (stream.response.body).getReader()
    let settled = false
    const pending = stream.publish({ data: 'z'.repeat(2000) }).then((v) => ((settled = true), v))
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(settled, false, 'publish resolved while the queue was over its high-water mark')
    const first = await reader.read()
    assert.equal(new TextDecoder().decode(first.value), `data: ${'z'.repeat(2000)}\n\n`)
    assert.equal(await within(pending, 1000, 'publish after the read'), true)
    let sent = 0
    while (stream.send({ data: 'q'.repeat(1000) })) sent++
    assert.equal(sent, 8)
    assert.equal(stream.closed, true)
    assert.equal(stream.signal.aborted, true)
    await assert.rejects(reader.read(), /too slow/)
  })

  test('cancelling the body (the client left) closes the stream; request.signal does too', async () => {
    const a = newWebStream()
    await /** @type {ReadableStream} */ (a.response.body).cancel()
    assert.equal(a.closed, true)
    assert.equal(await a.publish({ data: 'x' }), false)
    const ac = new AbortController()
    const b = newWebStream({ signal: ac.signal })
    ac.abort()
    assert.equal(b.closed, true)
    assert.equal(b.signal.aborted, true)
  })
})
