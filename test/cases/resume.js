// Resuming: where the last event ID travels (API: lastEventIdIn, lastEventIdParam). With 'query' the ID is a URL
// parameter, so a cross-origin reconnect needs no CORS preflight and any ID survives, whatever a browser does to
// header bytes (WebKitGTK re-encodes them).
import { OPEN, msg, err, altOrigin, onOrigin, assertTrace, untilData } from './util.js'

/** The value of `name` in a recorded request's query, as a server decodes it (form decoding), or null. */
const param = (request, name) => new URL(request.url, 'http://x.invalid').searchParams.get(name)
/** Every value of `name` in a recorded request's query. */
const params = (request, name) => new URL(request.url, 'http://x.invalid').searchParams.getAll(name)

/**
 * A stream on the other loopback origin, cut after event 41 and resumed: the events must be the same whatever
 * carries the id. Returns the requests the server saw, with the script's key.
 * @param {any} t @param {object} [init]
 */
async function crossOriginResume(t, init) {
  const other = altOrigin(t)
  const { url, key } = await t.script([
    { body: ['retry: 10\n\nid: 41\ndata: a\n\n'], cors: true },
    { body: ['id: 42\ndata: b\n\n'], end: 'hang', cors: true },
  ])
  const es = init === undefined ? t.open(onOrigin(url, other)) : t.open(onOrigin(url, other), init)
  const records = await t.collect(es, { until: untilData('b') })
  assertTrace(t, records, [OPEN, msg(t, 'a', { id: '41', origin: other }), err(0, 'stream-ended'), OPEN, msg(t, 'b', { id: '42', origin: other })])
  return Object.assign(await t.requests(key), { key })
}

const ODD_ID = 'ü€ 中☃ a+b&c=d%20#?/😀'

export default [
  {
    rule: 'API:lastEventIdIn',
    name: "lastEventIdIn 'query': the reconnect carries ?lastEventId=<id> and no Last-Event-ID header; the first request has neither",
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: 7\ndata: a\n\n'] },
        { body: ['data: b\n\n'], end: 'hang' },
      ])
      const es = t.open(url, { lastEventIdIn: 'query' })
      const records = await t.collect(es, { until: untilData('b') })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '7' }), err(0, 'stream-ended'), OPEN, msg(t, 'b', { id: '7' })])
      t.assert.equal(es.url, url, 'the url attribute stays the URL given')
      const reqs = await t.requests(key)
      t.assert.deepEqual(reqs.map((r) => [params(r, 'lastEventId'), r.headers['last-event-id']]), [[[], undefined], [['7'], undefined]])
    },
  },
  {
    rule: 'API:lastEventIdIn',
    name: "lastEventIdIn 'both' sends the header and the parameter; lastEventIdParam names the parameter",
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: 8\ndata: a\n\n'] },
        { body: ['data: b\n\n'], end: 'hang' },
      ])
      const es = t.open(url, { lastEventIdIn: 'both', lastEventIdParam: 'lastEventID', lastEventId: '3' })
      await t.collect(es, { until: untilData('b') })
      const reqs = await t.requests(key)
      t.assert.deepEqual(
        reqs.map((r) => [params(r, 'lastEventID'), r.headers['last-event-id']]),
        [[['3'], '3'], [['8'], '8']],
      )
    },
  },
  {
    rule: 'API:lastEventIdIn',
    name: 'an existing parameter of that name is replaced, never duplicated, and the other parameters keep their bytes',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: new\ndata: a\n\n'] },
        { body: ['data: b\n\n'], end: 'hang' },
      ])
      // %2F and + are kept as they are by every engine's URL parser (WebKit decodes %7E to ~ itself).
      const given = `${url}?a=1%20x&lastEventId=stale&b=%2F+&lastEventId=older`
      const es = t.open(given, { lastEventIdIn: 'query', lastEventId: 'first' })
      await t.collect(es, { until: untilData('b') })
      const reqs = await t.requests(key)
      const path = new URL(url).pathname
      t.assert.deepEqual(reqs.map((r) => r.url), [`${path}?a=1%20x&b=%2F+&lastEventId=first`, `${path}?a=1%20x&b=%2F+&lastEventId=new`])
    },
  },
  {
    rule: 'API:lastEventIdIn',
    name: 'a non-ASCII id with reserved characters round-trips exactly through the query parameter',
    async run(t) {
      const { url, key } = await t.script([
        { body: [`retry: 10\n\nid: ${ODD_ID}\ndata: a\n\n`] },
        { body: ['data: b\n\n'], end: 'hang' },
      ])
      const es = t.open(url, { lastEventIdIn: 'query' })
      const records = await t.collect(es, { until: untilData('b') })
      t.assert.equal(records[1].lastEventId, ODD_ID)
      const reqs = await t.requests(key)
      t.assert.equal(param(reqs[1], 'lastEventId'), ODD_ID)
      // Percent-encoded UTF-8, so decodeURIComponent reads it back too (no '+' for a space).
      const raw = reqs[1].url.slice(reqs[1].url.indexOf('lastEventId=') + 'lastEventId='.length)
      t.assert.equal(decodeURIComponent(raw), ODD_ID)
    },
  },
  {
    rule: 'API:lastEventIdIn',
    name: 'an id with a control character, left out of the header, still travels as a parameter',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: a\x01b\ndata: a\n\n'] },
        { body: ['data: b\n\n'], end: 'hang' },
      ])
      const es = t.open(url, { lastEventIdIn: 'both' })
      await t.collect(es, { until: untilData('b') })
      const reqs = await t.requests(key)
      t.assert.deepEqual([param(reqs[1], 'lastEventId'), reqs[1].headers['last-event-id']], ['a\x01b', undefined])
    },
  },
  {
    rule: 'API:lastEventIdIn',
    name: "a cross-origin reconnect with lastEventIdIn 'query' makes no preflight and resumes at the right event",
    node: false,
    async run(t) {
      const reqs = await crossOriginResume(t, { lastEventIdIn: 'query' })
      t.assert.deepEqual(reqs.map((r) => param(r, 'lastEventId')), [null, '41'])
      t.assert.deepEqual(await t.requests(reqs.key, { preflight: true }), [], 'preflights')
    },
  },
  {
    rule: 'API:lastEventIdIn',
    name: "the same cross-origin reconnect with the default 'header' is preflighted for last-event-id, then resumes",
    node: false,
    async run(t) {
      // The README's difference "Cross-origin Last-Event-ID": fetch may not send the header cross-origin without a
      // preflight, which the browser's own EventSource skips. (The first request, with Accept only, needs none.)
      const reqs = await crossOriginResume(t)
      t.assert.deepEqual(reqs.map((r) => r.headers['last-event-id']), [undefined, '41'])
      const preflights = await t.requests(reqs.key, { preflight: true })
      t.assert.deepEqual(
        preflights.map((r) => [r.method, (r.headers['access-control-request-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase())]),
        [['OPTIONS', ['last-event-id']]],
      )
    },
  },
]
