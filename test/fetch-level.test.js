// Fetch-level behaviour with msw intercepting globalThis.fetch: statuses, content types, request headers and
// bodies, refusals, and the retry policy's verdicts. The library looks fetch up at every attempt, so msw's patch
// applies without passing a custom fetch.
import { after, afterEach, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { http, HttpResponse } from 'msw'
import { setupServer } from 'msw/node'
import { FetchEventSource, assertEventStream, FetchEventSourceError, FetchEventSourceErrorEvent } from '../dist/index.js'

const URL_ = 'http://api.test/stream'
const server = setupServer()
before(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
after(() => server.close())

const sse = (text, init = {}) =>
  new HttpResponse(text, { status: 200, ...init, headers: { 'content-type': 'text/event-stream', ...init.headers } })

/** Records open/error/message events until `done(trace)` is true; bounded by a timeout. */
function trace(source, done, timeout = 3000) {
  const records = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      source.close()
      reject(new Error(`timed out; got ${JSON.stringify(records)}`))
    }, timeout)
    const push = (record) => {
      records.push(record)
      if (done(records)) {
        clearTimeout(timer)
        source.close()
        resolve(records)
      }
    }
    source.addEventListener('open', () => push({ type: 'open', readyState: source.readyState }))
    source.addEventListener('message', (e) => push({ type: 'message', data: e.data, lastEventId: e.lastEventId }))
    source.addEventListener('error', (e) => push({ type: 'error', readyState: source.readyState, code: e.code }))
  })
}

const lastIs = (type, readyState) => (records) => records.at(-1).type === type && records.at(-1).readyState === readyState

for (const status of [201, 204, 205, 299, 301.5, 400, 404, 500, 503].filter(Number.isInteger)) {
  test(`status ${status} fails the connection: CLOSED, one error with code ${status}, no retry`, async () => {
    let requests = 0
    server.use(http.get(URL_, () => (requests++, new HttpResponse(status === 204 || status === 205 ? null : 'data: x\n\n', { status, headers: { 'content-type': 'text/event-stream' } }))))
    const source = new FetchEventSource(URL_)
    const records = await trace(source, lastIs('error', 2))
    assert.deepEqual(records, [{ type: 'error', readyState: 2, code: status }])
    assert.equal(requests, 1)
  })
}

for (const [contentType, ok] of [
  ['text/event-stream', true],
  ['text/event-stream;', true],
  ['TEXT/Event-Stream; charset=iso-8859-1', true],
  [' text/event-stream ;foo=bar', true],
  ['text/plain', false],
  ['text/event-streams', false],
  ['text/html; text/event-stream', false],
]) {
  test(`content type ${JSON.stringify(contentType)} is ${ok ? 'accepted' : 'refused'}`, async () => {
    server.use(http.get(URL_, () => new HttpResponse('data: \u00e9\n\n', { headers: { 'content-type': contentType } })))
    const source = new FetchEventSource(URL_)
    const records = await trace(source, (r) => r.some((x) => x.type === 'error'))
    if (ok) {
      // UTF-8 whatever the charset parameter says (rule 21).
      assert.deepEqual(records, [
        { type: 'open', readyState: 1 },
        { type: 'message', data: '\u00e9', lastEventId: '' },
        { type: 'error', readyState: 0, code: 'stream-ended' },
      ])
    } else {
      assert.deepEqual(records, [{ type: 'error', readyState: 2, code: 'invalid-content-type' }])
    }
  })
}

test('a missing content type is refused', async () => {
  server.use(http.get(URL_, () => new HttpResponse(new Blob(['data: x\n\n']), { headers: {} })))
  const records = await trace(new FetchEventSource(URL_), lastIs('error', 2))
  assert.deepEqual(records, [{ type: 'error', readyState: 2, code: 'invalid-content-type' }])
})

test('POST with a JSON body and static headers; Accept added; Cache-Control set by hand only in Deno and Bun', async () => {
  let seen
  server.use(
    http.post(URL_, async ({ request }) => {
      seen = { method: request.method, headers: Object.fromEntries(request.headers), body: await request.text() }
      return sse('data: ok\n\n')
    }),
  )
  const source = new FetchEventSource(URL_, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
    body: JSON.stringify({ prompt: 'hi' }),
  })
  await trace(source, (r) => r.some((x) => x.type === 'message'))
  assert.equal(seen.method, 'POST')
  assert.equal(seen.body, '{"prompt":"hi"}')
  assert.equal(seen.headers.accept, 'text/event-stream')
  assert.equal(seen.headers.authorization, 'Bearer t')
  assert.equal(seen.headers['content-type'], 'application/json')
  // Their fetch ignores cache: 'no-store', so the library adds what browsers and Node's fetch add themselves.
  const ignoresCacheMode = typeof globalThis.Deno !== 'undefined' || typeof globalThis.Bun !== 'undefined'
  assert.equal(seen.headers['cache-control'], ignoresCacheMode ? 'no-cache' : undefined)
  assert.equal(seen.headers['last-event-id'], undefined)
})

test("the caller's Accept is kept", async () => {
  let accept
  server.use(http.get(URL_, ({ request }) => ((accept = request.headers.get('accept')), sse('data: x\n\n'))))
  await trace(new FetchEventSource(URL_, { headers: { Accept: 'application/json, text/event-stream' } }), (r) => r.length === 2)
  assert.equal(accept, 'application/json, text/event-stream')
})

test('headers and body functions are called before every attempt; lastEventId option then stream ids', async () => {
  const seen = []
  server.use(
    http.post(URL_, async ({ request }) => {
      seen.push({ url: request.url, auth: request.headers.get('authorization'), id: request.headers.get('last-event-id'), body: await request.text() })
      return sse(seen.length === 1 ? 'retry: 1\nid: s1\ndata: a\n\n' : 'data: b\n\n')
    }),
  )
  let tokens = 0
  let bodies = 0
  const source = new FetchEventSource(URL_, {
    method: 'POST',
    lastEventId: 'start-7',
    headers: async () => ({ authorization: `Bearer ${++tokens}` }),
    body: () => new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(`body ${++bodies}`)), c.close()) }),
  })
  assert.equal(source.lastEventId, 'start-7')
  await trace(source, (r) => r.filter((x) => x.type === 'message').length === 2)
  // The ID travels in the header only by default: the URL keeps no query parameter.
  assert.deepEqual(seen, [
    { url: URL_, auth: 'Bearer 1', id: 'start-7', body: 'body 1' },
    { url: URL_, auth: 'Bearer 2', id: 's1', body: 'body 2' },
  ])
})

/** The URL and init of a source's first request, or the error it reported instead; the source is closed. */
function firstRequest(url, init) {
  let source
  return new Promise((resolve, reject) => {
    source = new FetchEventSource(url, { ...init, fetch: async (input, requestInit) => (resolve([String(input), requestInit]), new Promise(() => {})) })
    source.onerror = (event) => reject(new Error(`no request: ${event.code} ${event.message}`))
  }).finally(() => source.close())
}

test("lastEventIdIn 'query': the parameter replaces every one of that name (form-decoded, or as written when it does not decode); the rest keeps its bytes; the fragment is left out", async () => {
  const [undecodable] = await firstRequest('http://api.test/stream?a%b&a%b=old&&keep=%7e+1&#frag', {
    lastEventIdIn: 'query',
    lastEventIdParam: 'a%b',
    lastEventId: 'x y',
  })
  assert.equal(undecodable, 'http://api.test/stream?keep=%7e+1&a%25b=x%20y')
  // A lone surrogate (possible in the lastEventId option) goes as U+FFFD.
  const [formDecoded] = await firstRequest('http://api.test/stream?last+id=1&keep=1&last%20id=2', {
    lastEventIdIn: 'both',
    lastEventIdParam: 'last id',
    lastEventId: 'a\uD800',
  })
  assert.equal(formDecoded, 'http://api.test/stream?keep=1&last%20id=a%EF%BF%BD')
  // Without a query, or with an empty one, the parameter is the whole query.
  const [bare] = await firstRequest('http://api.test/stream#frag', { lastEventIdIn: 'query', lastEventId: '7' })
  const [empty] = await firstRequest('http://api.test/stream?', { lastEventIdIn: 'query', lastEventId: '7' })
  assert.deepEqual([bare, empty], ['http://api.test/stream?lastEventId=7', 'http://api.test/stream?lastEventId=7'])
})

test('a stream body is sent with duplex: half, any other body without it', async () => {
  const stream = new ReadableStream({ start: (c) => c.close() })
  const [, streamed] = await firstRequest(URL_, { method: 'POST', body: stream })
  const [, text] = await firstRequest(URL_, { method: 'POST', body: 'x' })
  assert.deepEqual([streamed.duplex, text.duplex, 'duplex' in text], ['half', undefined, false])
})

test('what a headers or body function throws ends the source with invalid-request, the reason in the message', async () => {
  const failure = (init) =>
    new Promise((resolve) => {
      const source = new FetchEventSource(URL_, { fetch: async () => new Promise(() => {}), ...init })
      source.addEventListener('error', (event) => resolve([event.code, source.readyState, event.message]))
    })
  assert.deepEqual(await failure({ headers: () => { throw 'no token' } }), ['invalid-request', 2, 'Invalid request: the headers function failed: no token'])
  assert.deepEqual(await failure({ method: 'POST', body: () => { throw undefined } }), ['invalid-request', 2, 'Invalid request: the body function failed'])
  assert.deepEqual(await failure({ method: 'POST', body: () => { throw new Error('no body') } }), ['invalid-request', 2, 'Invalid request: the body function failed: no body'])
  assert.deepEqual(await failure({ body: () => 'x' }), ['invalid-request', 2, 'Invalid request: the body function returned a body for a GET request'])
  assert.deepEqual(await failure({ method: 'head', body: async () => 'x' }), ['invalid-request', 2, 'Invalid request: the body function returned a body for a HEAD request'])
})

test('a body function may return no body for a GET request: the request goes without one', async () => {
  const [, init] = await firstRequest(URL_, { body: () => null })
  assert.deepEqual([init.method, init.body, 'body' in init], ['GET', undefined, false])
})

test('static headers are read at every attempt: an invalid one added after construction is invalid-request', async () => {
  const headers = { 'x-a': '1' }
  const source = new FetchEventSource(URL_, { headers, fetch: async () => new Promise(() => {}) })
  headers['bad name'] = 'v'
  const event = await new Promise((resolve) => source.addEventListener('error', resolve))
  assert.deepEqual([event.code, source.readyState], ['invalid-request', FetchEventSource.CLOSED])
  assert.ok(event.message.startsWith('Invalid request: invalid headers: '), event.message)
})

test('onResponse replaces the default check: a text/plain 500 can be accepted', async () => {
  server.use(http.get(URL_, () => new HttpResponse('data: tolerated\n\n', { status: 500, headers: { 'content-type': 'text/plain' } })))
  const statuses = []
  const source = new FetchEventSource(URL_, { onResponse: (response) => void statuses.push(response.status) })
  const records = await trace(source, (r) => r.some((x) => x.type === 'message'))
  assert.deepEqual(records, [{ type: 'open', readyState: 1 }, { type: 'message', data: 'tolerated', lastEventId: '' }])
  assert.deepEqual(statuses, [500])
})

test('onResponse throwing refuses the response: response-rejected, CLOSED, with cause and response', async () => {
  server.use(http.get(URL_, () => sse('data: x\n\n', { headers: { 'x-version': '1' } })))
  const refusal = new Error('wrong version')
  const source = new FetchEventSource(URL_, {
    onResponse: async (response) => {
      if (response.headers.get('x-version') !== '2') throw refusal
    },
  })
  const event = await new Promise((resolve) => source.addEventListener('error', resolve))
  assert.equal(event.code, 'response-rejected')
  assert.equal(event.cause, refusal)
  assert.equal(event.response.status, 200)
  assert.match(event.message, /wrong version/)
  assert.equal(source.readyState, FetchEventSource.CLOSED)
})

test('onResponse calling assertEventStream keeps its specific code', async () => {
  server.use(http.get(URL_, () => new HttpResponse('nope', { status: 404 })))
  const source = new FetchEventSource(URL_, { onResponse: (response) => assertEventStream(response) })
  const event = await new Promise((resolve) => source.addEventListener('error', resolve))
  assert.equal(event.code, 404)
  assert.equal(source.readyState, FetchEventSource.CLOSED)
})

test('assertEventStream throws FetchEventSourceError with code and response', () => {
  const response = new Response('', { status: 200, headers: { 'content-type': 'application/json' } })
  assert.throws(() => assertEventStream(response), (error) => error instanceof FetchEventSourceError && error.code === 'invalid-content-type' && error.response === response)
  assert.doesNotThrow(() => assertEventStream(new Response('', { headers: { 'content-type': 'text/event-stream; charset=utf-8' } })))
})

test("assertEventStream's messages: the status with its text if any, the content type quoted or none", () => {
  const refusal = (response) => {
    try {
      assertEventStream(response)
    } catch (error) {
      return [error.code, error.message]
    }
    return 'accepted'
  }
  assert.deepEqual(refusal(new Response('', { status: 500 })), [500, 'Expected status 200, got 500'])
  assert.deepEqual(refusal(new Response('', { status: 500, statusText: 'Oops' })), [500, 'Expected status 200, got 500 Oops'])
  assert.deepEqual(refusal(new Response(null)), ['invalid-content-type', 'Expected Content-Type text/event-stream, got none'])
  assert.deepEqual(refusal(new Response('', { headers: { 'content-type': 'text/plain' } })), ['invalid-content-type', 'Expected Content-Type text/event-stream, got "text/plain"'])
})

test('text a server sent is quoted with its controls escaped: \\xHH for C0 and DEL, \\u00HH for C1', () => {
  // A status text as a lenient HTTP stack might pass it on (the Response constructor itself refuses C0 controls).
  const response = new Response('', { status: 502 })
  Object.defineProperty(response, 'statusText', { value: 'Bad\x00\x01\x1b[31m\x1f\x7f\x80\x9b\x9f\xa0\xff!' })
  assert.throws(() => assertEventStream(response), {
    message: 'Expected status 200, got 502 Bad\\x00\\x01\\x1b[31m\\x1f\\x7f\\u0080\\u009b\\u009f\xa0\xff!',
  })
})

test('shouldRetry: a number retries a 503 after that delay, honouring Retry-After; true/false override defaults', async () => {
  let requests = 0
  server.use(
    http.get(URL_, () =>
      ++requests < 3 ? new HttpResponse(null, { status: 503, headers: { 'retry-after': '0' } }) : sse('data: finally\n\n'),
    ),
  )
  const calls = []
  const source = new FetchEventSource(URL_, {
    retry: {
      shouldRetry: (error, attempt) => {
        calls.push([error.code, attempt, error.response?.status])
        return error.code === 503 ? Number(error.response.headers.get('retry-after')) * 1000 + 5 : false
      },
    },
  })
  const records = await trace(source, (r) => r.some((x) => x.type === 'message'))
  assert.deepEqual(records, [
    { type: 'error', readyState: 0, code: 503 },
    { type: 'error', readyState: 0, code: 503 },
    { type: 'open', readyState: 1 },
    { type: 'message', data: 'finally', lastEventId: '' },
  ])
  assert.deepEqual(calls, [[503, 1, 503], [503, 2, 503]])
})

test('shouldRetry false ends a network error that would have been retried', async () => {
  server.use(http.get(URL_, () => HttpResponse.error()))
  const source = new FetchEventSource(URL_, { retry: { shouldRetry: () => false } })
  const records = await trace(source, lastIs('error', 2))
  assert.deepEqual(records, [{ type: 'error', readyState: 2, code: 'network' }])
})

test('maxAttempts counts the first request and ends with CLOSED', async () => {
  let requests = 0
  server.use(http.get(URL_, () => (requests++, HttpResponse.error())))
  const source = new FetchEventSource(URL_, { retry: { initialDelay: 1, maxAttempts: 3, jitter: 0, factor: 1 } })
  const records = await trace(source, lastIs('error', 2))
  assert.deepEqual(records, [
    { type: 'error', readyState: 0, code: 'network' },
    { type: 'error', readyState: 0, code: 'network' },
    { type: 'error', readyState: 2, code: 'network' },
  ])
  assert.equal(requests, 3)
})

test('a stream that delivered an event resets the failure count', async () => {
  let requests = 0
  // fail, fail, accept and end, fail, fail, fail → with maxAttempts 3 it survives the first two failures.
  const plan = ['fail', 'fail', 'ok', 'fail', 'fail', 'fail']
  server.use(http.get(URL_, () => (plan[requests++] === 'ok' ? sse('retry: 1\ndata: x\n\n') : HttpResponse.error())))
  const source = new FetchEventSource(URL_, { retry: { initialDelay: 1, maxAttempts: 3, jitter: 0, factor: 1 } })
  const records = await trace(source, lastIs('error', 2))
  assert.deepEqual(
    records.map((r) => r.type + r.readyState),
    ['error0', 'error0', 'open1', 'message' + undefined, 'error0', 'error0', 'error0', 'error2'],
  )
  assert.equal(requests, 6)
})

test('decodeBase64: data decoded as UTF-8; undecodable events reported and skipped while OPEN', async () => {
  const b64 = (s) => Buffer.from(s, 'utf8').toString('base64')
  const payload = `data: ${b64('h\u00e9llo \u4e16\u754c')}\n\ndata: %%%not base64\n\nevent: x\ndata: ${b64('line1\nline2').slice(0, 8)}\ndata: ${b64('line1\nline2').slice(8)}\n\n`
  server.use(http.get(URL_, () => sse(payload)))
  const source = new FetchEventSource(URL_, { decodeBase64: true })
  const got = []
  source.addEventListener('x', (e) => got.push(['x', e.data, source.readyState]))
  const records = await trace(source, (r) => r.filter((x) => x.type === 'error').length === 2)
  assert.deepEqual(records, [
    { type: 'open', readyState: 1 },
    { type: 'message', data: 'h\u00e9llo \u4e16\u754c', lastEventId: '' },
    { type: 'error', readyState: 1, code: 'invalid-base64' },
    { type: 'error', readyState: 0, code: 'stream-ended' },
  ])
  // Several data lines are joined with LF before decoding; the forgiving base64 decoder skips that whitespace.
  assert.deepEqual(got, [['x', 'line1\nline2', 1]])
})

test('invalid-base64: the event type in the message is escaped, bidirectional characters included', async () => {
  server.use(http.get(URL_, () => sse('event: t\x1b[2J\u202egnp.exe\u2066\ndata: %%%\n\n')))
  const source = new FetchEventSource(URL_, { decodeBase64: true })
  const message = await new Promise((resolve) => {
    source.onerror = (e) => resolve(e.message)
  })
  source.close()
  assert.equal(message, 'Event data is not valid base64 (event type "t\\x1b[2J\\u202egnp.exe\\u2066")')
})

test('the request signal is aborted by close(), and fetch is not called again', async () => {
  let signal
  let calls = 0
  const source = new FetchEventSource(URL_, {
    fetch: (input, init) => {
      calls++
      signal = init.signal
      return new Promise(() => {})
    },
  })
  await new Promise((resolve) => setTimeout(resolve, 5))
  assert.equal(calls, 1)
  assert.equal(signal.aborted, false)
  source.close()
  assert.equal(signal.aborted, true)
  assert.equal(source.readyState, 2)
})

test('an abort the source did not cause fails the connection (rule 12)', async () => {
  const source = new FetchEventSource(URL_, {
    fetch: async () => {
      throw new DOMException('The operation was aborted.', 'AbortError')
    },
  })
  const records = await trace(source, lastIs('error', 2))
  assert.deepEqual(records, [{ type: 'error', readyState: 2, code: 'aborted' }])
})

test('util.inspect (console.log) of an error event and of FetchEventSourceError shows code, message and status', async () => {
  const { inspect } = await import('node:util')
  server.use(http.get(URL_, () => new HttpResponse('busy', { status: 503, statusText: 'Service Unavailable' })))
  const source = new FetchEventSource(URL_)
  const event = await new Promise((resolve) => source.addEventListener('error', resolve, { once: true }))
  const expected = 'FetchEventSourceErrorEvent { code: 503, message: "Expected status 200, got 503 Service Unavailable", status: 503 }'
  assert.equal(inspect(event), expected)
  const deno = /** @type {any} */ (globalThis).Deno
  if (deno) assert.equal(deno.inspect(event), expected)

  const error = new FetchEventSourceError({ code: 'invalid-content-type', message: 'Expected Content-Type text/event-stream', response: event.response })
  const shown = inspect(error)
  assert.match(shown, /^FetchEventSourceError: Expected Content-Type text\/event-stream\n/)
  assert.match(shown, /\{ code: "invalid-content-type", status: 503 \}$/)
  assert.doesNotMatch(shown, /Response \{|body:/, 'the Response is summarised, not dumped')
  assert.equal(error.response, event.response)
  assert.ok(!Object.keys(error).includes('response'), 'the Response is not an enumerable field')
})

test('an error and an error event print what happened in Node and Deno: code, message, status, and the cause', () => {
  const NODE = Symbol.for('nodejs.util.inspect.custom')
  const DENO = Symbol.for('Deno.customInspect')
  for (const prototype of [FetchEventSourceError.prototype, FetchEventSourceErrorEvent.prototype]) {
    const hook = prototype[NODE]
    assert.equal(typeof hook, 'function')
    for (const key of [NODE, DENO]) {
      assert.deepEqual(Object.getOwnPropertyDescriptor(prototype, key), { value: hook, writable: true, enumerable: false, configurable: true })
    }
  }
  // Node calls the hook with (depth, options, inspect); Deno with arguments of its own, and no cause is printed then.
  const lines = () => 'first line\nsecond line'
  const error = new FetchEventSourceError({ code: 'network', message: 'Failed to fetch', cause: new Error('refused') })
  assert.equal(error[NODE](2, {}, lines), `${error.stack}\n    { code: "network" }\n  [cause]: first line\n  second line`)
  assert.equal(error[DENO](), `${error.stack}\n    { code: "network" }`)
  const event = new FetchEventSourceErrorEvent({ code: 'network', message: 'Failed to fetch', cause: 'down' })
  assert.equal(event[NODE](2, {}, lines), 'FetchEventSourceErrorEvent { code: "network", message: "Failed to fetch" }\n  [cause]: first line\n  second line')
  assert.equal(event[DENO](), 'FetchEventSourceErrorEvent { code: "network", message: "Failed to fetch" }')
  // A FetchEventSourceError as the cause (assertEventStream's refusal) would repeat what was just printed.
  const refused = new FetchEventSourceErrorEvent({ code: 'invalid-content-type', message: 'Expected', cause: new FetchEventSourceError({ code: 'invalid-content-type', message: 'Expected' }) })
  assert.equal(refused[NODE](2, {}, lines), 'FetchEventSourceErrorEvent { code: "invalid-content-type", message: "Expected" }')
  // Without a stack (removed, or a runtime that keeps none), the name and message stand in for it.
  const bare = new FetchEventSourceError({ code: 404, message: 'Expected status 200, got 404' })
  Object.defineProperty(bare, 'stack', { value: undefined })
  assert.equal(bare[NODE](2, {}, lines), 'FetchEventSourceError: Expected status 200, got 404\n    { code: 404 }')
})

test('FetchEventSourceError: no own cause unless given one; the response is read-only and not enumerable', () => {
  const plain = new FetchEventSourceError({ code: 'network', message: 'm' })
  assert.equal(Object.hasOwn(plain, 'cause'), false)
  assert.equal(plain.name, 'FetchEventSourceError')
  const cause = new Error('c')
  assert.equal(new FetchEventSourceError({ code: 'network', message: 'm', cause }).cause, cause)
  const response = new Response('')
  const withResponse = new FetchEventSourceError({ code: 500, message: 'm', response })
  assert.deepEqual(Object.getOwnPropertyDescriptor(withResponse, 'response'), { value: response, writable: false, enumerable: false, configurable: true })
})
