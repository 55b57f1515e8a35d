// The page's life, in Node, against a stand-in of the browser globals it listens to: a window-like global
// (addEventListener, navigator.onLine) and a document (visibilityState, freeze/resume). Every step is checked
// exactly: which requests were made, with which Last-Event-ID, which events the source dispatched, its readyState.
// The same behaviour runs in real browsers in test/page-life-browser.test.js; this file pins it deterministically
// (mocked timers where a default matters) and runs in every runtime of the matrix.
//
// Node and Deno run each test file in its own process; Bun runs them all in one global scope, so the globals
// installed here are put back when the file ends.
import assert from 'node:assert/strict'
import { after, afterEach, test } from 'node:test'
import { FetchEventSource } from '../dist/index.js'
import { drivenFetch } from './support/stand-in-browser.js'

const url = 'http://127.0.0.1:9/ticks'

// ---- the stand-in browser -------------------------------------------------------------------------------------

const saved = ['addEventListener', 'removeEventListener', 'document', 'navigator'].map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)])
after(() => {
  for (const [name, descriptor] of saved) {
    if (descriptor === undefined) delete (/** @type {any} */ (globalThis))[name]
    else Object.defineProperty(globalThis, name, descriptor)
  }
})

const windowTarget = new EventTarget()
let onLine = true
/** @type {EventTarget & { visibilityState: string }} */
const documentTarget = Object.assign(new EventTarget(), { visibilityState: 'visible' })
Object.assign(globalThis, {
  addEventListener: windowTarget.addEventListener.bind(windowTarget),
  removeEventListener: windowTarget.removeEventListener.bind(windowTarget),
  document: documentTarget,
})
Object.defineProperty(globalThis, 'navigator', { configurable: true, value: { get onLine() { return onLine } } })

/** @param {'offline' | 'online'} type */
function network(type) {
  onLine = type === 'online'
  windowTarget.dispatchEvent(new Event(type))
}
/** @param {'hidden' | 'visible'} state */
function visibility(state) {
  documentTarget.visibilityState = state
  documentTarget.dispatchEvent(new Event('visibilitychange'))
}
/** @param {'pagehide' | 'pageshow'} type @param {boolean} persisted */
function pageTransition(type, persisted) {
  windowTarget.dispatchEvent(Object.assign(new Event(type), { persisted }))
}

/** @type {FetchEventSource[]} */
const sources = []
afterEach(() => {
  for (const source of sources.splice(0)) source.close()
  onLine = true
  documentTarget.visibilityState = 'visible'
  windowTarget.dispatchEvent(new Event('online'))
})

// ---- a fetch the test drives: test/support/stand-in-browser.js's (every call recorded with its Last-Event-ID and
// signal; `respond` answers it with a stream the test writes to, `fail` rejects it like a network error) --------

/** What the source dispatches, in order: ['open'], ['message', data, lastEventId], ['error', code, readyState]. */
function record(/** @type {FetchEventSource} */ source) {
  /** @type {unknown[][]} */
  const log = []
  source.onopen = () => log.push(['open'])
  source.onmessage = (event) => log.push(['message', event.data, event.lastEventId])
  source.onerror = (event) => log.push(['error', event.code, source.readyState])
  return log
}

/** @param {ConstructorParameters<typeof FetchEventSource>[1]} init */
function open(init) {
  const driven = drivenFetch()
  const source = new FetchEventSource(url, { fetch: driven.fetch, ...init })
  sources.push(source)
  return { source, log: record(source), ...driven }
}

/** Waits for `predicate` on the event loop (a macrotask per check), at most `ms`. */
async function until(/** @type {() => boolean} */ predicate, what = 'condition', ms = 2_000) {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** A source that is OPEN and has received events 1 and 2. */
async function openWithTwoEvents(/** @type {ConstructorParameters<typeof FetchEventSource>[1]} */ init) {
  const opened = open(init)
  const stream = (await opened.call(1)).respond()
  stream.send('id: 1\ndata: one\n\nid: 2\ndata: two\n\n')
  await until(() => opened.log.length === 3, 'open and two messages')
  assert.deepEqual(opened.log, [['open'], ['message', 'one', '1'], ['message', 'two', '2']])
  return { ...opened, stream }
}

// ---- offline and online ---------------------------------------------------------------------------------------

// First in this file, before any online/offline event: a page that loads while navigator.onLine is false.
test('navigator.onLine false without an offline event is not trusted: a loopback-only machine still reconnects', async () => {
  onLine = false
  const { log, call, stream } = await openWithTwoEvents({ retry: { initialDelay: 0 } })
  stream.end()
  assert.equal((await call(2, 500)).lastEventId, '2')
  assert.deepEqual(log.at(-1), ['error', 'stream-ended', FetchEventSource.CONNECTING])
})

test('online forgets the offline event: navigator.onLine false later, with no new offline event, is not trusted again', async () => {
  network('offline')
  network('online')
  onLine = false
  const { log, call, stream } = await openWithTwoEvents({ retry: { initialDelay: 0 } })
  stream.end()
  assert.equal((await call(2, 500)).lastEventId, '2')
  assert.deepEqual(log.at(-1), ['error', 'stream-ended', FetchEventSource.CONNECTING])
})

test('offline cancels a pending reconnect; online connects at once, with Last-Event-ID, whatever the delay', async () => {
  const { source, log, calls, call, stream } = await openWithTwoEvents({ retry: { initialDelay: 30_000 } })
  stream.end()
  await until(() => log.length === 4, 'the end of the stream')
  assert.deepEqual(log.at(-1), ['error', 'stream-ended', FetchEventSource.CONNECTING])
  network('offline')
  network('online')
  const second = await call(2, 500)
  assert.equal(second.lastEventId, '2')
  assert.equal(calls.length, 2)
  assert.equal(source.readyState, FetchEventSource.CONNECTING)
})

test('a stream that ends while offline waits for online: no attempt, no timer, then one request at once', async () => {
  const { log, calls, call, stream } = await openWithTwoEvents({ retry: { initialDelay: 0 } })
  network('offline')
  stream.end()
  await until(() => log.length === 4, 'the end of the stream')
  // Twenty event-loop turns with a zero reconnection time: an attempt would have been made by now.
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 1))
  assert.equal(calls.length, 1, 'no attempt while offline')
  network('online')
  assert.equal((await call(2, 500)).lastEventId, '2')
})

test('attempts that fail while offline count against neither maxAttempts nor the backoff', async () => {
  const { source, log, calls, call } = open({ retry: { maxAttempts: 2, initialDelay: 0, maxDelay: 0 } })
  const first = await call(1)
  network('offline')
  first.fail()
  await until(() => log.length === 1, 'the first failure')
  assert.deepEqual(log, [['error', 'network', FetchEventSource.CONNECTING]])
  assert.equal(calls.length, 1, 'waiting for the network, not for a timer')
  network('online')
  ;(await call(2)).fail()
  ;(await call(3)).fail()
  await until(() => source.readyState === FetchEventSource.CLOSED, 'CLOSED after two failures online')
  assert.equal(calls.length, 3, 'the offline failure was not counted: two more attempts before maxAttempts 2 ended it')
  assert.deepEqual(
    log.map((entry) => entry.slice(0, 3)),
    [
      ['error', 'network', FetchEventSource.CONNECTING],
      ['error', 'network', FetchEventSource.CONNECTING],
      ['error', 'network', FetchEventSource.CLOSED],
    ],
  )
})

test('the error of a failure while offline says it waits for the network', async () => {
  const { source, call } = open({})
  /** @type {string[]} */
  const messages = []
  source.addEventListener('error', (event) => messages.push(event.message))
  const first = await call(1)
  network('offline')
  first.fail()
  await until(() => messages.length === 1, 'the error')
  assert.match(messages[0], /\(offline: waiting for the network\)$/)
})

test('a source created while offline makes no attempt until online', async () => {
  network('offline')
  const { calls, call } = open({})
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(calls.length, 0)
  network('online')
  assert.equal((await call(1, 500)).lastEventId, null)
})

test('after an offline event, navigator.onLine back to true is enough (the online event still to come): no wait for the network', async () => {
  const { log, call, stream } = await openWithTwoEvents({ retry: { initialDelay: 0 } })
  network('offline')
  onLine = true
  stream.send('id: 3\n\n')
  stream.end()
  assert.equal((await call(2, 500)).lastEventId, '3')
  assert.deepEqual(log.at(-1), ['error', 'stream-ended', FetchEventSource.CONNECTING])
})

// ---- pauseWhenHidden ----------------------------------------------------------------------------------------------

test('pauseWhenHidden: hidden past the grace period aborts silently; visible reconnects at once with Last-Event-ID', async () => {
  const { source, log, call } = await openWithTwoEvents({ pauseWhenHidden: 20 })
  const first = await call(1)
  visibility('hidden')
  await until(() => first.signal.aborted, 'the pause', 1_000)
  assert.equal(source.readyState, FetchEventSource.CONNECTING)
  visibility('visible')
  const second = await call(2, 500)
  assert.equal(second.lastEventId, '2')
  second.respond().send('id: 3\ndata: three\n\n')
  await until(() => log.length === 5, 'the resumed stream')
  assert.deepEqual(log.slice(3), [['open'], ['message', 'three', '3']], 'no error for a pause; open again on resume')
})

test('pauseWhenHidden: hidden for less than the grace period keeps the connection', async () => {
  const { calls, call } = await openWithTwoEvents({ pauseWhenHidden: 200 })
  visibility('hidden')
  await new Promise((resolve) => setTimeout(resolve, 20))
  visibility('visible')
  await new Promise((resolve) => setTimeout(resolve, 250))
  assert.equal((await call(1)).signal.aborted, false)
  assert.equal(calls.length, 1)
})

test('pauseWhenHidden: true waits 30000 ms exactly; off by default and with false', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const paused = open({ pauseWhenHidden: true })
  const always = open({})
  const off = open({ pauseWhenHidden: false })
  const pausedStream = (await paused.call(1)).respond()
  ;(await always.call(1)).respond()
  ;(await off.call(1)).respond()
  pausedStream.send('id: 7\ndata: x\n\n')
  await until(() => paused.log.length === 2 && always.log.length === 1 && off.log.length === 1, 'all open')
  visibility('hidden')
  t.mock.timers.tick(29_999)
  assert.equal(paused.calls[0].signal.aborted, false, 'not before 30 s')
  t.mock.timers.tick(1)
  assert.equal(paused.calls[0].signal.aborted, true, 'at 30 s')
  t.mock.timers.tick(3_600_000)
  assert.equal(always.calls[0].signal.aborted, false, 'without the option, a hidden page keeps its connection')
  assert.equal(off.calls[0].signal.aborted, false, 'with false too')
  t.mock.timers.reset()
  visibility('visible')
  assert.equal((await paused.call(2)).lastEventId, '7')
})

test('a source created in a hidden page starts its grace period at once', async () => {
  documentTarget.visibilityState = 'hidden'
  const { source, call } = open({ pauseWhenHidden: 10 })
  const first = await call(1)
  first.respond()
  await until(() => first.signal.aborted, 'the pause', 1_000)
  assert.equal(source.readyState, FetchEventSource.CONNECTING)
})

// ---- freezing and the back/forward cache --------------------------------------------------------------------------

for (const [name, leave, back] of /** @type {const} */ ([
  ['freeze and resume', () => documentTarget.dispatchEvent(new Event('freeze')), () => documentTarget.dispatchEvent(new Event('resume'))],
  ['pagehide and pageshow with persisted', () => pageTransition('pagehide', true), () => pageTransition('pageshow', true)],
])) {
  test(`${name}: the connection closes silently, then resumes with Last-Event-ID`, async () => {
    const { source, log, calls, call } = await openWithTwoEvents({})
    leave()
    assert.equal((await call(1)).signal.aborted, true, 'aborted at once')
    assert.equal(source.readyState, FetchEventSource.CONNECTING)
    back()
    assert.equal((await call(2, 500)).lastEventId, '2')
    assert.equal(calls.length, 2)
    assert.equal(log.length, 3, 'nothing dispatched for leaving')
  })
}

test('pagehide without persisted (an unload) closes the connection too; only a cached page comes back', async () => {
  const { source, calls, call } = await openWithTwoEvents({})
  pageTransition('pagehide', false)
  assert.equal((await call(1)).signal.aborted, true)
  assert.equal(source.readyState, FetchEventSource.CONNECTING)
  pageTransition('pageshow', false)
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(calls.length, 1, 'a pageshow without persisted is a new document: this source stays paused')
})

test('frozen and hidden together resume once, when both are over', async () => {
  const { call, calls } = await openWithTwoEvents({ pauseWhenHidden: 0 })
  visibility('hidden')
  await until(() => calls[0].signal.aborted, 'the pause')
  documentTarget.dispatchEvent(new Event('freeze'))
  documentTarget.dispatchEvent(new Event('resume'))
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(calls.length, 1, 'still hidden: no request')
  visibility('visible')
  assert.equal((await call(2, 500)).lastEventId, '2')
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(calls.length, 2, 'exactly one request')
})

test('close() stops watching: online, visible and resume make no request afterwards', async () => {
  const { source, calls, stream } = await openWithTwoEvents({ pauseWhenHidden: 0, retry: { initialDelay: 30_000 } })
  stream.end()
  await until(() => source.readyState === FetchEventSource.CONNECTING, 'reconnecting')
  source.close()
  network('offline')
  network('online')
  visibility('hidden')
  visibility('visible')
  documentTarget.dispatchEvent(new Event('resume'))
  pageTransition('pageshow', true)
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(calls.length, 1)
  assert.equal(source.readyState, FetchEventSource.CLOSED)
})

/**
 * Replaces a global of the stand-in while a source is created and starts (the microtask after its constructor,
 * where it decides what to watch), then puts it back.
 * @param {string} name @param {unknown} value @param {ConstructorParameters<typeof FetchEventSource>[1]} init
 */
async function openWith(name, value, init) {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, name)
  Object.defineProperty(globalThis, name, { configurable: true, writable: true, value })
  try {
    const opened = open(init)
    await Promise.resolve()
    return opened
  } finally {
    if (descriptor === undefined) delete (/** @type {any} */ (globalThis))[name]
    else Object.defineProperty(globalThis, name, descriptor)
  }
}

for (const [name, navigator] of /** @type {const} */ ([
  ['without navigator.onLine (Deno: addEventListener, but no online/offline events)', {}],
  ['without navigator (Node 20)', undefined],
])) {
  test(`a scope ${name} is not watched: pagehide, hidden and online change nothing`, async () => {
    const { source, log, calls, call } = await openWith('navigator', navigator, { pauseWhenHidden: 0, retry: { initialDelay: 30_000 } })
    const stream = (await call(1)).respond()
    stream.send('id: 1\ndata: one\n\n')
    await until(() => log.length === 2, 'open and event 1')
    pageTransition('pagehide', true)
    documentTarget.dispatchEvent(new Event('freeze'))
    assert.equal(calls[0].signal.aborted, false)
    stream.end()
    await until(() => log.length === 3, 'the end of the stream')
    network('offline')
    network('online')
    visibility('hidden')
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(calls.length, 1, 'the 30 s reconnection time runs')
    assert.equal(source.readyState, FetchEventSource.CONNECTING)
  })
}

test('a scope with navigator.onLine but no addEventListener is not watched, and the source connects as usual', async () => {
  const { log, call } = await openWith('addEventListener', undefined, {})
  ;(await call(1)).respond().send('id: 1\ndata: one\n\n')
  await until(() => log.length === 2, 'open and event 1')
  assert.deepEqual(log, [['open'], ['message', 'one', '1']])
})

for (const [name, document] of /** @type {const} */ ([
  ['without a document (a worker)', undefined],
  ['whose document is null', null],
  ['whose document global is not an object (a script\'s own variable in a worker)', 'about:blank'],
])) {
  test(`a scope ${name} watches the network only`, async () => {
    const { log, calls, call } = await openWith('document', document, { pauseWhenHidden: 0 })
    const stream = (await call(1)).respond()
    stream.send('id: 1\ndata: one\n\n')
    await until(() => log.length === 2, 'open and event 1')
    pageTransition('pagehide', true)
    documentTarget.dispatchEvent(new Event('freeze'))
    visibility('hidden')
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(calls[0].signal.aborted, false)
    network('offline')
    stream.end()
    await until(() => log.length === 3, 'the end of the stream')
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(calls.length, 1, 'offline: no attempt')
    network('online')
    assert.equal((await call(2, 500)).lastEventId, '1')
  })
}

test('online during a backoff wait connects at once, and that wait is over: the next one starts from the new failure', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { log, calls, call, stream } = await openWithTwoEvents({ retry: { initialDelay: 1_000, shouldRetry: () => 5_000 } })
  stream.end()
  await until(() => log.length === 4, 'the end of the stream')
  network('online')
  const second = await call(2)
  assert.equal(second.lastEventId, '2')
  second.fail()
  await until(() => log.length === 5, 'the failure')
  t.mock.timers.tick(4_999)
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
  assert.equal(calls.length, 2, 'no attempt when the first wait would have ended')
  t.mock.timers.tick(1)
  assert.equal((await call(3)).lastEventId, '2')
  t.mock.timers.reset()
})

test('shown again, or resumed, without having been paused: a source waiting to reconnect keeps its wait', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { log, calls, call, stream } = await openWithTwoEvents({ pauseWhenHidden: 1_000, retry: { initialDelay: 5_000 } })
  stream.end()
  await until(() => log.length === 4, 'the end of the stream')
  visibility('hidden')
  t.mock.timers.tick(500)
  visibility('visible')
  documentTarget.dispatchEvent(new Event('resume'))
  pageTransition('pageshow', true)
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
  assert.equal(calls.length, 1)
  t.mock.timers.tick(4_499)
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
  assert.equal(calls.length, 1)
  t.mock.timers.tick(1)
  assert.equal((await call(2)).lastEventId, '2')
  assert.deepEqual(log.slice(3), [['error', 'stream-ended', FetchEventSource.CONNECTING]])
  t.mock.timers.reset()
})

test('pauseWhenHidden: the grace period starts over each time the page is hidden', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { calls } = await openWithTwoEvents({ pauseWhenHidden: 100 })
  visibility('hidden')
  t.mock.timers.tick(60)
  visibility('visible')
  visibility('hidden')
  t.mock.timers.tick(99)
  assert.equal(calls[0].signal.aborted, false, '99 ms into the second hidden period')
  t.mock.timers.tick(1)
  assert.equal(calls[0].signal.aborted, true, '100 ms into it')
  t.mock.timers.reset()
})

test('pauseWhenHidden beyond what a timer takes (2^31 ms) waits as long as a timer can, not zero', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const { calls } = await openWithTwoEvents({ pauseWhenHidden: 2 ** 32 })
  visibility('hidden')
  t.mock.timers.tick(2 ** 31 - 2)
  assert.equal(calls[0].signal.aborted, false)
  t.mock.timers.tick(1)
  assert.equal(calls[0].signal.aborted, true, 'at 2^31 - 1 ms')
  t.mock.timers.reset()
})

test('shared is ignored without Web Locks and BroadcastChannel support here: the source connects on its own', async () => {
  const a = open({ shared: 'feed' })
  const b = open({ shared: 'feed' })
  await a.call(1)
  await b.call(1)
  assert.equal(await a.source.sharedStatus(), null)
})
