// Request: rules C8-C11 of docs/conformance.md.
import { OPEN, msg, err, assertTrace, altOrigin, onOrigin, spyFetch, untilClosed, untilData, utf8AsLatin1 } from './util.js'

const redirectCases = [301, 302, 303, 307, 308].map((status) => ({
  rule: 'C8',
  name: `a ${status} redirect is followed; origin and requests come from the final URL`,
  async run(t) {
    const other = altOrigin(t)
    const final = await t.script([{ body: ['data: a\n\n'], end: 'hang', cors: true }])
    const finalUrl = onOrigin(final.url, other)
    const first = await t.script([{ status, redirect: finalUrl, cors: true }])
    const es = t.open(first.url)
    const records = await t.collect(es, { count: 2 })
    t.assert.deepEqual(records, [OPEN, msg(t, 'a', { origin: other })])
    t.assert.equal(es.url, first.url, 'url stays the URL given to the constructor')
    const [r1] = await t.requests(first.key)
    const finalReqs = await t.requests(final.key)
    t.assert.equal(r1.method, 'GET')
    t.assert.equal(finalReqs.length, 1)
    t.assert.equal(finalReqs[0].method, 'GET')
    t.assert.equal(finalReqs[0].headers.accept, 'text/event-stream')
  },
}))

export default [
  ...redirectCases,
  {
    rule: 'C8',
    name: 'a same-origin relative redirect is followed',
    async run(t) {
      const final = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const first = await t.script([{ redirect: `/s/${final.key}?via=redirect` }])
      const es = t.open(first.url)
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a')])
      const reqs = await t.requests(final.key)
      t.assert.equal(reqs[0].url, `/s/${final.key}?via=redirect`)
    },
  },
  {
    rule: 'C8',
    name: 'a chain of redirects is followed and a reconnect starts again from the original URL',
    async run(t) {
      const final = await t.script([
        { body: ['retry: 10\n\nid: 1\ndata: a\n\n'] },
        { body: ['data: b\n\n'], end: 'hang' },
      ])
      const middle = await t.script([{ status: 307, redirect: final.url }, { status: 307, redirect: final.url }])
      const first = await t.script([{ status: 301, redirect: middle.url }, { status: 301, redirect: middle.url }])
      const es = t.open(first.url)
      const records = await t.collect(es, { until: untilData('b') })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '1' }), err(0), OPEN, msg(t, 'b', { id: '1' })])
      t.assert.equal((await t.requests(first.key)).length, 2, 'both attempts start at the original URL')
      t.assert.equal((await t.requests(middle.key)).length, 2)
      const finalReqs = await t.requests(final.key)
      t.assert.equal(finalReqs.length, 2)
      t.assert.equal(finalReqs[1].headers['last-event-id'], '1')
    },
  },
  {
    rule: 'C9',
    name: 'GET with Accept: text/event-stream and no body',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      await t.collect(es, { until: untilData('b') })
      const reqs = await t.requests(key)
      t.assert.equal(reqs.length, 2)
      for (const r of reqs) {
        t.assert.equal(r.method, 'GET')
        t.assert.equal(r.headers.accept, 'text/event-stream')
        t.assert.equal(r.body, '')
        t.assert.equal(r.headers['content-type'], undefined, 'no content-type')
      }
    },
  },
  {
    rule: 'C10',
    name: 'the request uses cache mode no-store; Cache-Control is set by hand only where fetch ignores the mode (Deno, Bun)',
    async run(t) {
      const ignoresCacheMode = typeof globalThis.Deno !== 'undefined' || typeof globalThis.Bun !== 'undefined'
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const fetch = spyFetch()
      const es = t.open(url, { fetch })
      await t.collect(es, { until: untilData('b') })
      t.assert.equal(fetch.calls.length, 2)
      for (const { request } of fetch.calls) {
        t.assert.equal(request.cache, 'no-store', 'cache mode')
        t.assert.equal(request.headers.get('cache-control'), ignoresCacheMode ? 'no-cache' : null, 'Cache-Control set by hand')
        t.assert.equal(request.headers.get('pragma'), null, 'Pragma set by hand')
        t.assert.equal(request.headers.get('accept'), 'text/event-stream')
      }
    },
  },
  {
    rule: 'C10',
    name: 'what reaches the server carries Cache-Control: no-cache, as from a native EventSource',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(url)
      await t.collect(es, { count: 2 })
      const [r] = await t.requests(key)
      // fetch appends it for cache mode no-store (the library sets it in Deno and Bun, whose fetch does not);
      // exactly once, and nothing else.
      t.assert.equal(r.headers['cache-control'], 'no-cache')
    },
  },
  {
    rule: 'C10',
    name: 'a cross-origin source sends no CORS preflight',
    node: false,
    async run(t) {
      const other = altOrigin(t)
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang', cors: true }])
      const es = t.open(onOrigin(url, other))
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a', { origin: other })])
      t.assert.deepEqual(await t.requests(key, { preflight: true }), [], 'preflights')
    },
  },
  {
    rule: 'C11',
    name: 'the first request has no Last-Event-ID; the reconnect sends the last id',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n'] },
        { body: ['data: c\n\n'], end: 'hang' },
      ])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('c') })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '1' }), msg(t, 'b', { id: '2' }), err(0), OPEN, msg(t, 'c', { id: '2' })])
      const reqs = await t.requests(key)
      t.assert.equal(reqs[0].headers['last-event-id'], undefined)
      t.assert.equal(reqs[1].headers['last-event-id'], '2')
    },
  },
  {
    rule: 'C11',
    name: 'Last-Event-ID is sent as the UTF-8 bytes of the id',
    async run(t) {
      const id = 'é€😀 x'
      const { url, key } = await t.script([{ body: [`retry: 10\n\nid: ${id}\ndata: a\n\n`] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b') })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id }), err(0), OPEN, msg(t, 'b', { id })])
      const reqs = await t.requests(key)
      t.assert.equal(reqs[1].headers['last-event-id'], utf8AsLatin1(id), 'header bytes (the server shows each byte as one latin1 char)')
    },
  },
  {
    rule: 'C11',
    name: 'an empty last event ID sends no Last-Event-ID header',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: 1\ndata: a\n\nid\ndata: b\n\n'] },
        { body: ['retry: 10\n\nid: 2\ndata: c\n\nid:\ndata: d\n\n'] },
        { body: ['data: e\n\n'], end: 'hang' },
      ])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('e') })
      assertTrace(t, records, [
        OPEN, msg(t, 'a', { id: '1' }), msg(t, 'b'), err(0),
        OPEN, msg(t, 'c', { id: '2' }), msg(t, 'd'), err(0),
        OPEN, msg(t, 'e'),
      ])
      const reqs = await t.requests(key)
      t.assert.deepEqual(reqs.map((r) => r.headers['last-event-id']), [undefined, undefined, undefined])
      t.assert.ok(!('last-event-id' in reqs[1].headers) && !('last-event-id' in reqs[2].headers), 'header absent, not empty')
    },
  },
  {
    rule: 'C11',
    name: 'the id persists across events and reconnects until changed',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: x\ndata: a\n\n'] },
        { body: ['data: b\n\n'] },
        { body: ['data: c\n\nid: y\n\n'] },
        { body: ['data: d\n\n'], end: 'hang' },
      ])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('d') })
      assertTrace(t, records, [
        OPEN, msg(t, 'a', { id: 'x' }), err(0),
        OPEN, msg(t, 'b', { id: 'x' }), err(0),
        OPEN, msg(t, 'c', { id: 'x' }), err(0),
        OPEN, msg(t, 'd', { id: 'y' }),
      ])
      const reqs = await t.requests(key)
      t.assert.deepEqual(reqs.map((r) => r.headers['last-event-id']), [undefined, 'x', 'x', 'y'])
      t.assert.equal(es.lastEventId, 'y')
    },
  },
  {
    rule: 'C11',
    name: 'an id set by an id-only block (no data) is sent on reconnect',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\ndata: a\n\nid: 7\n\n'] },
        { body: ['data: b\n\n'], end: 'hang' },
      ])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b') })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b', { id: '7' })])
      const reqs = await t.requests(key)
      t.assert.deepEqual(reqs.map((r) => r.headers['last-event-id']), [undefined, '7'])
    },
  },
  {
    rule: 'C11',
    name: 'an id containing NUL is ignored and not sent',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\n'] },
        { body: ['data: c\n\n'], end: 'hang' },
      ])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('c') })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '1' }), msg(t, 'b', { id: '1' }), err(0), OPEN, msg(t, 'c', { id: '1' })])
      t.assert.deepEqual((await t.requests(key)).map((r) => r.headers['last-event-id']), [undefined, '1'])
    },
  },
  {
    rule: 'C11',
    name: 'an id with leading and trailing spaces keeps them as lastEventId; Last-Event-ID arrives without them',
    async run(t) {
      // "id:" removes one space; the rest is the id. A header value loses its leading and trailing spaces on the way:
      // fetch normalizes header values (and an HTTP parser would drop them too), as the README's differences say.
      const { url, key } = await t.script([{ body: ['retry: 10\n\nid:   7 8  \ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b') })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '  7 8  ' }), err(0), OPEN, msg(t, 'b', { id: '  7 8  ' })])
      t.assert.equal(es.lastEventId, '  7 8  ')
      t.assert.deepEqual((await t.requests(key)).map((r) => r.headers['last-event-id']), [undefined, '7 8'])
    },
  },
  {
    rule: 'C11',
    name: 'a fatal status after a reconnect still got the Last-Event-ID',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\nid: 9\ndata: a\n\n'] }, { status: 503 }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilClosed })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '9' }), err(0), err(2, 503)])
      t.assert.deepEqual((await t.requests(key)).map((r) => r.headers['last-event-id']), [undefined, '9'])
    },
  },
]
