// The event stream parser through the public API, in memory: every chunk boundary, every line ending, and a
// seeded property test against a literal transcription of the spec (support/reference-parser.js).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchEventSource } from '../dist/index.js'
import { bytes, dispatched, memoryFetch } from './support/memory-fetch.js'
import { referenceParse } from './support/reference-parser.js'
import { realSetTimeout } from './support/stubbed-clock.js'

// The BOM is exercised by every test that uses the sample: the line after it names the first event's type, so a
// BOM left in place ("\uFEFFevent" is an unknown field) turns that event into a message; a BOM opening a later line
// (split tests put a chunk boundary right before it) and one inside a data value are content, so removing more
// than the leading one adds an event or changes a data.
const SAMPLE =
  '\uFEFFevent: bom\r\n: comment\nretry: 10\nid: 1\ndata: h\u00e9llo\r\ndata:  two spaces\r\revent: t\u00fcpe\ndata\n\n' +
  'id\ndata: \u{1F600} astral\n\n\uFEFFdata: after a BOM mid-stream\nid: 3\r\n\r\nid: a\0b\ndata: x\uFEFFy\n\n'

test('the sample stream matches the reference parser', async () => {
  const body = bytes(SAMPLE)
  const expected = referenceParse(body)
  assert.deepEqual(expected.events, [
    { type: 'bom', data: 'h\u00e9llo\n two spaces', lastEventId: '1' },
    { type: 't\u00fcpe', data: '', lastEventId: '1' },
    { type: 'message', data: '\u{1F600} astral', lastEventId: '' },
    { type: 'message', data: 'x\uFEFFy', lastEventId: '3' },
  ])
  const got = await dispatched(FetchEventSource, [body])
  assert.deepEqual(got.events, expected.events)
  assert.equal(got.lastEventId, '3')
})

test('a split at every byte offset dispatches exactly the same events', async () => {
  const body = bytes(SAMPLE)
  const expected = referenceParse(body)
  for (let i = 0; i <= body.length; i++) {
    const got = await dispatched(FetchEventSource, [body.subarray(0, i), body.subarray(i)])
    assert.deepEqual(got.events, expected.events, `split at byte ${i}`)
    assert.equal(got.lastEventId, expected.lastEventId, `split at byte ${i}`)
  }
})

test('one byte per chunk dispatches exactly the same events', async () => {
  const body = bytes(SAMPLE)
  const chunks = Array.from(body, (b) => Uint8Array.of(b))
  const got = await dispatched(FetchEventSource, chunks)
  assert.deepEqual(got.events, referenceParse(body).events)
})

test('CR ending a chunk and LF opening the next are one line ending', async () => {
  const got = await dispatched(FetchEventSource, ['data: a\r', '\ndata: b\r', '\n\r', '\n'])
  assert.deepEqual(got.events, [{ type: 'message', data: 'a\nb', lastEventId: '' }])
})

test('an event ended by CR at the end of a chunk is dispatched without waiting for the next chunk', async () => {
  let pulls = 0
  const encoder = new TextEncoder()
  const source = new FetchEventSource('http://stream.test/', {
    fetch: async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            // The second pull never resolves: the event must already be out by then.
            if (pulls++ === 0) controller.enqueue(encoder.encode('data: now\r\r'))
            else return new Promise(() => {})
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      ),
  })
  const event = await new Promise((resolve) => source.addEventListener('message', resolve))
  assert.equal(event.data, 'now')
  source.close()
})

test('a comment cut by chunk boundaries (kept as a length only) counts against maxBufferSize like a whole one', async () => {
  // ": 123456789" is 11 characters: over a limit of 10, within 11. Every split, and CR/CRLF endings, must agree
  // with the unsplit stream, including a comment that goes on across three chunks.
  for (const ending of ['\n', '\r\n', '\r']) {
    const body = bytes(`: 123456789${ending}data: x${ending}${ending}`)
    for (const [limit, outcome] of [[10, 'max-buffer-size-exceeded'], [11, 'x']]) {
      const splits = [[body]]
      for (let i = 1; i < body.length; i++) splits.push([body.subarray(0, i), body.subarray(i)])
      splits.push([body.subarray(0, 3), body.subarray(3, 7), body.subarray(7)])
      splits.push(Array.from(body, (b) => Uint8Array.of(b)))
      for (const chunks of splits) {
        // The iterator ends in the error that closed the source; a clean end leaves the delivered events.
        const seen = await dispatched(FetchEventSource, chunks, { maxBufferSize: limit }).then(
          (got) => got.events.map((e) => e.data),
          (error) => [error.code],
        )
        assert.deepEqual(seen, [outcome], `limit ${limit}, ending ${JSON.stringify(ending)}, chunks ${chunks.map((c) => c.length)}`)
      }
    }
  }
})

test('a body ending in a lone CR still completes its last line', async () => {
  const got = await dispatched(FetchEventSource, ['data: test\r\ndata\ndata: test\r\n\r'])
  assert.deepEqual(got.events, [{ type: 'message', data: 'test\n\ntest', lastEventId: '' }])
})

test('a BOM is removed once, at the very start only', async () => {
  const got = await dispatched(FetchEventSource, [Uint8Array.of(0xef, 0xbb), Uint8Array.of(0xbf), '\uFEFFdata: 1\n\ndata: 2\n\n'])
  // The second BOM makes the first line's field name "\uFEFFdata": an unknown field, ignored.
  assert.deepEqual(got.events, [{ type: 'message', data: '2', lastEventId: '' }])
})

test('invalid UTF-8 becomes U+FFFD, also when a sequence is cut by a chunk boundary', async () => {
  const got = await dispatched(FetchEventSource, [Uint8Array.of(0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0xe2, 0x82), Uint8Array.of(0xac, 0x0a, 0x0a)])
  assert.deepEqual(got.events, [{ type: 'message', data: '\uFFFD\u20AC', lastEventId: '' }])
})

test('an id-only block updates lastEventId though nothing is dispatched', async () => {
  const got = await dispatched(FetchEventSource, ['data: a\n\nid: 7\n\n'])
  assert.deepEqual(got.events, [{ type: 'message', data: 'a', lastEventId: '' }])
  assert.equal(got.lastEventId, '7')
})

test('an incomplete final event is discarded with its id', async () => {
  const got = await dispatched(FetchEventSource, ['id: 1\ndata: a\n\nid: 2\ndata: b\n'])
  assert.deepEqual(got.events, [{ type: 'message', data: 'a', lastEventId: '1' }])
  assert.equal(got.lastEventId, '1')
})

test('the last event ID persists across a reconnect and is sent as Last-Event-ID', async () => {
  const fetch = memoryFetch([{ chunks: ['retry: 1\nid: \u00e9t\u00e9\ndata: a\n\n'] }, { chunks: ['data: b\n\n'] }])
  const source = new FetchEventSource('http://stream.test/', { fetch })
  const seen = []
  for await (const event of source) {
    seen.push([event.data, event.lastEventId])
    if (seen.length === 2) break
  }
  assert.deepEqual(seen, [['a', '\u00e9t\u00e9'], ['b', '\u00e9t\u00e9']])
  assert.equal(fetch.requests[0].headers.get('last-event-id'), null)
  // UTF-8 bytes, one char per byte: what a browser puts on the wire.
  assert.equal(fetch.requests[1].headers.get('last-event-id'), '\u00c3\u00a9t\u00c3\u00a9')
  assert.equal(source.readyState, FetchEventSource.CLOSED)
})

// ---- edges that the splits of the sample do not reach -----------------------------------------------------------

/**
 * What one response makes the source dispatch, in order, through listeners (which, unlike the iterator, would also
 * hear a message dispatched after the source failed): each message's data, and each error as `[code]`. The first
 * error closes the source; memoryFetch always ends the body, so it always comes.
 */
async function timeline(chunks, init = {}) {
  const source = new FetchEventSource('http://stream.test/', { ...init, fetch: memoryFetch([{ chunks }]) })
  const seen = []
  source.addEventListener('message', (event) => seen.push(event.data))
  await new Promise((resolve) =>
    source.addEventListener('error', (event) => {
      seen.push([event.code])
      source.close()
      resolve(undefined)
    }),
  )
  return seen
}

test('an empty chunk between a CR and its LF leaves them one line ending', async () => {
  // Had the empty chunk cleared the pending CR, the LF would be a blank line of its own and dispatch "a" early.
  assert.deepEqual(await timeline(['data: a\r', new Uint8Array(0), '\ndata: b\r', new Uint8Array(0), '\n\r\n']), ['a\nb', ['stream-ended']])
})

test('whether a line held across chunks is a comment is decided by its first character only', async () => {
  assert.deepEqual(await timeline([':', 'data: hidden', '\n\ndata: shown\n\n']), ['shown', ['stream-ended']])
  assert.deepEqual(await timeline(['data', ': x', '\n\n']), ['x', ['stream-ended']])
})

test('field names match exactly: every one-character variant of data, event and id is an unknown field', async () => {
  const lines = [
    ...['Xata: 1', 'dXta: 1', 'daXa: 1', 'datX: 1', 'dataX 1', 'Data: 1'],
    ...['Xvent: t', 'eXent: t', 'evXnt: t', 'eveXt: t', 'evenX: t', 'eventX t', 'Event: t'],
    ...['Xd: 9', 'iX: 9', 'idX9', 'Id: 9'],
    // The same variants after a comment ending in the letter or colon that sits at the mismatched place when read
    // backwards across the line break (an index counted the wrong way would land on it).
    ':t', 'daXa: 2', ':a_', 'datX: 2', ':__', 'dataX 2',
    ':e', 'evXnt: u', ':n_', 'eveXt: u', ':t__', 'evenX: u', ':___', 'eventX u',
    ':', 'idX8',
  ]
  const body = `${lines.join('\n')}\ndata: end\n\n`
  assert.deepEqual(referenceParse(bytes(body)).events, [{ type: 'message', data: 'end', lastEventId: '' }])
  for (const chunks of [[body], Array.from(bytes(body), (b) => Uint8Array.of(b))]) {
    const got = await dispatched(FetchEventSource, chunks)
    assert.deepEqual(got.events, [{ type: 'message', data: 'end', lastEventId: '' }])
  }
  // Each variant also alone before a blank line, where a data line would be dispatched straight from the chunk.
  for (const line of lines) {
    const alone = await dispatched(FetchEventSource, [`${line}\n\ndata: end\n\n`])
    assert.deepEqual(alone.events, [{ type: 'message', data: 'end', lastEventId: '' }], line)
  }
})

test('a line held across hundreds of chunks, and an event of hundreds of lines, keep every character in order', async () => {
  // Past 256 fragments (or data lines) the parser flattens them into blocks: 600 crosses that twice.
  const digits = Array.from({ length: 600 }, (_, i) => String(i % 10))
  assert.deepEqual(await timeline(['data: ', ...digits, '\n\n']), [digits.join(''), ['stream-ended']])
  const values = Array.from({ length: 600 }, (_, i) => `v${i}`)
  const body = values.map((value) => `data: ${value}\n`).join('') + '\n'
  assert.deepEqual(await timeline([body]), [values.join('\n'), ['stream-ended']])
  assert.deepEqual(await timeline(body.match(/[^]{1,7}/g)), [values.join('\n'), ['stream-ended']])
  // The limit counts the flattened blocks too: the data is exactly `length` characters.
  const { length } = values.join('\n')
  assert.deepEqual(await timeline([body], { maxBufferSize: length }), [values.join('\n'), ['stream-ended']])
  assert.deepEqual(await timeline([body], { maxBufferSize: length - 1 }), [['max-buffer-size-exceeded']])
})

test('maxBufferSize: a line or the data may reach the limit but not pass it, and nothing is dispatched after', async () => {
  const limit = (maxBufferSize) => ({ maxBufferSize })
  // "data:123456" is 11 characters: whole, or completed by a later chunk.
  for (const chunks of [['data:123456\n\n'], ['data:1234', '56\n\n']]) {
    assert.deepEqual(await timeline(chunks, limit(11)), ['123456', ['stream-ended']])
    assert.deepEqual(await timeline(chunks, limit(10)), [['max-buffer-size-exceeded']])
  }
  // A held line fails as soon as it outgrows the limit, before its line break arrives.
  assert.deepEqual(await timeline(['data: 1234'], limit(10)), [['stream-ended']])
  assert.deepEqual(await timeline(['data: 1234', '5'], limit(10)), [['max-buffer-size-exceeded']])
  // Data of three lines: "ab\nab\nab" is 8 characters, each line 7.
  assert.deepEqual(await timeline(['data:ab\ndata:ab\ndata:ab\n\n'], limit(8)), ['ab\nab\nab', ['stream-ended']])
  assert.deepEqual(await timeline(['data:ab\ndata:ab\ndata:ab\n\n'], limit(7)), [['max-buffer-size-exceeded']])
  // The chunk completing the line that overflows also holds whole events: they are not dispatched.
  assert.deepEqual(await timeline(['data: a\n\ndata: 1234', '5\ndata: b\n\ndata: c\n\n'], limit(10)), ['a', ['max-buffer-size-exceeded']])
  assert.deepEqual(await timeline(['data: a\n\ndata: 12345\ndata: b\n\n'], limit(10)), ['a', ['max-buffer-size-exceeded']])
})

test('close() in a message handler ends the parse there: a later id: in the same chunk does not change lastEventId', async () => {
  const source = new FetchEventSource('http://stream.test/', { fetch: memoryFetch([{ chunks: ['id: 1\ndata: a\n\nid: 2\n\nid: 3\ndata: b\n\n'] }]) })
  const seen = []
  await new Promise((resolve) => {
    source.onmessage = (event) => {
      seen.push([event.data, event.lastEventId])
      source.close()
      resolve(undefined)
    }
  })
  // The rest of the chunk was parsed within the same feed() call, before this continuation runs: no wait needed.
  assert.deepEqual([seen, source.lastEventId, source.readyState], [[['a', '1']], '1', FetchEventSource.CLOSED])
})

test('retry: only a value of ASCII digits sets the reconnection time', async () => {
  const cases = [
    ['retry: 1234', 1234],
    ['retry:1234', 1234],
    ['retry: 0909', 909],
    ['retry: 0', 0],
    ...['retry', 'retry:', 'retry: ', 'retry: 5x', 'retry: x5', 'retry: 1/', 'retry: 9:', 'retry: -5', 'retry:  5', 'retry: 5 ', 'retry: 1.5'].map(
      (line) => [`retry: 1234\n${line}`, 1234],
    ),
  ]
  for (const [lines, delay] of cases) {
    // The first reconnect after a stream that delivered an event waits exactly the reconnection time.
    const delays = []
    let scheduled
    const reconnecting = new Promise((resolve) => (scheduled = resolve))
    globalThis.setTimeout = (fn, ms) => {
      delays.push(ms)
      scheduled()
      return realSetTimeout(() => {}, 0)
    }
    const source = new FetchEventSource('http://stream.test/', { fetch: memoryFetch([{ chunks: [`${lines}\ndata: x\n\n`] }]) })
    let guard
    try {
      await new Promise((resolve, reject) => {
        reconnecting.then(resolve)
        guard = realSetTimeout(() => reject(new Error(`${JSON.stringify(lines)}: no reconnect scheduled`)), 2000)
      })
    } finally {
      clearTimeout(guard)
      source.close()
      globalThis.setTimeout = realSetTimeout
    }
    assert.deepEqual(delays, [delay], JSON.stringify(lines))
  }
})

// ---- property test ----------------------------------------------------------------------------------------------

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const VALUES = ['', ' ', 'x', ' lead', '  two', '\ttab', 'a:b', '\u00e9', '\u4e2d\u6587', '\u{1F600}', '\0nul', 'data', '123']
const FIELDS = ['data', 'data', 'data', 'event', 'id', 'retry', 'Data', ' data', 'foo', '']
const ENDINGS = ['\n', '\r', '\r\n']

function randomStream(random) {
  const pick = (list) => list[Math.floor(random() * list.length)]
  let text = random() < 0.2 ? '\uFEFF' : ''
  const lines = 1 + Math.floor(random() * 30)
  for (let i = 0; i < lines; i++) {
    const r = random()
    if (r < 0.2) text += ''
    else if (r < 0.27) text += ':' + pick(VALUES)
    else if (r < 0.35) text += pick(FIELDS)
    else text += pick(FIELDS) + ':' + pick(VALUES) + (random() < 0.2 ? pick(VALUES) : '')
    text += pick(ENDINGS)
  }
  if (random() < 0.3) text += 'data: tail' // an incomplete last line
  return bytes(text)
}

function randomSplits(random, body) {
  const chunks = []
  let at = 0
  while (at < body.length) {
    const size = 1 + Math.floor(random() * 8)
    chunks.push(body.subarray(at, at + size))
    at += size
  }
  return chunks
}

test('property: random streams, whole and split at random boundaries, match the reference parser', async () => {
  const seed = Number(process.env.SSE_PROPERTY_SEED ?? 20261122)
  const cases = Number(process.env.SSE_PROPERTY_CASES ?? 1500)
  const random = mulberry32(seed)
  for (let n = 0; n < cases; n++) {
    const body = randomStream(random)
    const expected = referenceParse(body)
    const whole = await dispatched(FetchEventSource, [body])
    const split = await dispatched(FetchEventSource, randomSplits(random, body))
    const context = `seed ${seed}, case ${n}: ${JSON.stringify(new TextDecoder().decode(body))}`
    assert.deepEqual(whole.events, expected.events, context)
    assert.deepEqual(split.events, expected.events, context)
    assert.equal(whole.lastEventId, expected.lastEventId, context)
    assert.equal(split.lastEventId, expected.lastEventId, context)
  }
})
