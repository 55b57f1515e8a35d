// Pins what a refactor could change without any other test noticing: every retry default and clamp, exactly (the
// timer and Math.random stubbed), the maxBufferSize default, a per-connection reset of the event type, close()
// while an async onResponse is pending, the scheme check with a custom fetch, and the error class a failed loop
// rejects with.
import { afterEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource, FetchEventSourceError } from '../dist/index.js'
import { memoryFetch } from './support/memory-fetch.js'

const MAX_TIMER = 2 ** 31 - 1
const realSetTimeout = globalThis.setTimeout
const realRandom = Math.random
afterEach(() => {
  globalThis.setTimeout = realSetTimeout
  Math.random = realRandom
})

/**
 * The reconnect delays a source asks for over `attempts` failed attempts: every setTimeout the source makes is
 * recorded and fired at once, and Math.random returns `random`.
 */
async function delaysOf(init, { attempts = 7, random = 0.5 } = {}) {
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
      throw new TypeError('refused')
    },
  })
  await new Promise((resolve, reject) => {
    const guard = realSetTimeout(() => reject(new Error(`only ${calls} attempts`)), 5000)
    source.addEventListener('error', () => {
      if (calls >= attempts) {
        clearTimeout(guard)
        resolve(undefined)
      }
    })
  })
  source.close()
  globalThis.setTimeout = realSetTimeout
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

test('delays are clamped to what timers can take: a huge initialDelay waits 2^31-1 ms, not 0', async () => {
  assert.deepEqual(await delaysOf({ retry: { initialDelay: 3e9, maxDelay: Infinity, jitter: 0 } }, { attempts: 3 }), [MAX_TIMER, MAX_TIMER])
})

test('the maxBufferSize default is 16 Mi characters: a pending line of exactly that passes, one more fails', async () => {
  const LIMIT = 16 * 1024 * 1024
  const run = async (length) => {
    // The line arrives in two chunks, so it is pending in between.
    const line = `data: ${'x'.repeat(length - 6)}`
    const source = new FetchEventSource('http://pinned.test/', { fetch: memoryFetch([{ chunks: [line.slice(0, 10), line.slice(10), '\n\n'] }]) })
    return new Promise((resolve) => {
      source.onmessage = (e) => (source.close(), resolve(`message of ${e.data.length}`))
      source.onerror = (e) => (source.close(), resolve(e.code))
    })
  }
  assert.equal(await run(LIMIT), `message of ${LIMIT - 6}`)
  assert.equal(await run(LIMIT + 1), 'max-buffer-size-exceeded')
})

test('the event type does not survive a reconnect: a stream cut after event: foo, then data on the next connection, is a message', async () => {
  const fetch = memoryFetch([{ chunks: ['retry: 1\n\nevent: foo\n'] }, { chunks: ['data: x\n\n'] }])
  const source = new FetchEventSource('http://pinned.test/', { fetch })
  const event = await new Promise((resolve) => {
    source.addEventListener('foo', resolve)
    source.addEventListener('message', resolve)
  })
  source.close()
  assert.deepEqual([event.type, event.data], ['message', 'x'])
})

test('close() while an async onResponse is pending: no open event, CLOSED stays, no further request', async () => {
  let release
  const fetch = memoryFetch([{ chunks: ['data: a\n\n'] }, { chunks: ['data: b\n\n'] }])
  const source = new FetchEventSource('http://pinned.test/', { fetch, onResponse: () => new Promise((resolve) => (release = resolve)) })
  const seen = []
  for (const type of ['open', 'message', 'error']) source.addEventListener(type, () => seen.push(type))
  await new Promise((resolve) => realSetTimeout(resolve, 20))
  assert.equal(typeof release, 'function', 'onResponse was called')
  source.close()
  release()
  await new Promise((resolve) => realSetTimeout(resolve, 50))
  assert.deepEqual([seen, source.readyState, fetch.requests.length], [[], FetchEventSource.CLOSED, 1])
})

test('a non-HTTP(S) URL with a custom fetch: the fetch is never called, CLOSED with unsupported-scheme', async () => {
  let calls = 0
  const source = new FetchEventSource('data:text/event-stream,data%3A%20a%0A%0A', { fetch: async () => (calls++, new Response('')) })
  const event = await new Promise((resolve) => source.addEventListener('error', resolve))
  assert.deepEqual([event.code, source.readyState, calls], ['unsupported-scheme', FetchEventSource.CLOSED, 0])
})

test('a for await loop over a source that fails for good rejects with a FetchEventSourceError carrying the code', async () => {
  const source = new FetchEventSource('http://pinned.test/', { fetch: memoryFetch([{ status: 404 }]) })
  await assert.rejects(
    async () => {
      for await (const event of source) void event
    },
    (error) => error instanceof FetchEventSourceError && error.code === 404 && error.response?.status === 404,
  )
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
  await new Promise((resolve) => source.addEventListener('error', () => source.readyState === FetchEventSource.CLOSED && resolve(undefined)))
  globalThis.setTimeout = realSetTimeout
  assert.equal(delays.length, 3)
  assert.ok(delays[0] > 3000 && delays[0] <= 5000, `HTTP date: ${delays[0]} ms`)
  assert.deepEqual(delays.slice(1), [2000, 60_000])
})
