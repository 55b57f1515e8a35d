// Error events: API:error-event (docs/conformance.md; the README's Errors section: code, message, cause, response).
import { OPEN, msg, err, altOrigin, onOrigin, spyFetch, untilClosed, untilData, untilErrors, withoutCode } from './util.js'

/** The fields of an error event that every error must have. */
function checkShape(t, ev, es) {
  t.assert.equal(ev.type, 'error')
  t.assert.ok(ev instanceof Event, 'an Event')
  if (typeof MessageEvent !== 'undefined') t.assert.ok(!(ev instanceof MessageEvent), 'not a MessageEvent')
  t.assert.equal(ev.bubbles, false)
  t.assert.equal(ev.cancelable, false)
  t.assert.equal(ev.target, es)
  t.assert.equal(typeof ev.message, 'string')
  t.assert.ok(ev.message.length > 0, 'message is not empty')
}

export default [
  {
    rule: 'API:error-event',
    name: 'a bad status: code is the status number, response is the Response, CLOSED',
    async run(t) {
      const { url } = await t.script([{ status: 404, headers: { 'content-type': 'text/plain' }, body: ['nope'] }])
      const es = t.open(url)
      const ev = await t.waitFor(es, 'error')
      checkShape(t, ev, es)
      t.assert.equal(ev.code, 404)
      t.assert.equal(es.readyState, 2)
      t.assert.ok(ev.response instanceof Response, 'response is a Response')
      t.assert.equal(ev.response.status, 404)
      t.assert.equal(ev.response.url, url)
    },
  },
  {
    rule: 'API:error-event',
    name: 'a wrong content type: code invalid-content-type, with the response',
    async run(t) {
      const { url } = await t.script([{ headers: { 'content-type': 'application/json' }, body: ['{}'] }])
      const es = t.open(url)
      const ev = await t.waitFor(es, 'error')
      checkShape(t, ev, es)
      t.assert.equal(ev.code, 'invalid-content-type')
      t.assert.equal(es.readyState, 2)
      t.assert.equal(ev.response.status, 200)
      t.assert.equal(ev.response.headers.get('content-type'), 'application/json')
    },
  },
  {
    rule: 'API:error-event',
    name: 'a cross-origin response without CORS headers is a network error: CONNECTING and reconnecting, where EventSource stops',
    // Browsers only: Node, Deno and Bun do not check CORS (test/differences.test.js simulates the failure there).
    node: false,
    async run(t) {
      // A simple GET (Accept is safelisted): each attempt reaches the server, and the browser refuses the answer.
      const stream = { body: ['data: a\n\n'], end: 'hang' }
      const { url, key } = await t.script([stream, stream, stream])
      const es = t.open(onOrigin(url, altOrigin(t)), { retry: { initialDelay: 10, maxAttempts: 3 } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      t.assert.deepEqual(rec.records, [err(0, 'network'), err(0, 'network'), err(2, 'network')])
      t.assert.equal((await t.requests(key)).length, 3, 'attempts that reached the server')
    },
  },
  {
    rule: 'API:error-event',
    name: 'a refused connection: code network, a cause, no response, CONNECTING',
    async run(t) {
      const es = t.open('http://127.0.0.1:1/', { retry: { initialDelay: 5000 } })
      const ev = await t.waitFor(es, 'error')
      checkShape(t, ev, es)
      t.assert.equal(ev.code, 'network')
      t.assert.ok(ev.cause !== undefined && ev.cause !== null, 'has a cause')
      t.assert.equal(ev.response, undefined)
      t.assert.equal(es.readyState, 0)
    },
  },
  {
    rule: 'API:error-event',
    name: 'a fetch rejecting before any response: code network, cause is the rejection',
    async run(t) {
      const boom = new TypeError('socket hang up (simulated)')
      const es = t.open('http://127.0.0.1:9/x', { fetch: () => Promise.reject(boom), retry: { initialDelay: 5000 } })
      const ev = await t.waitFor(es, 'error')
      checkShape(t, ev, es)
      t.assert.equal(ev.code, 'network')
      t.assert.equal(ev.cause, boom)
      t.assert.equal(ev.response, undefined)
      t.assert.equal(es.readyState, 0)
    },
  },
  {
    rule: 'API:error-event',
    name: 'a connection cut after the headers: code connection-lost while CONNECTING',
    async run(t) {
      // The pause keeps the cut apart from the data: Bun's fetch drops bytes that arrive with the connection's end.
      const { url } = await t.script([{ body: ['data: a\n\n', 'data: par', { delay: 50 }], end: 'destroy' }])
      const es = t.open(url, { retry: { initialDelay: 5000 } })
      const records = await t.collect(es, { until: untilErrors(1) })
      t.assert.deepEqual(records.map(withoutCode), [OPEN, msg(t, 'a'), err(0)], 'open, the event, then an error while CONNECTING')
      t.assert.equal(records[2]?.code, 'connection-lost', 'the cut is reported as connection-lost')
    },
  },
  {
    rule: 'API:error-event',
    name: 'a clean end of the body: code stream-ended while CONNECTING, then the reconnect',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b') })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), err(0, 'stream-ended'), OPEN, msg(t, 'b')])
    },
  },
  {
    rule: 'API:error-event',
    name: 'a refused response: code response-rejected, cause is the thrown value, with the response',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'] }])
      const boom = new RangeError('not for me')
      const es = t.open(url, {
        onResponse() {
          throw boom
        },
      })
      const ev = await t.waitFor(es, 'error')
      checkShape(t, ev, es)
      t.assert.equal(ev.code, 'response-rejected')
      t.assert.equal(ev.cause, boom)
      t.assert.equal(ev.response.status, 200)
      t.assert.equal(es.readyState, 2)
    },
  },
  {
    rule: 'API:error-event',
    name: 'the error for a normal end of body is an Event with readyState CONNECTING',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 5000\n\ndata: a\n\n'] }])
      const es = t.open(url)
      const ev = await t.waitFor(es, 'error')
      t.assert.equal(ev.type, 'error')
      t.assert.ok(ev instanceof Event)
      t.assert.equal(ev.bubbles, false)
      t.assert.equal(ev.cancelable, false)
      t.assert.equal(es.readyState, 0)
    },
  },
  {
    rule: 'API:error-event',
    name: 'the error of the max-buffer-size, invalid-base64 and heartbeat cases carries a message',
    async run(t) {
      const cases = [
        [{ maxBufferSize: 10 }, ['data: ' + 'x'.repeat(50) + '\n\n'], 'max-buffer-size-exceeded', 2],
        [{ decodeBase64: true }, ['data: ***\n\n'], 'invalid-base64', 1],
        [{ heartbeatTimeout: 80, retry: { initialDelay: 5000 } }, [':\n'], 'heartbeat-timeout', 0],
      ]
      for (const [init, body, code, state] of cases) {
        const { url } = await t.script([{ body, end: 'hang' }])
        const es = t.open(url, init)
        const ev = await t.waitFor(es, 'error')
        checkShape(t, ev, es)
        t.assert.equal(ev.code, code)
        t.assert.equal(es.readyState, state, code)
        es.close()
      }
    },
  },
  {
    rule: 'API:error-event',
    name: 'an error listener sees the final state: CLOSED after a 204 at the end of a script',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilClosed })
      t.assert.deepEqual(records.slice(-1), [err(2, 204)])
    },
  },
]
