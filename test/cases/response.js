// Response handling: rules C12-C20 of docs/conformance.md.
import { OPEN, msg, err, assertTrace, spyFetch, streamResponse, untilClosed, untilData, untilErrors, untilOpens, withoutCode } from './util.js'

const abortError = () => new DOMException('The operation was aborted.', 'AbortError')

const badStatuses = [201, 204, 205, 299, 400, 404, 500, 503].map((status) => ({
  rule: 'C14',
  name: `status ${status} fails the connection: CLOSED, one error, no reconnect`,
  async run(t) {
    const body = status === 204 || status === 205 ? [] : ['retry: 10\n\ndata: x\n\n']
    const { url, key } = await t.script([{ status, body }, { body: ['data: y\n\n'], end: 'hang' }])
    // A refused body is never parsed, so its `retry:` cannot shorten a wrongful reconnect: the option does, and a
    // reconnect that should not happen would then reach the server within the 100 ms watched below.
    const es = t.open(url, { retry: { initialDelay: 10 } })
    const rec = t.recorder(es)
    await rec.wait(untilClosed)
    await t.sleep(100)
    t.assert.deepEqual(rec.records, [err(2, status)])
    t.assert.equal(es.readyState, 2)
    t.assert.equal((await t.requests(key)).length, 1, 'requests')
  },
}))

const goodTypes = [
  'text/event-stream;',
  'text/event-stream; charset=anything',
  'text/event-stream;charset=utf-8;foo=bar',
  'text/event-stream ; x=y',
  'TEXT/EVENT-STREAM',
  'Text/Event-Stream; Charset=ISO-8859-1',
]
const badTypes = ['text/plain', 'text/event-streams', 'text/event-stream-x', 'text/html; charset=utf-8', 'application/octet-stream', 'event-stream', null]

export default [
  {
    rule: 'C12',
    name: 'an abort the source did not cause (fetch rejects with AbortError) fails the connection: code aborted',
    async run(t) {
      const fetch = spyFetch(() => Promise.reject(abortError()))
      const es = t.open('http://127.0.0.1:9/never', { fetch, retry: { initialDelay: 10 } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [err(2, 'aborted')])
      t.assert.equal(fetch.calls.length, 1, 'no reconnect')
    },
  },
  {
    rule: 'C12',
    name: 'a body aborted mid-stream by someone else fails the connection after the events before it',
    async run(t) {
      const fetch = spyFetch(() => Promise.resolve(streamResponse(['data: a\n\n', 'data: b\n\n'], { errorAtEnd: abortError() })))
      const es = t.open('http://127.0.0.1:9/never', { fetch, retry: { initialDelay: 10 } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed, 2000)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [OPEN, msg(t, 'a', { origin: 'http://127.0.0.1:9' }), msg(t, 'b', { origin: 'http://127.0.0.1:9' }), err(2, 'aborted')])
      t.assert.equal(fetch.calls.length, 1, 'no reconnect')
    },
  },
  {
    rule: 'C13',
    name: 'a network error (refused connection) reconnects: error with CONNECTING, then a new attempt',
    async run(t) {
      const fetch = spyFetch()
      // Port 1: refused (or, in browsers, blocked as unsafe): a network error either way.
      const es = t.open('http://127.0.0.1:1/', { fetch, retry: { initialDelay: 10 } })
      const rec = t.recorder(es)
      await rec.wait(untilErrors(2))
      t.assert.deepEqual(rec.records.slice(0, 2), [err(0, 'network'), err(0, 'network')])
      t.assert.ok(fetch.calls.length >= 2, `attempts: ${fetch.calls.length}`)
      t.assert.equal(es.readyState, 0)
    },
  },
  {
    rule: 'C13',
    name: 'a connection cut mid-stream reconnects with Last-Event-ID: code connection-lost',
    async run(t) {
      const { url, key } = await t.script([
        // The pause keeps the cut apart from the data: Bun's fetch drops bytes that arrive with the connection's end.
        { body: ['retry: 10\n\nid: 1\ndata: a\n\ndata: partial', { delay: 50 }], end: 'destroy' },
        { body: ['data: b\n\n'], end: 'hang' },
      ])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b') })
      t.assert.deepEqual(
        records.map(withoutCode),
        [OPEN, msg(t, 'a', { id: '1' }), err(0), OPEN, msg(t, 'b', { id: '1' })],
        'the event before the cut, an error while CONNECTING, the reconnected stream',
      )
      t.assert.equal(records[2]?.code, 'connection-lost', 'the cut is reported as connection-lost')
      t.assert.deepEqual((await t.requests(key)).map((r) => r.headers['last-event-id']), [undefined, '1'], 'the reconnect carries Last-Event-ID')
    },
  },
  ...['data:text/event-stream,data%3A%20a%0A%0A', 'ftp://127.0.0.1/x', 'file:///tmp/x', 'about:blank', 'ws://127.0.0.1:1/', 'blob:http://127.0.0.1/0a0a0a0a-0a0a-0a0a-0a0a-0a0a0a0a0a0a'].map((url) => ({
    rule: 'C13',
    name: `a non-HTTP(S) URL (${url.split(':')[0]}:) does not throw, then fails: unsupported-scheme with CLOSED`,
    exclusive: true,
    async run(t) {
      // The default fetch (no `fetch` option: a custom fetch may know other schemes), observed through
      // globalThis.fetch, which the source looks up at call time.
      const original = globalThis.fetch
      const fetch = spyFetch((input, init) => original.call(globalThis, input, init))
      globalThis.fetch = fetch
      t.cleanup(() => {
        globalThis.fetch = original
      })
      const es = t.open(url, { retry: { initialDelay: 10 } })
      t.assert.equal(es.url, new URL(url).href)
      t.assert.equal(es.readyState, 0, 'CONNECTING until the failure is announced')
      const rec = t.recorder(es)
      await rec.wait(untilClosed, 2000)
      await t.sleep(50)
      t.assert.deepEqual(rec.records, [err(2, 'unsupported-scheme')])
      t.assert.equal(fetch.calls.length, 0, 'fetch calls')
    },
  })),
  ...badStatuses,
  {
    rule: 'C14',
    name: 'a fatal status after an open connection: CONNECTING error, then CLOSED error, no more requests',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { status: 500, body: ['retry: 10\n\ndata: no\n\n'] }, { body: ['data: z\n\n'] }])
      const es = t.open(url)
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(100)
      assertTrace(t, rec.records, [OPEN, msg(t, 'a'), err(0), err(2, 500)])
      t.assert.equal((await t.requests(key)).length, 2)
    },
  },
  ...goodTypes.map((type) => ({
    rule: 'C15',
    name: `content type ${JSON.stringify(type)} is accepted`,
    async run(t) {
      const { url } = await t.script([{ headers: { 'content-type': type }, body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(url)
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a')])
    },
  })),
  ...badTypes.map((type) => ({
    rule: 'C15',
    name: `content type ${type === null ? '(none)' : JSON.stringify(type)} fails the connection`,
    async run(t) {
      const { url, key } = await t.script([{ headers: { 'content-type': type }, body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      // As for a refused status: the option makes a wrongful reconnect visible within the 100 ms watched below.
      const es = t.open(url, { retry: { initialDelay: 10 } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [err(2, 'invalid-content-type')])
      t.assert.equal((await t.requests(key)).length, 1)
    },
  })),
  {
    rule: 'C16',
    name: 'open: readyState OPEN, a plain Event without data, not bubbling, not cancelable',
    async run(t) {
      // Firefox resolves fetch() (and its own EventSource opens) only at the first body byte: send a comment.
      const { url } = await t.script([{ body: [':\n'], end: 'hang' }])
      const es = t.open(url)
      const ev = await t.waitFor(es, 'open')
      t.assert.equal(es.readyState, 1)
      t.assert.equal(ev.type, 'open')
      t.assert.ok(ev instanceof Event, 'an Event')
      if (typeof MessageEvent !== 'undefined') t.assert.ok(!(ev instanceof MessageEvent), 'not a MessageEvent')
      t.assert.ok(!('data' in ev), 'no data')
      t.assert.equal(ev.bubbles, false)
      t.assert.equal(ev.cancelable, false)
      t.assert.equal(ev.defaultPrevented, false)
      t.assert.equal(ev.target, es)
    },
  },
  {
    rule: 'C16',
    name: 'open is announced once per accepted response, before any message',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: [':\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilOpens(2) })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN])
    },
  },
  {
    rule: 'C17',
    name: 'a normal end of body: CONNECTING, error, then a new request with Last-Event-ID',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: 1\ndata: a\n\n'] },
        { body: ['data: b\n\n'], end: 'hang' },
      ])
      const es = t.open(url)
      let stateAtError
      es.addEventListener('error', () => {
        stateAtError ??= es.readyState
      })
      const records = await t.collect(es, { until: untilData('b') })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '1' }), err(0), OPEN, msg(t, 'b', { id: '1' })])
      t.assert.equal(stateAtError, 0)
      const reqs = await t.requests(key)
      t.assert.equal(reqs.length, 2)
      t.assert.equal(reqs[1].headers['last-event-id'], '1')
      t.assert.equal(reqs[1].headers.accept, 'text/event-stream')
    },
  },
  {
    rule: 'C17',
    name: 'an empty 200 body also reconnects',
    async run(t) {
      const { url, key } = await t.script([{ body: [] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url, { retry: { initialDelay: 10 } })
      const records = await t.collect(es, { until: untilData('b') })
      assertTrace(t, records, [OPEN, err(0), OPEN, msg(t, 'b')])
      t.assert.equal((await t.requests(key)).length, 2)
    },
  },
  {
    rule: 'C18',
    name: 'failing the connection fires exactly one error and never reconnects',
    async run(t) {
      const { url, key } = await t.script([{ status: 404, body: ['retry: 1\n\n'] }])
      const es = t.open(url, { retry: { initialDelay: 1 } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(200)
      t.assert.deepEqual(rec.records, [err(2, 404)])
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },
  {
    rule: 'C19',
    name: 'close() in a message handler: CLOSED at once; later events of the same chunk are dropped',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\ndata: b\n\nevent: x\ndata: c\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es, { types: ['x'] })
      let stateAfterClose
      const order = []
      es.addEventListener('message', (e) => {
        order.push('first:' + e.data)
        es.close()
        stateAfterClose = es.readyState
      })
      // A listener of the event being dispatched still runs (DOM dispatch is not interrupted).
      es.addEventListener('message', (e) => order.push('second:' + e.data))
      await rec.wait(2)
      await t.sleep(100)
      t.assert.equal(stateAfterClose, 2)
      t.assert.deepEqual(rec.records, [OPEN, msg(t, 'a')])
      t.assert.deepEqual(order, ['first:a', 'second:a'])
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },
  {
    rule: 'C19',
    name: 'close() while CONNECTING: no open, no message, no error',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      es.close()
      t.assert.equal(es.readyState, 2)
      await t.sleep(150)
      t.assert.deepEqual(rec.records, [])
      t.assert.ok((await t.requests(key)).length <= 1)
    },
  },
  {
    rule: 'C19',
    name: 'close() in the open handler: the first chunk\'s events are dropped',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      es.onopen = () => es.close()
      await rec.wait(1)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [OPEN], 'only the open event (recorded before the handler closed)')
      t.assert.equal(es.readyState, 2)
    },
  },
  {
    rule: 'C19',
    name: 'close() during the reconnection wait cancels the reconnect',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 80\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      await rec.wait(untilErrors(1))
      t.assert.equal(es.readyState, 0)
      es.close()
      t.assert.equal(es.readyState, 2)
      await t.sleep(250)
      assertTrace(t, rec.records, [OPEN, msg(t, 'a'), err(0)])
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },
  {
    rule: 'C19',
    name: 'close() in the error handler of a normal end cancels the reconnect',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 0\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      es.onerror = () => es.close()
      await rec.wait(untilErrors(1))
      await t.sleep(150)
      // the recorder listens before onerror, so it saw CONNECTING
      assertTrace(t, rec.records, [OPEN, msg(t, 'a'), err(0)])
      t.assert.equal(es.readyState, 2)
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },
  {
    rule: 'C20',
    name: 'the default reconnection time is a few seconds',
    timeout: 12000,
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      await rec.wait(untilErrors(1))
      const t0 = Date.now()
      await t.sleep(500)
      t.assert.equal((await t.requests(key)).length, 1, 'no reconnect within 500 ms')
      await rec.wait(untilData('b'), 8000)
      const elapsed = Date.now() - t0
      t.assert.ok(elapsed >= 1000 && elapsed <= 6000, `reconnected after ${elapsed} ms`)
      assertTrace(t, rec.records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b')])
    },
  },
  {
    rule: 'C20',
    name: 'a retry field replaces the reconnection time (short after long)',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 5000\n\ndata: a\n\nretry: 10\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b'), timeout: 2000 })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b')])
    },
  },
  {
    rule: 'C20',
    name: 'a later retry field replaces an earlier one (long after short)',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\nretry: 400\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      await rec.wait(untilErrors(1))
      const t0 = Date.now()
      await t.sleep(200)
      t.assert.equal((await t.requests(key)).length, 1, 'no reconnect within 200 ms')
      await rec.wait(untilData('b'), 3000)
      t.assert.ok(Date.now() - t0 >= 350, `reconnected after ${Date.now() - t0} ms`)
    },
  },
]
