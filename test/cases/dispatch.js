// Dispatch: rules C34-C38 of docs/conformance.md.
import { OPEN, msg, endMsg, parse } from './util.js'

export default [
  {
    rule: 'C34',
    name: 'an id-only block updates lastEventId although no event is dispatched',
    async run(t) {
      // The id-only block arrives with 'a' and 300 ms before 'b', so lastEventId must read 5 in between.
      const { url } = await t.script([{ body: ['data: a\n\n', 'id: 5\n\n', { delay: 300 }, 'data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      await rec.wait(2)
      // Poll the property: it changes with no event to wait on. Bounded by the 300 ms pause before 'b'.
      let seen = es.lastEventId
      for (let i = 0; i < 200 && seen !== '5' && rec.records.length < 3; i++) {
        await t.sleep(2)
        seen = es.lastEventId
      }
      await rec.wait(3)
      t.assert.equal(seen, '5', 'lastEventId between the id-only block and the next event')
      t.assert.deepEqual(rec.records, [OPEN, msg(t, 'a'), msg(t, 'b', { id: '5' })])
    },
  },
  {
    rule: 'C34',
    name: 'the last event ID takes the buffer at the blank line, wherever the id line is in the block',
    async run(t) {
      const { records } = await parse(t, ['data: a\nid: 2\n\nid: 3\ndata: b\nid: 4\n\ndata: c\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a', { id: '2' }), msg(t, 'b', { id: '4' }), msg(t, 'c', { id: '4' }), endMsg(t, '4')])
    },
  },
  {
    rule: 'C34',
    name: 'the id persists across events until an id field changes it',
    async run(t) {
      const { records, es } = await parse(t, ['id: 1\ndata: a\n\ndata: b\n\nevent: x\ndata: c\n\nid: 2\n\ndata: d\n\n'], { types: ['x'] })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a', { id: '1' }), msg(t, 'b', { id: '1' }), msg(t, 'c', { type: 'x', id: '1' }), msg(t, 'd', { id: '2' }), endMsg(t, '2')])
      t.assert.equal(es.lastEventId, '2')
    },
  },
  {
    rule: 'C35',
    name: 'an empty data buffer dispatches nothing and resets the event type',
    async run(t) {
      const { records } = await parse(t, ['event: foo\n\ndata: a\n\nevent: foo\nid: 3\n\ndata: b\n\nevent: foo\n:comment\n\ndata: c\n\n'], { types: ['foo'] })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a'), msg(t, 'b', { id: '3' }), msg(t, 'c', { id: '3' }), endMsg(t, '3')])
    },
  },
  {
    rule: 'C36',
    name: 'one trailing LF is removed from the data',
    async run(t) {
      const { records } = await parse(t, ['data: a\ndata:\n\ndata:\ndata:\n\ndata: b\ndata\ndata\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a\n'), msg(t, '\n'), msg(t, 'b\n\n'), endMsg(t)])
    },
  },
  {
    rule: 'C36',
    name: 'U+0000 in data is kept',
    async run(t) {
      const { records } = await parse(t, ['data: a\u0000b\n\ndata: \u0000\n\ndata:\u0000\u0000\ndata: \u0000\n\n'])
      t.assert.deepEqual(records, [OPEN, msg(t, 'a\u0000b'), msg(t, '\u0000'), msg(t, '\u0000\u0000\n\u0000'), endMsg(t)])
    },
  },
  {
    rule: 'C37',
    name: 'messages are MessageEvents with data, origin and lastEventId, not bubbling, not cancelable',
    async run(t) {
      const { url } = await t.script([{ body: ['id: 42\nevent: named\ndata: x\n\ndata: y\n\n'], end: 'hang' }])
      const es = t.open(url)
      const seen = []
      const describe = (e) => ({
        type: e.type,
        isMessageEvent: typeof MessageEvent === 'undefined' || e instanceof MessageEvent,
        data: e.data,
        origin: e.origin,
        lastEventId: e.lastEventId,
        bubbles: e.bubbles,
        cancelable: e.cancelable,
        target: e.target === es,
      })
      es.addEventListener('named', (e) => seen.push(describe(e)))
      es.addEventListener('message', (e) => seen.push(describe(e)))
      await t.collect(es, { count: 2 }) // open and 'y'; the named event came before 'y'
      t.assert.deepEqual(seen, [
        { type: 'named', isMessageEvent: true, data: 'x', origin: t.origin, lastEventId: '42', bubbles: false, cancelable: false, target: true },
        { type: 'message', isMessageEvent: true, data: 'y', origin: t.origin, lastEventId: '42', bubbles: false, cancelable: false, target: true },
      ])
    },
  },
  {
    rule: 'C37',
    name: 'a message event looks like a native MessageEvent from every side, during and after dispatch',
    async run(t) {
      const { url } = await t.script([{ body: ['id: 9\ndata: z\n\n'], end: 'hang' }])
      const es = t.open(url)
      const native = typeof MessageEvent === 'function' ? new MessageEvent('message') : undefined
      // Deno has dropped the legacy initializers (initEvent too); where they exist, initMessageEvent must work.
      const legacy = typeof new Event('x').initEvent === 'function'
      const seen = []
      // The first listener: Node's EventTarget resets the event's phase after each listener it calls.
      es.addEventListener('message', (e) => {
        seen.push({
          constructor: native === undefined || e.constructor === MessageEvent,
          // WebIDL's class string (Node 20's own MessageEvent lacks it and says Event).
          tag: Object.prototype.toString.call(e),
          isEvent: e instanceof Event,
          currentTarget: e.currentTarget === es,
          eventPhase: e.eventPhase,
          source: e.source,
          // Frozen and empty in every runtime, as the README says (a native one is frozen in browsers and Node 22+).
          ports: [Array.isArray(e.ports), e.ports.length, Object.isFrozen(e.ports)],
          // Browsers give events an own `isTrusted` (Firefox not for Event subclasses); nothing else may be own.
          ownKeys: Object.keys(e).every((key) => key === 'isTrusted'),
          isTrusted: e.isTrusted,
        })
        // The legacy initializer does nothing while the event is being dispatched (HTML's "dispatch flag").
        if (legacy) e.initMessageEvent('other', true, true, 'changed', 'http://other.invalid', 'other-id')
        e.preventDefault()
        seen.push({ type: e.type, data: e.data, origin: e.origin, lastEventId: e.lastEventId, defaultPrevented: e.defaultPrevented })
      })
      const arrived = t.waitFor(es, 'message')
      const event = await arrived
      t.assert.deepEqual(seen, [
        { constructor: true, tag: '[object MessageEvent]', isEvent: true, currentTarget: true, eventPhase: 2, source: null, ports: [true, 0, true], ownKeys: true, isTrusted: false },
        { type: 'message', data: 'z', origin: t.origin, lastEventId: '9', defaultPrevented: false },
      ])
      // After dispatch the target stays, the current target and phase reset, and initMessageEvent works again.
      t.assert.equal(event.target, es)
      t.assert.equal(event.currentTarget, null)
      t.assert.equal(event.eventPhase, 0)
      if (legacy) {
        event.initMessageEvent('renamed', false, false, 'new data', 'http://other.invalid', 'new-id')
        t.assert.deepEqual([event.type, event.data, event.origin, event.lastEventId], ['renamed', 'new data', 'http://other.invalid', 'new-id'])
        // Every argument but the type is optional, with HTML's defaults.
        event.initMessageEvent('flagged', true, true)
        event.initMessageEvent('bare')
        t.assert.deepEqual(
          [event.type, event.bubbles, event.cancelable, event.data, event.origin, event.lastEventId],
          ['bare', false, false, null, '', ''],
        )
      }
      // WebIDL attributes and operations are enumerable: for…in lists MessageEvent's five fields and its initializer.
      const listed = []
      for (const name in event) listed.push(name)
      for (const name of ['data', 'origin', 'lastEventId', 'source', 'ports', 'initMessageEvent']) {
        t.assert.ok(listed.includes(name), `for…in lists ${name}`)
      }
      // WebIDL's class string: not writable, not enumerable, configurable.
      t.assert.deepEqual(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(event), Symbol.toStringTag), {
        value: 'MessageEvent',
        writable: false,
        enumerable: false,
        configurable: true,
      })
    },
  },
  {
    rule: 'C37',
    name: 'the event type resets after each dispatch',
    async run(t) {
      const body =
        'event: foo\ndata: 1\n\ndata: 2\n\nevent: foo\ndata: 3\n\nevent: bar\ndata: 4\n\ndata: 5\n\n' +
        'event: foo\ndata: 6\ndata: 6\n\ndata: 7\n\nevent: bar\r\ndata: 8\r\n\r\ndata: 9\r\n\r\nevent: foo\rdata: 10\r\rdata: 11\r\r'
      const { records } = await parse(t, [body], { types: ['foo', 'bar'] })
      t.assert.deepEqual(records, [
        OPEN,
        msg(t, '1', { type: 'foo' }),
        msg(t, '2'),
        msg(t, '3', { type: 'foo' }),
        msg(t, '4', { type: 'bar' }),
        msg(t, '5'),
        msg(t, '6\n6', { type: 'foo' }),
        msg(t, '7'),
        msg(t, '8', { type: 'bar' }),
        msg(t, '9'),
        msg(t, '10', { type: 'foo' }),
        msg(t, '11'),
        endMsg(t),
      ])
    },
  },
  {
    rule: 'C38',
    name: 'events queued before close() are not dispatched after it (named listener closes)',
    async run(t) {
      const { url } = await t.script([{ body: ['event: first\ndata: 1\n\ndata: 2\n\nevent: third\ndata: 3\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es, { types: ['first', 'third'] })
      es.addEventListener('first', () => es.close())
      await rec.wait(2)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [OPEN, msg(t, '1', { type: 'first' })])
    },
  },
  {
    rule: 'C38',
    name: 'close() from a handler stops the events of the chunk being parsed, also on a reconnected stream',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\ndata: c\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      es.onmessage = (e) => {
        if (e.data === 'b') es.close()
      }
      await rec.wait((r) => r.some((x) => x.data === 'b'))
      await t.sleep(100)
      t.assert.deepEqual(rec.records.map((r) => r.type + (r.data ? ':' + r.data : '')), ['open', 'message:a', 'error', 'open', 'message:b'])
      t.assert.equal((await t.requests(key)).length, 2)
    },
  },
]
