// Two of the README's "Differences from the native EventSource" that no other suite pinned, in memory (a custom
// fetch, no sockets): the events of one chunk are dispatched in one go, so microtasks queued by a handler run after
// the chunk's other events; and a CORS failure, which fetch reports like a network outage, keeps the source
// reconnecting with backoff where a browser's EventSource would stop. (The real CORS failure in a browser is the
// browser-only case "a cross-origin response without CORS headers …" in test/cases/errors.js.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource } from '../dist/index.js'
import { memoryFetch } from './support/memory-fetch.js'
import { closedAfterEach, realSetTimeout } from './support/stubbed-clock.js'

/** Sources closed after each test whatever happened; setTimeout and Math.random put back. */
const opened = closedAfterEach()

/** @param {string} url @param {any} init */
function open(url, init) {
  const source = new FetchEventSource(url, init)
  opened.add(source)
  return source
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within(promise, what, ms = 2000) {
  let timer
  const timeout = new Promise((_, reject) => (timer = realSetTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Resolves with `log` once `done()` holds (checked on every event); rejects after `ms`. */
function record(source, types, done, ms = 2000) {
  const log = []
  return new Promise((resolve, reject) => {
    const guard = realSetTimeout(() => reject(new Error(`not done within ${ms} ms: ${JSON.stringify(log)}`)), ms)
    for (const type of types) {
      source.addEventListener(type, (event) => {
        log.push(event.type === 'error' ? `error ${event.code} ${source.readyState}` : 'data' in event ? `${event.type} ${event.data}` : event.type)
        if (done(log)) {
          clearTimeout(guard)
          resolve(log)
        }
      })
    }
  })
}

// ---- Microtasks between events --------------------------------------------------------------------------------

test('microtasks: a promise callback queued by one handler runs after the other events of the same chunk', async () => {
  const source = open('http://differences.test/', { fetch: memoryFetch([{ chunks: ['data: a\n\nevent: named\ndata: b\n\ndata: c\n\n'] }]) })
  const log = []
  const queue = (label) => {
    Promise.resolve().then(() => log.push(`microtask after ${label}`))
    queueMicrotask(() => log.push(`queueMicrotask after ${label}`))
  }
  source.addEventListener('message', (e) => (log.push(e.data), queue(e.data)))
  source.addEventListener('named', (e) => (log.push(e.data), queue(e.data)))
  await within(new Promise((resolve) => source.addEventListener('error', resolve)), "the stream's end")
  source.close()
  // A browser's EventSource dispatches each event in its own task: 'a', its microtasks, 'b', its microtasks, … .
  assert.deepEqual(log, [
    'a',
    'b',
    'c',
    'microtask after a',
    'queueMicrotask after a',
    'microtask after b',
    'queueMicrotask after b',
    'microtask after c',
    'queueMicrotask after c',
  ])
})

test('microtasks: events of different chunks are not batched: a microtask queued for one chunk runs before the next chunk', async () => {
  const source = open('http://differences.test/', { fetch: memoryFetch([{ chunks: ['data: a\n\n', 'data: b\n\n'] }]) })
  const log = []
  source.onmessage = (e) => {
    log.push(e.data)
    Promise.resolve().then(() => log.push(`microtask after ${e.data}`))
  }
  await within(new Promise((resolve) => source.addEventListener('error', resolve)), "the stream's end")
  source.close()
  assert.deepEqual(log, ['a', 'microtask after a', 'b', 'microtask after b'])
})

test('microtasks: a handler that calls close() still stops the rest of the chunk; microtasks already queued run', async () => {
  const fetch = memoryFetch([{ chunks: ['data: a\n\ndata: b\n\ndata: c\n\n'] }, { chunks: ['data: d\n\n'] }])
  const source = open('http://differences.test/', { fetch, retry: { initialDelay: 0 } })
  const log = []
  source.addEventListener('message', (e) => {
    log.push(e.data)
    Promise.resolve().then(() => log.push(`microtask after ${e.data} (readyState ${source.readyState})`))
    if (e.data === 'b') source.close()
  })
  source.addEventListener('error', () => log.push('error'))
  await within(
    new Promise((resolve) => source.addEventListener('message', (e) => e.data === 'b' && queueMicrotask(() => queueMicrotask(resolve)))),
    'the message b',
  )
  // The one quiet period: a reconnect (initialDelay 0) or a late 'c' would show within 50 ms.
  await new Promise((resolve) => realSetTimeout(resolve, 50))
  assert.deepEqual(log, ['a', 'b', 'microtask after a (readyState 2)', 'microtask after b (readyState 2)'])
  assert.deepEqual([source.readyState, fetch.requests.length], [FetchEventSource.CLOSED, 1])
})

// ---- CORS failures keep reconnecting ----------------------------------------------------------------------------

/**
 * A fetch failing like a browser's on a CORS refusal: Chromium rejects with TypeError('Failed to fetch'), Firefox
 * with TypeError('NetworkError when attempting to fetch resource.'), WebKit with TypeError('Load failed'), each with
 * no response, exactly as for a refused connection. After `failures` of them it serves a stream.
 */
function corsRefusingFetch(failures, message = 'Failed to fetch') {
  let calls = 0
  const fetch = async () => {
    calls++
    if (calls <= failures) throw new TypeError(message)
    return new Response('data: through\n\n', { headers: { 'content-type': 'text/event-stream' } })
  }
  return Object.assign(fetch, { calls: () => calls })
}

/** Every setTimeout of the source recorded and fired at once; Math.random fixed at 0.5. */
function stubTimers() {
  const delays = []
  Math.random = () => 0.5
  globalThis.setTimeout = (fn, ms, ...args) => {
    delays.push(ms)
    return realSetTimeout(fn, 0, ...args)
  }
  return delays
}

test('CORS: a refusal reported as TypeError("Failed to fetch") keeps the source reconnecting with the default backoff, then it opens', async () => {
  const fetch = corsRefusingFetch(4)
  const delays = stubTimers()
  const source = open('https://other-origin.test/events', { fetch })
  const log = await record(source, ['open', 'message', 'error'], (l) => l.includes('message through'))
  globalThis.setTimeout = realSetTimeout
  source.close()
  // Where a browser's EventSource fails for good (CLOSED) at the first refusal.
  assert.deepEqual(log, ['error network 0', 'error network 0', 'error network 0', 'error network 0', 'open', 'message through'])
  assert.deepEqual(delays.slice(0, 4), [3000, 5400, 10800, 21600])
  assert.equal(fetch.calls(), 5)
})

test("CORS: Firefox's and WebKit's messages for the same refusal are network errors too", async () => {
  for (const message of ['NetworkError when attempting to fetch resource.', 'Load failed']) {
    const source = open('https://other-origin.test/events', { fetch: corsRefusingFetch(1, message), retry: { initialDelay: 0 } })
    const log = await record(source, ['open', 'error'], (l) => l.includes('open'))
    source.close()
    assert.deepEqual(log, ['error network 0', 'open'], message)
  }
})

test('CORS: retry.maxAttempts stops the reconnecting (CLOSED after that many attempts), and so does shouldRetry', async () => {
  stubTimers()
  const limited = corsRefusingFetch(Infinity)
  const byAttempts = open('https://other-origin.test/events', { fetch: limited, retry: { maxAttempts: 3 } })
  assert.deepEqual(await record(byAttempts, ['open', 'error'], (l) => l.at(-1)?.endsWith(' 2')), ['error network 0', 'error network 0', 'error network 2'])
  assert.equal(limited.calls(), 3)

  const asked = []
  const refused = corsRefusingFetch(Infinity)
  const byVerdict = open('https://other-origin.test/events', {
    fetch: refused,
    retry: { shouldRetry: (error, attempt) => (asked.push([error.code, attempt, error.response, error.cause?.message]), false) },
  })
  assert.deepEqual(await record(byVerdict, ['open', 'error'], (l) => l.length === 1), ['error network 2'])
  assert.deepEqual(asked, [['network', 1, undefined, 'Failed to fetch']])
  assert.equal(refused.calls(), 1)
})
