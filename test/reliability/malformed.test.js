// Malformed and extreme input, through the public API with an in-memory fetch: invalid UTF-8, NUL bytes, a
// 10,000-digit retry, 100,000 events in one chunk, one-byte chunks, ids full of garbage. The behaviour must be
// exactly the spec's (test/support/reference-parser.js is the oracle) and nothing may throw out of the library.
// (The text-level property test lives in parser.test.js; the byte-level one below adds what text cannot hold:
// invalid UTF-8, raw control bytes and chunk boundaries inside sequences.)
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource } from '../../dist/index.js'
import { dispatched, memoryFetch } from '../support/memory-fetch.js'
import { referenceParse } from '../support/reference-parser.js'
import { derive, runSeed, withSeed } from '../../reliability/seed.js'
import { frameEvent, verifyDelivery } from '../../reliability/stream-script.js'

// Anything thrown out of the library shows up here, not only as a failed test.
const escaped = []
const onEscape = (error) => escaped.push(error)
before(() => {
  process.on('uncaughtException', onEscape)
  process.on('unhandledRejection', onEscape)
})
after(() => {
  process.off('uncaughtException', onEscape)
  process.off('unhandledRejection', onEscape)
  assert.deepEqual(escaped, [], 'exceptions escaped to the process')
})

const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
const utf8 = (text) => new TextEncoder().encode(text)
const oneByteChunks = (body) => Array.from(body, (b) => Uint8Array.of(b))

/** Whole, one byte at a time, and in seeded random splits: each must match the reference parser exactly. */
async function assertLikeReference(body, context, random) {
  const expected = referenceParse(body)
  const splits = []
  for (let at = 0; at < body.length; ) {
    const size = 1 + Math.floor(random() * 9)
    splits.push(body.subarray(at, at + size))
    at += size
  }
  for (const [how, chunks] of [['whole', [body]], ['one byte per chunk', oneByteChunks(body)], ['random splits', splits]]) {
    const got = await dispatched(FetchEventSource, chunks)
    assert.deepEqual(got.events, expected.events, `${context} (${how})`)
    assert.equal(got.lastEventId, expected.lastEventId, `${context} (${how})`)
  }
}

const INVALID_UTF8 = {
  'lone continuation byte': [0x80],
  'bytes never valid (C0, C1, F5-FF)': [0xc0, 0xc1, 0xf5, 0xff],
  'overlong encoding of /': [0xe0, 0x80, 0xaf],
  'UTF-16 surrogate encoded (ED A0 80)': [0xed, 0xa0, 0x80],
  'above U+10FFFF (F4 90 80 80)': [0xf4, 0x90, 0x80, 0x80],
  'truncated 4-byte sequence before LF': [0xf0, 0x9f, 0x98],
  'truncated 3-byte sequence then ASCII': [0xe4, 0xb8, 0x41],
}

test('invalid UTF-8 anywhere (data, event type, id, field name, at the very end) decodes to U+FFFD as TextDecoder does', async () => {
  const random = derive(runSeed(1), 'invalid-utf8')
  for (const [name, bytes] of Object.entries(INVALID_UTF8)) {
    const bad = Uint8Array.from(bytes)
    const body = concat(
      utf8('data: a'), bad, utf8('b\n\n'),
      utf8('event: t'), bad, utf8('\ndata: typed\n\n'),
      utf8('id: i'), bad, utf8('\ndata: with id\n\n'),
      utf8('da'), bad, utf8('ta: unknown field\n\n'),
      utf8('data: tail\n\n'), bad,
    )
    await assertLikeReference(body, name, random)
  }
})

test('NUL bytes: kept in data and event types, an id containing NUL is ignored whole, NUL makes retry and field names invalid', async () => {
  const body = utf8('retry: 1\0\nid: 1\ndata: a\0b\n\nid: x\0y\nevent: t\0\ndata: c\n\nda\0ta: d\n\ndata: \0\n\n')
  const expected = referenceParse(body)
  assert.deepEqual(expected.events, [
    { type: 'message', data: 'a\0b', lastEventId: '1' },
    { type: 't\0', data: 'c', lastEventId: '1' },
    { type: 'message', data: '\0', lastEventId: '1' },
  ])
  await assertLikeReference(body, 'NUL bytes', derive(runSeed(2), 'nul'))
})

test('100,000 events in one chunk are all dispatched, in order, in one pass', async () => {
  const count = 100_000
  let text = ''
  for (let i = 1; i <= count; i++) text += `id: ${i}\ndata: ${i}\n\n`
  const started = performance.now()
  const got = await dispatched(FetchEventSource, [text])
  const ms = performance.now() - started
  assert.equal(got.events.length, count)
  for (let i = 0; i < count; i++) {
    if (got.events[i].data !== String(i + 1) || got.events[i].lastEventId !== String(i + 1)) assert.fail(`event ${i + 1}: ${JSON.stringify(got.events[i])}`)
  }
  assert.equal(got.lastEventId, String(count))
  assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`)
})

test('one-byte chunks: 400 events with mixed line endings and 1-4 byte characters arrive exactly', async () => {
  let text = ''
  for (let i = 1; i <= 400; i++) text += frameEvent(i)
  const body = utf8(text)
  const got = await dispatched(FetchEventSource, oneByteChunks(body))
  const received = got.events.map((e) => ({ id: e.lastEventId, type: e.type, data: e.data }))
  assert.equal(verifyDelivery(received, 400), null)
})

test('ids full of CR/LF-free garbage bytes: the last event ID is exactly what the spec decodes (NUL: ignored)', async () => {
  const seed = runSeed(3)
  const random = derive(seed, 'garbage-id')
  await withSeed(seed, async () => {
    for (let n = 0; n < 200; n++) {
      const length = 1 + Math.floor(random() * 40)
      const id = Uint8Array.from({ length }, () => {
        let b
        do b = Math.floor(random() * 256)
        while (b === 0x0a || b === 0x0d || (b === 0 && random() < 0.9))
        return b
      })
      const body = concat(utf8('data: before\n\nid:'), id, utf8('\ndata: x\n\n'))
      const expected = referenceParse(body)
      const got = await dispatched(FetchEventSource, [body])
      assert.deepEqual(got.events, expected.events, `id bytes ${Buffer.from(id).toString('hex')}`)
      assert.equal(got.lastEventId, expected.lastEventId, `id bytes ${Buffer.from(id).toString('hex')}`)
    }
  })
})

test('property (bytes): random streams of fields, garbage and invalid UTF-8, split anywhere, match the reference parser', async () => {
  const seed = runSeed(20261122)
  const random = derive(seed, 'byte-property')
  const pick = (list) => list[Math.floor(random() * list.length)]
  const FIELDS = ['data', 'data', 'id', 'event', 'retry', ':', '', 'da\0ta', '\uFEFFdata', 'Data']
  const ENDINGS = ['\n', '\r', '\r\n']
  const bad = Object.values(INVALID_UTF8)
  await withSeed(seed, async () => {
    for (let n = 0; n < 300; n++) {
      const parts = []
      if (random() < 0.2) parts.push(Uint8Array.of(0xef, 0xbb, 0xbf))
      for (let lines = 1 + Math.floor(random() * 20); lines > 0; lines--) {
        const r = random()
        if (r < 0.2) {
          parts.push(utf8(pick(ENDINGS)))
          continue
        }
        parts.push(utf8(pick(FIELDS)))
        if (r < 0.9) parts.push(utf8(random() < 0.7 ? ': ' : ':'))
        for (let k = Math.floor(random() * 4); k > 0; k--) {
          const v = random()
          if (v < 0.3) parts.push(Uint8Array.from(pick(bad)))
          else if (v < 0.4) parts.push(Uint8Array.of(Math.floor(random() * 32) || 1).map((b) => (b === 10 || b === 13 ? 9 : b)))
          else parts.push(utf8(pick(['x', 'é', '中', '😀', ' ', '\0', '42', 'ab:c'])))
        }
        parts.push(utf8(pick(ENDINGS)))
      }
      const body = concat(...parts)
      await assertLikeReference(body, `case ${n}: ${Buffer.from(body).toString('hex')}`, random)
    }
  })
})

test('a 10,000-digit retry keeps the reconnect delay at the maximum; repeated failures must not turn it into NaN (an immediate-retry storm)', async () => {
  // The delays the source asks for are recorded; the 24.8-day ones are shortened to 0 so the test does not wait them.
  const MAX = 2 ** 31 - 1
  const realSetTimeout = globalThis.setTimeout
  const delays = []
  globalThis.setTimeout = (fn, ms, ...args) => {
    delays.push(ms)
    return realSetTimeout(fn, ms >= MAX ? 0 : ms, ...args)
  }
  let attempts = 0
  const fetch = async (input, init) => {
    attempts++
    if (attempts === 1) return memoryFetch([{ chunks: [`retry: ${'9'.repeat(10_000)}\ndata: x\n\n`] }])(input, init)
    throw new TypeError('the server is down')
  }
  try {
    const source = new FetchEventSource('http://stream.test/', { fetch, retry: { maxAttempts: 4, jitter: 0 } })
    const codes = []
    await new Promise((resolve) => {
      source.onerror = (e) => {
        codes.push([e.code, source.readyState])
        if (source.readyState === FetchEventSource.CLOSED) resolve()
      }
    })
    assert.deepEqual(codes, [['stream-ended', 0], ['network', 0], ['network', 0], ['network', 0], ['network', 2]])
  } finally {
    globalThis.setTimeout = realSetTimeout
  }
  // After the stream: the reconnection time (huge, clamped); after failures 1..3 the grown delay (capped by it).
  assert.deepEqual(delays, [MAX, MAX, MAX, MAX])
})
