// Reconnection policy: the API:retry rows of docs/conformance.md (the README's RetryPolicy table). Timing is
// asserted loosely (lower bounds are firm, upper bounds wide).
import { OPEN, msg, err, assertTrace, intervals, refusingFetch, spyFetch, streamResponse, untilClosed, untilData, untilErrors } from './util.js'

export default [
  {
    rule: 'API:retry.initialDelay',
    name: 'initialDelay sets the first reconnection time',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url, { retry: { initialDelay: 10 } })
      const records = await t.collect(es, { until: untilData('b'), timeout: 1500 })
      assertTrace(t, records, [OPEN, msg(t, 'a'), err(0), OPEN, msg(t, 'b')])
    },
  },
  {
    rule: 'API:retry.initialDelay',
    name: 'a long initialDelay is respected',
    async run(t) {
      const { url, key } = await t.script([{ body: ['data: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(url, { retry: { initialDelay: 300 } })
      const rec = t.recorder(es)
      await rec.wait(untilErrors(1))
      const t0 = Date.now()
      await rec.wait(untilData('b'), 2000)
      t.assert.ok(Date.now() - t0 >= 280, `reconnected after ${Date.now() - t0} ms`)
      t.assert.equal((await t.requests(key)).length, 2)
    },
  },
  {
    rule: 'API:retry.initialDelay',
    name: 'the server\'s retry field replaces initialDelay (both ways)',
    async run(t) {
      const a = await t.script([{ body: ['retry: 10\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es = t.open(a.url, { retry: { initialDelay: 5000 } })
      await t.collect(es, { until: untilData('b'), timeout: 1500 })
      es.close()
      const b = await t.script([{ body: ['retry: 600\n\ndata: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const es2 = t.open(b.url, { retry: { initialDelay: 10 } })
      await t.collect(es2, { until: untilErrors(1) })
      await t.sleep(250)
      t.assert.equal((await t.requests(b.key)).length, 1, 'retry: 600 in force')
    },
  },
  {
    rule: 'API:retry.factor',
    name: 'consecutive failures grow the delay by factor, capped at maxDelay',
    async run(t) {
      const fetch = spyFetch(refusingFetch)
      const es = t.open('http://127.0.0.1:9/x', { fetch, retry: { initialDelay: 20, factor: 4, maxDelay: 120, jitter: 0 } })
      const rec = t.recorder(es)
      await rec.wait(untilErrors(5), 4000)
      es.close()
      const iv = intervals(fetch.times).slice(0, 4)
      // expected 20, 80, 120 (capped from 320), 120 (capped from 1280)
      t.assert.ok(iv[0] >= 15, `1st delay ${iv[0]}`)
      t.assert.ok(iv[1] >= 70, `2nd delay ${iv[1]} grew`)
      t.assert.ok(iv[2] >= 105 && iv[2] < 300, `3rd delay ${iv[2]} capped`)
      t.assert.ok(iv[3] >= 105 && iv[3] < 600, `4th delay ${iv[3]} capped`)
      t.assert.deepEqual(rec.records.slice(0, 5), Array(5).fill(err(0, 'network')))
    },
  },
  {
    rule: 'API:retry.factor',
    name: 'an accepted response resets the growth',
    async run(t) {
      // attempts: fail, fail, accepted (ends at once), fail, then a hanging stream
      const fetch = spyFetch((input, init, n) => {
        if (n === 3) return Promise.resolve(streamResponse(['data: ok\n\n']))
        if (n === 5) return Promise.resolve(streamResponse(['data: last\n\n'], { hang: true }))
        return refusingFetch()
      })
      const es = t.open('http://127.0.0.1:9/x', { fetch, retry: { initialDelay: 10, factor: 10, jitter: 0 } })
      const records = await t.collect(es, { until: untilData('last'), timeout: 5000 })
      const iv = intervals(fetch.times)
      // without the reset the 4th and 5th delays would be 1000 and 10000 ms
      t.assert.ok(iv[1] >= 90, `2nd delay ${iv[1]} grew`)
      t.assert.ok(iv[2] < 500, `after the accepted response: ${iv[2]} ms`)
      t.assert.ok(iv[3] < 500, `first failure after the reset: ${iv[3]} ms`)
      const o = 'http://127.0.0.1:9'
      assertTrace(t, records, [err(0, 'network'), err(0, 'network'), OPEN, msg(t, 'ok', { origin: o }), err(0), err(0, 'network'), OPEN, msg(t, 'last', { origin: o })])
    },
  },
  {
    rule: 'API:retry.maxDelay',
    name: 'maxDelay caps the grown delay',
    async run(t) {
      const fetch = spyFetch(refusingFetch)
      const es = t.open('http://127.0.0.1:9/x', { fetch, retry: { initialDelay: 10, factor: 10, maxDelay: 50, jitter: 0 } })
      await t.collect(es, { until: untilErrors(5), timeout: 3000 })
      es.close()
      const iv = intervals(fetch.times).slice(0, 4)
      // uncapped: 10, 100, 1000, 10000
      t.assert.ok(iv[0] >= 5, `1st delay ${iv[0]}`)
      for (const d of iv.slice(1)) t.assert.ok(d >= 45 && d < 400, `capped delays ${iv}`)
    },
  },
  {
    rule: 'API:retry.jitter',
    name: 'the first reconnect is not jittered',
    async run(t) {
      const { url } = await t.script([{ body: ['data: a\n\n'] }, { body: ['data: b\n\n'], end: 'hang' }])
      const fetch = spyFetch()
      const es = t.open(url, { fetch, retry: { initialDelay: 250, jitter: 0.9 } })
      await t.collect(es, { until: untilData('b'), timeout: 3000 })
      const rec = await t.requests(new URL(url).pathname.split('/').pop())
      t.assert.equal(rec.length, 2)
      // delay measured from the first fetch call: includes the first response, so only a lower bound
      t.assert.ok(fetch.times[1] - fetch.times[0] >= 240, `first reconnect after ${fetch.times[1] - fetch.times[0]} ms`)
    },
  },
  {
    rule: 'API:retry.jitter',
    name: 'jitter keeps grown delays near their value',
    async run(t) {
      const fetch = spyFetch(refusingFetch)
      const es = t.open('http://127.0.0.1:9/x', { fetch, retry: { initialDelay: 40, factor: 2, jitter: 0.5, maxDelay: 1000 } })
      await t.collect(es, { until: untilErrors(3), timeout: 3000 })
      es.close()
      const iv = intervals(fetch.times)
      t.assert.ok(iv[0] >= 35, `first delay ${iv[0]} (no jitter)`)
      t.assert.ok(iv[1] >= 35 && iv[1] < 400, `grown delay ${iv[1]} (80 ± 50%)`)
    },
  },
  {
    rule: 'API:retry.maxAttempts',
    name: 'after maxAttempts failed attempts in a row the source closes with an error',
    async run(t) {
      const fetch = spyFetch(refusingFetch)
      const es = t.open('http://127.0.0.1:9/x', { fetch, retry: { initialDelay: 10, maxAttempts: 3 } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(100)
      t.assert.deepEqual(rec.records, [err(0, 'network'), err(0, 'network'), err(2, 'network')])
      t.assert.equal(fetch.calls.length, 3)
    },
  },
  {
    rule: 'API:retry.maxAttempts',
    name: 'maxAttempts: 1 ends at the first failure',
    async run(t) {
      const fetch = spyFetch(refusingFetch)
      const es = t.open('http://127.0.0.1:9/x', { fetch, retry: { initialDelay: 10, maxAttempts: 1 } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(60)
      t.assert.deepEqual(rec.records, [err(2, 'network')])
      t.assert.equal(fetch.calls.length, 1)
    },
  },
  {
    rule: 'API:retry.maxAttempts',
    name: 'an accepted response resets the attempt count',
    async run(t) {
      const fetch = spyFetch((input, init, n) => (n === 2 ? Promise.resolve(streamResponse(['data: ok\n\n'])) : refusingFetch()))
      const es = t.open('http://127.0.0.1:9/x', { fetch, retry: { initialDelay: 10, maxAttempts: 2 } })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(60)
      const o = 'http://127.0.0.1:9'
      assertTrace(t, rec.records, [err(0, 'network'), OPEN, msg(t, 'ok', { origin: o }), err(0), err(0, 'network'), err(2, 'network')])
      t.assert.equal(fetch.calls.length, 4)
    },
  },
  {
    rule: 'API:retry.shouldRetry',
    name: 'shouldRetry true retries a 503 and gets the error and attempt number',
    async run(t) {
      const { url, key } = await t.script([{ status: 503 }, { status: 503 }, { body: ['data: ok\n\n'], end: 'hang' }])
      const calls = []
      const es = t.open(url, {
        retry: {
          initialDelay: 10,
          shouldRetry(error, attempt) {
            calls.push({ code: error.code, status: error.response && error.response.status, attempt })
            return true
          },
        },
      })
      const records = await t.collect(es, { until: untilData('ok') })
      t.assert.deepEqual(records, [err(0, 503), err(0, 503), OPEN, msg(t, 'ok')])
      t.assert.deepEqual(calls, [
        { code: 503, status: 503, attempt: 1 },
        { code: 503, status: 503, attempt: 2 },
      ])
      t.assert.equal((await t.requests(key)).length, 3)
    },
  },
  {
    rule: 'API:retry.shouldRetry',
    name: 'shouldRetry false ends on a network error',
    async run(t) {
      const fetch = spyFetch(refusingFetch)
      const seen = []
      const es = t.open('http://127.0.0.1:9/x', {
        fetch,
        retry: { initialDelay: 10, shouldRetry: (e) => (seen.push(e.code), false) },
      })
      const rec = t.recorder(es)
      await rec.wait(untilClosed)
      await t.sleep(60)
      t.assert.deepEqual(rec.records, [err(2, 'network')])
      t.assert.deepEqual(seen, ['network'])
      t.assert.equal(fetch.calls.length, 1)
    },
  },
  {
    rule: 'API:retry.shouldRetry',
    name: 'shouldRetry returning a number retries after that many ms',
    async run(t) {
      const { url, key } = await t.script([{ status: 429, headers: { 'retry-after': '0' } }, { body: ['data: ok\n\n'], end: 'hang' }])
      const es = t.open(url, { retry: { initialDelay: 5000, shouldRetry: () => 150 } })
      const rec = t.recorder(es)
      await rec.wait(untilErrors(1))
      const t0 = Date.now()
      await rec.wait(untilData('ok'), 2000)
      const elapsed = Date.now() - t0
      t.assert.ok(elapsed >= 140 && elapsed < 1500, `retried after ${elapsed} ms`)
      t.assert.deepEqual(rec.records, [err(0, 429), OPEN, msg(t, 'ok')])
      t.assert.equal((await t.requests(key)).length, 2)
    },
  },
  {
    rule: 'API:retry.shouldRetry',
    name: 'shouldRetry is consulted for a wrong content type and a refused response',
    async run(t) {
      const { url } = await t.script([
        { headers: { 'content-type': 'text/plain' } },
        { headers: { 'x-refuse': '1' } },
        { body: ['data: ok\n\n'], end: 'hang' },
      ])
      const seen = []
      const es = t.open(url, {
        onResponse(res) {
          if (res.headers.get('x-refuse')) throw new Error('refused')
          t.lib.assertEventStream(res)
        },
        retry: { initialDelay: 10, shouldRetry: (e) => (seen.push(e.code), true) },
      })
      const records = await t.collect(es, { until: untilData('ok') })
      t.assert.equal(seen.length, 2)
      t.assert.equal(seen[1], 'response-rejected')
      t.assert.deepEqual(records.slice(1), [err(0, 'response-rejected'), OPEN, msg(t, 'ok')])
      t.assert.equal(records[0].readyState, 0)
    },
  },
  {
    rule: 'API:retry.shouldRetry',
    name: 'shouldRetry is consulted for a wrong content type (default check)',
    async run(t) {
      const { url } = await t.script([{ headers: { 'content-type': 'text/html' } }, { body: ['data: ok\n\n'], end: 'hang' }])
      const seen = []
      const es = t.open(url, { retry: { initialDelay: 10, shouldRetry: (e, n) => (seen.push([e.code, n]), true) } })
      const records = await t.collect(es, { until: untilData('ok') })
      t.assert.deepEqual(seen, [['invalid-content-type', 1]])
      t.assert.deepEqual(records, [err(0, 'invalid-content-type'), OPEN, msg(t, 'ok')])
    },
  },
]
