// What each failure reports, exactly: the error event's code and message (users read them), and the readyState it
// leaves (CONNECTING: a reconnect follows; CLOSED: the source has ended), for every way a custom fetch, a response
// or its body can fail, and for the messages the constructor throws. No sockets: custom fetch functions only.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource } from '../dist/index.js'
import { memoryFetch } from './support/memory-fetch.js'
import { closedAfterEach, realSetTimeout } from './support/stubbed-clock.js'

const URL_ = 'http://reports.test/stream'
const SSE = { 'content-type': 'text/event-stream' }
const opened = closedAfterEach()

/** Resolves with the first `count` records (open, message, error with code, message and readyState), then closes. */
function records(init, { url = URL_, count = 1, ms = 2000 } = {}) {
  const source = new FetchEventSource(url, init)
  opened.add(source)
  const seen = []
  return new Promise((resolve, reject) => {
    const timer = realSetTimeout(() => (source.close(), reject(new Error(`not ${count} records within ${ms} ms: ${JSON.stringify(seen)}`))), ms)
    const push = (record) => {
      seen.push(record)
      if (seen.length < count) return
      clearTimeout(timer)
      source.close()
      resolve(seen)
    }
    source.addEventListener('open', () => push('open'))
    source.addEventListener('message', (event) => push({ data: event.data, origin: event.origin }))
    source.addEventListener('error', (event) => push({ code: event.code, message: event.message, readyState: source.readyState }))
  })
}

/** The first error a fetch rejecting with `reason` reports. */
const rejection = async (reason, init = {}) => (await records({ ...init, fetch: () => Promise.reject(reason) }))[0]

test('the constructor: no argument, and an unparsable URL, throw with the messages browsers give', () => {
  assert.throws(() => new FetchEventSource(), {
    name: 'TypeError',
    message: "Failed to construct 'FetchEventSource': 1 argument required, but only 0 present.",
  })
  assert.throws(() => new FetchEventSource('http://exa mple.test/'), (error) => {
    assert.ok(error instanceof DOMException)
    assert.equal(error.name, 'SyntaxError')
    assert.equal(error.message, "Failed to construct 'FetchEventSource': The URL 'http://exa mple.test/' is invalid.")
    return true
  })
})

test('a non-HTTP(S) scheme is named in the message; https connects like http', async () => {
  assert.deepEqual(await records({ fetch: memoryFetch([]) }, { url: 'ftp://reports.test/' }), [
    { code: 'unsupported-scheme', message: 'Cannot connect to ftp: URLs: only http and https are supported', readyState: FetchEventSource.CLOSED },
  ])
  const fetch = memoryFetch([{ chunks: ['data: secure\n\n'] }])
  assert.deepEqual(await records({ fetch }, { url: 'https://reports.test/', count: 2 }), ['open', { data: 'secure', origin: 'https://reports.test' }])
  assert.equal(fetch.requests[0].url, 'https://reports.test/')
})

test('a fetch option resolving with something that is not a Response ends the source with invalid-request', async () => {
  const message = 'Invalid request: the fetch option resolved with something that is not a Response'
  const headers = new Headers(SSE)
  for (const [name, value] of [
    ['null', null],
    ['a string', 'data: x\n\n'],
    ['a string status', { status: '200', headers }],
    ['no headers', { status: 200 }],
    ['headers without get', { status: 200, headers: {} }],
  ]) {
    assert.deepEqual(await records({ fetch: async () => value }), [{ code: 'invalid-request', message, readyState: FetchEventSource.CLOSED }], name)
  }
})

test('a fetch that rejects: the reason is quoted in a network error, which reconnects, whatever was thrown', async () => {
  const failed = (what) => ({ code: 'network', message: `Failed to fetch ${URL_}: ${what}`, readyState: FetchEventSource.CONNECTING })
  assert.deepEqual(await rejection(new TypeError('fetch failed')), failed('fetch failed'))
  assert.deepEqual(await rejection(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })), failed('fetch failed (connect ECONNREFUSED)'))
  assert.deepEqual(await rejection(new TypeError('fetch failed', { cause: 'not an Error' })), failed('fetch failed'))
  assert.deepEqual(await rejection(new TypeError('fetch failed', { cause: null })), failed('fetch failed'))
  assert.deepEqual(await rejection('a string'), failed('a string'))
  assert.deepEqual(await rejection(undefined), failed('undefined'))
  assert.deepEqual(await rejection(null), failed('null'))
  assert.deepEqual(await rejection({ name: 'NotAnAbort' }), failed('[object Object]'))
})

test("a request Node's HTTP client refuses, and an abort the source did not cause, end the source", async () => {
  const refused = new TypeError('fetch failed', { cause: Object.assign(new TypeError('invalid content-length header'), { code: 'UND_ERR_INVALID_ARG' }) })
  assert.deepEqual(await rejection(refused), {
    code: 'invalid-request',
    message: 'Invalid request: fetch refused it: fetch failed (invalid content-length header)',
    readyState: FetchEventSource.CLOSED,
  })
  assert.deepEqual(await rejection(new DOMException('gone', 'AbortError')), { code: 'aborted', message: 'The request was aborted', readyState: FetchEventSource.CLOSED })
})

test('maxAttempts: the message says how many attempts were made, one or several', async () => {
  const refuse = () => Promise.reject(new TypeError('refused'))
  assert.deepEqual(await records({ fetch: refuse, retry: { maxAttempts: 1 } }), [
    { code: 'network', message: `Failed to fetch ${URL_}: refused (gave up after 1 attempt)`, readyState: FetchEventSource.CLOSED },
  ])
  assert.deepEqual(await records({ fetch: refuse, retry: { maxAttempts: 2, initialDelay: 0 } }, { count: 2 }), [
    { code: 'network', message: `Failed to fetch ${URL_}: refused`, readyState: FetchEventSource.CONNECTING },
    { code: 'network', message: `Failed to fetch ${URL_}: refused (gave up after 2 attempts)`, readyState: FetchEventSource.CLOSED },
  ])
})

test('a shouldRetry that throws ends the source, and the message quotes what it threw', async () => {
  const shouldRetry = () => {
    throw new RangeError('no verdict')
  }
  assert.deepEqual(await records({ fetch: () => Promise.reject(new TypeError('refused')), retry: { shouldRetry } }), [
    { code: 'network', message: `Failed to fetch ${URL_}: refused (shouldRetry threw: no verdict)`, readyState: FetchEventSource.CLOSED },
  ])
})

test("redirect: 'error' names the refused location, or the URL a followed redirect ended at; an opaque redirect has none to name; a 200 with a Location is no redirect", async () => {
  const redirect = (response) => records({ redirect: 'error', fetch: async () => response })
  assert.deepEqual(await redirect(new Response(null, { status: 307, headers: { location: 'http://elsewhere.test/\x1bx' } })), [
    { code: 'redirect', message: "Refused a redirect to http://elsewhere.test/\\x1bx (redirect: 'error')", readyState: FetchEventSource.CLOSED },
  ])
  // What a browser's fetch gives for redirect: 'manual' (its URL the requested one, not the target); a Response
  // cannot be built with that type, so it is set.
  const opaque = Object.defineProperties(new Response(null, { status: 200, headers: SSE }), { type: { value: 'opaqueredirect' }, url: { value: URL_ } })
  assert.deepEqual(await redirect(opaque), [{ code: 'redirect', message: "Refused a redirect (redirect: 'error')", readyState: FetchEventSource.CLOSED }])
  // A custom fetch that followed the redirect itself, whatever it was asked: named by the URL it ended at, if any.
  const followed = (url) => Object.defineProperties(new Response('data: x\n\n', { headers: SSE }), { redirected: { value: true }, url: { value: url } })
  assert.deepEqual(await redirect(followed('http://final.test/feed')), [
    { code: 'redirect', message: "Refused a redirect to http://final.test/feed (redirect: 'error')", readyState: FetchEventSource.CLOSED },
  ])
  assert.deepEqual(await redirect(followed('')), [{ code: 'redirect', message: "Refused a redirect (redirect: 'error')", readyState: FetchEventSource.CLOSED }])
  const ok = new Response('data: stayed\n\n', { status: 200, headers: { ...SSE, location: 'http://elsewhere.test/' } })
  assert.deepEqual(await records({ redirect: 'error', fetch: async () => ok }, { count: 2 }), ['open', { data: 'stayed', origin: 'http://reports.test' }])
})

test('the body: a clean end, no body at all, a lost connection and an aborted response, each with its own report', async () => {
  const ended = { code: 'stream-ended', message: 'The server ended the stream', readyState: FetchEventSource.CONNECTING }
  assert.deepEqual(await records({ fetch: memoryFetch([{ chunks: ['data: a\n\n'] }]) }, { count: 3 }), ['open', { data: 'a', origin: 'http://reports.test' }, ended])
  assert.deepEqual(await records({ fetch: async () => new Response(null, { headers: SSE }) }, { count: 2 }), ['open', ended])
  const failing = (error) => async () =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.error(error)
        },
      }),
      { headers: SSE },
    )
  assert.deepEqual((await records({ fetch: failing(new TypeError('terminated')) }, { count: 2 }))[1], {
    code: 'connection-lost',
    message: 'The connection was lost: terminated',
    readyState: FetchEventSource.CONNECTING,
  })
  assert.deepEqual((await records({ fetch: failing(new DOMException('gone', 'AbortError')) }, { count: 2 }))[1], {
    code: 'aborted',
    message: 'The response was aborted',
    readyState: FetchEventSource.CLOSED,
  })
})

test("an event's origin is 'null' when the response URL cannot be parsed", async () => {
  assert.deepEqual(await records({ fetch: memoryFetch([{ chunks: ['data: a\n\n'], url: 'not a url' }]) }, { count: 2 }), ['open', { data: 'a', origin: 'null' }])
})

// A custom fetch can resolve with an object that passes the Response check and then throws where no Response would:
// such a bug escapes every handler of the attempt, and must still end the source rather than leave it CONNECTING.
const throwingBody = () => ({
  status: 200,
  url: '',
  headers: new Headers(SSE),
  get body() {
    throw new Error('no body here')
  },
})

test('an unexpected throw escaping an attempt ends the source with a network error', async () => {
  assert.deepEqual(await records({ fetch: async () => throwingBody() }, { count: 2 }), [
    'open',
    { code: 'network', message: 'Unexpected error: no body here', readyState: FetchEventSource.CLOSED },
  ])
})

test('an unexpected throw from an attempt that has already ended changes nothing: the reconnect it scheduled stands', async () => {
  // The heartbeat fails the attempt while onResponse is pending; when onResponse resolves, releasing the late
  // response throws.
  let release
  const source = new FetchEventSource(URL_, {
    heartbeatTimeout: 20,
    fetch: async () => throwingBody(),
    onResponse: () => new Promise((resolve) => (release = resolve)),
    retry: { initialDelay: 3_600_000 },
  })
  opened.add(source)
  const errors = []
  source.onerror = (event) => errors.push([event.code, source.readyState])
  const deadline = performance.now() + 2000
  while (errors.length === 0 && performance.now() < deadline) await new Promise((resolve) => realSetTimeout(resolve, 5))
  release()
  await new Promise((resolve) => realSetTimeout(resolve, 30))
  assert.deepEqual([errors, source.readyState], [[['heartbeat-timeout', FetchEventSource.CONNECTING]], FetchEventSource.CONNECTING])
})
