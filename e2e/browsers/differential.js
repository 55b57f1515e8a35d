// Differential suite: the same scripted bytes replayed to the browser's native EventSource and to our
// FetchEventSource, in the same page, one after the other. Portable ESM (runs in the page; the pure
// helpers at the bottom are also imported by the Node side to compare and report).
//
// A case is data only:
//   { name, rule,                           // rule: 'C1'..'C38' of docs/conformance.md
//     responses: [Resp...],                 // SERVER-SPEC format, scripted under a fresh key for each side
//     scripts?: { NAME: [Resp...] },        // extra scripts (redirect targets), scripted first, in order
//                                           //   Resp.redirect may be { script: NAME, origin?: 'alt' }
//     origin?: 'alt',                       // open the stream on the other loopback origin (cross-origin)
//     withCredentials?: true,
//     types?: ['foo'],                      // extra event types to listen for
//     until: { count } | { closed: true },  // stop after `count` records, or when an error leaves CLOSED
//     closeAt?: n,                          // call close() inside the listener of record n, then watch quietMs
//     timeoutMs?, expect?: Trace[], expectLastEventIds?: (string|null)[], expectRequestCounts?: { main: n, NAME: n },
//     note?: string,                        // context for the report (e.g. where the standard is implicit)
//     known?: { chromium?|firefox?|webkit?|all?: string },  // a traced cause; such a difference does not fail the run
//     ours?: { chromium?|firefox?|webkit?|all?: { reason, expect?, expectLastEventIds?, expectRequestCounts?,
//              alternatives?: Trace[][] } } }
//                                           // where FetchEventSource itself cannot follow the rule in an engine (or
//                                           // does something else on purpose): what it must do instead, and why
// The run fails when the two sides differ without a known cause, and whenever FetchEventSource's side breaks the
// rule (or, where `ours` applies, departs from what `ours` pins): a known difference excuses the native side only.
// Every side always stops when an `error` leaves readyState CLOSED (nothing can follow), then keeps
// listening `settleMs` to catch anything extra. Traces: { type, readyState } for open/error,
// { type, data, lastEventId, origin: 'self'|'alt'|<raw>, readyState } for messages.
// `expect` (optional) is what the rule prescribes; it lets the report say which side the spec sides with.

const enc = new TextEncoder()
/** @param {string} s */
const u8 = (s) => Array.from(enc.encode(s))
const BOM = [0xef, 0xbb, 0xbf]

// Expected-trace shorthands
const O = { type: 'open', readyState: 1 }
const E0 = { type: 'error', readyState: 0 }
const E2 = { type: 'error', readyState: 2 }
/** @param {string} data @param {{ id?: string, type?: string, origin?: string }} [o] */
const M = (data, o = {}) => ({
  type: o.type ?? 'message',
  data,
  lastEventId: o.id ?? '',
  origin: o.origin ?? 'self',
  readyState: 1,
})
/** latin1 view of the UTF-8 bytes of `s` — how the Node test server records a non-ASCII header value */
const utf8Header = (s) => String.fromCharCode(...enc.encode(s))

/**
 * A parsing case: one response that stays open; stop once the expected number of records arrived.
 * @param {string} name @param {string} rule @param {any[]} body @param {object[]} expect @param {object} [extra]
 */
function parse(name, rule, body, expect, { resp = {}, ...extra } = /** @type {any} */ ({})) {
  return { name, rule, responses: [{ body, end: 'hang', ...resp }], until: { count: expect.length }, expect, timeoutMs: 2000, ...extra }
}

/**
 * A reconnecting case: the listed responses end (normally unless said otherwise), then the script is
 * exhausted and the server answers 204, which closes the source for good.
 * @param {string} name @param {string} rule @param {object[]} responses @param {object[] | undefined} expect @param {object} [extra]
 */
function reconnect(name, rule, responses, expect, extra = {}) {
  return { name, rule, responses, until: { closed: true }, expect, ...extra }
}

const EMPTY_RETRY_DEFAULT = (/** @type {string} */ engine) =>
  `${engine}'s EventSource restores its default reconnection time (seconds) on a \`retry\` field with an empty value, instead of ignoring the field ` +
  '(observed: no reconnect within 2 s after a valid `retry: 50`; its parser special-cases the empty value).'
const EMPTY_RETRY_ZERO =
  "Firefox's EventSource takes a `retry` field with an empty value as 0 (observed: it reconnects within 1 s after a valid `retry: 10000`; " +
  'its own minimum delay still applies).'
/** @type {Record<string, Record<string, string>>} */
const retryKnown = {
  'two spaces': { webkit: "WebKit's EventSource skips the extra whitespace, so `retry:  9000` (value \" 9000\") sets 9 s; rule 32 wants ASCII digits only." },
  empty: { chromium: EMPTY_RETRY_DEFAULT('Chromium'), webkit: EMPTY_RETRY_DEFAULT('WebKit') },
  'bare field': { chromium: EMPTY_RETRY_DEFAULT('Chromium'), webkit: EMPTY_RETRY_DEFAULT('WebKit') },
  '+100 (after 10 s)': { webkit: "WebKit's EventSource accepts a leading `+`: `retry: +100` sets 100 ms; rule 32 wants ASCII digits only." },
  'empty (after 10 s)': { firefox: EMPTY_RETRY_ZERO },
  'bare field (after 10 s)': { firefox: EMPTY_RETRY_ZERO },
}

const retryWithLeadingZeros = reconnect('retry with leading zeros accepted', 'C32', [{ body: ['retry: 0050\ndata: a\n\n'] }], [O, M('a'), E0, E2], { timeoutMs: 2500 })

/** @type {any[]} */
export const differentialCases = [
  // --- dispatch, fields (C23-C30, C35-C37)
  parse('two events in one chunk, stream kept open', 'C23', ['data: a\n\ndata: b\n\n'], [O, M('a'), M('b')]),
  parse('comment lines ignored', 'C25', [': hello\ndata: a\n:\n: data: x\n\n'], [O, M('a')]),
  parse('long comment ignored', 'C25', [':' + 'x'.repeat(100_000) + '\ndata: a\n\n'], [O, M('a')]),
  parse('comment-only blocks dispatch nothing', 'C25', [':\n\n: ping\n\ndata: a\n\n'], [O, M('a')]),
  parse('no space after colon', 'C26', ['data:a\n\n'], [O, M('a')]),
  parse('only one leading space removed', 'C26', ['data:  a\n\n'], [O, M(' a')]),
  parse('leading tab kept', 'C26', ['data:\ta\n\n'], [O, M('\ta')]),
  parse('colons inside the value kept', 'C26', ['data: a: b:c\n\n'], [O, M('a: b:c')]),
  parse('empty value after colon', 'C26', ['data:\n\n'], [O, M('')]),
  parse('space before colon makes an unknown field', 'C26', ['data : x\n\ndata: a\n\n'], [O, M('a')]),
  parse('field without colon: data alone', 'C27', ['data\n\n'], [O, M('')]),
  parse('two bare data lines', 'C27', ['data\ndata\n\n'], [O, M('\n')]),
  parse('bare data line then a value', 'C27', ['data\ndata: a\n\n'], [O, M('\na')]),
  parse('unknown and wrongly cased fields ignored', 'C28', ['Data: x\n\n data: y\n\ndata_5: z\n\nfoo: w\n\nDATA: v\n\ndata: ok\n\n'], [O, M('ok')]),
  parse('event types, and the type resets after dispatch', 'C29', ['event: foo\ndata: a\n\ndata: b\n\nevent:\ndata: c\n\nevent: message\ndata: d\n\n'], [O, M('a', { type: 'foo' }), M('b'), M('c'), M('d')], { types: ['foo'] }),
  parse('last event field wins', 'C29', ['event: foo\nevent: bar\ndata: a\n\n'], [O, M('a', { type: 'bar' })], { types: ['foo', 'bar'] }),
  parse('event type is case-sensitive', 'C37', ['event: Foo\ndata: a\n\n'], [O, M('a', { type: 'Foo' })], { types: ['foo', 'Foo'] }),
  parse('multi-line data joined with LF', 'C30', ['data: a\ndata: b\ndata: c\n\n'], [O, M('a\nb\nc')]),
  parse('only one trailing LF removed', 'C36', ['data: a\ndata\n\n'], [O, M('a\n')]),
  parse('U+0000 in data kept', 'C36', ['data: a\u0000b\n\n'], [O, M('a\u0000b')], {
    known: { firefox: "Firefox's EventSource removes U+0000 from the data (`a\\0b` arrives as `ab`); rule 36 keeps it." },
  }),
  parse('event without data dispatches nothing and resets the type', 'C35', ['event: foo\n\ndata: a\n\n'], [O, M('a')], { types: ['foo'] }),
  parse('event split into one-byte chunks', 'C22', [...'id: 1\r\nevent: foo\r\ndata: a\r\n\r\n'], [O, M('a', { type: 'foo', id: '1' })], { types: ['foo'] }),

  // --- ids (C31, C34)
  parse('id sets lastEventId, persists, empty id resets', 'C31', ['id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\ndata: d\n\nid:\ndata: e\n\n'], [O, M('a', { id: '1' }), M('b', { id: '1' }), M('c'), M('d', { id: '2' }), M('e')]),
  parse('id containing U+0000 ignored', 'C31', ['id: 5\ndata: a\n\nid: x\u0000y\ndata: b\n\ndata: c\n\n'], [O, M('a', { id: '5' }), M('b', { id: '5' }), M('c', { id: '5' })], {
    known: {
      firefox:
        "Firefox's EventSource drops the whole event whose `id` line contains U+0000 (`b` never arrives; `c` does, with the old id); " +
        'rule 31 ignores only the `id` field.',
    },
  }),
  parse('id-only block updates lastEventId', 'C34', ['id: 7\n\ndata: a\n\n'], [O, M('a', { id: '7' })], {
    known: {
      firefox:
        "Firefox's EventSource takes the last event ID only when an event is dispatched, so an `id:`-only block is forgotten; " +
        'rule 34 (the HTML standard) copies it at every blank line.',
    },
  }),
  parse('id keeps spaces and non-ASCII', 'C31', ['id:  é€😀 \ndata: a\n\n'], [O, M('a', { id: ' é€😀 ' })]),

  // --- decoding (C21)
  parse('BOM at stream start removed (same chunk)', 'C21', [{ bytes: [...BOM, ...u8('data: a\n\n')] }], [O, M('a')]),
  parse('BOM split across chunks', 'C21', [{ bytes: [0xef] }, { delay: 20 }, { bytes: [0xbb, 0xbf] }, { delay: 20 }, 'data: a\n\ndata: b\n\n'], [O, M('a'), M('b')], {
    known: {
      webkit:
        "WebKit's EventSource removes the BOM only when its three bytes arrive together; split over chunks, it spoils the first line " +
        '(the first event is lost, later ones arrive).',
    },
  }),
  parse('only one BOM removed', 'C21', [{ bytes: [...BOM, ...BOM, ...u8('data: x\n\ndata: y\n\n')] }], [O, M('y')]),
  parse('BOM after the start is not removed', 'C21', ['data: a\n\n', { delay: 20 }, { bytes: [...BOM, ...u8('data: b\n\n')] }], [O, M('a')]),
  parse('invalid UTF-8 becomes U+FFFD', 'C21', [{ bytes: [...u8('data: a'), 0xff, ...u8('b\n\n')] }], [O, M('a\uFFFDb')]),
  parse('truncated multi-byte sequence', 'C21', ['data: ', { bytes: [0xe2, 0x82] }, '\n\n'], [O, M('\uFFFD')]),
  parse('multi-byte character split across chunks', 'C21', ['data: ', { bytes: [0xe2] }, { delay: 20 }, { bytes: [0x82, 0xac] }, '\n\n'], [O, M('€')]),
  parse('charset parameter ignored, UTF-8 used', 'C21', ['data: é€\n\n'], [O, M('é€')], {
    resp: { headers: { 'content-type': 'text/event-stream; charset=iso-8859-1' } },
    known: {
      chromium:
        'Chromium\'s EventSource fails the connection when the Content-Type names a charset other than UTF-8 ("EventSource\'s response ' +
        'has a charset ("iso-8859-1") that is not UTF-8. Aborting the connection."); rules 15 and 21 ignore the parameter and always decode UTF-8.',
    },
  }),
  reconnect('BOM removed at the start of every connection', 'C21', [
    { body: [{ bytes: [...BOM, ...u8('retry: 50\ndata: a\n\n')] }] },
    { body: [{ bytes: [...BOM, ...u8('data: b\n\n')] }] },
  ], [O, M('a'), E0, O, M('b'), E0, E2]),

  // --- line endings (C22)
  parse('CRLF line endings', 'C22', ['data: a\r\ndata: b\r\n\r\n'], [O, M('a\nb')]),
  parse('lone CR line endings', 'C22', ['data: a\rdata: b\r\r'], [O, M('a\nb')]),
  parse('mixed line endings', 'C22', ['data: a\r\ndata: b\rdata: c\n\r\n'], [O, M('a\nb\nc')]),
  parse('CRLF split across chunks is one line ending', 'C22', ['data: a\r', { delay: 30 }, '\ndata: b\r\n\r\n'], [O, M('a\nb')]),
  parse('CR, CR then LF across chunks', 'C22', ['data: a\r', { delay: 30 }, '\r', { delay: 30 }, '\ndata: b\n\n'], [O, M('a'), M('b')]),
  parse('CR CR LF', 'C22', ['data: a\r\r\ndata: b\n\n'], [O, M('a'), M('b')]),
  parse('dispatch at a final CR without waiting for more bytes', 'C23', ['data: a\r\r'], [O, M('a')]),

  // --- end of stream, reconnection, Last-Event-ID (C11, C17, C20, C32, C33, C34)
  reconnect('stream end reconnects and sends Last-Event-ID', 'C11', [
    { body: ['retry: 50\nid: 1\ndata: a\n\n'] },
    { body: ['id: 2\ndata: b\n\n'] },
  ], [O, M('a', { id: '1' }), E0, O, M('b', { id: '2' }), E0, E2], { expectLastEventIds: [null, '1', '2'] }),
  reconnect('lastEventId persists across a reconnect', 'C34', [
    { body: ['retry: 50\nid: 1\ndata: a\n\n'] },
    { body: ['data: b\n\n'] },
  ], [O, M('a', { id: '1' }), E0, O, M('b', { id: '1' }), E0, E2], { expectLastEventIds: [null, '1', '1'] }),
  reconnect('empty id sends no Last-Event-ID', 'C11', [
    { body: ['retry: 50\nid: 1\ndata: a\n\nid\ndata: b\n\n'] },
    { body: ['data: c\n\n'] },
  ], [O, M('a', { id: '1' }), M('b'), E0, O, M('c'), E0, E2], { expectLastEventIds: [null, null, null] }),
  reconnect('non-ASCII Last-Event-ID sent as UTF-8', 'C11', [
    { body: ['retry: 50\nid: é€\ndata: a\n\n'] },
  ], [O, M('a', { id: 'é€' }), E0, E2], {
    expectLastEventIds: [null, utf8Header('é€')],
    ours: {
      webkit: {
        reason: 'WebKitGTK encodes the header bytes a second time (see known); everything else is as the rule says.',
        expectLastEventIds: [null, utf8Header(utf8Header('é€'))],
      },
    },
    known: {
      webkit:
        "WebKitGTK's network layer sends header characters U+0080-U+00FF UTF-8-encoded instead of as one byte each (a fetch() with " +
        '`Last-Event-ID: é` (U+00E9) sends C3 A9 where Chromium and Firefox send E9), so the UTF-8 bytes FetchEventSource packs into ' +
        'the header arrive encoded twice. No script-side fix: its Headers refuses code points above U+00FF like the other engines.',
    },
  }),
  reconnect('incomplete event at end discarded with its id', 'C33', [
    { body: ['retry: 50\nid: 1\ndata: a\n\nid: 2\ndata: b'] },
    { body: ['data: c\n\n'] },
  ], [O, M('a', { id: '1' }), E0, O, M('c', { id: '1' }), E0, E2], { expectLastEventIds: [null, '1', '1'] }),
  reconnect('connection cut mid-stream reconnects', 'C17', [
    { body: ['retry: 50\ndata: a\n\ndata: b', { delay: 30 }], end: 'destroy' },
    { body: ['data: c\n\n'] },
  ], [O, M('a'), E0, O, M('c'), E0, E2]),
  reconnect('connection cut right after the last bytes', 'C17', [
    { body: ['retry: 50\ndata: a\n\ndata: b'], end: 'destroy' },
    { body: ['data: c\n\n'] },
  ], [O, M('a'), E0, O, M('c'), E0, E2], {
    known: {
      chromium:
        "Chromium's fetch() errors the body stream as soon as the connection breaks, discarding bytes the reader has not read yet " +
        '(a plain fetch() + getReader() loses the same chunk about half the time); the native EventSource reads from the network layer directly.',
    },
    ours: {
      chromium: {
        reason:
          'About half the time Chromium\'s fetch() drops the last chunk, `retry: 50` with it, so the event is lost and the reconnect ' +
          'waits the default 3 s: the case ends before the third request. Either trace is what FetchEventSource does with the bytes it gets.',
        alternatives: [[O, E0, O, M('c'), E0]],
      },
    },
  }),
  retryWithLeadingZeros,
  // Invalid values must leave the reconnection time alone. A value misread as a long delay is caught by a
  // valid 50 ms before it (the reconnect would miss timeoutMs); one misread as a short delay by a valid 10 s
  // before it (the source must still be waiting when the case times out).
  ...[['10000x', 'retry: 10000x'], ['1e5', 'retry: 1e5'], ['two spaces', 'retry:  9000'], ['empty', 'retry:'], ['bare field', 'retry']].map(([label, line]) =>
    reconnect(`invalid retry ignored: ${label} (after 50 ms)`, 'C32', [{ body: [`retry: 50\n\n${line}\ndata: a\n\n`] }], [O, M('a'), E0, E2], {
      timeoutMs: 2000,
      known: retryKnown[label],
    }),
  ),
  ...[['+100', 'retry: +100'], ['-1', 'retry: -1'], ['empty', 'retry:'], ['bare field', 'retry'], ['5.5', 'retry: 5.5'], ['0x10', 'retry: 0x10']].map(([label, line]) =>
    reconnect(`invalid retry ignored: ${label} (after 10 s)`, 'C32', [{ body: [`retry: 10000\n\n${line}\ndata: a\n\n`] }], [O, M('a'), E0], {
      timeoutMs: 1000,
      known: retryKnown[`${label} (after 10 s)`],
    }),
  ),
  reconnect('retry without data dispatches nothing', 'C20', [{ body: ['retry: 50\n\n'] }, { body: ['data: a\n\n'] }], [O, E0, O, M('a'), E0, E2]),

  // --- status and content type (C14, C15, C16, C18)
  ...[201, 204, 404, 500, 503].map((status) =>
    reconnect(`status ${status} fails the connection`, 'C14', [{ status, body: ['data: a\n\n'] }, { body: ['data: b\n\n'] }], [E2], { expectLastEventIds: [null] }),
  ),
  ...[['text/plain', 'text/plain'], ['missing content type', null], ['text/event-streams', 'text/event-streams'], ['application/json', 'application/json']].map(([label, ct]) =>
    reconnect(`content type ${label} fails the connection`, 'C15', [{ headers: { 'content-type': ct }, body: ['data: a\n\n'] }], [E2]),
  ),
  ...['text/event-stream;charset=utf-8', 'text/event-stream;', 'TEXT/Event-Stream', 'text/event-stream ; x=y'].map((ct) =>
    parse(`content type "${ct}" accepted`, 'C15', ['data: a\n\n'], [O, M('a')], { resp: { headers: { 'content-type': ct } } }),
  ),

  // --- redirects and origin (C8, C13)
  ...[301, 302, 303, 307, 308].map((status) => ({
    name: `${status} redirect followed`,
    rule: 'C8',
    scripts: { T: [{ body: ['data: a\n\n'], end: 'hang' }] },
    responses: [{ status, redirect: { script: 'T' } }],
    until: { count: 2 },
    expect: [O, M('a')],
  })),
  {
    name: 'cross-origin redirect: origin is the final URL',
    rule: 'C8',
    scripts: { T: [{ cors: true, body: ['data: a\n\n'], end: 'hang' }] },
    responses: [{ status: 302, redirect: { script: 'T', origin: 'alt' } }],
    until: { count: 2 },
    expect: [O, M('a', { origin: 'alt' })],
  },
  {
    name: 'reconnect after a redirect',
    rule: 'C8',
    scripts: { T: [{ body: ['retry: 50\ndata: a\n\n'] }, { body: ['data: b\n\n'] }] },
    responses: [{ redirect: { script: 'T' } }, { redirect: { script: 'T' } }],
    until: { closed: true },
    expect: [O, M('a'), E0, O, M('b'), E0, E2],
    expectRequestCounts: { main: 1, T: 3 },
    note:
      'HTML reconnects by fetching the same request again, and redirects have extended its URL list, so reconnects start at ' +
      'the last redirect target (whatwg/html#503). Chromium does that; Firefox and WebKit start again at the URL given to the constructor.',
    known: {
      chromium: 'Chromium reconnects to the redirect target (the spec reading, see the note); FetchEventSource, like Firefox and WebKit, starts again at the original URL.',
    },
    ours: {
      all: {
        reason: 'FetchEventSource reconnects to the URL it was given (README, Differences), as Firefox and WebKit do.',
        expectRequestCounts: { main: 3, T: 2 },
      },
    },
  },
  {
    name: 'redirect to a failing status fails the connection',
    rule: 'C14',
    scripts: { T: [{ status: 500 }] },
    responses: [{ redirect: { script: 'T' } }],
    until: { closed: true },
    expect: [E2],
  },
  parse('cross-origin stream with CORS', 'C8', ['data: a\n\n'], [O, M('a', { origin: 'alt' })], { origin: 'alt', resp: { cors: true } }),
  parse('cross-origin withCredentials stream', 'C4', ['data: a\n\n'], [O, M('a', { origin: 'alt' })], { origin: 'alt', withCredentials: true, resp: { cors: true } }),
  reconnect('cross-origin reconnect sends Last-Event-ID', 'C11', [
    { cors: true, body: ['retry: 50\nid: 1\ndata: a\n\n'] },
    { cors: true, body: ['data: b\n\n'] },
    { cors: true, status: 204 },
  ], [O, M('a', { id: '1', origin: 'alt' }), E0, O, M('b', { id: '1', origin: 'alt' }), E0, E2], { origin: 'alt', expectLastEventIds: [null, '1', '1'] }),
  // No expectation: a CORS failure is a network error; the spec lets the UA reconnect, or fail when it knows it futile.
  reconnect('cross-origin without CORS headers', 'C13', [{ body: ['data: a\n\n'] }], undefined, {
    origin: 'alt',
    timeoutMs: 2500,
    known: {
      all:
        'Browsers treat a CORS failure as futile and fail the connection (CLOSED). fetch() reports a CORS failure as the same ' +
        'TypeError as a network outage, so FetchEventSource cannot tell them apart and keeps reconnecting (CONNECTING).',
    },
    ours: {
      all: {
        reason: 'A CORS failure is a network error to fetch(): one error while CONNECTING, then a reconnect after the default 3 s (README, Differences).',
        expect: [E0],
        expectRequestCounts: { main: 1 },
      },
    },
  }),

  // --- close() (C19, C38)
  { ...parse('close() in a listener drops events of the same chunk', 'C38', ['data: a\n\ndata: b\n\n'], [O, M('a')]), closeAt: 2, until: {} },
  { ...parse('close() in onopen: nothing dispatched', 'C19', ['data: a\n\n'], [O]), closeAt: 1, until: {} },
]

// ---------------------------------------------------------------------------------------------------
// In-page runner

/**
 * @param {{ lib: any, serverUrl: string, altOrigin: string, cases?: any[], budgetMs?: number,
 *           settleMs?: number, onCase?: (r: any) => void }} opts
 */
export async function runDifferential({ lib, serverUrl, altOrigin, cases = differentialCases, budgetMs = 150_000, settleMs = 60, onCase }) {
  const deadline = Date.now() + budgetMs
  const self = new URL(serverUrl).origin
  const out = []
  for (const c of cases) {
    if (Date.now() > deadline) {
      out.push({ name: c.name, rule: c.rule, skipped: 'run budget exhausted' })
      continue
    }
    const t0 = Date.now()
    /** @type {any} */
    const r = { name: c.name, rule: c.rule }
    for (const side of ['native', 'ours']) {
      const Ctor = side === 'native' ? globalThis.EventSource : lib?.FetchEventSource
      try {
        if (typeof Ctor !== 'function') throw new Error(`${side} EventSource constructor unavailable`)
        r[side] = await runSide(Ctor, c, { self, alt: altOrigin, settleMs })
      } catch (e) {
        r[side] = { fatal: errorText(e) }
      }
    }
    r.ms = Date.now() - t0
    out.push(r)
    onCase?.(r)
  }
  return out
}

/** @param {unknown} e */
function errorText(e) {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}

/**
 * @param {string} self @param {string} path @param {RequestInit} [init]
 */
async function api(self, path, init) {
  const res = await fetch(self + path, init)
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

/**
 * Scripts the case's responses (targets first) for one side and returns { url, keys }.
 * @param {any} c @param {{ self: string, alt: string }} ctx
 */
async function scriptCase(c, ctx) {
  /** @type {Record<string, { key: string, url: string }>} */
  const scripted = {}
  /** @param {any[]} responses */
  const resolve = (responses) =>
    responses.map((resp) => {
      if (!resp.redirect || typeof resp.redirect === 'string') return resp
      const target = scripted[resp.redirect.script]
      if (!target) throw new Error(`case ${c.name}: unknown script ${resp.redirect.script}`)
      return { ...resp, redirect: resp.redirect.origin === 'alt' ? swapOrigin(target.url, ctx.alt) : target.url }
    })
  /** @param {any[]} responses */
  const post = (responses) =>
    api(ctx.self, '/script', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ responses: resolve(responses) }),
    })
  for (const [name, responses] of Object.entries(c.scripts ?? {})) scripted[name] = await post(responses)
  const main = await post(c.responses)
  return { url: c.origin === 'alt' ? swapOrigin(main.url, ctx.alt) : main.url, keys: { main: main.key, ...Object.fromEntries(Object.entries(scripted).map(([n, s]) => [n, s.key])) } }
}

/** @param {string} url @param {string} origin */
function swapOrigin(url, origin) {
  const u = new URL(url)
  return origin + u.pathname + u.search
}

/**
 * @param {any} Ctor @param {any} c @param {{ self: string, alt: string, settleMs: number }} ctx
 */
async function runSide(Ctor, c, ctx) {
  const { url, keys } = await scriptCase(c, ctx)
  /** @type {any[]} */
  const traces = []
  /** @type {string | undefined} */
  let stop
  const started = Date.now()
  const es = new Ctor(url, c.withCredentials ? { withCredentials: true } : undefined)
  try {
    await new Promise((resolve) => {
      /** @type {any} */
      let settle
      let finished = false
      /** @param {string} why @param {number} wait */
      const finish = (why, wait) => {
        if (stop) return
        stop = why
        clearTimeout(timer)
        settle = setTimeout(() => ((finished = true), resolve(undefined)), wait)
      }
      const timer = setTimeout(() => finish('timeout', 0), c.timeoutMs ?? 4000)
      /** @param {any} ev */
      const on = (ev) => {
        if (finished) return
        const rec =
          ev.type === 'open' || ev.type === 'error'
            ? { type: ev.type, readyState: es.readyState }
            : { type: ev.type, data: ev.data, lastEventId: ev.lastEventId, origin: symbolicOrigin(ev.origin, ctx), readyState: es.readyState }
        if (stop) /** @type {any} */ (rec).late = stop // arrived after the stop condition
        traces.push(rec)
        if (stop) return
        if (c.closeAt === traces.length) {
          es.close()
          finish('close()', 300)
        } else if (ev.type === 'error' && es.readyState === 2) finish('closed', ctx.settleMs)
        else if (c.until?.count === traces.length) finish('count', ctx.settleMs)
      }
      for (const type of new Set(['open', 'error', 'message', ...(c.types ?? [])])) es.addEventListener(type, on)
      void settle
    })
  } finally {
    es.close()
  }
  /** @type {Record<string, any[]>} */
  const requests = {}
  for (const [name, key] of Object.entries(keys)) {
    const recs = await api(ctx.self, `/requests/${key}`)
    requests[name] = recs.map((/** @type {any} */ r) => ({
      method: r.method,
      accept: r.headers.accept ?? null,
      lastEventId: r.headers['last-event-id'] ?? null,
      cacheControl: r.headers['cache-control'] ?? null,
      pragma: r.headers.pragma ?? null,
    }))
  }
  return { traces, stop, requests, ms: Date.now() - started }
}

/** @param {string} origin @param {{ self: string, alt: string }} ctx */
function symbolicOrigin(origin, ctx) {
  return origin === ctx.self ? 'self' : origin === ctx.alt ? 'alt' : origin
}

// ---------------------------------------------------------------------------------------------------
// Pure helpers shared with the Node side

/** One trace record as a short string: `open`, `error(CLOSED)`, `foo "data" id="1" @alt`. */
export function compact(/** @type {any} */ r) {
  const rs = ['CONNECTING', 'OPEN', 'CLOSED'][r.readyState] ?? r.readyState
  let s
  if (r.type === 'open') s = r.readyState === 1 ? 'open' : `open(${rs})`
  else if (r.type === 'error') s = `error(${rs})`
  else {
    s = `${r.type} ${JSON.stringify(r.data)}`
    if (r.lastEventId) s += ` id=${JSON.stringify(r.lastEventId)}`
    if (r.origin !== 'self') s += ` @${r.origin}`
    if (r.readyState !== 1) s += ` (${rs})`
  }
  return r.late ? `${s} [after ${r.late}]` : s
}

/** @param {any[] | undefined} traces */
export const compactAll = (traces) => (traces ?? []).map(compact).join(', ')

const stable = (/** @type {unknown} */ v) => JSON.stringify(v)

/** Request fields that must be identical; Cache-Control and Pragma are only reported (the fetch layer adds them). */
const STRICT_FIELDS = ['method', 'accept', 'lastEventId']
const NOTE_FIELDS = ['cacheControl', 'pragma']

/**
 * Compares the two sides of one case, and each side with the case's expectation when it has one.
 * @param {any} c the case definition (expect, expectLastEventIds, expectRequestCounts, known)
 * @param {any} r the in-page result { name, rule, native, ours }
 * @param {string} [engine] picks the case's `known[engine]` (or `known.all`) explanation
 */
export function compareCase(c, r, engine = '') {
  const known = c?.known?.[engine] ?? c?.known?.all
  if (r.skipped) return { name: r.name, rule: r.rule, match: false, skipped: r.skipped, diffs: [`not run: ${r.skipped}`], headerNotes: [] }
  const diffs = []
  const headerNotes = []
  const n = r.native ?? {}
  const o = r.ours ?? {}
  if (n.fatal || o.fatal) diffs.push(`fatal: native=${n.fatal ?? '-'} ours=${o.fatal ?? '-'}`)
  if (stable(n.traces) !== stable(o.traces)) diffs.push(`events: native [${compactAll(n.traces)}] vs ours [${compactAll(o.traces)}]`)
  if (n.stop !== o.stop) diffs.push(`stop: native ${n.stop} vs ours ${o.stop}`)
  for (const script of new Set([...Object.keys(n.requests ?? {}), ...Object.keys(o.requests ?? {})])) {
    const nr = n.requests?.[script] ?? []
    const or = o.requests?.[script] ?? []
    if (nr.length !== or.length) diffs.push(`requests to ${script}: native ${nr.length} vs ours ${or.length}`)
    const len = Math.min(nr.length, or.length)
    for (const field of [...STRICT_FIELDS, ...NOTE_FIELDS]) {
      const nv = nr.slice(0, len).map((/** @type {any} */ x) => x[field])
      const ov = or.slice(0, len).map((/** @type {any} */ x) => x[field])
      if (stable(nv) === stable(ov)) continue
      const line = `${field} of requests to ${script}: native ${stable(nv)} vs ours ${stable(ov)}`
      if (STRICT_FIELDS.includes(field)) diffs.push(line)
      else headerNotes.push(line)
    }
  }
  const ours = c?.ours?.[engine] ?? c?.ours?.all
  /**
   * What the side does against an expectation (the rule's, or for our side what `ours` pins in its place).
   * @param {any} side @param {any} e
   */
  const spec = (side, e) => {
    if (!e.expect && !e.expectLastEventIds && !e.expectRequestCounts) return undefined
    if (!side || side.fatal) return ['did not run']
    const problems = []
    const traces = [e.expect, ...(e.alternatives ?? [])].filter(Boolean)
    if (traces.length && !traces.some((t) => stable(side.traces) === stable(t))) {
      problems.push(`events [${compactAll(side.traces)}], ${e === c ? 'rule expects' : 'expected'} [${traces.map(compactAll).join('] or [')}]`)
    }
    if (e.expectLastEventIds) {
      const got = (side.requests?.main ?? []).map((/** @type {any} */ x) => x.lastEventId)
      if (stable(got) !== stable(e.expectLastEventIds)) problems.push(`Last-Event-ID per request ${stable(got)}, ${e === c ? 'rule expects' : 'expected'} ${stable(e.expectLastEventIds)}`)
    }
    if (e.expectRequestCounts) {
      const got = Object.fromEntries(Object.keys(e.expectRequestCounts).map((k) => [k, side.requests?.[k]?.length ?? 0]))
      if (stable(got) !== stable(e.expectRequestCounts)) problems.push(`requests per script ${stable(got)}, ${e === c ? 'rule expects' : 'expected'} ${stable(e.expectRequestCounts)}`)
    }
    return problems
  }
  const oursExpected = ours ? { ...(c ?? {}), ...ours, alternatives: [...(ours.expect ? [] : c?.expect ? [c.expect] : []), ...(ours.alternatives ?? [])] } : c ?? {}
  const match = diffs.length === 0
  return {
    name: r.name,
    rule: r.rule,
    match,
    known: match ? undefined : known,
    knownUnseen: match && known ? known : undefined,
    diffs,
    headerNotes,
    note: c?.note,
    nativeSpec: spec(n, c ?? {}),
    oursSpec: spec(o, c ?? {}),
    /** Where our side breaks the rule, or departs from what `ours` pins for this engine: always a failure. */
    oursBroken: spec(o, oursExpected) ?? [],
    oursReason: ours?.reason,
    native: n,
    ours: o,
  }
}
