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
