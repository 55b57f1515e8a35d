// Bad input gets a clear, immediate error at construction: never a hang, never a silent failure later.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource } from '../dist/index.js'

const url = 'http://127.0.0.1:9/never'
const noFetch = () => new Promise(() => {})

const typeErrors = {
  'lastEventId with LF': { lastEventId: 'a\nb' },
  'lastEventId with CR': { lastEventId: 'a\rb' },
  'lastEventId with NUL': { lastEventId: 'a\0b' },
  'lastEventId not a string': { lastEventId: 5 },
  'negative maxBufferSize': { maxBufferSize: -1 },
  'zero maxBufferSize': { maxBufferSize: 0 },
  'NaN maxBufferSize': { maxBufferSize: NaN },
  'string maxBufferSize': { maxBufferSize: '1024' },
  'fractional maxBufferSize': { maxBufferSize: 10.5 },
  'negative heartbeatTimeout': { heartbeatTimeout: -5 },
  'string heartbeatTimeout': { heartbeatTimeout: '100' },
  'NaN heartbeatTimeout': { heartbeatTimeout: NaN },
  'negative retry.initialDelay': { retry: { initialDelay: -1 } },
  'string retry.maxDelay': { retry: { maxDelay: '1000' } },
  'retry.factor below 1': { retry: { factor: 0.5 } },
  'retry.jitter above 1': { retry: { jitter: 1.5 } },
  'retry.maxAttempts 0': { retry: { maxAttempts: 0 } },
  'fractional retry.maxAttempts': { retry: { maxAttempts: 2.5 } },
  'retry.shouldRetry not a function': { retry: { shouldRetry: true } },
  'fetch not a function': { fetch: 'fetch' },
  'fetch null': { fetch: null },
  'onResponse not a function': { onResponse: {} },
  'signal not an AbortSignal': { signal: {} },
  'method with a space': { method: 'GE T' },
  'method with CRLF': { method: 'GET\r\nX-Injected: 1' },
  'forbidden method CONNECT': { method: 'CONNECT' },
  'header value with CRLF': { headers: { 'x-a': 'v\r\nx-injected: 1' } },
  'invalid header name': { headers: { 'bad name': 'v' } },
  'body on GET': { body: 'x' },
  'body on HEAD': { method: 'HEAD', body: 'x' },
  'shared as an empty string': { shared: '' },
  'shared as a number': { shared: 1 },
  'shared: true with a headers function': { shared: true, headers: () => ({}) },
  'shared: true with a body function': { shared: true, method: 'POST', body: () => 'x' },
  'shared: true with a non-string body': { shared: true, method: 'POST', body: new URLSearchParams('a=1') },
  'negative pauseWhenHidden': { pauseWhenHidden: -1 },
  'Infinity pauseWhenHidden': { pauseWhenHidden: Infinity },
  'NaN pauseWhenHidden': { pauseWhenHidden: NaN },
  'string pauseWhenHidden': { pauseWhenHidden: '1000' },
}

for (const [name, init] of Object.entries(typeErrors)) {
  test(`TypeError at construction: ${name}`, () => {
    assert.throws(() => new FetchEventSource(url, { fetch: noFetch, ...init }), TypeError)
  })
}

test('the error message names the option', () => {
  assert.throws(() => new FetchEventSource(url, { maxBufferSize: -1 }), /maxBufferSize/)
  assert.throws(() => new FetchEventSource(url, { retry: { factor: 0 } }), /retry\.factor/)
  assert.throws(() => new FetchEventSource(url, { lastEventId: 'a\nb' }), /lastEventId/)
})

test('an unparsable URL throws a SyntaxError DOMException', () => {
  for (const bad of ['http://exa mple.com/', 'http://[::1/', '//no-base', 'not a url']) {
    assert.throws(
      () => new FetchEventSource(bad),
      (error) => error instanceof DOMException && error.name === 'SyntaxError',
      bad,
    )
  }
})

test('accepted values construct a CONNECTING source', () => {
  const controller = new AbortController()
  const source = new FetchEventSource(url, {
    fetch: noFetch,
    method: 'post',
    body: null,
    maxBufferSize: Infinity,
    heartbeatTimeout: 0,
    lastEventId: 'caf\u00e9 \u{1F600}',
    signal: controller.signal,
    retry: { initialDelay: 0, maxDelay: Infinity, factor: 1, jitter: 0, maxAttempts: Infinity, shouldRetry: () => true },
  })
  assert.equal(source.readyState, FetchEventSource.CONNECTING)
  assert.equal(source.lastEventId, 'caf\u00e9 \u{1F600}')
  controller.abort()
  assert.equal(source.readyState, FetchEventSource.CLOSED)
})

test('an already-aborted signal never connects', async () => {
  let calls = 0
  const source = new FetchEventSource(url, { fetch: () => (calls++, noFetch()), signal: AbortSignal.abort() })
  assert.equal(source.readyState, FetchEventSource.CLOSED)
  let events = 0
  source.onerror = source.onopen = () => events++
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(calls, 0)
  assert.equal(events, 0)
})

test('shared: true without a key of its own names the fix; a string key accepts any headers and body', () => {
  assert.throws(() => new FetchEventSource(url, { shared: true, headers: () => ({}) }), /shared: "your-key"/)
  const source = new FetchEventSource(url, { fetch: noFetch, shared: 'feed', method: 'POST', headers: () => ({}), body: () => 'x' })
  assert.equal(source.readyState, FetchEventSource.CONNECTING)
  source.close()
})

// Node has BroadcastChannel (and Node 24 Web Locks), but sharing is documented as a browser feature: here a shared
// source connects on its own, like any other, and reports no sharing.
test('in Node, shared and pauseWhenHidden are accepted and change nothing: the source makes its own request', async () => {
  const requests = []
  const fetch = async (input, init) => {
    requests.push([String(input), init.method])
    return new Response('data: one\n\n', { headers: { 'content-type': 'text/event-stream' } })
  }
  const sources = [
    new FetchEventSource(url, { fetch, shared: true, pauseWhenHidden: true }),
    new FetchEventSource(url, { fetch, shared: true, pauseWhenHidden: 0 }),
  ]
  const messages = await Promise.all(sources.map((source) => new Promise((resolve) => (source.onmessage = (event) => resolve(event.data)))))
  assert.deepEqual(messages, ['one', 'one'])
  assert.deepEqual(requests, [[url, 'GET'], [url, 'GET']], 'one request per source')
  assert.deepEqual(await Promise.all(sources.map((source) => source.sharedStatus())), [null, null])
  for (const source of sources) source.close()
})

// The exact message of each refusal: users read it, so it names the option, what it must be, and what it got (a
// string quoted, an object or a function by kind, anything else as String gives it).
const signalLike = (fields) => Object.assign(Object.create(null), fields)
const exactMessages = [
  ['init a number', 5, 'init must be an object, got 5'],
  ['init a string', 'GET', 'init must be an object, got "GET"'],
  ['init a boolean', true, 'init must be an object, got true'],
  ['method a number', { method: 5 }, 'method must be an HTTP token, got 5'],
  ['method not a token', { method: 'GE T' }, 'method must be an HTTP token, got "GE T"'],
  ['method CONNECT', { method: 'CONNECT' }, 'method CONNECT is forbidden by fetch'],
  ['method TRACE', { method: 'TRACE' }, 'method TRACE is forbidden by fetch'],
  ['method track, in any case', { method: 'track' }, 'method track is forbidden by fetch'],
  ['a body on GET', { body: 'x' }, 'a GET request cannot have a body'],
  ['a body on head, named upper-case', { method: 'head', body: 'x' }, 'a HEAD request cannot have a body'],
  ['lastEventId a number', { lastEventId: 5 }, 'lastEventId must be a string, got 5'],
  ['lastEventId with LF', { lastEventId: 'a\nb' }, 'lastEventId must be free of CR, LF and NUL, got "a\\nb"'],
  ['lastEventIdIn unknown', { lastEventIdIn: 'path' }, `lastEventIdIn must be 'header', 'query' or 'both', got "path"`],
  ['lastEventIdParam empty', { lastEventIdParam: '' }, 'lastEventIdParam must be a non-empty string, got ""'],
  ['lastEventIdParam a number', { lastEventIdParam: 5 }, 'lastEventIdParam must be a non-empty string, got 5'],
  ['redirect manual', { redirect: 'manual' }, `redirect must be 'follow' or 'error', got "manual"`],
  ['maxBufferSize 0', { maxBufferSize: 0 }, 'maxBufferSize must be a positive integer or Infinity, got 0'],
  ['maxBufferSize fractional', { maxBufferSize: 1.5 }, 'maxBufferSize must be a positive integer or Infinity, got 1.5'],
  // Not converted to a number: a symbol would throw its own, unclear TypeError.
  ['maxBufferSize a symbol', { maxBufferSize: Symbol('size') }, 'maxBufferSize must be a positive integer or Infinity, got Symbol(size)'],
  ['heartbeatTimeout negative', { heartbeatTimeout: -1 }, 'heartbeatTimeout must be a non-negative number of milliseconds, got -1'],
  ['shared a number', { shared: 1 }, 'shared must be a boolean or a non-empty string, got 1'],
  ['shared a function', { shared: () => 'key' }, 'shared must be a boolean or a non-empty string, got a function'],
  ['pauseWhenHidden Infinity', { pauseWhenHidden: Infinity }, 'pauseWhenHidden must be a boolean or a finite non-negative number of milliseconds, got Infinity'],
  ['signal null', { signal: null }, 'signal must be an AbortSignal, got null'],
  ['signal an empty object', { signal: {} }, 'signal must be an AbortSignal, got an object'],
  ['signal without addEventListener', { signal: signalLike({ aborted: false }) }, 'signal must be an AbortSignal, got an object'],
  ['signal without aborted', { signal: signalLike({ addEventListener() {} }) }, 'signal must be an AbortSignal, got an object'],
  ['signal with a non-boolean aborted', { signal: signalLike({ aborted: 'no', addEventListener() {} }) }, 'signal must be an AbortSignal, got an object'],
  ['signal a function', { signal: Object.assign(() => {}, { aborted: false, addEventListener() {} }) }, 'signal must be an AbortSignal, got a function'],
  ['onResponse an object', { onResponse: {} }, 'onResponse must be a function, got an object'],
  ['fetch null', { fetch: null }, 'fetch must be a function, got null'],
  ['retry a number', { retry: 5 }, 'retry must be an object, got 5'],
  ['retry null', { retry: null }, 'retry must be an object, got null'],
  ['retry a function', { retry: () => ({}) }, 'retry must be an object, got a function'],
  ['retry.initialDelay negative', { retry: { initialDelay: -1 } }, 'retry.initialDelay must be a number ≥ 0, got -1'],
  ['retry.initialDelay Infinity', { retry: { initialDelay: Infinity } }, 'retry.initialDelay must be a number ≥ 0, got Infinity'],
  ['retry.maxDelay negative', { retry: { maxDelay: -1 } }, 'retry.maxDelay must be a number ≥ 0 or Infinity, got -1'],
  ['retry.factor below 1', { retry: { factor: 0.5 } }, 'retry.factor must be a number ≥ 1, got 0.5'],
  ['retry.factor Infinity', { retry: { factor: Infinity } }, 'retry.factor must be a number ≥ 1, got Infinity'],
  ['retry.jitter above 1', { retry: { jitter: 1.5 } }, 'retry.jitter must be between 0 and 1, got 1.5'],
  ['retry.jitter negative', { retry: { jitter: -0.1 } }, 'retry.jitter must be a number ≥ 0, got -0.1'],
  ['retry.maxAttempts 0', { retry: { maxAttempts: 0 } }, 'retry.maxAttempts must be a number ≥ 1 or Infinity, got 0'],
  ['retry.maxAttempts fractional', { retry: { maxAttempts: 2.5 } }, 'retry.maxAttempts must be a whole number or Infinity, got 2.5'],
  ['retry.maxAttempts NaN', { retry: { maxAttempts: NaN } }, 'retry.maxAttempts must be a number ≥ 1 or Infinity, got NaN'],
  ['retry.shouldRetry true', { retry: { shouldRetry: true } }, 'retry.shouldRetry must be a function, got true'],
]

for (const [name, init, message] of exactMessages) {
  test(`the exact TypeError: ${name}`, () => {
    let accepted
    try {
      assert.throws(() => (accepted = new FetchEventSource(url, init)), (error) => {
        assert.equal(error.constructor, TypeError)
        assert.equal(error.message, `FetchEventSource: ${message}`)
        return true
      })
    } finally {
      accepted?.close()
    }
  })
}

test('the smallest and largest accepted values at each boundary construct a source', () => {
  const accepted = [
    { maxBufferSize: 1 },
    { maxBufferSize: Infinity },
    { heartbeatTimeout: 0 },
    { heartbeatTimeout: Infinity },
    { pauseWhenHidden: 0 },
    { pauseWhenHidden: Number.MAX_VALUE },
    { lastEventIdParam: 'x' },
    { redirect: 'error' },
    { retry: { initialDelay: 0, maxDelay: 0, factor: 1, jitter: 0, maxAttempts: 1 } },
    { retry: { maxDelay: Infinity, jitter: 1, maxAttempts: Infinity } },
    { retry: {} },
    // A headers function is called per attempt, not read as a headers object: its own properties are no headers.
    { headers: Object.assign(() => ({}), { 'not a header name': 'v' }) },
  ]
  for (const init of accepted) {
    const source = new FetchEventSource(url, { fetch: noFetch, ...init })
    assert.equal(source.readyState, FetchEventSource.CONNECTING, JSON.stringify(init))
    source.close()
  }
})
