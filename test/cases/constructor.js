// Constructor and object: rules C1-C7 and the EventSource API rows of docs/conformance.md.
import { OPEN, msg, err, assertTrace, altOrigin, onOrigin, spyFetch, untilClosed } from './util.js'

const hasLocation = () => typeof globalThis.location !== 'undefined' && globalThis.location && typeof globalThis.location.href === 'string'

const isSyntaxError = (e) => (typeof DOMException === 'undefined' || e instanceof DOMException) && e.name === 'SyntaxError'

export default [
  {
    rule: 'C1',
    name: 'url: an object is converted with its toString(), once',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      let calls = 0
      const es = t.open({ toString: () => (calls++, url) })
      t.assert.equal(es.url, url)
      t.assert.equal(calls, 1, 'toString calls')
      const records = await t.collect(es, { count: 2 })
      t.assert.deepEqual(records, [OPEN, msg(t, 'a')])
    },
  },
  {
    rule: 'C1',
    name: 'url: a URL object is accepted',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(new URL(url + '?x=1'))
      t.assert.equal(es.url, url + '?x=1')
      t.assert.equal(typeof es.url, 'string')
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a')])
    },
  },
  {
    rule: 'C1',
    name: 'url: a number, null and undefined become strings',
    async run(t) {
      for (const value of [1, null, undefined]) {
        if (hasLocation()) {
          const es = t.open(value)
          t.assert.equal(es.url, new URL(String(value), globalThis.location.href).href, `url for ${value}`)
          es.close()
        } else {
          // No base URL: "1", "null" and "undefined" are relative URLs that cannot be parsed. A SyntaxError
          // (not a TypeError) shows the value was stringified, not rejected for its type.
          t.assert.throws(() => new t.ES(value), isSyntaxError, `new ES(${value})`)
        }
      }
      // An absolute URL that only ToString reveals
      const { url } = await t.script([{ body: ['data: n\n\n'], end: 'hang' }])
      const es = t.open({ [Symbol.toPrimitive]: () => url })
      t.assert.equal(es.url, url)
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'n')])
    },
  },
  {
    rule: 'C1',
    name: 'url: a Symbol cannot be converted to a string (TypeError)',
    async run(t) {
      t.assert.throws(() => new t.ES(Symbol('x')), TypeError)
    },
  },
  {
    rule: 'C1',
    name: 'constructor with no argument throws TypeError',
    async run(t) {
      t.assert.throws(() => new t.ES(), TypeError)
    },
  },
  {
    rule: 'C2',
    name: 'an unparsable URL throws a SyntaxError DOMException',
    async run(t) {
      for (const bad of ['http://[::1', 'http://exa%mple.com/', 'http://127.0.0.1:99999/', 'http://']) {
        const e = t.assert.throws(() => new t.ES(bad), isSyntaxError, `new ES(${JSON.stringify(bad)})`)
        if (typeof DOMException !== 'undefined') t.assert.ok(e instanceof DOMException, 'a DOMException')
        t.assert.equal(e.name, 'SyntaxError')
      }
    },
  },
  {
    rule: 'C2',
    name: 'a relative URL without a base URL (no globalThis.location) throws SyntaxError',
    browser: false,
    async run(t) {
      if (hasLocation()) return // a runtime with a location resolves it instead
      for (const rel of ['/s/x', 'stream', '//host/x', '?q=1']) {
        t.assert.throws(() => new t.ES(rel), isSyntaxError, rel)
      }
    },
  },
  {
    rule: 'C2',
    name: 'a relative URL resolves against the page URL',
    node: false,
    async run(t) {
      const { url } = await t.script([{ body: ['data: rel\n\n'], end: 'hang' }])
      const path = new URL(url).pathname
      const es = t.open(path)
      t.assert.equal(es.url, new URL(path, globalThis.location.href).href)
      if (globalThis.location.origin === t.origin) {
        t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'rel')])
      }
    },
  },
  {
    rule: 'C3',
    name: 'url returns the absolute, serialized URL (fragment kept, not sent)',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const u = new URL(url)
      const input = `HTTP://${u.host}/s/x/../${key}?q=a b#frag`
      const es = t.open(input)
      t.assert.equal(es.url, `http://${u.host}/s/${key}?q=a%20b#frag`)
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a')])
      const reqs = await t.requests(key)
      t.assert.equal(reqs.length, 1)
      t.assert.equal(reqs[0].url, `/s/${key}?q=a%20b`)
    },
  },
  {
    rule: 'C4',
    name: 'withCredentials defaults to false: credentials mode same-origin',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const fetch = spyFetch()
      const es = t.open(url, { fetch })
      t.assert.equal(es.withCredentials, false)
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a')])
      t.assert.equal(fetch.calls.length, 1)
      // What the source asked for: Bun's Request reports 'include' whatever it is given.
      t.assert.equal(fetch.calls[0].init.credentials, 'same-origin')
    },
  },
  {
    rule: 'C4',
    name: 'withCredentials: true means credentials mode include',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const fetch = spyFetch()
      const es = t.open(url, { withCredentials: true, fetch })
      t.assert.equal(es.withCredentials, true)
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a')])
      t.assert.equal(fetch.calls[0].request.credentials, 'include')
    },
  },
  {
    rule: 'C4',
    name: 'withCredentials: true works cross-origin with a credentialed CORS answer',
    node: false,
    async run(t) {
      const other = altOrigin(t)
      const { url, key } = await t.script([{ body: ['data: a\n\n'], end: 'hang', cors: true }])
      const es = t.open(onOrigin(url, other), { withCredentials: true })
      t.assert.deepEqual(await t.collect(es, { count: 2 }), [OPEN, msg(t, 'a', { origin: other })])
      const [r] = await t.requests(key)
      t.assert.equal(r.headers.origin, globalThis.location.origin)
    },
  },
  {
    rule: 'C4',
    name: 'withCredentials is converted to a boolean',
    async run(t) {
      const { url } = await t.script([])
      const a = t.open(url, { withCredentials: 1 })
      t.assert.equal(a.withCredentials, true)
      a.close()
      const b = t.open(url, { withCredentials: '' })
      t.assert.equal(b.withCredentials, false)
      b.close()
      const c = t.open(url, {})
      t.assert.equal(c.withCredentials, false)
      c.close()
    },
  },
  {
    rule: 'C5',
    name: 'readyState is CONNECTING right after construction; constants 0/1/2 on class and instance',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const ES = t.ES
      t.assert.deepEqual([ES.CONNECTING, ES.OPEN, ES.CLOSED], [0, 1, 2], 'class constants')
      const es = t.open(url)
      t.assert.equal(es.readyState, 0)
      t.assert.deepEqual([es.CONNECTING, es.OPEN, es.CLOSED], [0, 1, 2], 'instance constants')
      t.assert.equal(es.readyState, es.CONNECTING)
      t.assert.deepEqual(await t.collect(es, { count: 1 }), [OPEN])
      t.assert.equal(es.readyState, es.OPEN)
      es.close()
      t.assert.equal(es.readyState, es.CLOSED)
    },
  },
  {
    rule: 'C6',
    name: 'calling the constructor without new throws TypeError',
    async run(t) {
      const { url, key } = await t.script([])
      t.assert.throws(() => t.ES(url), TypeError, 'FetchEventSource()')
      t.assert.throws(() => t.ES.call({}, url), TypeError, 'FetchEventSource.call({})')
      if (t.lib.EventSource) t.assert.throws(() => t.lib.EventSource(url), TypeError, 'EventSource()')
      await t.sleep(50)
      t.assert.deepEqual(await t.requests(key), [], 'no request made')
    },
  },
  {
    rule: 'C6',
    name: 'the interface as WebIDL shapes it: length 1, read-only constants and attributes, enumerable members, class string EventSource',
    async run(t) {
      const { url, key } = await t.script([])
      const ES = t.ES
      t.assert.equal(ES.length, 1, 'length counts the required argument only')
      for (const [target, label] of [[ES, 'class'], [ES.prototype, 'prototype']]) {
        for (const [name, value] of [['CONNECTING', 0], ['OPEN', 1], ['CLOSED', 2]]) {
          const d = Object.getOwnPropertyDescriptor(target, name)
          t.assert.deepEqual(d && [d.value, d.writable, d.enumerable, d.configurable], [value, false, true, false], `${label}.${name}`)
          // Case files are modules: strict mode, where assigning a read-only property throws.
          t.assert.throws(() => { target[name] = 9 }, TypeError, `${label}.${name} = 9`)
        }
      }
      const es = t.open(url, { withCredentials: true })
      es.close()
      t.assert.deepEqual(Object.keys(es), [], 'no own properties: attributes are accessors on the prototype')
      t.assert.throws(() => { es.url = 'http://elsewhere.test/' }, TypeError, 'url = …')
      t.assert.throws(() => { es.withCredentials = false }, TypeError, 'withCredentials = …')
      t.assert.throws(() => { es.readyState = 1 }, TypeError, 'readyState = …')
      t.assert.deepEqual([es.url, es.withCredentials, es.readyState], [url, true, 2])
      const members = []
      for (const name in es) members.push(name)
      const extras = ['lastEventId', 'sharedStatus'] // this library's own members, listed like the interface's
      for (const name of ['url', 'withCredentials', 'readyState', 'onopen', 'onmessage', 'onerror', 'close', 'CONNECTING', 'OPEN', 'CLOSED', ...extras]) {
        t.assert.ok(members.includes(name), `for…in lists ${name}`)
      }
      t.assert.equal(Object.prototype.toString.call(es), '[object EventSource]')
      // WebIDL's class string: not writable, not enumerable, configurable.
      t.assert.deepEqual(Object.getOwnPropertyDescriptor(ES.prototype, Symbol.toStringTag), {
        value: 'EventSource',
        writable: false,
        enumerable: false,
        configurable: true,
      })
      t.assert.deepEqual(await t.requests(key), [], 'closed at once: no request made')
    },
  },
  {
    rule: 'C6',
    name: 'the init argument is a dictionary: undefined, null or any object, a function too; anything else is a TypeError',
    async run(t) {
      const { url } = await t.script([])
      const dictionaries = [
        ['undefined', undefined, false],
        ['null', null, false],
        ['{}', {}, false],
        ['a function', Object.assign(() => {}, { withCredentials: true }), true],
        ['an array', Object.assign([], { withCredentials: true }), true],
      ]
      for (const [label, init, withCredentials] of dictionaries) {
        const es = new t.ES(url, init)
        es.close()
        t.assert.equal(es.withCredentials, withCredentials, `init ${label}`)
      }
      for (const init of [true, 1, 'withCredentials']) t.assert.throws(() => new t.ES(url, init), TypeError, `init ${JSON.stringify(init)}`)
    },
  },
  {
    rule: 'C7',
    name: 'is an EventTarget with onopen, onmessage, onerror (null by default)',
    async run(t) {
      const { url } = await t.script([])
      const es = t.open(url)
      t.assert.ok(es instanceof EventTarget, 'instanceof EventTarget')
      t.assert.equal(es.onopen, null)
      t.assert.equal(es.onmessage, null)
      t.assert.equal(es.onerror, null)
      const f = () => {}
      es.onopen = f
      es.onmessage = f
      es.onerror = f
      t.assert.equal(es.onopen, f)
      t.assert.equal(es.onmessage, f)
      t.assert.equal(es.onerror, f)
      es.onmessage = null
      t.assert.equal(es.onmessage, null)
      for (const m of ['addEventListener', 'removeEventListener', 'dispatchEvent', 'close']) {
        t.assert.equal(typeof es[m], 'function', m)
      }
    },
  },
  {
    rule: 'C7',
    name: 'handlers and listeners fire in registration order; a replaced handler keeps its place',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }])
      const es = t.open(url)
      const order = []
      const log = (tag) =>
        function (ev) {
          order.push(`${ev.type}:${tag}`)
        }
      es.addEventListener('open', log('L1'))
      es.onopen = log('H')
      es.addEventListener('open', log('L2'))
      es.addEventListener('message', log('L1'))
      es.onmessage = log('H-old')
      es.addEventListener('message', log('L2'))
      es.onmessage = log('H') // replacing the handler keeps its position
      es.onerror = log('H')
      es.addEventListener('error', log('L1'))
      const records = await t.collect(es, { until: untilClosed })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), err(2, 204)])
      t.assert.deepEqual(order, [
        'open:L1', 'open:H', 'open:L2',
        'message:L1', 'message:H', 'message:L2',
        'error:H', 'error:L1',
        'error:H', 'error:L1',
      ])
    },
  },
  {
    rule: 'C7',
    name: 'a handler set to null is removed; set again it fires after listeners added meanwhile',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(url)
      const order = []
      es.onmessage = () => order.push('H1')
      es.addEventListener('message', () => order.push('L'))
      es.onmessage = null
      es.onmessage = () => order.push('H2')
      await t.collect(es, { count: 2 })
      t.assert.deepEqual(order, ['L', 'H2'])
    },
  },
  {
    rule: 'C7',
    name: 'a handler set to an object that is not callable is kept (read back, never called, its place held); a non-object is null',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: a\n\ndata: b\n\n'] }])
      const es = t.open(url)
      const order = []
      // Neither its handleEvent nor a method named call may run: the object is not callable.
      const object = { handleEvent: () => order.push('handleEvent'), call: () => order.push('call') }
      es.onopen = object
      es.onmessage = object
      es.onerror = object
      t.assert.deepEqual([es.onopen, es.onmessage, es.onerror], [object, object, object], 'an object reads back as itself')
      es.addEventListener('message', (e) => {
        order.push(`L:${e.data}`)
        // The object held the handler's place: the function set now runs before this listener, from the next event.
        es.onmessage = () => order.push('H')
      })
      es.addEventListener('error', () => order.push(`E:${es.readyState}`))
      const records = await t.collect(es, { until: untilClosed })
      assertTrace(t, records, [OPEN, msg(t, 'a'), msg(t, 'b'), err(0), err(2, 204)])
      t.assert.deepEqual(order, ['L:a', 'H', 'L:b', 'E:0', 'E:2'])
      for (const value of [5, 'f', true, undefined, null, Symbol('s')]) {
        es.onerror = object
        es.onerror = value
        t.assert.equal(es.onerror, null, `onerror = ${String(value)}`)
      }
    },
  },
  {
    rule: 'C7',
    name: 'handlers are called with this = the source and event.target = the source',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'], end: 'hang' }])
      const es = t.open(url)
      const seen = []
      es.onopen = function (ev) {
        seen.push(['open', this === es, ev.target === es, ev.currentTarget === es])
      }
      es.onmessage = function (ev) {
        seen.push(['message', this === es, ev.target === es, ev.currentTarget === es])
      }
      await t.collect(es, { count: 2 })
      t.assert.deepEqual(seen, [
        ['open', true, true, true],
        ['message', true, true, true],
      ])
    },
  },

  // ---- API rows of the EventSource part (docs/conformance.md#api-rows) ----
  {
    rule: 'API:EventSource',
    name: 'EventSource is exported as the same class as FetchEventSource',
    async run(t) {
      t.assert.equal(t.lib.EventSource, t.lib.FetchEventSource)
      t.assert.equal(typeof t.lib.assertEventStream, 'function', 'assertEventStream exported')
    },
  },
  {
    rule: 'API:CONNECTING/OPEN/CLOSED',
    name: 'constants 0, 1, 2 on the class, the prototype and instances',
    async run(t) {
      const { url } = await t.script([])
      const es = t.open(url)
      for (const [k, v] of [['CONNECTING', 0], ['OPEN', 1], ['CLOSED', 2]]) {
        t.assert.equal(t.ES[k], v, `class ${k}`)
        t.assert.equal(es[k], v, `instance ${k}`)
        t.assert.equal(t.ES.prototype[k], v, `prototype ${k}`)
      }
    },
  },
  {
    rule: 'API:url',
    name: 'url is the absolute URL string for string and URL inputs',
    async run(t) {
      const { url } = await t.script([])
      const a = t.open(url + '?a=1&b=%20')
      t.assert.equal(a.url, url + '?a=1&b=%20')
      a.close()
      const b = t.open(new URL('../s/zz/?q', url + '/'))
      t.assert.equal(b.url, new URL('../s/zz/?q', url + '/').href)
      b.close()
      t.assert.throws(() => new t.ES('http://['), isSyntaxError)
    },
  },
  {
    rule: 'API:withCredentials',
    name: 'withCredentials reflects init.withCredentials (default false)',
    async run(t) {
      const { url } = await t.script([])
      const a = t.open(url)
      const b = t.open(url, { withCredentials: true })
      const c = t.open(url, { withCredentials: false })
      t.assert.deepEqual([a.withCredentials, b.withCredentials, c.withCredentials], [false, true, false])
    },
  },
  {
    rule: 'API:readyState',
    name: 'readyState: CONNECTING, OPEN once accepted, CONNECTING while reconnecting, CLOSED after a fatal failure',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { status: 404 }])
      const es = t.open(url)
      t.assert.equal(es.readyState, 0)
      const records = await t.collect(es, { until: untilClosed })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), err(2, 404)])
      t.assert.equal(es.readyState, 2)
    },
  },
  {
    rule: 'API:onopen/onmessage/onerror',
    name: 'handler attributes and addEventListener receive open, message, named and error events',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\ndata: a\n\nevent: ping\ndata: p\n\n'] }])
      const es = t.open(url)
      const got = []
      es.onopen = (e) => got.push(['onopen', e.type])
      es.onmessage = (e) => got.push(['onmessage', e.type, e.data])
      es.onerror = (e) => got.push(['onerror', e.type, es.readyState])
      es.addEventListener('ping', (e) => got.push(['ping', e.type, e.data]))
      await t.collect(es, { until: untilClosed })
      t.assert.deepEqual(got, [
        ['onopen', 'open'],
        ['onmessage', 'message', 'a'],
        ['ping', 'ping', 'p'],
        ['onerror', 'error', 0],
        ['onerror', 'error', 2],
      ])
    },
  },
  {
    rule: 'API:close',
    name: 'close() is synchronous, idempotent, and nothing is dispatched afterwards',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n', { delay: 30 }, 'data: b\n\n'], end: 'hang' }])
      const es = t.open(url)
      const rec = t.recorder(es)
      await rec.wait(2)
      es.close()
      t.assert.equal(es.readyState, 2)
      es.close()
      t.assert.equal(es.readyState, 2)
      await t.sleep(120)
      t.assert.deepEqual(rec.records, [OPEN, msg(t, 'a')])
      t.assert.equal((await t.requests(key)).length, 1)
    },
  },
  {
    rule: 'API:lastEventId',
    name: 'lastEventId property follows the stream\'s ids',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n', { delay: 20 }, 'id: 7\ndata: b\n\n', { delay: 20 }, 'id: 8\n\n', { delay: 20 }, 'data: c\n\n'], end: 'hang' }])
      const es = t.open(url)
      t.assert.equal(es.lastEventId, '')
      const ids = []
      es.onmessage = (e) => ids.push([e.data, e.lastEventId, es.lastEventId])
      await t.collect(es, { until: (r) => r.length >= 4 })
      t.assert.deepEqual(ids, [['a', '', ''], ['b', '7', '7'], ['c', '8', '8']])
      t.assert.equal(es.lastEventId, '8')
    },
  },
  {
    rule: 'API:events',
    name: 'open and error are plain Events (not bubbling, not cancelable); messages are MessageEvents',
    async run(t) {
      const { url } = await t.script([{ body: ['retry: 10\n\nid: 3\ndata: a\n\n'] }])
      const es = t.open(url)
      const seen = []
      const describe = (e) => ({
        type: e.type,
        isEvent: e instanceof Event,
        isMessageEvent: typeof MessageEvent !== 'undefined' && e instanceof MessageEvent,
        hasData: 'data' in e,
        bubbles: e.bubbles,
        cancelable: e.cancelable,
      })
      es.addEventListener('open', (e) => seen.push(describe(e)))
      es.addEventListener('message', (e) => seen.push({ ...describe(e), data: e.data, origin: e.origin, lastEventId: e.lastEventId }))
      es.addEventListener('error', (e) => seen.push(describe(e)))
      await t.collect(es, { until: untilClosed })
      const plain = (type) => ({ type, isEvent: true, isMessageEvent: false, hasData: false, bubbles: false, cancelable: false })
      t.assert.deepEqual(seen, [
        plain('open'),
        { type: 'message', isEvent: true, isMessageEvent: true, hasData: true, bubbles: false, cancelable: false, data: 'a', origin: t.origin, lastEventId: '3' },
        plain('error'),
        plain('error'),
      ])
    },
  },
]
