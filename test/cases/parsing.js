// Decoding and lines: rules C21-C23 of docs/conformance.md, and chunk boundaries everywhere.
import { OPEN, msg, err, endMsg, assertTrace, parse, utf8, untilData } from './util.js'

const FFFD = '\uFFFD'

// A small stream touching every parser state: BOM, CRLF, lone CR, comment, id with a 4-byte char,
// named event with empty data, two leading spaces, LF followed by CR.
const SAMPLE = '\uFEFF' + 'data: é\r\n' + 'data:x€\r' + '\r' + ':c\n' + 'id: 1😀\n' + 'event: t\n' + 'data\n' + '\n' + 'data:  z\r\n' + '\r\n' + 'data: q\n\r'
const sampleExpected = (t) => [
  OPEN,
  msg(t, 'é\nx€'),
  msg(t, '', { type: 't', id: '1😀' }),
  msg(t, ' z', { id: '1😀' }),
  msg(t, 'q', { id: '1😀' }),
  endMsg(t, '1😀'),
]

async function runSplit(t, items) {
  const { records, es } = await parse(t, items, { types: ['t'] })
  es.close()
  return records
}

export default [
  {
    rule: 'C21',
    name: 'the body is decoded as UTF-8 whatever the charset parameter says',
    async run(t) {
      for (const charset of ['iso-8859-1', 'utf-16', 'windows-1252']) {
        const { records } = await parse(t, ['data: é€😀\n\n'], { headers: { 'content-type': `text/event-stream; charset=${charset}` } })
        t.assert.deepEqual(records, [OPEN, msg(t, 'é€😀'), endMsg(t)], charset)
      }
    },
  },
  {
    rule: 'C21',
    name: 'invalid UTF-8 bytes become U+FFFD (WHATWG decoder replacement rules)',
    async run(t) {
      const bytes = [...utf8('data: '), 0xff, 0x61, 0xc3, 0x62, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf0, 0x9f, 0x98, 0x63, 0x0a, 0x0a]
      const { records } = await parse(t, [{ bytes }])
      t.assert.deepEqual(records, [OPEN, msg(t, FFFD + 'a' + FFFD + 'b' + FFFD.repeat(6) + 'c'), endMsg(t)])
    },
  },
  {
    rule: 'C21',
    name: 'a multi-byte sequence cut by the end of a line becomes one U+FFFD; split across chunks it decodes',
    async run(t) {
      const { records } = await parse(t, [{ bytes: [...utf8('data: a'), 0xe2, 0x82] }, { delay: 20 }, '\n\n', { bytes: [...utf8('data: b'), 0xe2] }, { delay: 20 }, { bytes: [0x82, 0xac, 0x0a, 0x0a] }])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a' + FFFD), msg(t, 'b€'), endMsg(t)])
    },
  },
  {
    rule: 'C21',
    name: 'one leading BOM is removed',
    async run(t) {
      const { records } = await parse(t, [{ bytes: [0xef, 0xbb, 0xbf, ...utf8('data: a\n\n')] }])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), endMsg(t)])
    },
  },
  {
    rule: 'C21',
    name: 'only one BOM is removed: a second one makes the first line an unknown field',
    async run(t) {
      const { records } = await parse(t, ['\uFEFF\uFEFFdata: a\n\ndata: b\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'b'), endMsg(t)])
    },
  },
  {
    rule: 'C21',
    name: 'a BOM split across chunks is still removed',
    async run(t) {
      const { records } = await parse(t, [{ bytes: [0xef] }, { delay: 20 }, { bytes: [0xbb] }, { delay: 20 }, { bytes: [0xbf] }, { delay: 20 }, 'data: a\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), endMsg(t)])
    },
  },
  {
    rule: 'C21',
    name: 'a BOM alone in the first chunk, then the stream',
    async run(t) {
      const { records } = await parse(t, ['\uFEFF', { delay: 20 }, '\uFEFFdata: x\n\ndata: a\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), endMsg(t)])
    },
  },
  {
    rule: 'C21',
    name: 'a BOM after the start of the stream is not removed',
    async run(t) {
      const { records } = await parse(t, ['data: a\n\n\uFEFFdata: b\n\n', { delay: 20 }, '\uFEFFdata: c\n\ndata: \uFEFFd\uFEFF\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), msg(t, '\uFEFFd\uFEFF'), endMsg(t)])
    },
  },
  {
    rule: 'C21',
    // eventsource-parser 4.1 also strips these three characters at the start of a stream (a BOM's bytes read as
    // Latin-1); decoded as UTF-8 they are text (src/event-stream-parser.ts feeds it a U+FEFF first, for this case).
    name: 'U+00EF U+00BB U+00BF opening the stream are text, not a BOM: the first line is an unknown field, on every connection',
    async run(t) {
      const { url } = await t.script([{ body: ['\u00EF\u00BB\u00BFdata: a\n\ndata: b\n\nretry: 10\n\n'] }, { body: ['\u00EF\u00BB\u00BF', { delay: 20 }, 'data: c\n\ndata: d\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('d') })
      assertTrace(t, records, [OPEN, msg(t, 'b'), err(0), OPEN, msg(t, 'd')])
    },
  },
  {
    rule: 'C21',
    name: 'each reconnected stream has its own leading BOM removed',
    async run(t) {
      const { url } = await t.script([{ body: ['\uFEFFretry: 10\n\ndata: a\n\n'] }, { body: ['\uFEFFdata: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b') })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b')])
    },
  },
  {
    rule: 'C22',
    name: 'LF, CR and CRLF all end lines',
    async run(t) {
      const { records } = await parse(t, ['data: a\rdata: b\ndata: c\r\n\r\ndata: d\r\rdata: e\n\ndata: f\r\n\r\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a\nb\nc'), msg(t, 'd'), msg(t, 'e'), msg(t, 'f'), endMsg(t)])
    },
  },
  {
    rule: 'C22',
    name: 'CR at the end of a chunk and LF at the start of the next are one line ending',
    async run(t) {
      const { records } = await parse(t, ['data: a\r', { delay: 30 }, '\ndata: b\r', { delay: 30 }, '\n\r', { delay: 30 }, '\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a\nb'), endMsg(t)])
    },
  },
  {
    rule: 'C22',
    name: 'a lone CR at the end of a chunk followed by a field line ends the line',
    async run(t) {
      const { records } = await parse(t, ['data: a\r', { delay: 30 }, 'data: b\r', { delay: 30 }, '\r'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a\nb'), endMsg(t)])
    },
  },
  {
    rule: 'C22',
    name: 'CR CR and LF CR are two line endings',
    async run(t) {
      const { records } = await parse(t, ['data: a\r\rdata: b\n\rdata: c\n\r\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), msg(t, 'b'), msg(t, 'c'), endMsg(t)])
    },
  },
  {
    rule: 'C22',
    name: 'every split point of a sample stream gives the same events',
    timeout: 30000,
    async run(t) {
      const bytes = utf8(SAMPLE)
      const expected = sampleExpected(t)
      const offsets = []
      for (let i = 1; i < bytes.length; i++) offsets.push(i)
      // a few at a time, to keep the run short
      for (let k = 0; k < offsets.length; k += 8) {
        await Promise.all(
          offsets.slice(k, k + 8).map(async (i) => {
            const records = await runSplit(t, [{ bytes: bytes.slice(0, i) }, { delay: 10 }, { bytes: bytes.slice(i) }])
            t.assert.deepEqual(records, expected, `split at byte ${i} of ${bytes.length}`)
          }),
        )
      }
    },
  },
  {
    rule: 'C22',
    name: 'the sample stream one byte per chunk gives the same events',
    async run(t) {
      const items = []
      for (const b of utf8(SAMPLE)) items.push({ bytes: [b] }, { delay: 2 })
      t.assert.deepEqual(await runSplit(t, items), sampleExpected(t))
    },
  },
  {
    rule: 'C23',
    name: 'events are dispatched as their blank line arrives, while the body stays open',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n', { delay: 200 }, 'data: b\n', { delay: 200 }, '\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      const t0 = Date.now()
      await rec.wait(2, 1000)
      t.assert.ok(Date.now() - t0 < 180, `a dispatched after ${Date.now() - t0} ms`)
      t.assert.deepEqual(rec.records, [OPEN, msg(t, 'a')])
      await rec.wait(3, 2000)
      t.assert.ok(Date.now() - t0 >= 350, 'b not before its blank line')
      t.assert.deepEqual(rec.records, [OPEN, msg(t, 'a'), msg(t, 'b')])
    },
  },
  {
    rule: 'C23',
    name: 'a blank line ended by a CR at the end of a chunk dispatches at once',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\r', { delay: 30 }, '\r'], end: 'hang' }])
      const es = t.open(url)
      t.assert.deepEqual(await t.collect(es, { count: 2, timeout: 2000 }), [OPEN, msg(t, 'a')])
    },
  },
  {
    rule: 'C23',
    name: 'many events in one chunk are all dispatched, in order',
    async run(t) {
      let body = ''
      const expected = [OPEN]
      for (let i = 0; i < 200; i++) {
        body += `id: ${i}\ndata: ${i}\n\n`
        expected.push(msg(t, String(i), { id: String(i) }))
      }
      const { records } = await parse(t, [body])
      t.assert.deepEqual(records, [...expected, endMsg(t, '199')])
    },
  },
]

export { SAMPLE }
