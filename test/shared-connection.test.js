// `shared`: one connection for every source with the same key, in Node, against the stand-in browser of
// test/support/stand-in-browser.js (BroadcastChannel and Web Locks the test drives, a window and a document per
// tab). The protocol is the one of src/shared-connection.ts: a leader holds the lock and passes what it sees on
// (event, id, retry, open, error, state), says bye when it leaves on purpose, and a new leader after a crash waits
// SETTLE_MS for the old one's last messages. Every step is checked exactly: the requests and their Last-Event-ID,
// what each source dispatches with its id, origin and readyState, what is left at the lock manager and on the
// channel. The same behaviour runs in real browsers in test/page-life-browser.test.js and
// test/page-life-other-browsers.test.js; this file pins the interleavings a browser produces only by chance.
//
// `shared` switches itself off wherever `process.versions.node` or `Deno` is defined: the stand-in hides exactly
// those while it is installed (before/after), so the same file runs on Node, Deno and Bun. After every test, every
// source is closed and nothing may remain: no open channel, no held or queued lock, no window or document listener
// but the two the module keeps for the network state.
import assert from 'node:assert/strict'
import { after, afterEach, before, test } from 'node:test'
import { FetchEventSource, FetchEventSourceError } from '../dist/index.js'
import { drivenFetch, record, StandInBrowser, until } from './support/stand-in-browser.js'

const { CONNECTING, OPEN, CLOSED } = FetchEventSource
/** src/shared-connection.ts: how long a new leader waits after a leader that vanished without a bye. */
const SETTLE_MS = 150
/**
 * Timers fire against the event loop's clock, which is read once per turn: measured with performance.now() from
 * inside a turn, a timer may seem to fire up to that turn's length early. Lower bounds on waits allow this much.
 */
const TIMER_SLACK_MS = 10
/** Relative, as in a page: resolved against the stand-in document's base URL. */
const url = '/ticks'
const origin = 'http://app.test'

const browser = new StandInBrowser()
/**
 * The listeners left when no source is open: the module's own (one `online`, one `offline`), once it has run.
 * @type {string[]}
 */
let baseline = []
/** @type {FetchEventSource[]} */
const sources = []

before(async () => {
  browser.install()
  // The first source that watches the page makes the module listen for online/offline, for good: let that
  // happen here, so every test can require the listeners to be exactly what they were before it.
  const setup = browser.context('setup')
  const { fetch, call } = drivenFetch()
  const source = setup.run(() => new FetchEventSource(url, { fetch }))
  await call(1)
  source.close()
  baseline = browser.listeners()
})

after(() => browser.uninstall())

afterEach(async () => {
  for (const source of sources.splice(0)) source.close()
  browser.locks.manual = false
  browser.grant()
  try {
    // Releases settle in microtasks and a lock passes to the next request a task later: wait for the queue to drain.
    await until(() => browser.remains().held.length === 0 && browser.remains().pending.length === 0, 'every lock released')
    assert.deepEqual(browser.remains(), { channels: [], held: [], pending: [], grants: 0, inFlight: 0 })
    assert.deepEqual(browser.listeners(), baseline)
  } finally {
    browser.reset()
  }
})

/**
 * A source in `tab`, recorded, closed after the test.
 * @param {import('./support/stand-in-browser.js').Context} tab
 * @param {ConstructorParameters<typeof FetchEventSource>[1]} init
 * @param {string[]} [types]
 */
function open(tab, init, types) {
  const source = tab.run(() => new FetchEventSource(url, init))
  sources.push(source)
  return { source, log: record(source, types) }
}

/** @param {string} data @param {string} id @param {string} [type] */
const message = (data, id, type = 'message') => [type, data, id, origin, OPEN]

/** The messages `label`'s sources posted with type `t`. @param {string} label @param {string} t */
const posted = (label, t) => browser.channels.posted.filter((m) => m.from === label && m.data.t === t)

/** Every message posted on the channel, in order, as [context, message]. */
const channel = () => browser.channels.posted.map((m) => [m.from, m.data])

/** What crypto.randomUUID() makes: the terms of leaders. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The `message` of every error `source` dispatches from now on, in order. @param {FetchEventSource} source */
function errorMessages(source) {
  /** @type {string[]} */
  const messages = []
  source.addEventListener('error', (event) => messages.push(event.message))
  return messages
}

/** Waits until every message posted has been delivered (and every hello answered). */
const quiet = () => until(() => browser.channels.inFlight.length === 0, 'every message delivered')

/** Waits until the lock `key` has `n` requests waiting behind its holder. @param {string} key @param {number} n */
const queued = (key, n) =>
  until(() => browser.lockSnapshot().pending.filter((p) => p.startsWith(`fetch-eventsource:${key}@`)).length === n, `${n} queued for ${key}`)

/** A leader in tab A, OPEN with event 1, and followers in B and C that received it. */
async function leaderAndTwoFollowers(/** @type {ConstructorParameters<typeof FetchEventSource>[1]} */ init = {}) {
  const driven = drivenFetch()
  const [A, B, C] = ['A', 'B', 'C'].map((label) => browser.context(label))
  const a = open(A, { shared: 'k', fetch: driven.fetch, ...init })
  const first = await driven.call(1)
  const b = open(B, { shared: 'k', fetch: driven.fetch, ...init })
  const c = open(C, { shared: 'k', fetch: driven.fetch, ...init })
  await queued('k', 2)
  // B and C have heard A's state (CONNECTING): the open and the events they get next come from A's own messages.
  await quiet()
  const stream = first.respond()
  stream.send('id: 1\ndata: one\n\n')
  await until(() => [a, b, c].every((s) => s.log.length === 2), 'open and event 1 everywhere')
  for (const s of [a, b, c]) assert.deepEqual(s.log, [['open', OPEN], message('one', '1')])
  return { ...driven, A, B, C, a, b, c, first, stream }
}

// ---- one connection --------------------------------------------------------------------------------------------

test('three sources with one key: one request; each gets open and every event in order, with id and origin', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B, C] = ['A', 'B', 'C'].map((label) => browser.context(label))
  const a = open(A, { shared: 'prices', fetch }, ['message', 'tick'])
  const first = await call(1)
  assert.equal(first.url, `${origin}/ticks`)
  assert.equal(first.lastEventId, null)
  const b = open(B, { shared: 'prices', fetch }, ['message', 'tick'])
  const c = open(C, { shared: 'prices', fetch }, ['message', 'tick'])
  await queued('prices', 2)
  await quiet()
  // B and C asked for the leader's state and heard CONNECTING: nothing to dispatch yet.
  assert.deepEqual(posted('A', 'state').map((m) => m.data.readyState), [CONNECTING, CONNECTING])
  assert.deepEqual([b.log, c.log, b.source.readyState, c.source.readyState], [[], [], CONNECTING, CONNECTING])

  const stream = first.respond()
  stream.send('id: 1\ndata: one\n\nevent: tick\nid: 2\ndata: two\n\n')
  stream.send('data: three\n\n')
  const expected = [['open', OPEN], message('one', '1'), message('two', '2', 'tick'), message('three', '2')]
  await until(() => b.log.length === 4 && c.log.length === 4, 'every event at B and C')
  assert.deepEqual(a.log, expected)
  assert.deepEqual(b.log, expected)
  assert.deepEqual(c.log, expected)
  assert.equal(calls.length, 1)
  for (const s of [a, b, c]) assert.deepEqual([s.source.readyState, s.source.lastEventId], [OPEN, '2'])

  assert.deepEqual(await a.source.sharedStatus(), { key: 'prices', leader: true, sources: 3, contexts: 3 })
  assert.deepEqual(await b.source.sharedStatus(), { key: 'prices', leader: false, sources: 3, contexts: 3 })
  assert.deepEqual(await c.source.sharedStatus(), { key: 'prices', leader: false, sources: 3, contexts: 3 })
  // A second source in tab B: four sources, still three contexts, still one request.
  const d = open(B, { shared: 'prices', fetch })
  await until(() => d.log.length === 1, 'the new source opens from the state')
  assert.deepEqual(d.log, [['open', OPEN]])
  assert.deepEqual(await d.source.sharedStatus(), { key: 'prices', leader: false, sources: 4, contexts: 3 })
  assert.equal(calls.length, 1)
})

test('what the channel carries, exactly: hello; the leader\'s lead, state, open, retry, event, id, each error with the state it leaves, and bye', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B, C] = ['A', 'B', 'C'].map((label) => browser.context(label))
  const init = { shared: 'k', fetch, decodeBase64: true, retry: { initialDelay: 700 } }
  browser.locks.manual = true
  const a = open(A, init)
  await until(() => browser.locks.grants.length === 1, "A's lock granted")
  assert.deepEqual(channel(), [['A', { t: 'hello' }]])
  assert.equal(browser.grant(), 1)
  // A free lock had no holder a moment ago: A leads at once, under a term of its own.
  const term = posted('A', 'lead')[0]?.data.term
  assert.match(term, UUID)
  browser.locks.manual = false
  const first = await call(1)
  const b = open(B, init)
  await queued('k', 1)
  await quiet()
  // Only the leader answers a hello: B, following, says nothing to C's.
  const c = open(C, init)
  await queued('k', 2)
  await quiet()
  const errors = errorMessages(a.source)
  const stream = first.respond()
  // The open message alone opens the followers.
  await until(() => b.log.length === 1 && c.log.length === 1, 'open at B and C')
  stream.send('retry: 20\nid: 1\ndata: b25l\n\nid: 2\n\ndata: !!!\n\n')
  await until(() => c.log.length === 3, 'open, event 1 and the invalid-base64 error at C')
  stream.end()
  const second = await call(2)
  second.respond(404)
  await until(() => c.source.readyState === CLOSED && b.source.readyState === CLOSED, 'B and C closed with A')
  assert.equal(errors.length, 3)
  const name = 'fetch-eventsource:k'
  assert.ok(browser.channels.posted.every((m) => m.name === name))
  assert.deepEqual(channel(), [
    ['A', { t: 'hello' }],
    ['A', { t: 'lead', term }],
    ['B', { t: 'hello' }],
    ['A', { t: 'state', term, readyState: CONNECTING, lastEventId: '', origin: '', retry: 700 }],
    ['C', { t: 'hello' }],
    ['A', { t: 'state', term, readyState: CONNECTING, lastEventId: '', origin: '', retry: 700 }],
    ['A', { t: 'open', term, origin }],
    ['A', { t: 'retry', term, ms: 20 }],
    ['A', { t: 'event', term, type: 'message', data: 'one', lastEventId: '1', origin }],
    ['A', { t: 'id', term, lastEventId: '2' }],
    ['A', { t: 'error', term, code: 'invalid-base64', message: errors[0], readyState: OPEN, lastEventId: '2', origin }],
    ['A', { t: 'error', term, code: 'stream-ended', message: 'The server ended the stream', readyState: CONNECTING, lastEventId: '2', origin }],
    ['A', { t: 'error', term, code: 404, message: errors[2], readyState: CLOSED, lastEventId: '2', origin }],
    ['A', { t: 'bye', term }],
  ])
  assert.equal(errors[0], 'Event data is not valid base64 (event type "message")')
  const expected = [['open', OPEN], message('one', '1'), ['error', 'invalid-base64', OPEN], ['error', 'stream-ended', CONNECTING], ['error', 404, CLOSED]]
  for (const s of [a, b, c]) assert.deepEqual(s.log, expected)
  assert.equal(calls.length, 2)
})

// ---- handovers -------------------------------------------------------------------------------------------------

test('the leader closes: bye, and the next takes over at once with Last-Event-ID; follower close and last close', async () => {
  const { calls, call, a, b, c, first, stream } = await leaderAndTwoFollowers()
  stream.send('id: 2\ndata: two\n\n')
  await until(() => b.log.length === 3 && c.log.length === 3, 'event 2 at B and C')

  browser.locks.manual = true
  a.source.close()
  assert.equal(first.signal.aborted, true)
  assert.equal(posted('A', 'bye').length, 1)
  await until(() => browser.locks.grants.length === 1 && browser.channels.inFlight.length === 0, 'the lock freed for B, the bye delivered')
  browser.grant()
  // At once: B's lead is posted by the grant itself, with no settle wait (the old leader said bye).
  assert.equal(posted('B', 'lead').length, 1)
  const second = await call(2)
  assert.equal(second.lastEventId, '2')
  const handover = [['open', OPEN], message('one', '1'), message('two', '2'), ['error', 'connection-lost', CONNECTING]]
  await until(() => c.log.length === 4, 'the handover error at C')
  assert.deepEqual(b.log, handover)
  assert.deepEqual(c.log, handover)

  const stream2 = second.respond()
  stream2.send('id: 3\ndata: three\n\n')
  await until(() => b.log.length === 6 && c.log.length === 6, 'open and event 3 at B and C')
  const resumed = [...handover, ['open', OPEN], message('three', '3')]
  assert.deepEqual(b.log, resumed)
  assert.deepEqual(c.log, resumed)
  assert.deepEqual(a.log, [['open', OPEN], message('one', '1'), message('two', '2')])

  // A follower's close leaves the queue and changes nothing for the leader.
  c.source.close()
  assert.deepEqual(browser.lockSnapshot(), { held: ['fetch-eventsource:k@B'], pending: [] })
  stream2.send('id: 4\ndata: four\n\n')
  await until(() => b.log.length === 7, 'event 4 at B')
  assert.deepEqual(b.log.at(-1), message('four', '4'))
  assert.deepEqual(c.log, resumed)
  assert.equal(second.signal.aborted, false)
  assert.equal(calls.length, 2)

  // The last close aborts the connection.
  b.source.close()
  assert.equal(second.signal.aborted, true)
  await until(() => browser.remains().held.length === 0, 'the lock released')
  assert.equal(calls.length, 2)
})


test('a crashed leader (no bye): the next waits SETTLE_MS for its last messages, resumes after them; the old term ends at the new lead', async () => {
  const { calls, call, A, B, a, b, c, stream } = await leaderAndTwoFollowers()
  // A passes events 2 and 3 on; both are still in flight (to B and to C) when its tab dies.
  browser.channels.manual = true
  stream.send('id: 2\ndata: two\n\nid: 3\ndata: three\n\n')
  await until(() => a.log.length === 4, 'events 2 and 3 at A')
  assert.equal(browser.channels.inFlight.length, 4)
  browser.locks.manual = true
  browser.crash(A)
  // The crashed tab runs nothing more: closing its source here only ends its stream in this process (its bye
  // reaches no one, its lock is B's already).
  a.source.close()
  assert.equal(browser.grant(), 1)
  const granted = performance.now()
  // B holds the lock, but neither leads nor connects yet: it heard A's term and no bye.
  assert.deepEqual(browser.lockSnapshot(), { held: ['fetch-eventsource:k@B'], pending: ['fetch-eventsource:k@C'] })
  assert.deepEqual(await b.source.sharedStatus(), { key: 'k', leader: true, sources: 2, contexts: 2 })
  assert.equal(posted('B', 'lead').length, 0)
  assert.equal(calls.length, 1)

  // Event 2 arrives during the wait, at B and at C.
  assert.equal(browser.deliver((item) => item.data.lastEventId === '2'), 2)
  assert.equal(b.source.lastEventId, '2')
  const second = await call(2)
  const waited = performance.now() - granted
  assert.ok(waited >= SETTLE_MS - TIMER_SLACK_MS, `B connected ${waited.toFixed(1)} ms after it got the lock`)
  assert.equal(second.lastEventId, '2')
  assert.equal(posted('B', 'lead').length, 1)

  // C hears B's lead, then A's event 3, later than any settle delay: a message of an ended term, dropped, since the
  // new connection resumes after 2 and brings 3 again. B, leading, ignores it too.
  assert.equal(browser.deliver((item) => item.from === B && item.data.t === 'lead'), 1)
  assert.equal(browser.deliver((item) => item.from === A), 2)
  browser.channels.manual = false
  browser.deliver()
  const stream2 = second.respond()
  stream2.send('id: 3\ndata: three\n\nid: 4\ndata: four\n\n')
  await until(() => b.log.length === 7 && c.log.length === 7, 'events 3 and 4 at B and C')
  const expected = [
    ['open', OPEN],
    message('one', '1'),
    message('two', '2'),
    ['error', 'connection-lost', CONNECTING],
    ['open', OPEN],
    message('three', '3'),
    message('four', '4'),
  ]
  assert.deepEqual(b.log, expected)
  assert.deepEqual(c.log, expected)
  assert.equal(calls.length, 2)
})

test('the holder closes during the settle wait: it never leads, and the next holder waits its own delay', async () => {
  const { calls, call, A, a, b, c } = await leaderAndTwoFollowers()
  browser.locks.manual = true
  browser.crash(A)
  a.source.close()
  assert.equal(browser.grant(), 1)
  b.source.close()
  await until(() => browser.locks.grants.length === 1, 'the lock freed for C')
  assert.equal(browser.grant(), 1)
  const granted = performance.now()
  const second = await call(2)
  const waited = performance.now() - granted
  assert.ok(waited >= SETTLE_MS - TIMER_SLACK_MS, `C connected ${waited.toFixed(1)} ms after it got the lock`)
  assert.equal(second.lastEventId, '1')
  // B's delay ran out before C's: it neither led nor said anything.
  assert.deepEqual([posted('B', 'lead').length, posted('B', 'bye').length, posted('C', 'lead').length], [0, 0, 1])
  second.respond().send('id: 2\ndata: two\n\n')
  await until(() => c.log.length === 5, 'open and event 2 at C')
  assert.deepEqual(c.log, [['open', OPEN], message('one', '1'), ['error', 'connection-lost', CONNECTING], ['open', OPEN], message('two', '2')])
  assert.deepEqual(b.log, [['open', OPEN], message('one', '1')])
  assert.equal(calls.length, 2)
})

test('a takeover by a source that never heard the old leader (its hello unanswered): it tells the open ones to reconnect', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B, C] = ['A', 'B', 'C'].map((label) => browser.context(label))
  const a = open(A, { shared: 'k', fetch })
  const stream = (await call(1)).respond()
  stream.send('id: 1\ndata: one\n\n')
  await until(() => a.log.length === 2, 'event 1 at A')
  browser.channels.manual = true
  const b = open(B, { shared: 'k', fetch })
  await queued('k', 1)
  const c = open(C, { shared: 'k', fetch })
  await queued('k', 2)
  const heard = errorMessages(c.source)
  // C's hello reaches A and B; A's state reaches C only: C is open, B has heard nothing from A.
  assert.equal(browser.deliver((item) => item.from === C), 2)
  assert.equal(browser.deliver((item) => item.data.t === 'state' && item.to.context === C), 1)
  assert.deepEqual(c.log, [['open', OPEN]])
  browser.locks.manual = true
  browser.crash(A)
  a.source.close()
  await until(() => browser.locks.grants.length === 1, 'the lock freed for B')
  assert.equal(browser.grant(), 1)
  assert.equal(posted('B', 'lead').length, 0)
  const second = await call(2)
  // B resumes from what it knows: nothing. C, open on the old connection, must reconnect with it.
  assert.equal(second.lastEventId, null)
  const term = posted('B', 'lead')[0]?.data.term
  assert.match(term, UUID)
  const takeover = 'The context that held the shared connection left; this one takes over'
  assert.deepEqual(posted('B', 'error').map((m) => m.data), [
    { t: 'error', term, code: 'connection-lost', message: takeover, readyState: CONNECTING, lastEventId: '', origin: '' },
  ])
  // A's state to B, of an ended term, is dropped; B's lead and error reach C.
  assert.equal(browser.deliver(), 3)
  assert.deepEqual(b.log, [])
  assert.deepEqual(c.log, [['open', OPEN], ['error', 'connection-lost', CONNECTING]])
  assert.deepEqual(heard, [takeover])
  browser.channels.manual = false
  second.respond().send('id: 2\ndata: two\n\n')
  await until(() => b.log.length === 2 && c.log.length === 4, 'open and event 2 at B and C')
  assert.deepEqual(b.log, [['open', OPEN], message('two', '2')])
  assert.deepEqual(c.log, [['open', OPEN], ['error', 'connection-lost', CONNECTING], ['open', OPEN], message('two', '2')])
  assert.equal(calls.length, 2)
})

test('a takeover from a leader that never opened: no error anywhere, the new leader connects and everyone opens once', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B, C] = ['A', 'B', 'C'].map((label) => browser.context(label))
  const a = open(A, { shared: 'k', fetch })
  const first = await call(1)
  const b = open(B, { shared: 'k', fetch })
  await queued('k', 1)
  const c = open(C, { shared: 'k', fetch })
  await queued('k', 2)
  await quiet()
  browser.locks.manual = true
  a.source.close()
  assert.equal(first.signal.aborted, true)
  await until(() => browser.locks.grants.length === 1 && browser.channels.inFlight.length === 0, 'the lock freed for B, the bye delivered')
  assert.equal(browser.grant(), 1)
  const term = posted('B', 'lead')[0]?.data.term
  assert.match(term, UUID)
  const second = await call(2)
  assert.equal(second.lastEventId, null)
  second.respond().send('id: 1\ndata: one\n\n')
  await until(() => b.log.length === 2 && c.log.length === 2, 'open and event 1 at B and C')
  for (const s of [b, c]) assert.deepEqual(s.log, [['open', OPEN], message('one', '1')])
  assert.deepEqual(a.log, [])
  assert.deepEqual(posted('B', 'error'), [])
  assert.deepEqual(posted('B', 'open').map((m) => m.data), [{ t: 'open', term, origin }])
  assert.equal(calls.length, 2)
})

test('a bye that arrives while the new holder waits for stragglers: it leads at once, and only once', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B, C] = ['A', 'B', 'C'].map((label) => browser.context(label))
  // B's own reconnection time: its next attempt comes well after the settle delay would have run out.
  const init = { shared: 'k', fetch, retry: { initialDelay: SETTLE_MS + 100 } }
  const a = open(A, init)
  const stream = (await call(1)).respond()
  const b = open(B, init)
  await queued('k', 1)
  const c = open(C, init)
  await queued('k', 2)
  await quiet()
  stream.send('id: 1\ndata: one\n\n')
  await until(() => b.log.length === 2 && c.log.length === 2, 'event 1 at B and C')
  browser.channels.manual = true
  browser.locks.manual = true
  a.source.close()
  await until(() => browser.locks.grants.length === 1, 'the lock freed for B')
  // The browser grants the lock before it delivers A's bye: B waits.
  assert.equal(browser.grant(), 1)
  assert.deepEqual(await b.source.sharedStatus(), { key: 'k', leader: true, sources: 2, contexts: 2 })
  assert.equal(posted('B', 'lead').length, 0)
  assert.equal(browser.deliver((item) => item.data.t === 'bye'), 2)
  const term = posted('B', 'lead')[0]?.data.term
  assert.match(term, UUID)
  const takeover = 'The context that held the shared connection left; this one takes over'
  assert.deepEqual(posted('B', 'error').map((m) => m.data), [
    { t: 'error', term, code: 'connection-lost', message: takeover, readyState: CONNECTING, lastEventId: '1', origin },
  ])
  browser.channels.manual = false
  browser.deliver()
  const second = await call(2)
  assert.equal(second.lastEventId, '1')
  const stream2 = second.respond()
  stream2.send('id: 2\ndata: two\n\n')
  await until(() => c.log.length === 5, 'open and event 2 at C')
  stream2.end()
  // The next attempt, SETTLE_MS + 100 ms later: had the settle timer survived the bye, B would have led again by now.
  const third = await call(3)
  assert.equal(third.lastEventId, '2')
  assert.equal(posted('B', 'lead').length, 1)
  const expected = [
    ['open', OPEN],
    message('one', '1'),
    ['error', 'connection-lost', CONNECTING],
    ['open', OPEN],
    message('two', '2'),
    ['error', 'stream-ended', CONNECTING],
  ]
  assert.deepEqual(b.log, expected)
  await until(() => c.log.length === 6, 'the stream-ended error at C')
  assert.deepEqual(c.log, expected)
  assert.equal(calls.length, 3)
})

/**
 * B, the leader, crashes without a bye (its source closed with it): C, next in the queue, gets the lock and must
 * still wait the settle time for B's stragglers before it connects, with the last id B passed on (2).
 */
async function crashAndSettle(B, b, call) {
  browser.locks.manual = true
  browser.crash(B)
  b.source.close()
  assert.equal(browser.grant(), 1)
  assert.equal(posted('C', 'lead').length, 0)
  const granted = performance.now()
  const third = await call(3)
  const waited = performance.now() - granted
  assert.ok(waited >= SETTLE_MS - TIMER_SLACK_MS, `C connected ${waited.toFixed(1)} ms after it got the lock`)
  assert.equal(third.lastEventId, '2')
}

test('a new term starts afresh: the bye of the one before does not spare the next holder its settle wait', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B, C] = ['A', 'B', 'C'].map((label) => browser.context(label))
  const a = open(A, { shared: 'k', fetch })
  const stream = (await call(1)).respond()
  const b = open(B, { shared: 'k', fetch })
  await queued('k', 1)
  const c = open(C, { shared: 'k', fetch })
  await queued('k', 2)
  await quiet()
  stream.send('id: 1\ndata: one\n\n')
  await until(() => c.log.length === 2, 'event 1 at C')
  a.source.close()
  const second = await call(2)
  const stream2 = second.respond()
  stream2.send('id: 2\ndata: two\n\n')
  await until(() => c.log.length === 5, 'the handover at C, then open and event 2')
  // C heard A's bye, then B's lead. B crashes without a bye.
  await crashAndSettle(B, b, call)
  assert.equal(posted('C', 'lead').length, 1)
  assert.equal(calls.length, 3)
})

test('a follower that rejoins starts afresh: a bye it heard before it left does not spare it the settle wait later', async () => {
  const { calls, call, B, C, a, b, c } = await leaderAndTwoFollowers()
  browser.channels.manual = true
  a.source.close()
  // C hears A's bye, and leaves (frozen) before B's lead reaches it.
  assert.equal(browser.deliver((item) => item.to.context === C), 1)
  C.freeze()
  browser.channels.manual = false
  browser.deliver()
  const second = await call(2)
  const stream2 = second.respond()
  await until(() => b.log.length === 4, 'B open on its own connection')
  C.resume()
  await until(() => c.log.length === 3, 'C opens again')
  await queued('k', 1)
  stream2.send('id: 2\ndata: two\n\n')
  await until(() => c.log.length === 4, 'event 2 at C')
  // B dies without a bye: C, holding the lock next, waits for B's stragglers.
  await crashAndSettle(B, b, call)
  assert.deepEqual(c.log, [['open', OPEN], message('one', '1'), ['open', OPEN], message('two', '2'), ['error', 'connection-lost', CONNECTING]])
  assert.equal(calls.length, 3)
})

// ---- joining a running connection ------------------------------------------------------------------------------

test('a late joiner: the state answer opens it, with the connection\'s lastEventId and reconnection time', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, L] = ['A', 'L'].map((label) => browser.context(label))
  const a = open(A, { shared: 'k', fetch })
  const first = await call(1)
  first.respond().send('retry: 200\nid: 5\ndata: five\n\n')
  await until(() => a.log.length === 2, 'event 5 at A')
  // On its own, L would send Last-Event-ID: mine and wait 60 s before a reconnect.
  const l = open(L, { shared: 'k', fetch, lastEventId: 'mine', retry: { initialDelay: 60_000 } })
  await until(() => l.log.length === 1, 'L opens')
  assert.deepEqual(l.log, [['open', OPEN]])
  assert.deepEqual([l.source.readyState, l.source.lastEventId], [OPEN, '5'])

  // The reconnection time: L takes over, its stream ends, and it reconnects after the server's 200 ms.
  a.source.close()
  const second = await call(2)
  assert.equal(second.lastEventId, '5')
  const stream2 = second.respond()
  stream2.send('id: 6\ndata: six\n\n')
  await until(() => l.log.length === 4, 'event 6 at L')
  const ending = performance.now()
  stream2.end()
  const third = await call(3)
  const waited = performance.now() - ending
  assert.ok(waited >= 200 - TIMER_SLACK_MS, `reconnected after ${waited.toFixed(1)} ms`)
  assert.equal(third.lastEventId, '6')
  assert.deepEqual(l.log, [['open', OPEN], ['error', 'connection-lost', CONNECTING], ['open', OPEN], message('six', '6'), ['error', 'stream-ended', CONNECTING]])
  assert.equal(calls.length, 3)
})

/**
 * A leads, with one event (`first`, id 1) dispatched; L then joins with the same `init`, the channels held
 * (`browser.channels.manual`), so that its hello is still in flight and nothing has reached it.
 */
async function joinerWithHelloInFlight(init, first) {
  const { fetch, calls, call } = drivenFetch()
  const [A, L] = ['A', 'L'].map((label) => browser.context(label))
  const a = open(A, { shared: 'k', fetch, ...init })
  const stream = (await call(1)).respond()
  stream.send(first)
  await until(() => a.log.length === 2, 'event 1 at A')
  browser.channels.manual = true
  const l = open(L, { shared: 'k', fetch, ...init })
  await until(() => browser.channels.inFlight.some((item) => item.data.t === 'hello'), "L's hello in flight")
  return { calls, L, a, l, stream }
}

test('a late joiner whose hello is unanswered: an event that outruns the state opens it first', async () => {
  const { calls, L, a, l, stream } = await joinerWithHelloInFlight({}, 'id: 1\ndata: one\n\n')
  stream.send('id: 2\ndata: two\n\n')
  await until(() => a.log.length === 3, 'event 2 at A')
  // A's event 2 reaches L before A has even heard the hello: L opens, then dispatches it, never while CONNECTING.
  assert.equal(browser.deliver((item) => item.to.context === L && item.data.t === 'event'), 1)
  assert.deepEqual(l.log, [['open', OPEN], message('two', '2')])
  // Then the hello reaches A, and A's state reaches L: open already, so no second open.
  assert.equal(browser.deliver(), 1)
  assert.equal(browser.deliver((item) => item.data.t === 'state'), 1)
  assert.deepEqual(l.log, [['open', OPEN], message('two', '2')])
  assert.equal(l.source.lastEventId, '2')
  browser.channels.manual = false
  stream.send('id: 3\ndata: three\n\n')
  await until(() => l.log.length === 3, 'event 3 at L')
  assert.deepEqual(l.log, [['open', OPEN], message('two', '2'), message('three', '3')])
  assert.equal(calls.length, 1)
})

test('a late joiner whose hello is unanswered: an invalid-base64 error that outruns the state opens it first', async () => {
  const { calls, L, a, l, stream } = await joinerWithHelloInFlight({ decodeBase64: true }, 'id: 1\ndata: b25l\n\n')
  stream.send('id: 2\ndata: !!!\n\n')
  await until(() => a.log.length === 3, 'the invalid-base64 error at A')
  assert.deepEqual(a.log.at(-1), ['error', 'invalid-base64', OPEN])
  assert.equal(browser.deliver((item) => item.to.context === L && item.data.t === 'error'), 1)
  assert.deepEqual(l.log, [['open', OPEN], ['error', 'invalid-base64', OPEN]])
  assert.deepEqual([l.source.readyState, l.source.lastEventId], [OPEN, '2'])
  assert.equal(browser.deliver(), 1)
  assert.equal(browser.deliver((item) => item.data.t === 'state'), 1)
  assert.deepEqual(l.log, [['open', OPEN], ['error', 'invalid-base64', OPEN]])
  browser.channels.manual = false
  stream.send('id: 3\ndata: dGhyZWU=\n\n')
  await until(() => l.log.length === 3, 'event 3 at L')
  assert.deepEqual(l.log.at(-1), message('three', '3'))
  assert.equal(calls.length, 1)
})

test("another script's messages on the channel: a follower ignores what is not the leader's, the leader answers only hellos", async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B, X] = ['A', 'B', 'X'].map((label) => browser.context(label))
  const a = open(A, { shared: 'k', fetch })
  const stream = (await call(1)).respond()
  stream.send('id: 1\ndata: one\n\n')
  await until(() => a.log.length === 2, 'event 1 at A')
  const other = X.run(() => new BroadcastChannel('fetch-eventsource:k'))
  try {
    // The leader follows no one: a lead and events under another term change nothing for it.
    other.postMessage({ t: 'lead', term: 'forged' })
    other.postMessage({ t: 'event', term: 'forged', type: 'message', data: 'forged', lastEventId: '9', origin })
    other.postMessage({ t: 'error', term: 'forged', code: 404, message: 'forged', readyState: CLOSED, lastEventId: '9', origin })
    await quiet()
    assert.deepEqual(a.log, [['open', OPEN], message('one', '1')])
    assert.deepEqual([a.source.readyState, a.source.lastEventId], [OPEN, '1'])

    // B's hello is not answered yet: it has no term, and takes none from a message without a string term.
    browser.channels.manual = true
    const b = open(B, { shared: 'k', fetch })
    await queued('k', 1)
    for (const junk of [null, undefined, 'open', 42, { t: 'open', origin: 'http://forged.test' }, { t: 'open', term: 7, origin: 'http://forged.test' }]) {
      other.postMessage(junk)
    }
    assert.equal(browser.deliver((item) => item.from === X && item.to.context === B), 6)
    assert.deepEqual([b.log, b.source.readyState], [[], CONNECTING])
    browser.channels.manual = false
    browser.deliver()
    await until(() => b.log.length === 1, "B opens on the leader's state")
    stream.send('id: 2\ndata: two\n\n')
    await until(() => b.log.length === 2, 'event 2 at B')
    assert.deepEqual(b.log, [['open', OPEN], message('two', '2')])
    assert.deepEqual(a.log, [['open', OPEN], message('one', '1'), message('two', '2')])
    // The one hello the leader answered besides B's: none. The other script sent none.
    assert.equal(posted('A', 'state').length, 1)
    assert.equal(calls.length, 1)
  } finally {
    other.close()
  }
})

test('closed between the grant of its lock and its callback: it neither leads nor keeps the lock', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B] = ['A', 'B'].map((label) => browser.context(label))
  browser.locks.manual = true
  const a = open(A, { shared: 'k', fetch })
  await until(() => browser.locks.grants.length === 1, "A's lock granted")
  a.source.close()
  assert.equal(browser.grant(), 1)
  await until(() => browser.remains().held.length === 0, "A's lock released")
  assert.deepEqual(posted('A', 'lead'), [])
  // The lock is free: the next source leads at once.
  browser.locks.manual = false
  const b = open(B, { shared: 'k', fetch })
  const first = await call(1)
  assert.deepEqual(await b.source.sharedStatus(), { key: 'k', leader: true, sources: 1, contexts: 1 })
  first.respond().send('data: x\n\n')
  await until(() => b.log.length === 2, 'B open')
  assert.equal(calls.length, 1)
})

test('a follower frozen and resumed leaves the queue and rejoins it as a follower, without a connection of its own', async () => {
  const { calls, B, a, b, c, stream } = await leaderAndTwoFollowers()
  B.freeze()
  assert.deepEqual([b.source.readyState, b.log.length], [CONNECTING, 2])
  await until(() => browser.lockSnapshot().pending.length === 1, "B's request gone from the queue")
  assert.deepEqual(browser.lockSnapshot(), { held: ['fetch-eventsource:k@A'], pending: ['fetch-eventsource:k@C'] })
  assert.deepEqual(await b.source.sharedStatus(), { key: 'k', leader: false, sources: 2, contexts: 2 })
  stream.send('id: 2\ndata: two\n\n')
  await until(() => c.log.length === 3, 'event 2 at C')
  B.resume()
  await until(() => b.log.length === 3, 'B opens again')
  await queued('k', 2)
  assert.deepEqual(b.log, [['open', OPEN], message('one', '1'), ['open', OPEN]])
  assert.equal(b.source.lastEventId, '2')
  assert.deepEqual(browser.lockSnapshot(), { held: ['fetch-eventsource:k@A'], pending: ['fetch-eventsource:k@C', 'fetch-eventsource:k@B'] })
  stream.send('id: 3\ndata: three\n\n')
  await until(() => b.log.length === 4 && c.log.length === 4, 'event 3 at B and C')
  assert.deepEqual(b.log.at(-1), message('three', '3'))
  assert.deepEqual(a.log, [['open', OPEN], message('one', '1'), message('two', '2'), message('three', '3')])
  assert.equal(calls.length, 1)
  // B left no trace while away: it never spoke but for its two hellos.
  assert.deepEqual(browser.channels.posted.filter((m) => m.from === 'B').map((m) => m.data), [{ t: 'hello' }, { t: 'hello' }])
})

for (const { name, junior, lastEventId } of [
  // An event is dropped before its id is taken; an error's id is taken first, as the leader's was.
  { name: 'an event', junior: 'id: 2\ndata: two\n\n', lastEventId: '' },
  { name: 'an invalid-base64 error', junior: 'id: 2\ndata: !!!\n\n', lastEventId: '2' },
]) {
  test(`an open handler that closes a late joiner, opened by ${name} that outran the state: nothing more is dispatched`, async () => {
    const { calls, L, a, l, stream } = await joinerWithHelloInFlight({ decodeBase64: true }, 'id: 1\ndata: b25l\n\n')
    // Nothing has reached L yet (the channels are held), so the listener is there before its open.
    l.source.addEventListener('open', () => l.source.close())
    stream.send(junior)
    await until(() => a.log.length === 3, 'event 2 at A')
    assert.equal(browser.deliver((item) => item.to.context === L), 1)
    assert.deepEqual(l.log, [['open', OPEN]])
    assert.deepEqual([l.source.readyState, l.source.lastEventId], [CLOSED, lastEventId])
    browser.channels.manual = false
    browser.deliver()
    assert.equal(calls.length, 1)
  })
}

// ---- what the leader passes on besides events ------------------------------------------------------------------

test('id-only blocks and retry fields are passed on: a takeover resumes from the same id and waits the server\'s retry', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B] = ['A', 'B'].map((label) => browser.context(label))
  // On its own, B would wait 60 s before a reconnect.
  const init = { shared: 'k', fetch, retry: { initialDelay: 60_000 } }
  const a = open(A, init)
  const first = await call(1)
  const b = open(B, init)
  await queued('k', 1)
  // B heard A's state (CONNECTING, no id, 60 s) first: the id and the reconnection time it has next were passed on.
  await quiet()
  assert.deepEqual(posted('A', 'state').map((m) => [m.data.lastEventId, m.data.retry]), [['', 60_000]])
  first.respond().send('retry: 200\nid: 1\ndata: one\n\nid: 2\n\n')
  await until(() => b.source.lastEventId === '2', "the id-only block's id at B")
  assert.deepEqual(a.log, [['open', OPEN], message('one', '1')])
  assert.deepEqual(b.log, [['open', OPEN], message('one', '1')])

  a.source.close()
  const second = await call(2)
  assert.equal(second.lastEventId, '2')
  const stream2 = second.respond()
  stream2.send('id: 3\ndata: three\n\n')
  await until(() => b.log.length === 5, 'event 3 at B')
  const ending = performance.now()
  stream2.end()
  const third = await call(3)
  const waited = performance.now() - ending
  assert.ok(waited >= 200 - TIMER_SLACK_MS, `reconnected after ${waited.toFixed(1)} ms`)
  assert.equal(third.lastEventId, '3')
  assert.deepEqual(b.log, [
    ['open', OPEN],
    message('one', '1'),
    ['error', 'connection-lost', CONNECTING],
    ['open', OPEN],
    message('three', '3'),
    ['error', 'stream-ended', CONNECTING],
  ])
  assert.equal(calls.length, 3)
})

// ---- failures --------------------------------------------------------------------------------------------------

test('a fatal status at the leader closes every follower with the same code; for await on a follower rejects', async () => {
  const { calls, call, a, b, c, stream } = await leaderAndTwoFollowers({ retry: { initialDelay: 10 } })
  // Consumed inside, so the rejection is never unhandled across an await (Deno and Bun fail a test for that).
  const iteration = (async () => {
    /** @type {string[]} */
    const got = []
    try {
      for await (const event of b.source) got.push(event.data)
    } catch (error) {
      return { got, error }
    }
    return { got, error: undefined }
  })()
  stream.send('id: 2\ndata: two\n\n')
  await until(() => b.log.length === 3 && c.log.length === 3, 'event 2 at B and C')
  stream.end()
  const second = await call(2)
  assert.equal(second.lastEventId, '2')
  second.respond(404)
  await until(() => [a, b, c].every((s) => s.source.readyState === CLOSED), 'every source closed')
  const expected = [['open', OPEN], message('one', '1'), message('two', '2'), ['error', 'stream-ended', CONNECTING], ['error', 404, CLOSED]]
  assert.deepEqual(a.log, expected)
  assert.deepEqual(b.log, expected)
  assert.deepEqual(c.log, expected)
  const { got, error } = await iteration
  assert.deepEqual(got, ['two'])
  assert.ok(error instanceof FetchEventSourceError, `rejected with ${error}`)
  assert.equal(error.code, 404)
  for (const s of [a, b, c]) assert.equal(await s.source.sharedStatus(), null)
  await until(() => browser.remains().pending.length === 0 && browser.remains().held.length === 0, 'every lock released')
  assert.equal(calls.length, 2)
})

test('a fatal error that reaches a follower after the lock did: it closes during the settle wait, never connecting', async () => {
  const { calls, call, a, b, c, stream } = await leaderAndTwoFollowers({ retry: { initialDelay: 10 } })
  stream.end()
  const second = await call(2)
  await until(() => b.log.length === 3 && c.log.length === 3, 'the stream-ended error at B and C')
  browser.channels.manual = true
  browser.locks.manual = true
  second.respond(404)
  await until(() => a.source.readyState === CLOSED && browser.locks.grants.length === 1, 'A closed, its lock freed')
  // The browser hands the lock to B before it delivers A's error and bye.
  assert.equal(browser.grant(), 1)
  assert.equal(posted('B', 'lead').length, 0)
  browser.deliver()
  for (const s of [b, c]) {
    assert.deepEqual(s.log, [['open', OPEN], message('one', '1'), ['error', 'stream-ended', CONNECTING], ['error', 404, CLOSED]])
    assert.equal(s.source.readyState, CLOSED)
  }
  await until(() => browser.remains().pending.length === 0 && browser.remains().held.length === 0, 'every lock released')
  assert.equal(calls.length, 2)
})

for (const { name, refuse } of [
  {
    name: 'a refused lock request (an opaque origin)',
    refuse: () => (browser.locks.refuse = new DOMException('Access to the Locks API is denied in this context.', 'SecurityError')),
  },
  {
    name: 'a BroadcastChannel constructor that throws (storage denied)',
    refuse: () => (browser.channels.refuse = new DOMException('The operation is insecure.', 'SecurityError')),
  },
]) {
  test(`${name}: each source connects on its own, and sharedStatus() is null`, async () => {
    refuse()
    const [A, B] = ['A', 'B'].map((label) => browser.context(label))
    const fa = drivenFetch()
    const fb = drivenFetch()
    const a = open(A, { shared: 'k', fetch: fa.fetch })
    const b = open(B, { shared: 'k', fetch: fb.fetch })
    const [ca, cb] = await Promise.all([fa.call(1), fb.call(1)])
    assert.deepEqual(browser.remains(), { channels: [], held: [], pending: [], grants: 0, inFlight: 0 })
    ca.respond().send('id: 1\ndata: a\n\n')
    cb.respond().send('id: 7\ndata: b\n\n')
    await until(() => a.log.length === 2 && b.log.length === 2, 'each source opens on its own')
    assert.deepEqual(a.log, [['open', OPEN], message('a', '1')])
    assert.deepEqual(b.log, [['open', OPEN], message('b', '7')])
    assert.equal(await a.source.sharedStatus(), null)
    assert.equal(await b.source.sharedStatus(), null)
    assert.deepEqual([fa.calls.length, fb.calls.length], [1, 1])
  })
}

test('sources without shared, in a browser that could share: each has its own connection, and the channel stays silent', async () => {
  const [A, B] = ['A', 'B'].map((label) => browser.context(label))
  const fa = drivenFetch()
  const fb = drivenFetch()
  const a = open(A, { fetch: fa.fetch })
  const b = open(B, { fetch: fb.fetch, shared: false })
  const [ca, cb] = await Promise.all([fa.call(1), fb.call(1)])
  ca.respond().send('data: a\n\n')
  cb.respond().send('data: b\n\n')
  await until(() => a.log.length === 2 && b.log.length === 2, 'each source opens on its own')
  assert.equal(await a.source.sharedStatus(), null)
  assert.equal(await b.source.sharedStatus(), null)
  assert.deepEqual(browser.channels.posted, [])
  assert.deepEqual(browser.remains(), { channels: [], held: [], pending: [], grants: 0, inFlight: 0 })
})

/**
 * Replaces a global (one the stand-in or the runtime defines) until the returned function puts it back.
 * @param {string} name @param {unknown} value
 */
function replaceGlobal(name, value) {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, name)
  Object.defineProperty(globalThis, name, { configurable: true, enumerable: true, writable: true, value })
  return () => {
    if (descriptor === undefined) delete (/** @type {any} */ (globalThis))[name]
    else Object.defineProperty(globalThis, name, descriptor)
  }
}

/**
 * Runs `fn` synchronously with a global replaced.
 * @template T
 * @param {string} name @param {unknown} value @param {() => T} fn
 * @returns {T}
 */
function withGlobal(name, value, fn) {
  const restore = replaceGlobal(name, value)
  try {
    return fn()
  } finally {
    restore()
  }
}

for (const { name, global, value } of [
  { name: 'Deno (which has both APIs)', global: 'Deno', value: {} },
  { name: 'a browser without BroadcastChannel', global: 'BroadcastChannel', value: undefined },
  { name: 'a browser without Web Locks (an insecure context)', global: 'navigator', value: { onLine: true } },
  { name: 'a scope without navigator', global: 'navigator', value: undefined },
  { name: 'a browser whose navigator.locks has no request()', global: 'navigator', value: { onLine: true, locks: {} } },
]) {
  test(`shared is off in ${name}: each source connects on its own, and sharedStatus() is null from the start`, async () => {
    const [A, B] = ['A', 'B'].map((label) => browser.context(label))
    const fa = drivenFetch()
    const fb = drivenFetch()
    // Replaced while the sources are created and start (in the microtask after their constructors).
    const restore = replaceGlobal(global, value)
    /** @type {ReturnType<typeof open>[]} */
    let created
    /** @type {Promise<unknown>[]} */
    let statuses
    try {
      created = [open(A, { shared: 'k', fetch: fa.fetch }), open(B, { shared: 'k', fetch: fb.fetch })]
      statuses = created.map((s) => s.source.sharedStatus())
      await Promise.resolve()
    } finally {
      restore()
    }
    const [a, b] = created
    assert.deepEqual(await Promise.all(statuses), [null, null])
    const [ca, cb] = await Promise.all([fa.call(1), fb.call(1)])
    ca.respond().send('data: a\n\n')
    cb.respond().send('data: b\n\n')
    await until(() => a.log.length === 2 && b.log.length === 2, 'each source opens on its own')
    assert.deepEqual([await a.source.sharedStatus(), await b.source.sharedStatus()], [null, null])
    assert.deepEqual(browser.channels.posted, [])
  })
}

for (const { name, value } of [
  { name: 'no process global at all', value: undefined },
  { name: "a bundler's process polyfill (no versions)", value: { env: {} } },
]) {
  test(`a browser with ${name} shares`, async () => {
    const { fetch, calls, call } = drivenFetch()
    const [A, B] = ['A', 'B'].map((label) => browser.context(label))
    const [a, b] = withGlobal('process', value, () => [open(A, { shared: 'k', fetch }), open(B, { shared: 'k', fetch })])
    const first = await call(1)
    await queued('k', 1)
    await quiet()
    first.respond().send('data: x\n\n')
    await until(() => a.log.length === 2 && b.log.length === 2, 'A and B open, one event')
    assert.deepEqual(await b.source.sharedStatus(), { key: 'k', leader: false, sources: 2, contexts: 2 })
    assert.equal(calls.length, 1)
  })
}

test("sharedStatus() reads the lock manager as it finds it: a refused query is null, a missing one or missing lists count nothing", async () => {
  const { fetch, call } = drivenFetch()
  const a = open(browser.context('A'), { shared: 'k', fetch })
  await call(1)
  const real = /** @type {any} */ (globalThis).navigator
  /** @param {object | undefined} locks */
  const statusWith = (locks) => withGlobal('navigator', { onLine: true, locks }, () => a.source.sharedStatus())
  const request = real.locks.request
  const refused = statusWith({ request, query: () => Promise.reject(new DOMException('The operation is insecure.', 'SecurityError')) })
  const throwing = statusWith({ request, query: () => { throw new DOMException('The operation is insecure.', 'SecurityError') } })
  const noQuery = statusWith({ request })
  const noLists = statusWith({ request, query: async () => ({}) })
  const gone = statusWith(undefined)
  const nothing = { key: 'k', leader: true, sources: 0, contexts: 0 }
  assert.deepEqual(await Promise.all([refused, throwing, noQuery, noLists, gone]), [null, null, nothing, nothing, nothing])
  assert.deepEqual(await a.source.sharedStatus(), { key: 'k', leader: true, sources: 1, contexts: 1 })
})

test('without crypto.randomUUID (Chromium 69 to 91 had Web Locks before it), a term is the time and a random number', async () => {
  const { fetch, call } = drivenFetch()
  const [A, B] = ['A', 'B'].map((label) => browser.context(label))
  browser.locks.manual = true
  const a = open(A, { shared: 'k', fetch })
  await until(() => browser.locks.grants.length === 1, "A's lock granted")
  const [now, random] = [Date.now, Math.random]
  const at = now()
  Date.now = () => at
  Math.random = () => 0.25
  try {
    withGlobal('crypto', undefined, () => browser.grant())
  } finally {
    Date.now = now
    Math.random = random
  }
  assert.deepEqual(posted('A', 'lead').map((m) => m.data), [{ t: 'lead', term: `${at}-0.25` }])
  browser.locks.manual = false
  const first = await call(1)
  const b = open(B, { shared: 'k', fetch })
  await queued('k', 1)
  await quiet()
  first.respond().send('data: x\n\n')
  await until(() => b.log.length === 2, 'B follows that term')
  assert.deepEqual(a.log, b.log)
})

// ---- keys ------------------------------------------------------------------------------------------------------

test('shared: true keys by the request and by what the source makes of it; no header value shows in the key', async () => {
  const token = 's3cret-t0ken'
  const { fetch, calls, call } = drivenFetch()
  /** @type {Array<ConstructorParameters<typeof FetchEventSource>[1]>} */
  const variants = [
    {},
    { decodeBase64: true },
    { headers: { authorization: `Bearer ${token}` } },
    { headers: { authorization: 'Bearer another' } },
    { method: 'POST', body: '{"q":1}' },
    { method: 'POST', body: '{"q":2}' },
    { lastEventIdIn: 'query' },
    { lastEventIdIn: 'query', lastEventIdParam: 'after' },
    { withCredentials: true },
    { redirect: 'error' },
    { maxBufferSize: 1024 },
  ]
  const leaders = variants.map((init, i) => open(browser.context(`V${i}`), { shared: true, fetch, ...init }))
  await call(variants.length)
  const keys = await Promise.all(leaders.map(async (l) => /** @type {{ key: string }} */ (await l.source.sharedStatus()).key))
  for (const key of keys) assert.match(key, /^request-[0-9a-f]{16}$/)
  assert.equal(new Set(keys).size, variants.length)
  for (const l of leaders) assert.equal(/** @type {{ leader: boolean }} */ (await l.source.sharedStatus()).leader, true)
  assert.equal(calls.filter((c) => c.headers.get('authorization') === `Bearer ${token}`).length, 1)

  // The same requests from other tabs (header names are case-insensitive): the same keys, and no request of their own.
  const same = open(browser.context('S0'), { shared: true, fetch })
  const sameToken = open(browser.context('S2'), { shared: true, fetch, headers: { Authorization: `Bearer ${token}` } })
  await until(() => browser.lockSnapshot().pending.length === 2, 'both queue behind a leader')
  assert.deepEqual(await same.source.sharedStatus(), { key: keys[0], leader: false, sources: 2, contexts: 2 })
  assert.deepEqual(await sameToken.source.sharedStatus(), { key: keys[2], leader: false, sources: 2, contexts: 2 })
  assert.equal(calls.length, variants.length)

  // Lock and channel names are listed to every script of the origin: the token is in none, nor in any message.
  const { held, pending } = browser.lockSnapshot()
  const names = [...held, ...pending, ...browser.remains().channels]
  assert.equal(names.length, 2 * (variants.length + 2))
  for (const name of names) assert.match(name, /^fetch-eventsource:request-[0-9a-f]{16}@\w+$/)
  assert.equal(JSON.stringify(browser.channels.posted).includes(token), false)

  // Headers or a body computed per attempt cannot be keyed by the request.
  const refusal = {
    name: 'TypeError',
    message: 'FetchEventSource: shared: true needs headers and body that are not functions (and a string body); pass shared: "your-key" instead',
  }
  // (Closed at once if it were created after all, so a failure here leaves nothing connecting.)
  const create = (/** @type {ConstructorParameters<typeof FetchEventSource>[1]} */ init) => () => new FetchEventSource(url, { shared: true, ...init }).close()
  assert.throws(create({ headers: () => ({}) }), refusal)
  assert.throws(create({ method: 'POST', body: () => 'x' }), refusal)
  assert.throws(create({ method: 'POST', body: new URLSearchParams('q=1') }), refusal)
})

test('shared: true: the key is two FNV-1a hashes of the request, 8 hex digits each, zero-padded; the method in any case', async () => {
  const { fetch } = drivenFetch()
  const every = {
    headers: { 'X-Feed': 'prices', accept: 'text/event-stream' },
    body: '{"q":1}',
    withCredentials: true,
    lastEventIdIn: /** @type {const} */ ('query'),
    lastEventIdParam: 'after',
    redirect: /** @type {const} */ ('error'),
    maxBufferSize: 1024,
    decodeBase64: true,
  }
  /** @type {Array<[string, ConstructorParameters<typeof FetchEventSource>[1], string]>} */
  const cases = [
    ['/ticks', {}, 'request-9d20ecea94f9a4cc'],
    ['/ticks', { lastEventIdIn: 'header', lastEventIdParam: 'lastEventId' }, 'request-9d20ecea94f9a4cc'],
    ['/ticks?page=26', {}, 'request-0521e7a704704fe1'],
    ['/ticks', { method: 'post', ...every }, 'request-caf21fe9523025e3'],
    ['/ticks', { method: 'POST', ...every }, 'request-caf21fe9523025e3'],
  ]
  const keys = []
  for (const [i, [path, init]] of cases.entries()) {
    const source = browser.context(`K${i}`).run(() => new FetchEventSource(path, { shared: true, fetch, ...init }))
    sources.push(source)
    keys.push(/** @type {{ key: string }} */ (await source.sharedStatus()).key)
  }
  assert.deepEqual(keys, cases.map(([, , key]) => key))
})

// ---- the page's life -------------------------------------------------------------------------------------------

for (const { name, init, leave, back } of [
  {
    name: 'pauseWhenHidden',
    init: { pauseWhenHidden: 0 },
    leave: (/** @type {import('./support/stand-in-browser.js').Context} */ tab) => tab.visibility('hidden'),
    back: (/** @type {import('./support/stand-in-browser.js').Context} */ tab) => tab.visibility('visible'),
  },
  {
    name: 'freeze',
    init: {},
    leave: (/** @type {import('./support/stand-in-browser.js').Context} */ tab) => tab.freeze(),
    back: (/** @type {import('./support/stand-in-browser.js').Context} */ tab) => tab.resume(),
  },
  {
    name: 'the back/forward cache',
    init: {},
    leave: (/** @type {import('./support/stand-in-browser.js').Context} */ tab) => tab.pagehide(true),
    back: (/** @type {import('./support/stand-in-browser.js').Context} */ tab) => tab.pageshow(true),
  },
]) {
  test(`${name}: the leader says bye, the next takes over at once; back, it rejoins as a follower`, async () => {
    const { fetch, calls, call } = drivenFetch()
    const [A, B] = ['A', 'B'].map((label) => browser.context(label))
    const a = open(A, { shared: 'k', fetch, ...init })
    const first = await call(1)
    const b = open(B, { shared: 'k', fetch, ...init })
    await queued('k', 1)
    await quiet()
    first.respond().send('id: 1\ndata: one\n\n')
    await until(() => a.log.length === 2 && b.log.length === 2, 'event 1 at A and B')

    browser.locks.manual = true
    leave(A)
    await until(() => posted('A', 'bye').length === 1, "A's bye")
    // Silent: CONNECTING, and nothing dispatched.
    assert.equal(first.signal.aborted, true)
    assert.equal(a.source.readyState, CONNECTING)
    assert.deepEqual(a.log, [['open', OPEN], message('one', '1')])
    await until(() => browser.locks.grants.length === 1 && browser.channels.inFlight.length === 0, 'the lock freed for B, the bye delivered')
    browser.grant()
    assert.equal(posted('B', 'lead').length, 1)
    const second = await call(2)
    assert.equal(second.lastEventId, '1')
    const stream2 = second.respond()
    stream2.send('id: 2\ndata: two\n\n')
    await until(() => b.log.length === 5, 'open and event 2 at B')

    back(A)
    await until(() => a.log.length === 3, 'A opens again')
    // A rejoined as a follower: it heard B's state (OPEN, id 2) and opened. Event 2, sent while it was away, is not
    // replayed to it: as the README says, a source that joins a running connection receives events from then on.
    assert.equal(a.source.lastEventId, '2')
    assert.deepEqual(await a.source.sharedStatus(), { key: 'k', leader: false, sources: 2, contexts: 2 })
    stream2.send('id: 3\ndata: three\n\n')
    await until(() => a.log.length === 4 && b.log.length === 6, 'event 3 at A and B')
    assert.deepEqual(a.log, [['open', OPEN], message('one', '1'), ['open', OPEN], message('three', '3')])
    assert.deepEqual(b.log, [
      ['open', OPEN],
      message('one', '1'),
      ['error', 'connection-lost', CONNECTING],
      ['open', OPEN],
      message('two', '2'),
      message('three', '3'),
    ])
    assert.equal(calls.length, 2)
  })
}

test('a source that takes over counts its failed attempts afresh: those of an earlier time it led do not count', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B] = ['A', 'B'].map((label) => browser.context(label))
  const init = { shared: 'k', fetch, retry: { maxAttempts: 2, initialDelay: 60_000 } }
  const a = open(A, init)
  // A leads, and its first attempt fails: one failure of its allowance of two, and a minute's wait.
  ;(await call(1)).fail()
  await until(() => a.log.length === 1, "A's failure")
  const b = open(B, init)
  await queued('k', 1)
  await quiet()
  // A leaves (frozen): B takes over at once, connects, and A comes back as B's follower.
  A.freeze()
  const second = await call(2)
  second.respond()
  await until(() => b.log.length === 1, 'B open')
  A.resume()
  await until(() => a.log.length === 2, 'A opens on B\'s connection')
  await queued('k', 1)
  // B closes: A takes over again, and its first attempt fails. One failure, not two: it retries.
  b.source.close()
  const third = await call(3)
  third.fail()
  await until(() => a.log.length === 4, 'the takeover and the failure at A')
  assert.deepEqual(a.log, [
    ['error', 'network', CONNECTING],
    ['open', OPEN],
    ['error', 'connection-lost', CONNECTING],
    ['error', 'network', CONNECTING],
  ])
  assert.equal(a.source.readyState, CONNECTING)
  assert.equal(calls.length, 3)
})

test('a follower hidden past its grace period and then frozen stays out of the group until it is visible again', async () => {
  const { calls, B, b, c, stream } = await leaderAndTwoFollowers({ pauseWhenHidden: 0 })
  B.visibility('hidden')
  await until(() => browser.lockSnapshot().pending.length === 1, 'B out of the queue')
  B.freeze()
  B.resume()
  stream.send('id: 2\ndata: two\n\n')
  await until(() => c.log.length === 3, 'event 2 at C')
  await quiet()
  // Still hidden: B neither asked for the state nor queued again.
  assert.deepEqual(browser.lockSnapshot(), { held: ['fetch-eventsource:k@A'], pending: ['fetch-eventsource:k@C'] })
  assert.equal(posted('B', 'hello').length, 1)
  assert.deepEqual([b.log.length, b.source.readyState], [2, CONNECTING])
  B.visibility('visible')
  await until(() => b.log.length === 3, 'B opens again')
  await queued('k', 2)
  assert.equal(posted('B', 'hello').length, 2)
  assert.equal(calls.length, 1)
})

// ---- leaks -----------------------------------------------------------------------------------------------------

test('leaks: once every source has closed, however it closed, no channel, lock or page listener is left', async () => {
  const { fetch, calls, call } = drivenFetch()
  const [A, B, C, D] = ['A', 'B', 'C', 'D'].map((label) => browser.context(label))
  const controller = new AbortController()
  const a = open(A, { shared: 'k', fetch, pauseWhenHidden: 1_000 })
  const first = await call(1)
  const b = open(B, { shared: 'k', fetch, pauseWhenHidden: 1_000, signal: controller.signal })
  const c = open(C, { shared: 'k', fetch })
  const d = open(D, { shared: 'k', fetch })
  // Closed before it starts: it never joins.
  open(D, { shared: 'k', fetch }).source.close()
  await queued('k', 3)
  // Grace periods running in A and B.
  A.visibility('hidden')
  B.visibility('hidden')
  const watching = ['pagehide', 'pageshow', 'online', 'offline'].map((t) => `window:${t}`).concat('document:freeze', 'document:resume')
  const live = browser.listeners().filter((l) => !baseline.includes(l))
  const expected = (/** @type {string} */ label, /** @type {boolean} */ visibility) =>
    [...watching, ...(visibility ? ['document:visibilitychange'] : [])].map((l) => `${label}:${l}`)
  assert.deepEqual(live, [...expected('A', true), ...expected('B', true), ...expected('C', false), ...expected('D', false)].sort())

  d.source.close() // a follower leaves the queue
  controller.abort() // another closes through its signal
  await queued('k', 1)
  first.respond(404) // the leader fails, and its last follower with it
  await until(() => a.source.readyState === CLOSED && c.source.readyState === CLOSED, 'A and C closed')
  assert.deepEqual(a.log, [['error', 404, CLOSED]])
  assert.deepEqual(c.log, [['error', 404, CLOSED]])
  assert.deepEqual([b.log, d.log, b.source.readyState, d.source.readyState], [[], [], CLOSED, CLOSED])
  await until(() => browser.remains().held.length === 0, 'the lock released')
  assert.deepEqual(browser.remains(), { channels: [], held: [], pending: [], grants: 0, inFlight: 0 })
  assert.deepEqual(browser.listeners(), baseline)
  assert.equal(calls.length, 1)
  // What stays is the module's own: one `online` and one `offline` listener, on the window of the first source
  // that watched the page. (Bun runs every test file in one module registry: there an earlier file's source may
  // have installed them on its own stand-in window, and none are on this one.)
  if (baseline.length > 0) assert.deepEqual(baseline, ['setup:window:offline', 'setup:window:online'])
  else assert.ok(typeof (/** @type {any} */ (globalThis).Bun) === 'object', 'the module installed its network listeners elsewhere')
})
