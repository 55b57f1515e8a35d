// Pins what a refactor could change without any other test noticing: every retry default and clamp, exactly (the
// timer and Math.random stubbed), the maxBufferSize default, a per-connection reset of the event type, close() and
// the signal option while each awaited step of an attempt is pending (the headers and body functions, fetch, an
// async onResponse), the scheme check with a custom fetch, and the error class a failed loop rejects with.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource, FetchEventSourceError, assertEventStream } from '../dist/index.js'
import { memoryFetch } from './support/memory-fetch.js'
import { closedAfterEach, realClearTimeout, realSetTimeout } from './support/stubbed-clock.js'

const MAX_TIMER = 2 ** 31 - 1
/** Sources closed after each test whatever happened; setTimeout and Math.random put back. */
const opened = closedAfterEach()

/**
 * `promise`, or a rejection naming `what` (a string, or a function giving one then) after `ms`: no test waits
 * unbounded for an event that may never come.
 */
function within(promise, what, ms = 5000) {
  let timer
  const name = () => (typeof what === 'function' ? what() : what)
  const timeout = new Promise((_, reject) => (timer = realSetTimeout(() => reject(new Error(`${name()}: not within ${ms} ms`)), ms)))
  // The real clearTimeout: a test may have stubbed the global one, and the timer must not outlive the wait.
  return Promise.race([promise, timeout]).finally(() => realClearTimeout(timer))
}

/**
 * The reconnect delays a source asks for over `attempts` failed attempts: every setTimeout the source makes is
 * recorded and fired at once, and Math.random returns `random`. Every attempt is refused as a network error,
 * unless `respond(n)` gives the nth attempt's response.
 */
async function delaysOf(init, { attempts = 7, random = 0.5, respond } = {}) {
  const delays = []
  Math.random = () => random
  globalThis.setTimeout = (fn, ms, ...args) => {
    delays.push(ms)
    return realSetTimeout(fn, 0, ...args)
  }
  let calls = 0
  const source = new FetchEventSource('http://pinned.test/', {
    ...init,
    fetch: async () => {
      calls++
      if (respond !== undefined) return respond(calls)
      throw new TypeError('refused')
    },
  })
  opened.add(source)
  try {
    await new Promise((resolve, reject) => {
      const guard = realSetTimeout(() => reject(new Error(`only ${calls} attempts`)), 5000)
      source.addEventListener('error', () => {
        if (calls >= attempts) {
          clearTimeout(guard)
          resolve(undefined)
        }
      })
    })
  } finally {
    source.close()
    globalThis.setTimeout = realSetTimeout
  }
  return delays.slice(0, attempts - 1)
}

test('the retry defaults, exactly: initialDelay 3000, factor 2, maxDelay 30000, jitter 0.2 taken off grown delays only', async () => {
  // random 0.5: grown delays lose 0.2 × 0.5 = 10 %.
  assert.deepEqual(await delaysOf({}), [3000, 5400, 10800, 21600, 27000, 27000])
  // No jitter at all when random is 0; the full 20 % when it is (nearly) 1.
  assert.deepEqual(await delaysOf({}, { random: 0 }), [3000, 6000, 12000, 24000, 30000, 30000])
  assert.deepEqual(await delaysOf({}, { random: 0.999999, attempts: 3 }), [3000, 4800])
})

test('the storm floor, exactly: a zero reconnection time backs off 100, 200, 400 … ms, and jitter never goes below it', async () => {
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 0 } }, { random: 0.999999 }), [0, 100, 200, 400, 800, 1600])
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 0, maxDelay: 0, factor: 1, jitter: 1 } }, { random: 0.999999 }), [0, 100, 100, 100, 100, 100])
})

test('the storm floor is capped by maxDelay (but never under 100 ms)', async () => {
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 0, maxDelay: 250 } }, { random: 0 }), [0, 100, 200, 250, 250, 250])
})

test('jitter is taken off before the floor applies: a grown delay just above the floor is jittered up to the floor, not below', async () => {
  // 60 ms grows to 120, 240, 480 …; less the full 20 % that is 96, 192, 384 …, each just under the floor 100, 200, 400 …
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 60 } }, { random: 0 }), [60, 120, 240, 480, 960, 1920])
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 60 } }, { random: 0.999999 }), [60, 100, 200, 400, 800, 1600])
})

test('a reconnection time above maxDelay is not cut down to it: the cap is the larger of the two, and jitter never goes below it (C17)', async () => {
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 50_000 } }, { random: 0, attempts: 4 }), [50_000, 50_000, 50_000])
  // Taking 10 % off would wait less than the reconnection time: the 10 % is added instead, so clients still spread.
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 50_000 } }, { random: 0.5, attempts: 3 }), [50_000, 55_000])
  // Just under the cap: 25,000 grows to 50,000, capped at 30,000. Less 2 % that is 29,400; less 20 % it would be
  // 24,000, under 25,000, so 25,000 plus the 6,000.
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 25_000 } }, { random: 0.1, attempts: 3 }), [25_000, 29_400])
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 25_000 } }, { random: 0.999999, attempts: 4 }), [25_000, 31_000, 31_000])
  // Exactly at the reconnection time, taking the spread off is allowed: 1,000 less 250 is 750, not 750 plus 250.
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 750, maxDelay: 1000, jitter: 0.5 } }, { random: 0.5, attempts: 3 }), [750, 750])
  // A factor of 1 never grows the delay: jitter goes on top of it, never below.
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 1000, factor: 1, jitter: 0.5 } }, { random: 0.5, attempts: 4 }), [1000, 1250, 1250])
})

test('delays are clamped to what timers can take: a huge initialDelay waits 2^31-1 ms, not 0', async () => {
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 3e9, maxDelay: Infinity, jitter: 0 } }, { attempts: 3 }), [MAX_TIMER, MAX_TIMER])
})

test("a server's huge retry: is clamped to 2^31-1 ms too, and replaces initialDelay", async () => {
  const stream = (text) => new Response(text, { headers: { 'content-type': 'text/event-stream' } })
  // Each connection delivers an event, so every reconnect is a first one: exactly the reconnection time.
  const respond = (n) => stream(n === 1 ? `retry: ${'9'.repeat(30)}\ndata: x\n\n` : 'data: y\n\n')
  assert.deepEqual(await delaysOf({}, { attempts: 3, respond }), [MAX_TIMER, MAX_TIMER])
  const small = (n) => stream(n === 1 ? 'retry: 1234\ndata: x\n\n' : 'data: y\n\n')
  assert.deepEqual(await delaysOf({}, { attempts: 3, respond: small }), [1234, 1234])
})

test('a shouldRetry number is used as given above the storm floor, clamped to 2^31-1 ms; NaN falls back to the backoff', async () => {
  const always = (value) => ({ retry: { shouldRetry: () => value } })
  assert.deepEqual(await delaysOf(always(5)), [5, 100, 200, 400, 800, 1600])
  assert.deepEqual(await delaysOf(always(7000)), [7000, 7000, 7000, 7000, 7000, 7000])
  assert.deepEqual(await delaysOf(always(-1), { attempts: 3 }), [0, 100])
  assert.deepEqual(await delaysOf(always(1e12), { attempts: 3 }), [MAX_TIMER, MAX_TIMER])
  assert.deepEqual(await delaysOf(always(Number.NaN), { attempts: 3 }), [3000, 5400])
})

test('Retry-After: 0 in a loop waits the storm floor; a huge one is capped by maxDelay, or clamped to 2^31-1 ms without it', async () => {
  const status = (retryAfter) => () => new Response(null, { status: 503, headers: { 'retry-after': retryAfter } })
  const retried = (more) => ({ retry: { shouldRetry: () => true, ...more } })
  assert.deepEqual(await delaysOf(retried(), { respond: status('0') }), [0, 100, 200, 400, 800, 1600])
  assert.deepEqual(await delaysOf(retried(), { attempts: 3, respond: status('99999999') }), [30_000, 30_000])
  assert.deepEqual(await delaysOf(retried({ maxDelay: Infinity }), { attempts: 3, respond: status('99999999') }), [MAX_TIMER, MAX_TIMER])
})

test('a server that accepts and ends every stream without an event backs off 0, 100, 200, 400 … ms; one event per connection keeps the server\'s pace', async () => {
  const stream = (text) => () => new Response(text, { headers: { 'content-type': 'text/event-stream' } })
  assert.deepEqual(await delaysOf({}, { random: 0.999999, respond: stream('retry: 0\n\n') }), [0, 100, 200, 400, 800, 1600])
  assert.deepEqual(await delaysOf({}, { random: 0.999999, respond: stream('retry: 50\ndata: x\n\n') }), [50, 50, 50, 50, 50, 50])
})

test('shouldRetry is asked about every failure before a response is accepted, with the attempt number, and about nothing else', async () => {
  // Before acceptance, one kind per attempt: all retried (shouldRetry returns true), timers fired at once.
  const asked = []
  const sse = (text = '') => new Response(text, { headers: { 'content-type': 'text/event-stream' } })
  const attempts = [
    () => Promise.reject(new TypeError('Failed to fetch')),
    () => new Response('busy', { status: 503 }),
    () => new Response('{}', { headers: { 'content-type': 'application/json' } }),
    () => sse('data: refused\n\n'), // onResponse refuses this one
    () => new Response(null, { status: 307, headers: { location: 'http://pinned.test/elsewhere' } }),
    () => sse(), // never fetched: the headers function throws first
    () => new Promise(() => {}), // no response headers within heartbeatTimeout
    () => sse('data: through\n\n'),
  ]
  // Counted by the headers function, which runs first in every attempt (the sixth throws, so fetch is not called).
  let attempt = 0
  globalThis.setTimeout = (fn, ms, ...args) => realSetTimeout(fn, 0, ...args)
  const source = new FetchEventSource('http://pinned.test/', {
    redirect: 'error',
    heartbeatTimeout: 30,
    headers: () => {
      if (++attempt === 6) throw new Error('no token')
      return {}
    },
    // Past the list (a regression retrying more than it should), attempts hang instead of failing in a hot loop.
    fetch: async () => (attempts[attempt - 1] ?? (() => new Promise(() => {})))(),
    onResponse: async (response) => {
      assertEventStream(response)
      if (attempt === 4) throw new Error('refused')
    },
    retry: { shouldRetry: (error, n) => (asked.push([error.code, n]), true) },
  })
  opened.add(source)
  const message = await within(
    new Promise((resolve) => (source.onmessage = resolve)),
    () => `the message; shouldRetry was asked ${JSON.stringify(asked.slice(0, 12))}`,
  )
  globalThis.setTimeout = realSetTimeout
  source.close()
  assert.equal(message.data, 'through')
  assert.deepEqual(asked, [
    ['network', 1],
    [503, 2],
    ['invalid-content-type', 3],
    ['response-rejected', 4],
    ['redirect', 5],
    ['invalid-request', 6],
    ['heartbeat-timeout', 7],
  ])

  // After acceptance, and where no attempt is made: never asked, whatever the code and whatever follows.
  const never = { retry: { shouldRetry: (error) => (asked.push(['asked after acceptance', error.code]), true), initialDelay: 3_600_000 } }
  asked.length = 0
  const cases = {
    'connection-lost': {
      fetch: async () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('data: a\n\n'))
              controller.error(new TypeError('terminated'))
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        ),
    },
    'stream-ended': { fetch: memoryFetch([{ chunks: ['data: a\n\n'] }]) },
    'heartbeat-timeout': { fetch: async () => new Response(new ReadableStream({ pull: () => new Promise(() => {}) }), { headers: { 'content-type': 'text/event-stream' } }), heartbeatTimeout: 30 },
    'max-buffer-size-exceeded': { fetch: memoryFetch([{ chunks: ['data: too long\n\n'] }]), maxBufferSize: 4 },
    'invalid-base64': { fetch: memoryFetch([{ chunks: ['data: !!\n\n'] }]), decodeBase64: true },
    'unsupported-scheme': { fetch: memoryFetch([]), url: 'ftp://pinned.test/' },
    aborted: { fetch: async () => Promise.reject(new DOMException('gone', 'AbortError')) },
  }
  for (const [code, { url = 'http://pinned.test/', ...init }] of Object.entries(cases)) {
    const failed = new FetchEventSource(url, { ...never, ...init })
    opened.add(failed)
    const error = await within(new Promise((resolve) => (failed.onerror = resolve)), `${code}: the error event`, 2000)
    failed.close()
    assert.equal(error.code, code)
  }
  assert.deepEqual(asked, [])
})

test('the maxBufferSize default is 16 Mi characters: a pending line of exactly that passes, one more fails', async () => {
  const LIMIT = 16 * 1024 * 1024
  const run = async (length) => {
    // The line arrives in two chunks, so it is pending in between.
    const line = `data: ${'x'.repeat(length - 6)}`
    const source = new FetchEventSource('http://pinned.test/', { fetch: memoryFetch([{ chunks: [line.slice(0, 10), line.slice(10), '\n\n'] }]) })
    opened.add(source)
    return within(
      new Promise((resolve) => {
        source.onmessage = (e) => (source.close(), resolve(`message of ${e.data.length}`))
        source.onerror = (e) => (source.close(), resolve(e.code))
      }),
      `a line of ${length}`,
    )
  }
  assert.equal(await run(LIMIT), `message of ${LIMIT - 6}`)
  assert.equal(await run(LIMIT + 1), 'max-buffer-size-exceeded')
})

test('the event type does not survive a reconnect: a stream cut after event: foo, then data on the next connection, is a message', async () => {
  const fetch = memoryFetch([{ chunks: ['retry: 1\n\nevent: foo\n'] }, { chunks: ['data: x\n\n'] }])
  const source = new FetchEventSource('http://pinned.test/', { fetch })
  opened.add(source)
  const event = await within(
    new Promise((resolve) => {
      source.addEventListener('foo', resolve)
      source.addEventListener('message', resolve)
    }),
    'the event of the second connection',
  )
  source.close()
  assert.deepEqual([event.type, event.data], ['message', 'x'])
})

// ---- close() and the signal option during every awaited step of an attempt ----------------------------------------

/** A promise with its resolve function outside. */
function deferred() {
  let resolve
  const promise = new Promise((r) => (resolve = r))
  return { promise, resolve }
}

/** Resolves once `condition()` holds, polled every millisecond; rejects after `ms`. */
async function until(condition, what, ms = 2000) {
  const deadline = performance.now() + ms
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => realSetTimeout(resolve, 1))
  }
}

/**
 * Each awaited step of an attempt, held pending until `settle(ok)` fulfils it (`ok`) or rejects it: the headers
 * function, the body function, the fetch itself and an async onResponse. `reached()` says the attempt is waiting
 * there; `requests()` counts the calls that reached fetch; `after()` checks what the step's own leftovers must show.
 */
const STEPS = {
  'a headers function': () => {
    const gate = deferred()
    let reached = false
    const fetch = memoryFetch([{ chunks: ['data: a\n\n'] }, { chunks: ['data: b\n\n'] }])
    return {
      init: { fetch, headers: () => ((reached = true), gate.promise.then((ok) => (ok ? { 'x-token': 't' } : Promise.reject(new Error('no token'))))) },
      reached: () => reached,
      settle: gate.resolve,
      requests: () => fetch.requests.length,
      requestsWhenReached: 0,
    }
  },
  'a body function': () => {
    const gate = deferred()
    let reached = false
    const fetch = memoryFetch([{ chunks: ['data: a\n\n'] }, { chunks: ['data: b\n\n'] }])
    return {
      init: { fetch, method: 'POST', body: () => ((reached = true), gate.promise.then((ok) => (ok ? 'prompt' : Promise.reject(new Error('no body'))))) },
      reached: () => reached,
      settle: gate.resolve,
      requests: () => fetch.requests.length,
      requestsWhenReached: 0,
    }
  },
  'a slow fetch': () => {
    // A fetch that answers late whatever its signal says: with a stream, which the source must neither open nor
    // hand to onResponse, but cancel; or with a network error, which must not start a reconnect.
    const gate = deferred()
    const signals = []
    let cancelled = false
    let checked = 0
    const fetch = async (url, init) => {
      signals.push(init.signal)
      if (!(await gate.promise)) throw new TypeError('Failed to fetch')
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('data: late\n\n'))
        },
        cancel() {
          cancelled = true
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    }
    return {
      init: { fetch, onResponse: (response) => (checked++, assertEventStream(response)) },
      reached: () => signals.length === 1,
      settle: gate.resolve,
      requests: () => signals.length,
      requestsWhenReached: 1,
      after: async (ok) => {
        assert.equal(signals[0].aborted, true, "the pending request's signal is aborted")
        if (ok) await until(() => cancelled, 'the late response body cancelled')
        assert.equal(checked, 0, 'onResponse called for a response that came after the end')
      },
    }
  },
  'an async onResponse': () => {
    const gate = deferred()
    let reached = false
    const fetch = memoryFetch([{ chunks: ['data: a\n\n'] }, { chunks: ['data: b\n\n'] }])
    return {
      init: { fetch, onResponse: () => ((reached = true), gate.promise.then((ok) => (ok ? undefined : Promise.reject(new Error('refused'))))) },
      reached: () => reached,
      settle: gate.resolve,
      requests: () => fetch.requests.length,
      requestsWhenReached: 1,
    }
  },
}

const ENDINGS = {
  'close()': (source) => source.close(),
  'aborting the signal option': (source, abort) => abort.abort(),
}

for (const [stepName, makeStep] of Object.entries(STEPS)) {
  for (const [endingName, end] of Object.entries(ENDINGS)) {
    for (const ok of [true, false]) {
      test(`${endingName} while ${stepName} is pending, which then ${ok ? 'fulfils' : 'rejects'}: no open, CLOSED stays, no further request, nothing dispatched`, async () => {
        const step = makeStep()
        const abort = new AbortController()
        // initialDelay 0: a reconnect that should not happen would happen within the quiet period below.
        // shouldRetry says yes, so that a failure the source should ignore would show as a reconnect; and it must
        // not even be asked: the source ended before the step settled.
        let asked = 0
        const source = new FetchEventSource('http://pinned.test/', { ...step.init, signal: abort.signal, retry: { initialDelay: 0, shouldRetry: () => (asked++, true) } })
        opened.add(source)
        const seen = []
        for (const type of ['open', 'message', 'error']) source.addEventListener(type, (e) => seen.push(e.code === undefined ? type : `${type} ${e.code}`))
        await until(step.reached, `${stepName} called`)
        assert.deepEqual([source.readyState, step.requests()], [FetchEventSource.CONNECTING, step.requestsWhenReached])
        end(source, abort)
        assert.equal(source.readyState, FetchEventSource.CLOSED, 'CLOSED synchronously')
        step.settle(ok)
        await step.after?.(ok)
        // The one quiet period: the settled step's continuation runs within a few ticks; 50 ms shows that it
        // stopped there.
        await new Promise((resolve) => realSetTimeout(resolve, 50))
        assert.deepEqual([seen, source.readyState, step.requests(), asked], [[], FetchEventSource.CLOSED, step.requestsWhenReached, 0])
      })
    }
  }
}

// The one awaited step the table above leaves out, since an open connection has already dispatched `open`: a read
// of the body. A custom fetch's body need not heed the aborted signal, so it can still end or fail afterwards.
for (const ending of ['ends', 'fails', 'sends an event and ends']) {
  test(`close() while a body read is pending, which then ${ending}: CLOSED stays, nothing more dispatched, no further request`, async () => {
    let body
    const fetch = memoryFetch([])
    const source = new FetchEventSource('http://pinned.test/', {
      retry: { initialDelay: 0 },
      fetch: async (input, init) => {
        await fetch(input, init)
        const stream = new ReadableStream({ start: (controller) => (body = controller) })
        return new Response(stream, { headers: { 'content-type': 'text/event-stream' } })
      },
    })
    opened.add(source)
    const seen = []
    for (const type of ['open', 'message', 'error']) source.addEventListener(type, (e) => seen.push(e.code === undefined ? type : `${type} ${e.code}`))
    await within(new Promise((resolve) => source.addEventListener('open', resolve)), 'the open')
    body.enqueue(new TextEncoder().encode('data: a\n\n'))
    await within(new Promise((resolve) => source.addEventListener('message', resolve)), 'the message')
    source.close()
    if (ending === 'fails') body.error(new TypeError('terminated'))
    else {
      if (ending !== 'ends') body.enqueue(new TextEncoder().encode('data: late\n\n'))
      body.close()
    }
    await new Promise((resolve) => realSetTimeout(resolve, 20))
    assert.deepEqual([seen, source.readyState, fetch.requests.length], [['open', 'message'], FetchEventSource.CLOSED, 1])
  })
}

// shouldRetry is user code that runs after the attempt failed and before the source decides what follows.
for (const [name, verdict] of Object.entries({ true: () => true, false: () => false, 'a delay': () => 0, 'a throw': () => { throw new Error('after close') } })) {
  test(`close() inside shouldRetry is final whatever it then returns (${name}): CLOSED stays, no error, no further request`, async () => {
    let calls = 0
    const source = new FetchEventSource('http://pinned.test/', {
      fetch: async () => (calls++, Promise.reject(new TypeError('refused'))),
      retry: { initialDelay: 0, shouldRetry: () => (source.close(), verdict()) },
    })
    opened.add(source)
    const seen = []
    source.onerror = (event) => seen.push([event.code, source.readyState])
    await until(() => calls > 0, 'the attempt')
    await new Promise((resolve) => realSetTimeout(resolve, 30))
    assert.deepEqual([seen, source.readyState, calls], [[], FetchEventSource.CLOSED, 1])
  })
}

test('a non-HTTP(S) URL with a custom fetch: the fetch is never called, CLOSED with unsupported-scheme', async () => {
  let calls = 0
  const source = new FetchEventSource('data:text/event-stream,data%3A%20a%0A%0A', { fetch: async () => (calls++, new Response('')) })
  opened.add(source)
  const event = await within(new Promise((resolve) => source.addEventListener('error', resolve)), 'the error')
  assert.deepEqual([event.code, source.readyState, calls], ['unsupported-scheme', FetchEventSource.CLOSED, 0])
})

test('a for await loop over a source that fails for good rejects with a FetchEventSourceError carrying the code', async () => {
  const source = new FetchEventSource('http://pinned.test/', { fetch: memoryFetch([{ status: 404 }]) })
  opened.add(source)
  await assert.rejects(
    within(
      (async () => {
        for await (const event of source) void event
      })(),
      'the loop to end',
    ),
    (error) => error instanceof FetchEventSourceError && error.code === 404 && error.response?.status === 404,
  )
})

/** A source that delivers data 1 and 2, then fails for good on its reconnect (404), and the moment it has. */
function failingAfterTwoEvents() {
  const source = new FetchEventSource('http://pinned.test/', {
    fetch: memoryFetch([{ chunks: ['data: 1\n\ndata: 2\n\n'] }, { status: 404 }]),
    retry: { initialDelay: 0 },
  })
  opened.add(source)
  const failed = within(new Promise((resolve) => source.addEventListener('error', () => source.readyState === FetchEventSource.CLOSED && resolve(undefined))), 'the failure')
  return { source, failed }
}

test('an iterator read after its source failed: the buffered events, then the failure once, then done', async () => {
  const { source, failed } = failingAfterTwoEvents()
  const iterator = source[Symbol.asyncIterator]()
  assert.equal(iterator[Symbol.asyncIterator](), iterator, 'an iterator is its own iterable, for for await')
  await failed
  assert.deepEqual([(await iterator.next()).value.data, (await iterator.next()).value.data], ['1', '2'])
  await assert.rejects(iterator.next(), (error) => error instanceof FetchEventSourceError && error.code === 404)
  assert.deepEqual(await iterator.next(), { value: undefined, done: true })
})

test('after return(), an iterator is done: its buffered events and an unreported failure are dropped', async () => {
  const { source, failed } = failingAfterTwoEvents()
  const iterator = source[Symbol.asyncIterator]()
  await failed
  assert.deepEqual(await iterator.return(), { value: undefined, done: true })
  assert.deepEqual(await iterator.next(), { value: undefined, done: true })

  // And on a live source, where return() is what ends the iterator.
  const live = new FetchEventSource('http://pinned.test/', { fetch: memoryFetch([{ chunks: ['data: 1\n\ndata: 2\n\n'] }]) })
  opened.add(live)
  const liveIterator = live[Symbol.asyncIterator]()
  assert.equal((await within(liveIterator.next(), 'the first event')).value.data, '1')
  await liveIterator.return()
  assert.equal(live.readyState, FetchEventSource.CLOSED)
  assert.deepEqual(await within(liveIterator.next(), 'done after return()', 1000), { value: undefined, done: true })
})

test('Retry-After as an HTTP date is honoured (capped by maxDelay), as well as in seconds', async () => {
  const delays = []
  globalThis.setTimeout = (fn, ms, ...args) => {
    delays.push(ms)
    return realSetTimeout(fn, 0, ...args)
  }
  const at = new Date(Date.now() + 5000).toUTCString() // second resolution: 4–5 s from now
  const responses = [
    { status: 503, headers: { 'retry-after': at } },
    { status: 503, headers: { 'retry-after': '2' } },
    { status: 503, headers: { 'retry-after': '3600' } },
  ]
  const source = new FetchEventSource('http://pinned.test/', { fetch: memoryFetch(responses), retry: { shouldRetry: () => true, maxDelay: 60_000, maxAttempts: 4 } })
  opened.add(source)
  await within(new Promise((resolve) => source.addEventListener('error', () => source.readyState === FetchEventSource.CLOSED && resolve(undefined))), 'the end')
  globalThis.setTimeout = realSetTimeout
  assert.equal(delays.length, 3)
  assert.ok(delays[0] > 3000 && delays[0] <= 5000, `HTTP date: ${delays[0]} ms`)
  assert.deepEqual(delays.slice(1), [2000, 60_000])
})

test('the heartbeat, exactly: armed for heartbeatTimeout, re-armed for what is left after the response or data, due when exactly that long idle', async () => {
  const realNow = Date.now
  const realClear = globalThis.clearTimeout
  let now = 1_000_000
  const timers = []
  Date.now = () => now
  globalThis.setTimeout = (fn, ms) => timers.push({ fn, ms })
  globalThis.clearTimeout = () => {}
  try {
    let body
    const source = new FetchEventSource('http://pinned.test/', {
      heartbeatTimeout: 1000,
      fetch: async () => {
        now += 500 // the response headers take 500 ms: silence is counted from them on
        return new Response(new ReadableStream({ start: (controller) => (body = controller) }), { headers: { 'content-type': 'text/event-stream' } })
      },
    })
    opened.add(source)
    await within(new Promise((resolve) => (source.onopen = resolve)), 'the open')
    now += 500
    timers[0].fn() // 500 ms since the response: 500 to go
    now += 200
    body.enqueue(new TextEncoder().encode('data: a\n\n'))
    await within(new Promise((resolve) => (source.onmessage = resolve)), 'the message')
    now += 300
    timers[1].fn() // 300 ms since the data: 700 to go
    assert.equal(source.readyState, FetchEventSource.OPEN)
    now += 700
    const errors = []
    source.onerror = (event) => errors.push([event.code, event.message, source.readyState])
    timers[2].fn() // exactly 1000 ms idle: due
    assert.deepEqual(errors, [['heartbeat-timeout', 'No data received for 1000 ms', FetchEventSource.CONNECTING]])
    // Then the reconnection time: the connection delivered an event, so no backoff.
    assert.deepEqual(timers.map((timer) => timer.ms), [1000, 500, 700, 3000])
    source.close()
  } finally {
    Date.now = realNow
    globalThis.clearTimeout = realClear
  }
})

test('a leading BOM split across chunks, or after an empty chunk, is still the one BOM removed', async () => {
  const first = async (chunks) => {
    const source = new FetchEventSource('http://pinned.test/', { fetch: memoryFetch([{ chunks }]) })
    opened.add(source)
    const event = await within(new Promise((resolve) => (source.onmessage = resolve)), 'the message')
    source.close()
    return event.data
  }
  const rest = new TextEncoder().encode('data: x\n\n')
  assert.equal(await first([new Uint8Array([0xef]), new Uint8Array([0xbb, 0xbf, ...rest])]), 'x')
  assert.equal(await first([new Uint8Array(0), '\ufeffdata: y\n\n']), 'y')
})

test('handler attributes: a value that is not a function reads back as null and takes no place among the listeners', async () => {
  const source = new FetchEventSource('http://pinned.test/', { fetch: memoryFetch([{ chunks: ['data: a\n\n'] }]) })
  opened.add(source)
  source.onmessage = 'not a function'
  assert.equal(source.onmessage, null)
  source.onmessage = null
  const order = []
  source.addEventListener('message', () => order.push('listener'))
  // The attribute's place is fixed by the first function assigned, after the listener.
  source.onmessage = () => order.push('attribute')
  await within(
    new Promise((resolve) => source.addEventListener('message', () => resolve(undefined))),
    'the message',
  )
  // Null gives the place up: the next function takes a new one, after the listeners added meanwhile.
  source.onmessage = null
  assert.equal(source.onmessage, null)
  source.addEventListener('message', () => order.push('later listener'))
  source.onmessage = () => order.push('new attribute')
  source.dispatchEvent(new MessageEvent('message', { data: 'b' }))
  source.close()
  assert.deepEqual(order, ['listener', 'attribute', 'listener', 'later listener', 'new attribute'])
})

test('the constants on the prototype are read-only, enumerable and not configurable, as WebIDL constants are', () => {
  for (const [name, value] of [['CONNECTING', 0], ['OPEN', 1], ['CLOSED', 2]]) {
    assert.deepEqual(Object.getOwnPropertyDescriptor(FetchEventSource.prototype, name), { value, writable: false, enumerable: true, configurable: false }, name)
  }
})

test("a relative URL resolves against the document's base URL, or else the location (a worker's), as in a browser", () => {
  const scope = globalThis
  const urlOf = (relative) => {
    const source = new FetchEventSource(relative, { fetch: memoryFetch([]) })
    source.close()
    return source.url
  }
  try {
    scope.location = { href: 'http://worker.test/dir/worker.js' }
    assert.equal(urlOf('feed?x=1'), 'http://worker.test/dir/feed?x=1')
    scope.document = { baseURI: 'http://page.test/base/' }
    assert.equal(urlOf('feed'), 'http://page.test/base/feed')
  } finally {
    delete scope.location
    delete scope.document
  }
})

test('a Retry-After that is neither delay-seconds nor an HTTP date is ignored; one padded with other whitespace still counts', async () => {
  const delays = []
  globalThis.setTimeout = (fn, ms, ...args) => {
    delays.push(ms)
    return realSetTimeout(fn, 0, ...args)
  }
  // Headers strip HTTP whitespace (space, tab); a no-break space is left for the library to trim.
  const responses = ['soon', '5s', 'x5', '\u00a05\u00a0'].map((value) => ({ status: 503, headers: { 'retry-after': value } }))
  const source = new FetchEventSource('http://pinned.test/', {
    fetch: memoryFetch(responses),
    retry: { shouldRetry: () => true, initialDelay: 1000, jitter: 0, maxAttempts: 5 },
  })
  opened.add(source)
  await within(new Promise((resolve) => source.addEventListener('error', () => source.readyState === FetchEventSource.CLOSED && resolve(undefined))), 'the end')
  globalThis.setTimeout = realSetTimeout
  // The backoff (1000 doubling) for the three unreadable values, then the 5 s the server asked for.
  assert.deepEqual(delays, [1000, 2000, 4000, 5000])
})
