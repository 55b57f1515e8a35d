// Extensions: the options' API rows of docs/conformance.md (the README's Options table, FetchEventSourceInit).
import { OPEN, msg, err, END, endMsg, altOrigin, assertTrace, b64utf8, onOrigin, spyFetch, streamResponse, untilClosed, untilData, untilErrors, utf8AsLatin1 } from './util.js'

const retryFast = { initialDelay: 10 }

export default [
  // ---- method / body ----
  {
    rule: 'API:method',
    name: 'method POST with a string body, sent on every attempt',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url, { method: 'POST', body: '{"q":1}', headers: { 'content-type': 'application/json' } })
      const records = await t.collect(es, { until: untilData('b') })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b')])
      const reqs = await t.requests(key)
      t.assert.deepEqual(
        reqs.map((r) => [r.method, r.body, r.headers['content-type'], r.headers.accept]),
        [
          ['POST', '{"q":1}', 'application/json', 'text/event-stream'],
          ['POST', '{"q":1}', 'application/json', 'text/event-stream'],
        ],
      )
    },
  },
  {
    rule: 'API:method',
    name: 'GET is the default; other methods (PUT) are used as given',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(url, { method: 'PUT', body: 'x' })
      await t.collect(es, { count: 2 })
      const [r] = await t.requests(key)
      t.assert.deepEqual([r.method, r.body], ['PUT', 'x'])
    },
  },
  {
    rule: 'API:method',
    name: 'a POST redirected by 307 stays a POST with its body; by 303 it becomes a GET',
    async run(t) {
      const final = await t.script([{ body: ['data: a\n\n'], end: 'hang' }, { body: ['data: b\n\n'], end: 'hang' }])
      const r307 = await t.script([{ status: 307, redirect: final.url }])
      const r303 = await t.script([{ status: 303, redirect: final.url }])
      const a = t.open(r307.url, { method: 'POST', body: 'payload' })
      t.assert.deepEqual(await t.collect(a, { count: 2 }), [OPEN, msg(t, 'a')])
      a.close()
      const b = t.open(r303.url, { method: 'POST', body: 'payload' })
      t.assert.deepEqual(await t.collect(b, { count: 2 }), [OPEN, msg(t, 'b')])
      const reqs = await t.requests(final.key)
      t.assert.deepEqual(reqs.map((r) => [r.method, r.body]), [['POST', 'payload'], ['GET', '']])
    },
  },
  {
    rule: 'API:method',
    name: 'a POST redirected by 301 or 302 becomes a GET without its body; by 308 it stays a POST with its body',
    async run(t) {
      const statuses = [301, 302, 308]
      // The target's responses end (no 'hang'): in Firefox a followed-then-aborted POST to a hanging response kept
      // its connection, and with six per host taken the next case's requests queued for good.
      const final = await t.script(statuses.map((status) => ({ body: [`retry: 60000\n\ndata: ${status}\n\n`] })))
      for (const status of statuses) {
        const first = await t.script([{ status, redirect: final.url }])
        const es = t.open(first.url, { method: 'POST', body: 'payload' })
        t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, String(status))], `${status}`)
        es.close()
      }
      const reqs = await t.requests(final.key)
      t.assert.deepEqual(reqs.map((r) => [r.method, r.body]), [['GET', ''], ['GET', ''], ['POST', 'payload']])
    },
  },
  // ---- redirect ----
  ...[301, 302, 303, 307, 308].map((status) => ({
    rule: 'API:redirect',
    name: `redirect 'error' refuses a ${status}: CLOSED with code redirect, and the target sees no request`,
    async run(t) {
      const final = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const first = await t.script([{ status, redirect: final.url }])
      const es = t.open(first.url, { redirect: 'error', method: 'POST', body: 'secret', headers: { 'x-api-key': 'k' } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [err(2, 'redirect')])
      t.assert.equal((await t.requests(first.key)).length, 1, 'requests to the redirecting URL')
      t.assert.deepEqual(await t.requests(final.key), [], 'requests to the target')
    },
  })),
  {
    rule: 'API:redirect',
    name: "redirect 'error' refuses a cross-origin redirect too; the target sees no request",
    async run(t) {
      const final = await t.script([{ body: ['data: a\n\n'], end: 'hang', cors: true }])
      const first = await t.script([{ status: 307, redirect: onOrigin(final.url, altOrigin(t)) }])
      const es = t.open(first.url, { redirect: 'error', headers: { 'x-api-key': 'k' } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [err(2, 'redirect')])
      t.assert.deepEqual(await t.requests(final.key), [], 'requests to the target')
      t.assert.deepEqual(await t.requests(final.key, { preflight: true }), [], 'preflights to the target')
    },
  },
  {
    rule: 'API:redirect',
    name: "redirect 'error' goes through shouldRetry: true retries the redirecting URL, never the target",
    async run(t) {
      const final = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const first = await t.script([{ status: 307, redirect: final.url }, { status: 307, redirect: final.url }, { body: ['data: direct\n\n'], end: 'hang' }])
      const codes = []
      const es = t.open(first.url, { redirect: 'error', retry: { initialDelay: 10, shouldRetry: (e) => (codes.push(e.code), true) } })
      const records = await t.collect(es, { until: untilData('direct') })
      t.assert.deepEqual(records, [err(0, 'redirect'), err(0, 'redirect'), OPEN, msg(t, 'direct')])
      t.assert.deepEqual(codes, ['redirect', 'redirect'])
      t.assert.deepEqual(await t.requests(final.key), [])
    },
  },
  // ---- invalid requests: a headers or body function that fails is a programming error ----
  {
    rule: 'API:headers',
    name: 'a headers function that throws: one invalid-request error, CLOSED, no request',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const boom = new Error('no token')
      const es = t.open(url, { headers: () => { throw boom }, retry: retryFast })
      const rec = t.recorder(es)
      let error
      es.addEventListener('error', (event) => (error = event))
      await rec.wait(untilClosed)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [err(2, 'invalid-request')])
      t.assert.equal(error.cause, boom)
      t.assert.match(error.message, /headers function failed: no token/)
      t.assert.deepEqual(await t.requests(key), [], 'requests')
    },
  },
  {
    rule: 'API:headers',
    name: 'a headers function returning an invalid header: invalid-request, CLOSED, no request',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(url, { headers: async () => ({ 'bad name': 'x' }), retry: retryFast })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [err(2, 'invalid-request')])
      t.assert.deepEqual(await t.requests(key), [], 'requests')
    },
  },
  {
    rule: 'API:body',
    name: 'a body function that rejects, or returns a body for GET: invalid-request, CLOSED, no request; shouldRetry is asked',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const asked = []
      const a = t.open(url, { method: 'POST', body: async () => Promise.reject(new Error('gone')), retry: { shouldRetry: (e, n) => (asked.push([e.code, n]), false) } })
      const b = t.open(url, { body: () => 'not for GET', retry: retryFast })
      const recA = t.recorder(a)
      const recB = t.recorder(b)
      await Promise.all([recA.wait(untilClosed), recB.wait(untilClosed)])
      await t.sleep(100)
      t.assert.deepEqual([recA.records, recB.records], [[err(2, 'invalid-request')], [err(2, 'invalid-request')]])
      t.assert.deepEqual(asked, [['invalid-request', 1]])
      t.assert.deepEqual(await t.requests(key), [], 'requests')
    },
  },
  {
    rule: 'API:body',
    name: 'a body function is called once per attempt (sync and async)',
    async run(t) {
      for (const make of [(n) => `attempt ${n}`, async (n) => `attempt ${n}`]) {
        const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
        let calls = 0
        const es = t.open(url, { method: 'POST', body: () => make(++calls) })
        await t.collect(es, { until: untilData('b') })
        t.assert.equal(calls, 2, 'body() calls')
        t.assert.deepEqual((await t.requests(key)).map((r) => r.body), ['attempt 1', 'attempt 2'])
        es.close()
      }
    },
  },
  {
    rule: 'API:body',
    name: 'body accepts other BodyInit types (URLSearchParams, Blob, Uint8Array)',
    async run(t) {
      const bodies = [new URLSearchParams({ a: '1', b: 'é' }), new Blob(['blob body']), new TextEncoder().encode('bytes é')]
      const expected = ['a=1&b=%C3%A9', 'blob body', 'bytes é']
      for (let i = 0; i < bodies.length; i++) {
        const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
        const es = t.open(url, { method: 'POST', body: bodies[i] })
        await t.collect(es, { count: 2 })
        const [r] = await t.requests(key)
        t.assert.equal(r.body, expected[i])
        es.close()
      }
    },
  },
  {
    rule: 'API:body',
    name: 'a body function may return a one-shot ReadableStream per attempt',
    browser: false, // browsers need HTTP/2 for streaming uploads
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      let calls = 0
      const body = () => {
        const n = ++calls
        return new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(`stream ${n}`))
            c.close()
          },
        })
      }
      const es = t.open(url, { method: 'POST', body })
      await t.collect(es, { until: untilData('b') })
      t.assert.equal(calls, 2)
      t.assert.deepEqual((await t.requests(key)).map((r) => r.body), ['stream 1', 'stream 2'])
    },
  },

  // ---- headers ----
  {
    rule: 'API:headers',
    name: 'headers as an object, a Headers and an array of pairs are sent, with Accept added',
    async run(t) {
      const forms = [{ 'X-Token': 'a1', 'x-other': 'b' }, new Headers({ 'X-Token': 'a1', 'x-other': 'b' }), [['X-Token', 'a1'], ['x-other', 'b']]]
      for (const headers of forms) {
        const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
        const es = t.open(url, { headers })
        await t.collect(es, { count: 2 })
        const [r] = await t.requests(key)
        t.assert.deepEqual([r.headers['x-token'], r.headers['x-other'], r.headers.accept], ['a1', 'b', 'text/event-stream'])
        es.close()
      }
    },
  },
  {
    rule: 'API:headers',
    name: 'a headers function is called before every (re)connection',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\ndata: a\n\n'] },
        { body: ['data: b\n\n'] },
        { body: ['data: c\n\n'], end: 'hang' },
      ])
      let calls = 0
      const es = t.open(url, { headers: () => ({ 'x-attempt': String(++calls) }) })
      const records = await t.collect(es, { until: untilData('c') })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b'), err(0), OPEN, msg(t, 'c')])
      t.assert.equal(calls, 3, 'headers() calls')
      const reqs = await t.requests(key)
      t.assert.deepEqual(reqs.map((r) => [r.headers['x-attempt'], r.headers.accept]), [
        ['1', 'text/event-stream'],
        ['2', 'text/event-stream'],
        ['3', 'text/event-stream'],
      ])
    },
  },
  {
    rule: 'API:headers',
    name: 'an async headers function (fresh token per attempt) returning a Headers',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      let calls = 0
      const headers = async () => {
        await new Promise((r) => setTimeout(r, 5))
        return new Headers({ authorization: `Bearer t${++calls}` })
      }
      const es = t.open(url, { headers })
      await t.collect(es, { until: untilData('b') })
      t.assert.equal(calls, 2)
      t.assert.deepEqual((await t.requests(key)).map((r) => r.headers.authorization), ['Bearer t1', 'Bearer t2'])
    },
  },
  {
    rule: 'API:headers',
    name: 'an Accept set by the caller is not overridden (any case of the name)',
    async run(t) {
      for (const headers of [{ Accept: 'application/json' }, { accept: 'text/event-stream, */*;q=0.1' }, new Headers({ ACCEPT: 'x/y' })]) {
        const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
        const es = t.open(url, { headers })
        await t.collect(es, { count: 2 })
        const [r] = await t.requests(key)
        t.assert.equal(r.headers.accept, new Headers(headers).get('accept'))
        es.close()
      }
    },
  },

  // ---- lastEventId option ----
  {
    rule: 'API:lastEventId-option',
    name: 'lastEventId is sent on the first request, then replaced by the stream\'s ids',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\ndata: a\n\n'] },
        { body: ['id: 43\ndata: b\n\n'] },
        { body: ['data: c\n\n'], end: 'hang' },
      ])
      const es = t.open(url, { lastEventId: '42' })
      t.assert.equal(es.lastEventId, '42')
      const records = await t.collect(es, { until: untilData('c') })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '42' }), err(0), OPEN, msg(t, 'b', { id: '43' }), err(0), OPEN, msg(t, 'c', { id: '43' })])
      t.assert.deepEqual((await t.requests(key)).map((r) => r.headers['last-event-id']), ['42', '42', '43'])
    },
  },
  {
    rule: 'API:lastEventId-option',
    name: 'a non-ASCII lastEventId is sent as UTF-8; an empty one sends nothing',
    async run(t) {
      const a = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(a.url, { lastEventId: 'é€😀' })
      await t.collect(es, { count: 2 })
      t.assert.equal((await t.requests(a.key))[0].headers['last-event-id'], utf8AsLatin1('é€😀'), 'the non-ASCII id arrives as its UTF-8 bytes')
      es.close()
      const b = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es2 = t.open(b.url, { lastEventId: '' })
      await t.collect(es2, { count: 2 })
      t.assert.ok(!('last-event-id' in (await t.requests(b.key))[0].headers), 'no header for an empty id')
    },
  },
  {
    rule: 'API:lastEventId-option',
    name: 'a lastEventId with CR, LF or NUL throws TypeError at construction',
    async run(t) {
      const { url, key } = await t.script([])
      for (const bad of ['a\nb', 'a\rb', 'a\u0000b', '\n']) {
        t.assert.throws(() => new t.ES(url, { lastEventId: bad }), TypeError, JSON.stringify(bad))
      }
      await t.sleep(30)
      t.assert.deepEqual(await t.requests(key), [])
    },
  },

  // ---- onResponse / assertEventStream ----
  {
    rule: 'API:onResponse',
    name: 'onResponse replaces the default check: a text/plain 200 is accepted',
    async run(t) {
      const { url } = await t.script([{ headers: { 'content-type': 'text/plain' }, body: ['data: a\n\n'], end: 'hang' }])
      const seen = []
      const es = t.open(url, {
        onResponse(res) {
          seen.push([res instanceof Response, res.status, res.headers.get('content-type'), res.bodyUsed])
        },
      })
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a')])
      t.assert.deepEqual(seen, [[true, 200, 'text/plain', false]])
    },
  },
  {
    rule: 'API:onResponse',
    name: 'onResponse replaces the status check too: an accepted 201 is read',
    async run(t) {
      const { url } = await t.script([{ status: 201, body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(url, { onResponse() {} })
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a')])
    },
  },
  {
    rule: 'API:onResponse',
    name: 'onResponse is called for every response and awaited before open',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const order = []
      const es = t.open(url, {
        async onResponse(res) {
          order.push('onResponse:start:' + res.status)
          await new Promise((r) => setTimeout(r, 30))
          order.push('onResponse:end')
        },
      })
      es.addEventListener('open', () => order.push('open'))
      es.addEventListener('message', (e) => order.push('message:' + e.data))
      await t.collect(es, { until: untilData('b') })
      t.assert.deepEqual(order, [
        'onResponse:start:200', 'onResponse:end', 'open', 'message:a',
        'onResponse:start:200', 'onResponse:end', 'open', 'message:b',
      ])
    },
  },
  {
    rule: 'API:onResponse',
    name: 'onResponse throwing refuses the response: error response-rejected, CLOSED, no reconnect',
    async run(t) {
      for (const kind of ['throw', 'reject']) {
        const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
        const boom = new Error('refused by test')
        const es = t.open(url, {
          onResponse: kind === 'throw' ? () => { throw boom } : async () => { throw boom },
        })
        const rec = t.recorder(es)
        const ev = await t.waitFor(es, 'error')
        await t.sleep(100)
        t.assert.deepEqual(rec.records, [err(2, 'response-rejected')], kind)
        t.assert.equal(ev.cause, boom, 'cause')
        t.assert.ok(ev.response instanceof Response && ev.response.status === 200, 'response')
        t.assert.equal((await t.requests(key)).length, 1)
        es.close()
      }
    },
  },
  {
    rule: 'API:onResponse',
    name: 'onResponse calling assertEventStream refuses a 404',
    async run(t) {
      const { url, key } = await t.script([{ status: 404 }])
      const calls = []
      const es = t.open(url, {
        onResponse(res) {
          calls.push(res.status)
          t.lib.assertEventStream(res)
        },
      })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(50)
      t.assert.deepEqual(calls, [404])
      t.assert.equal(rec.records.length, 1)
      t.assert.equal(rec.records[0].readyState, 2)
      // assertEventStream throws a FetchEventSourceError carrying the status: onResponse's refusal keeps that code.
      t.assert.equal(rec.records[0].code, 404)
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },
  {
    rule: 'API:assertEventStream',
    name: 'assertEventStream accepts 200 text/event-stream and throws otherwise',
    async run(t) {
      const { assertEventStream } = t.lib
      const mk = (status, type) => new Response(status === 204 ? null : '', { status, headers: type === null ? {} : { 'content-type': type } })
      for (const type of ['text/event-stream', 'text/event-stream; charset=utf-8', 'TEXT/Event-Stream;']) {
        assertEventStream(mk(200, type))
      }
      // Exactly the error the source reports: a FetchEventSourceError whose code is the status, or invalid-content-type.
      const refusal = (code) => (e) => e instanceof t.lib.FetchEventSourceError && e.code === code
      for (const [status, type, code] of [
        [404, 'text/event-stream', 404],
        [201, 'text/event-stream', 201],
        [204, 'text/event-stream', 204],
        [200, 'text/plain', 'invalid-content-type'],
        [200, 'text/event-streams', 'invalid-content-type'],
      ]) {
        t.assert.throws(() => assertEventStream(mk(status, type)), refusal(code), `${status} ${type}`)
      }
      const noType = new Response(new Uint8Array([1]), { status: 200 })
      noType.headers.delete('content-type')
      t.assert.throws(() => assertEventStream(noType), refusal('invalid-content-type'), 'no content type')
    },
  },

  // ---- maxBufferSize ----
  {
    rule: 'API:maxBufferSize',
    name: 'an event over maxBufferSize: earlier events delivered, then max-buffer-size-exceeded, CLOSED, no reconnect',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\ndata: ' + 'x'.repeat(500) + '\n\ndata: b\n\n'] }, { body: ['data: c\n\n'], end: 'hang' }])
      const es = t.open(url, { maxBufferSize: 100 })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [OPEN, msg(t, 'a'), err(2, 'max-buffer-size-exceeded')])
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },
  {
    rule: 'API:maxBufferSize',
    name: 'a pending line over maxBufferSize fails although no line ending arrives',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n', { delay: 20 }, 'data: ' + 'y'.repeat(300), { delay: 20 }, 'y'.repeat(300)], end: 'hang' }])
      const es = t.open(url, { maxBufferSize: 100 })
      const records = await t.collect(es, { until: untilClosed })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), err(2, 'max-buffer-size-exceeded')])
    },
  },
  {
    rule: 'API:maxBufferSize',
    name: 'short lines adding up to an event over maxBufferSize fail too',
    async run(t) {
      const line = 'data: ' + 'z'.repeat(40) + '\n'
      const { url } = await t.script([{ body: ['data: a\n\n' + line.repeat(5) + '\n'], end: 'hang' }])
      const es = t.open(url, { maxBufferSize: 100 })
      const records = await t.collect(es, { until: untilClosed })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), err(2, 'max-buffer-size-exceeded')])
    },
  },
  {
    rule: 'API:maxBufferSize',
    name: 'events within maxBufferSize pass, split across many chunks',
    async run(t) {
      const data = 'w'.repeat(60)
      const body = []
      for (let i = 0; i < 5; i++) body.push('data: ' + data.slice(0, 30), { delay: 5 }, data.slice(30) + '\n\n')
      const { url } = await t.script([{ body: [...body, END], end: 'hang' }])
      const es = t.open(url, { maxBufferSize: 100 })
      const records = await t.collect(es, { until: untilData('END') })
      t.assert.deepEqual(records, [OPEN, ...Array(5).fill(msg(t, data)), endMsg(t)])
    },
  },
  {
    rule: 'API:maxBufferSize',
    name: 'the default limit takes a 3 MiB event; Infinity turns the limit off',
    timeout: 20000,
    async run(t) {
      const n = 3 * 1024 * 1024
      for (const init of [undefined, { maxBufferSize: Infinity }]) {
        const { url } = await t.script([{ body: ['data: ', { repeat: 'x', times: n }, '\n\n'], end: 'hang' }])
        const es = init ? t.open(url, init) : t.open(url)
        const ev = await t.waitFor(es, 'message', 15000)
        t.assert.equal(ev.data.length, n)
        t.assert.ok(ev.data === 'x'.repeat(n), 'data intact')
        t.assert.equal(es.readyState, 1)
        es.close()
      }
    },
  },
  {
    rule: 'API:maxBufferSize',
    name: 'invalid maxBufferSize values throw TypeError',
    async run(t) {
      const { url } = await t.script([])
      for (const bad of [-1, NaN, 'abc', -Infinity]) {
        t.assert.throws(() => new t.ES(url, { maxBufferSize: bad }), TypeError, String(bad))
      }
    },
  },

  // ---- decodeBase64 ----
  {
    rule: 'API:decodeBase64',
    name: 'decodeBase64 decodes each event\'s data to UTF-8 text (multi-byte included)',
    async run(t) {
      const texts = ['hello', 'héllo €😀', 'line1\nline2', '']
      const body = texts.map((s, i) => `id: ${i}\nevent: ${i % 2 ? 'named' : 'message'}\ndata: ${b64utf8(s)}\n\n`).join('')
      const { url } = await t.script([{ body: [body], end: 'hang' }])
      const es = t.open(url, { decodeBase64: true })
      const records = await t.collect(es, { count: 5, types: ['named'] })
      t.assert.deepEqual(records, [
        OPEN,
        msg(t, 'hello', { id: '0' }),
        msg(t, 'héllo €😀', { id: '1', type: 'named' }),
        msg(t, 'line1\nline2', { id: '2' }),
        msg(t, '', { id: '3', type: 'named' }),
      ])
    },
  },
  {
    rule: 'API:decodeBase64',
    name: 'an undecodable event: invalid-base64 error while OPEN, later events still arrive',
    async run(t) {
      const { url } = await t.script([{ body: [`data: ${b64utf8('a')}\n\nid: 5\ndata: !!not base64!!\n\ndata: ${b64utf8('ok')}\n\n`], end: 'hang' }])
      const es = t.open(url, { decodeBase64: true })
      const records = await t.collect(es, { count: 4 })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), err(1, 'invalid-base64'), msg(t, 'ok', { id: '5' })])
      t.assert.equal(es.readyState, 1)
    },
  },

  // ---- fetch ----
  {
    rule: 'API:fetch',
    name: 'a custom fetch is called for every attempt with the request',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const fetch = spyFetch()
      const es = t.open(url, { fetch, headers: { 'x-a': '1' } })
      await t.collect(es, { until: untilData('b') })
      t.assert.equal(fetch.calls.length, 2)
      t.assert.equal((await t.requests(key)).length, 2)
      for (const { request } of fetch.calls) {
        t.assert.equal(request.url, url)
        t.assert.equal(request.method, 'GET')
        t.assert.equal(request.headers.get('accept'), 'text/event-stream')
        t.assert.equal(request.headers.get('x-a'), '1')
        t.assert.ok(request.signal instanceof AbortSignal, 'has a signal')
      }
      t.assert.equal(fetch.calls[1].request.headers.get('last-event-id'), null)
    },
  },
  {
    rule: 'API:fetch',
    name: 'a synthetic Response with an empty url: origin is the request URL\'s origin',
    async run(t) {
      const fetch = spyFetch(() => Promise.resolve(streamResponse(['id: 1\ndata: hi\n\n'], { hang: true })))
      const es = t.open('http://example.invalid:8080/stream?x', { fetch })
      const records = await t.collect(es, { count: 2 })
      t.assert.deepEqual(records, [OPEN, msg(t, 'hi', { id: '1', origin: 'http://example.invalid:8080' })])
    },
  },
  {
    rule: 'API:fetch',
    name: 'a fetch that is not a function throws TypeError',
    async run(t) {
      const { url } = await t.script([])
      for (const bad of ['fetch', {}, 42, true]) {
        t.assert.throws(() => new t.ES(url, { fetch: bad }), TypeError, String(bad))
      }
    },
  },
  {
    rule: 'API:fetch',
    name: 'the default fetch is globalThis.fetch, looked up at call time',
    exclusive: true,
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const original = globalThis.fetch
      const fetch = spyFetch((input, init) => original.call(globalThis, input, init))
      globalThis.fetch = fetch
      t.cleanup(() => {
        globalThis.fetch = original
      })
      const es = t.open(url)
      const records = await t.collect(es, { count: 2 })
      globalThis.fetch = original
      t.assert.deepEqual(records, [OPEN, msg(t, 'a')])
      t.assert.equal(fetch.calls.length, 1)
    },
  },

  // ---- signal ----
  {
    rule: 'API:signal',
    name: 'aborting the signal closes the source like close(): CLOSED at once, nothing more',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n', { delay: 40 }, 'data: b\n\n'], end: 'hang' }])
      const ac = new AbortController()
      const es = t.open(url, { signal: ac.signal })
      const rec = t.recorder(es)
      await rec.wait(2)
      ac.abort()
      t.assert.equal(es.readyState, 2)
      await t.sleep(120)
      t.assert.deepEqual(rec.records, [OPEN, msg(t, 'a')])
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },
  {
    rule: 'API:signal',
    name: 'an already-aborted signal never connects',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const ac = new AbortController()
      ac.abort()
      const fetch = spyFetch()
      const es = t.open(url, { signal: ac.signal, fetch })
      const rec = t.recorder(es)
      await t.sleep(100)
      t.assert.equal(es.readyState, 2)
      t.assert.deepEqual(rec.records, [])
      t.assert.equal(fetch.calls.length, 0)
      t.assert.deepEqual(await t.requests(key), [])
    },
  },
  {
    rule: 'API:signal',
    name: 'aborting during the reconnection wait: no more requests',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 60\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const ac = new AbortController()
      const es = t.open(url, { signal: ac.signal })
      const rec = t.recorder(es)
      await rec.wait(untilErrors(1))
      ac.abort()
      t.assert.equal(es.readyState, 2)
      await t.sleep(200)
      assertTrace(t, rec.records, [OPEN, msg(t, 'a'), err(0)])
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },

  // ---- heartbeatTimeout ----
  {
    rule: 'API:heartbeatTimeout',
    name: 'a stalled stream: heartbeat-timeout error while CONNECTING, then a reconnect with Last-Event-ID',
    async run(t) {
      const { url, key } = await t.script([{ body: ['id: 1\ndata: a\n\n'], end: 'hang' }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url, { heartbeatTimeout: 150, retry: retryFast })
      const t0 = Date.now()
      const records = await t.collect(es, { until: untilData('b'), timeout: 3000 })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a', { id: '1' }), err(0, 'heartbeat-timeout'), OPEN, msg(t, 'b', { id: '1' })])
      t.assert.ok(Date.now() - t0 >= 140, 'not before the timeout')
      t.assert.deepEqual((await t.requests(key)).map((r) => r.headers['last-event-id']), [undefined, '1'])
    },
  },
  {
    rule: 'API:heartbeatTimeout',
    name: 'any bytes (comments) keep the connection alive',
    async run(t) {
      const body = []
      for (let i = 0; i < 5; i++) body.push(':\n', { delay: 100 })
      const { url, key } = await t.script([{ body: [...body, 'data: a\n\n'], end: 'hang' }])
      const es = t.open(url, { heartbeatTimeout: 350, retry: retryFast })
      const records = await t.collect(es, { count: 2, timeout: 3000 })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a')])
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },
]
