// Fields: rules C24-C33 of docs/conformance.md (after the WPT eventsource format-* tests).
import { OPEN, msg, err, endMsg, assertTrace, parse, untilData, untilOpens } from './util.js'

export default [
  {
    rule: 'C24',
    name: 'an empty line dispatches the pending event; extra empty lines dispatch nothing',
    async run(t) {
      const { records } = await parse(t, ['\n\n\ndata: a\n\n\n\n\ndata: b\n\n\r\n\r'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), msg(t, 'b'), endMsg(t)])
    },
  },
  {
    rule: 'C25',
    name: 'comment lines are ignored, also between the lines of an event',
    async run(t) {
      const { records } = await parse(t, [':\n: hello\n:data: x\n\ndata: a\n:comment: with data: inside\ndata: b\n:\n\n::\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a\nb'), endMsg(t)])
    },
  },
  {
    rule: 'C25',
    name: 'a long comment containing anything is ignored',
    async run(t) {
      const junk = ': ' + 'x:data: é\u0000\t'.repeat(20000)
      const { records } = await parse(t, [junk.slice(0, 100000), { delay: 10 }, junk.slice(100000) + '\ndata: a\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), endMsg(t)])
    },
  },
  {
    rule: 'C26',
    name: 'the value after the first colon, with exactly one leading space removed',
    async run(t) {
      const body = 'data:a\n\ndata: b\n\ndata:  c\n\ndata:\td\n\ndata: e: f\n\ndata:: g\n\ndata: \n\ndata:   \n\n'
      const { records } = await parse(t, [body])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), msg(t, 'b'), msg(t, ' c'), msg(t, '\td'), msg(t, 'e: f'), msg(t, ': g'), msg(t, ''), msg(t, '  '), endMsg(t)])
    },
  },
  {
    rule: 'C26',
    name: 'one leading space is removed from event and id values too',
    async run(t) {
      const { records } = await parse(t, ['event:  two\nid:  7\ndata: a\n\nevent:\tx\nid:\t8\ndata: b\n\n'], { types: [' two', '\tx'] })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a', { type: ' two', id: ' 7' }), msg(t, 'b', { type: '\tx', id: '\t8' }), endMsg(t, '\t8')])
    },
  },
  {
    rule: 'C27',
    name: 'data without a colon adds an empty line (WPT format-field-data)',
    async run(t) {
      const { records } = await parse(t, ['data:\n\ndata\ndata\n\ndata:test\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, ''), msg(t, '\n'), msg(t, 'test'), endMsg(t)])
    },
  },
  {
    rule: 'C27',
    name: 'event and id without a colon take the empty value',
    async run(t) {
      const { records } = await parse(t, ['event: foo\nevent\nid: 1\ndata: a\n\nid\ndata: b\n\n'], { types: ['foo'] })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a', { id: '1' }), msg(t, 'b'), endMsg(t)])
    },
  },
  {
    rule: 'C28',
    name: 'unknown fields are ignored (WPT format-field-unknown)',
    async run(t) {
      const { records } = await parse(t, ['data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'test\n\ntest'), endMsg(t)])
    },
  },
  {
    rule: 'C28',
    name: 'field names are case-sensitive and exact',
    async run(t) {
      const body = 'Data: x\nDATA: x\ndata_5: x\n data: x\ndat: x\ndataa: x\nID: 9\nId: 9\nEvent: foo\nEVENT: foo\nRetry: 1\nid : 9\nevent : foo\ndata : x\ndata: ok\n\n'
      const { records } = await parse(t, [body], { types: ['foo'] })
      t.assert.deepEqual(records, [OPEN, msg(t, 'ok'), endMsg(t)])
    },
  },
  {
    rule: 'C29',
    name: 'event sets the type of the pending event; named events do not reach onmessage',
    async run(t) {
      const body = 'event: foo\ndata: 1\n\nevent:bar\nevent: baz\ndata: 2\n\nevent: message\ndata: 3\n\nevent:\ndata: 4\n\nevent: ünï cödé 😀\ndata: 5\n\nevent: Message\ndata: 6\n\n'
      const { url } = await t.script([{ body: [body, 'data: END\n\n'], end: 'hang' }])
      const es = t.open(url)
      const onmessage = []
      es.onmessage = (e) => onmessage.push(e.data)
      const records = await t.collect(es, { types: ['foo', 'bar', 'baz', 'ünï cödé 😀', 'Message'], until: untilData('END') })
      t.assert.deepEqual(records, [
        OPEN,
        msg(t, '1', { type: 'foo' }),
        msg(t, '2', { type: 'baz' }),
        msg(t, '3'),
        msg(t, '4'),
        msg(t, '5', { type: 'ünï cödé 😀' }),
        msg(t, '6', { type: 'Message' }),
        endMsg(t),
      ])
      t.assert.deepEqual(onmessage, ['3', '4', 'END'])
    },
  },
  {
    rule: 'C29',
    name: 'event: open and event: error dispatch MessageEvents of those types',
    async run(t) {
      const { url } = await t.script([{ body: ['event: open\ndata: o\n\nevent: error\ndata: e\n\n', 'data: END\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('END') })
      t.assert.deepEqual(records, [OPEN, msg(t, 'o', { type: 'open' }), msg(t, 'e', { type: 'error' }), endMsg(t)])
      t.assert.equal(es.readyState, 1)
    },
  },
  {
    rule: 'C30',
    name: 'each data line appends its value and a LF',
    async run(t) {
      const { records } = await parse(t, ['data: a\ndata: b\ndata: c\n\ndata: a\ndata\ndata: c\n\ndata\ndata\ndata\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a\nb\nc'), msg(t, 'a\n\nc'), msg(t, '\n\n'), endMsg(t)])
    },
  },
  {
    rule: 'C31',
    name: 'id sets the last event ID; with U+0000 it is ignored; empty resets it',
    async run(t) {
      const body = 'id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\nid: \u0000\ndata: c\n\nid: 4\nid: 5\ndata: d\n\nid:\ndata: e\n\nid: é 😀 x\ndata: f\n\nid: 6\nid: 7\u0000\ndata: g\n\n'
      const { records, es } = await parse(t, [body])
      t.assert.deepEqual(records, [
        OPEN,
        msg(t, 'a', { id: '1' }),
        msg(t, 'b', { id: '1' }),
        msg(t, 'c', { id: '1' }),
        msg(t, 'd', { id: '5' }),
        msg(t, 'e'),
        msg(t, 'f', { id: 'é 😀 x' }),
        msg(t, 'g', { id: '6' }),
        endMsg(t, '6'),
      ])
      t.assert.equal(es.lastEventId, '6')
    },
  },
  {
    rule: 'C32',
    name: 'retry with leading zeros is valid',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 5000\n\ndata: a\n\nretry: 0010\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b'), timeout: 2000 })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b')])
    },
  },
  {
    rule: 'C32',
    name: 'retry values that are not all ASCII digits are ignored',
    async run(t) {
      // Only 10 is valid. The later a bogus value comes, the later the reconnect a lenient parser (parseInt,
      // Number, trimming) makes of it: the last ones read as 5000 to all of them.
      const bogus = ['5e3', '0x1388', '5,000', '٥٠٠٠', '５０００', '5000\u00a0', '5000.5', '5000x', ' 5000', '\t5000', '+5000', '5000 ']
      const body = 'retry: 10\n\n' + bogus.map((v) => `retry: ${v}\n`).join('') + '\ndata: a\n\n' + bogus.filter((v) => !v.startsWith(' ')).map((v) => `retry:${v}\n\n`).join('') + 'retry:5000x\n'
      const { url } = await t.script([{ body: [body] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b'), timeout: 2000 })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b')])
    },
  },
  {
    rule: 'C32',
    name: 'retry applies when its line is read, even in an event never completed',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\nretry: 10\ndata: lost\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilData('b'), timeout: 2000 })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b')])
    },
  },
  ...[
    ['no line ending', 'id: 2\ndata: b'],
    ['a single LF', 'id: 2\ndata: b\n'],
    ['a single CR', 'id: 2\ndata: b\r'],
    ['a single CRLF', 'id: 2\r\ndata: b\r\n'],
    ['an id-only block without its blank line', 'id: 2\n'],
  ].map(([what, tail]) => ({
    rule: 'C33',
    name: `an incomplete last event (${what}) is discarded with its id`,
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\nid: 1\ndata: a\n\n' + tail] }, { body: ['data: c\n\n'], end: 'hang' }])
      const es = t.open(url)
      let idAtError
      es.addEventListener('error', () => {
        idAtError ??= es.lastEventId
      })
      const records = await t.collect(es, { until: untilData('c') })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '1' }), err(0), OPEN, msg(t, 'c', { id: '1' })])
      t.assert.equal(idAtError, '1')
      t.assert.deepEqual((await t.requests(key)).map((r) => r.headers['last-event-id']), [undefined, '1'])
    },
  })),
  {
    rule: 'C33',
    name: 'an incomplete event in a cut connection is discarded too',
    async run(t) {
      // The pause keeps the cut apart from the data: Bun's fetch drops bytes that arrive with the connection's end.
      const { url, key } = await t.script([{ body: ['retry: 10\n\nid: 1\ndata: a\n\nid: 2\ndata: b\n', { delay: 50 }], end: 'destroy' }, { body: ['data: c\n\n'], end: 'hang' }])
      const es = t.open(url)
      const records = await t.collect(es, { until: untilOpens(2) })
      assertTrace(t, records, [OPEN, msg(t, 'a', { id: '1' }), err(0), OPEN])
      t.assert.deepEqual((await t.requests(key)).map((r) => r.headers['last-event-id']), [undefined, '1'])
    },
  },
]
