// Async iteration: API:async-iteration (docs/conformance.md; the README's Async iteration section).
import { untilData } from './util.js'

const view = (e) => [e.type, e.data, e.lastEventId]

export default [
  {
    rule: 'API:async-iteration',
    name: 'for await yields messages of every type, in order, across a reconnect',
    async run(t) {
      const { url, key } = await t.script([
        { body: ['retry: 10\n\nid: 1\ndata: 1\n\nevent: foo\ndata: 2\n\n'] },
        { body: ['data: 3\n\n', 'event: bar\ndata: 4\n\n'], end: 'hang' },
      ])
      const es = t.open(url)
      const got = []
      for await (const e of es) {
        t.assert.ok(typeof MessageEvent === 'undefined' || e instanceof MessageEvent, 'a MessageEvent')
        t.assert.equal(e.origin, t.origin)
        got.push(view(e))
        if (e.data === '4') break
      }
      t.assert.deepEqual(got, [
        ['message', '1', '1'],
        ['foo', '2', '1'],
        ['message', '3', '1'],
        ['bar', '4', '1'],
      ])
      t.assert.equal((await t.requests(key)).length, 2)
    },
  },
  {
    rule: 'API:async-iteration',
    name: 'leaving the loop closes the source: CLOSED, no more requests',
    async run(t) {
      const { url, key } = await t.script([{ body: ['retry: 10\n\ndata: 1\n\ndata: 2\n\n'] }, { body: ['data: 3\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      for await (const e of es) {
        if (e.data === '1') break
      }
      t.assert.equal(es.readyState, 2)
      const seen = rec.records.length // '2' may have been dispatched (and buffered) before the break
      await t.sleep(120)
      t.assert.equal((await t.requests(key)).length, 1)
      t.assert.equal(rec.records.length, seen, 'nothing dispatched after leaving the loop')
      t.assert.deepEqual(rec.records.slice(0, 2).map((r) => r.data ?? r.type), ['open', '1'])
    },
  },
  {
    rule: 'API:async-iteration',
    name: 'throwing out of the loop closes the source too',
    async run(t) {
      const { url } = await t.script([{ body: ['data: 1\n\ndata: 2\n\n'], end: 'hang' }])
      const es = t.open(url)
      const boom = new Error('stop')
      const e = await t.assert.rejects(async () => {
        for await (const ev of es) {
          if (ev.data === '1') throw boom
        }
      })
      t.assert.equal(e, boom)
      t.assert.equal(es.readyState, 2)
    },
  },
  {
    rule: 'API:async-iteration',
    name: 'a fatal failure rejects the loop with the error\'s details, after the events before it',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: 1\n\n'] }, { status: 404 }])
      const es = t.open(url)
      const got = []
      const reason = await t.assert.rejects(async () => {
        for await (const e of es) got.push(e.data)
      })
      t.assert.deepEqual(got, ['1'])
      t.assert.equal(reason.code, 404)
      t.assert.equal(typeof reason.message, 'string')
      t.assert.ok(reason.message.length > 0, 'message')
      t.assert.equal(es.readyState, 2)
    },
  },
  {
    rule: 'API:async-iteration',
    name: 'a wrong content type rejects the loop with code invalid-content-type',
    async run(t) {
      const { url } = await t.script([{ headers: { 'content-type': 'text/plain' } }])
      const es = t.open(url)
      const reason = await t.assert.rejects(async () => {
        for await (const e of es) void e
      })
      t.assert.equal(reason.code, 'invalid-content-type')
    },
  },
  {
    rule: 'API:async-iteration',
    name: 'events are buffered between next() calls without loss',
    async run(t) {
      const { url } = await t.script([{ body: ['data: 1\n\ndata: 2\n\n', { delay: 20 }, 'event: x\ndata: 3\n\n', 'data: 4\n\n'], end: 'hang' }])
      const es = t.open(url)
      const it = es[Symbol.asyncIterator]()
      const first = it.next() // pending until the first event
      const rec = t.recorder(es, { types: ['x'] })
      await rec.wait(untilData('4'))
      const results = [await first, await it.next(), await it.next(), await it.next()]
      t.assert.deepEqual(results.map((r) => [r.done, r.value.type, r.value.data]), [
        [false, 'message', '1'],
        [false, 'message', '2'],
        [false, 'x', '3'],
        [false, 'message', '4'],
      ])
      const ret = await it.return()
      t.assert.equal(ret.done, true)
      t.assert.equal(es.readyState, 2)
    },
  },
  {
    rule: 'API:async-iteration',
    name: 'listeners still receive events while the source is iterated',
    async run(t) {
      const { url } = await t.script([{ body: ['data: 1\n\ndata: 2\n\n'], end: 'hang' }])
      const es = t.open(url)
      const heard = []
      es.onmessage = (e) => heard.push(e.data)
      const got = []
      for await (const e of es) {
        got.push(e.data)
        if (got.length === 2) break
      }
      t.assert.deepEqual(got, ['1', '2'])
      t.assert.deepEqual(heard, ['1', '2'])
    },
  },
]
