// What a source lets go of: the body of every response it will not read (cancelled, so a custom fetch's stream or a
// socket does not linger), the reader of a stream it stops reading, its listener on the signal option, the reconnect
// timer a handler's close() made pointless, and its async iterators. Custom fetch functions only, no sockets.
import { getEventListeners } from 'node:events'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource } from '../dist/index.js'
import { memoryFetch } from './support/memory-fetch.js'
import { closedAfterEach, realSetTimeout } from './support/stubbed-clock.js'

const URL_ = 'http://release.test/stream'
const opened = closedAfterEach()
const encoder = new TextEncoder()

/**
 * A response whose body serves `chunks` and then stays open without ever ending (as a live stream does, and as a
 * custom fetch's stream does after its request is aborted); `cancelled` resolves when the body is cancelled.
 */
function hangingResponse(chunks = [], { status = 200, headers = { 'content-type': 'text/event-stream' } } = {}) {
  let cancelled
  const done = new Promise((resolve) => (cancelled = resolve))
  const queue = [...chunks]
  const body = new ReadableStream({
    pull(controller) {
      const next = queue.shift()
      if (next !== undefined) controller.enqueue(encoder.encode(next))
      else return new Promise(() => {})
    },
    cancel: () => cancelled('cancelled'),
  })
  return { response: new Response(body, { status, headers }), cancelled: done }
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within(promise, what, ms = 2000) {
  let timer
  const timeout = new Promise((_, reject) => (timer = realSetTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const open = (init) => {
  const source = new FetchEventSource(URL_, init)
  opened.add(source)
  return source
}

test("a refused redirect's body is cancelled", async () => {
  const { response, cancelled } = hangingResponse([], { status: 307, headers: { location: 'http://elsewhere.test/' } })
  const source = open({ redirect: 'error', fetch: async () => response })
  const error = await within(new Promise((resolve) => (source.onerror = resolve)), 'the error')
  assert.equal(error.code, 'redirect')
  assert.equal(await within(cancelled, 'the cancel'), 'cancelled')
})

test("a response onResponse refuses is cancelled; one it read is left alone, and the refusal is reported", async () => {
  const refused = hangingResponse(['data: a\n\n'])
  const source = open({
    fetch: async () => refused.response,
    onResponse: () => {
      throw new Error('not this one')
    },
  })
  assert.equal((await within(new Promise((resolve) => (source.onerror = resolve)), 'the error')).code, 'response-rejected')
  assert.equal(await within(refused.cancelled, 'the cancel'), 'cancelled')

  const read = hangingResponse(['data: a\n\n'])
  const other = open({
    fetch: async () => read.response,
    onResponse: (response) => {
      response.body.getReader()
      throw new Error('locked it')
    },
  })
  const error = await within(new Promise((resolve) => (other.onerror = resolve)), 'the error')
  assert.deepEqual([error.code, error.message], ['response-rejected', 'onResponse refused the response: locked it'])
})

test('a response whose async onResponse settles after close() is cancelled', async () => {
  const { response, cancelled } = hangingResponse(['data: a\n\n'])
  let accept
  const source = open({ fetch: async () => response, onResponse: () => new Promise((resolve) => (accept = resolve)) })
  await within(
    (async () => {
      while (accept === undefined) await new Promise((resolve) => realSetTimeout(resolve, 1))
    })(),
    'onResponse called',
  )
  source.close()
  accept()
  assert.equal(await within(cancelled, 'the cancel'), 'cancelled')
})

test('close() in an open handler cancels the body unread', async () => {
  // A body that sends nothing yet: the source must not wait for a first chunk to let it go.
  const { response, cancelled } = hangingResponse([])
  const source = open({ fetch: async () => response })
  source.onopen = () => source.close()
  assert.equal(await within(cancelled, 'the cancel'), 'cancelled')
})

test('close() in a message handler stops the rest of the chunk and cancels the body, which sends nothing more', async () => {
  const { response, cancelled } = hangingResponse(['data: a\n\ndata: b\n\n'])
  const source = open({ fetch: async () => response })
  const messages = []
  source.onmessage = (event) => (messages.push(event.data), source.close())
  assert.equal(await within(cancelled, 'the cancel'), 'cancelled')
  assert.deepEqual(messages, ['a'])
})

test("the signal option's abort listener is removed by close() and by a failure", async () => {
  const closed = new AbortController()
  const source = open({ signal: closed.signal, fetch: memoryFetch([{ chunks: [] }]) })
  assert.equal(getEventListeners(closed.signal, 'abort').length, 1)
  source.close()
  assert.equal(getEventListeners(closed.signal, 'abort').length, 0)

  const failed = new AbortController()
  const failing = open({ signal: failed.signal, fetch: memoryFetch([{ status: 404 }]) })
  await within(new Promise((resolve) => (failing.onerror = resolve)), 'the error')
  assert.equal(failing.readyState, FetchEventSource.CLOSED)
  assert.equal(getEventListeners(failed.signal, 'abort').length, 0)
})

test('close() in an error handler leaves no reconnect timer behind, after a failed attempt or an ended stream', async () => {
  for (const [name, fetch] of [
    ['network', () => Promise.reject(new TypeError('refused'))],
    ['stream-ended', memoryFetch([{ chunks: ['data: a\n\n'] }])],
  ]) {
    const delays = []
    const source = open({ fetch })
    globalThis.setTimeout = (fn, ms, ...args) => (delays.push(ms), realSetTimeout(fn, ms, ...args))
    try {
      const error = await within(
        new Promise((resolve) => (source.onerror = (event) => (source.close(), resolve(event)))),
        `${name}: the error`,
      )
      assert.equal(error.code, name)
    } finally {
      globalThis.setTimeout = realSetTimeout
    }
    assert.deepEqual(delays, [], `${name}: timers set`)
  }
})

test('for await over a closed source ends at once; leaving a loop whose source a handler closed is clean', async () => {
  const source = open({ fetch: memoryFetch([]) })
  source.close()
  const seen = []
  await within(
    (async () => {
      for await (const event of source) seen.push(event.data)
    })(),
    'the loop over a closed source',
  )
  assert.deepEqual(seen, [])

  const live = open({ fetch: memoryFetch([{ chunks: ['data: a\n\ndata: b\n\n'] }]) })
  await within(
    (async () => {
      for await (const event of live) {
        seen.push(event.data)
        live.close()
        break
      }
    })(),
    'the loop that breaks',
  )
  assert.deepEqual([seen, live.readyState], [['a'], FetchEventSource.CLOSED])
})

test('a source closed in the task that made it never starts watching the page (a window-like global)', async () => {
  const names = ['addEventListener', 'removeEventListener', 'navigator']
  const saved = names.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)])
  const added = []
  try {
    Object.defineProperty(globalThis, 'addEventListener', { configurable: true, writable: true, value: (type) => added.push(type) })
    Object.defineProperty(globalThis, 'removeEventListener', { configurable: true, writable: true, value: () => {} })
    Object.defineProperty(globalThis, 'navigator', { configurable: true, value: { onLine: true } })
    // The control: a source that starts watches the page.
    const started = open({ fetch: memoryFetch([]) })
    await new Promise((resolve) => realSetTimeout(resolve, 5))
    started.close()
    assert.ok(added.length > 0, 'a started source listens to the window')
    added.length = 0
    open({ fetch: memoryFetch([]) }).close()
    await new Promise((resolve) => realSetTimeout(resolve, 5))
    assert.deepEqual(added, [])
  } finally {
    for (const [name, descriptor] of saved) {
      if (descriptor === undefined) delete globalThis[name]
      else Object.defineProperty(globalThis, name, descriptor)
    }
  }
})

test('close() clears the heartbeat timer of a pending attempt, so none is left to keep a process alive', async () => {
  const live = new Set()
  const realClear = globalThis.clearTimeout
  globalThis.setTimeout = (fn, ms, ...args) => {
    const timer = realSetTimeout(fn, ms, ...args)
    live.add(timer)
    return timer
  }
  globalThis.clearTimeout = (timer) => (live.delete(timer), realClear(timer))
  try {
    const source = open({ heartbeatTimeout: 60_000, fetch: () => new Promise(() => {}) })
    await new Promise((resolve) => realSetTimeout(resolve, 0))
    assert.equal(live.size, 1, 'the heartbeat timer')
    source.close()
    assert.equal(live.size, 0)
  } finally {
    globalThis.setTimeout = realSetTimeout
    globalThis.clearTimeout = realClear
  }
})
