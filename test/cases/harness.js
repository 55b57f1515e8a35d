// The harness every runner (Node: test/conformance.test.js; browsers: the in-page runner under e2e/)
// uses to run the shared cases. Interface: notes/HARNESS-SPEC.md. Portable ESM: only fetch, URL,
// TextEncoder, AbortController, setTimeout, EventTarget and DOMException.
//
//   const h = createHarness({ serverUrl: 'http://127.0.0.1:PORT', lib, known? })
//   const result = await h.runCase(c)   // { name, rule, ok, error?, ms, known?, knownPassed? }
//
// `known` lists assertions that fail in this engine for a reason traced to the engine (e2e/browsers/
// known-failures.js): { name: case name, assertion: the assertion's message }. Such an assertion, when it fails,
// is recorded in result.known and the case goes on, so the rest of it still checks the library; any other failure
// fails the case as usual. A listed assertion that passed is reported in result.knownPassed.
//
// Beyond the spec, t also carries `origin` (the server's origin) and `recorder(source, opts)`, a live
// record of a source's events from the moment it is called, for cases that wait in several steps.

import { assert } from './assert.js'

export const DEFAULT_CASE_TIMEOUT = 10000

const now = () => (typeof performance !== 'undefined' && performance.now ? performance.now() : Date.now())

/** Trace of one dispatched event, as HARNESS-SPEC.md defines it. */
export function traceEvent(ev, source) {
  const readyState = source.readyState
  const isMessage = (typeof MessageEvent !== 'undefined' && ev instanceof MessageEvent) || 'data' in ev
  if (isMessage) {
    return { type: ev.type, data: ev.data, lastEventId: ev.lastEventId, origin: ev.origin, readyState }
  }
  if (ev.type === 'error') {
    const rec = { type: ev.type, readyState }
    if (ev.code !== undefined) rec.code = ev.code
    return rec
  }
  return { type: ev.type, readyState }
}

function formatError(e) {
  if (e && typeof e === 'object') {
    const head = `${e.name || 'Error'}: ${e.message}`
    const stack = typeof e.stack === 'string' ? e.stack : ''
    // V8 stacks start with the message; Firefox/WebKit stacks are frames only.
    return stack.includes(e.message) ? stack : head + (stack ? '\n' + stack : '')
  }
  return String(e)
}

/**
 * @param {{ serverUrl: string, lib: any, timeout?: number }} options
 */
export function createHarness({ serverUrl, lib, timeout: caseTimeout = DEFAULT_CASE_TIMEOUT, known = [] }) {
  if (!serverUrl) throw new TypeError('createHarness: serverUrl is required')
  if (!lib || typeof lib.FetchEventSource !== 'function') throw new TypeError('createHarness: lib must export FetchEventSource')
  const base = String(serverUrl).replace(/\/+$/, '')
  // Captured once: a case may replace globalThis.fetch for a while, the harness keeps talking to the server.
  const fetchFn = globalThis.fetch.bind(globalThis)

  async function serverJSON(path, init) {
    const res = await fetchFn(base + path, init)
    const text = await res.text()
    if (!res.ok) throw new Error(`test server ${init && init.method ? init.method : 'GET'} ${path}: ${res.status} ${text}`)
    return JSON.parse(text)
  }

  /**
   * `assert` for one case: the assertions `known` lists for it record their failure and let the case go on.
   * @param {string} caseName @param {Array<{ assertion: string, error: string }>} hits
   */
  function assertFor(caseName, hits) {
    const labels = known.filter((k) => k.name === caseName).map((k) => k.assertion)
    if (labels.length === 0) return assert
    const soft = { ...assert }
    for (const key of ['equal', 'notEqual', 'deepEqual', 'ok', 'match', 'fail', 'throws', 'rejects']) {
      const fn = assert[key]
      soft[key] = (...args) => {
        const label = args[args.length - 1]
        const listed = typeof label === 'string' && labels.includes(label)
        const record = (e) => {
          if (!listed || !(e instanceof assert.AssertionError)) throw e
          hits.push({ assertion: label, error: formatError(e) })
        }
        try {
          const result = fn(...args)
          return result instanceof Promise ? result.catch(record) : result
        } catch (e) {
          record(e)
        }
      }
    }
    return soft
  }

  /** @param {string} caseName */
  function context(caseName) {
    const cleanups = []
    const sources = new Set()
    /** @type {Array<{ assertion: string, error: string }>} */
    const knownHits = []

    /**
     * Live recording of a source's events. wait(count | predicate, timeout) resolves with the records
     * once the condition holds (checked on every event and at once); stop() removes the listeners.
     */
    function recorder(source, { types = [] } = {}) {
      const records = []
      const waiters = new Set()
      const all = [...new Set(['open', 'error', 'message', ...types])]
      const onEvent = (ev) => {
        records.push(traceEvent(ev, source))
        for (const w of [...waiters]) w()
      }
      for (const type of all) source.addEventListener(type, onEvent)
      const stop = () => {
        for (const type of all) source.removeEventListener(type, onEvent)
      }
      cleanups.push(stop)
      const wait = (cond, timeout = 5000) =>
        new Promise((resolve, reject) => {
          const test = typeof cond === 'number' ? (r) => r.length >= cond : cond
          let timer
          const check = () => {
            let done = false
            try {
              done = test(records)
            } catch (e) {
              waiters.delete(check)
              clearTimeout(timer)
              reject(e)
              return
            }
            if (done) {
              waiters.delete(check)
              clearTimeout(timer)
              resolve(records.slice())
            }
          }
          timer = setTimeout(() => {
            waiters.delete(check)
            const shown = records.length > 40 ? [...records.slice(0, 40), `… ${records.length - 40} more`] : records
            const err = new Error(`${caseName}: timed out after ${timeout} ms waiting for events; records so far:\n${assert.show(shown, '  ')}`)
            err.records = records.slice()
            reject(err)
          }, timeout)
          waiters.add(check)
          check()
        })
      return { records, wait, stop }
    }

    const t = {
      lib,
      ES: lib.FetchEventSource,
      serverUrl: base,
      origin: new URL(base).origin,
      assert: assertFor(caseName, knownHits),
      name: caseName,
      knownHits,

      /** POST /script → { url, key } */
      script(responses) {
        return serverJSON('/script', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ responses }),
        })
      },

      /** GET /requests/:key → records in arrival order */
      requests(key, { preflight = false } = {}) {
        return serverJSON(`/requests/${encodeURIComponent(key)}${preflight ? '?preflight=1' : ''}`)
      },

      /** new t.ES(url, init), closed at the end of the case */
      open(url, init) {
        const source = arguments.length > 1 ? new t.ES(url, init) : new t.ES(url)
        sources.add(source)
        return source
      },

      recorder,

      /**
       * Records open, error, message and opts.types events from now on, until `count` records or
       * `until(records)`; rejects (with .records) on timeout.
       */
      async collect(source, { count, until, timeout = 5000, types = [] } = {}) {
        if (count === undefined && until === undefined) throw new TypeError('collect: give count or until')
        const rec = recorder(source, { types })
        try {
          return await rec.wait(until || count, timeout)
        } finally {
          rec.stop()
        }
      },

      /** The next event of `type` on source. */
      waitFor(source, type, timeout = 5000) {
        return new Promise((resolve, reject) => {
          const on = (ev) => {
            clearTimeout(timer)
            source.removeEventListener(type, on)
            resolve(ev)
          }
          const timer = setTimeout(() => {
            source.removeEventListener(type, on)
            reject(new Error(`${caseName}: no "${type}" event within ${timeout} ms (readyState ${source.readyState})`))
          }, timeout)
          source.addEventListener(type, on)
          cleanups.push(() => {
            clearTimeout(timer)
            source.removeEventListener(type, on)
          })
        })
      },

      /** Only to assert that nothing more happens; never to wait for an event. */
      sleep(ms) {
        return new Promise((resolve) => setTimeout(resolve, ms))
      },

      cleanup(fn) {
        cleanups.push(fn)
      },

      async _dispose() {
        const errors = []
        for (const source of sources) {
          try {
            source.close()
          } catch (e) {
            errors.push(e)
          }
        }
        while (cleanups.length) {
          const fn = cleanups.pop()
          try {
            await fn()
          } catch (e) {
            errors.push(e)
          }
        }
        return errors
      },
    }
    return t
  }

  /** Runs one case with an overall timeout; always disposes; never throws. */
  async function runCase(c) {
    const t = context(c.name)
    const start = now()
    const limit = c.timeout || caseTimeout
    let timer
    let ok = true
    let error
    try {
      await Promise.race([
        Promise.resolve().then(() => c.run(t)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`case timed out after ${limit} ms`)), limit)
        }),
      ])
    } catch (e) {
      ok = false
      error = formatError(e)
    } finally {
      clearTimeout(timer)
    }
    const cleanupErrors = await t._dispose()
    if (ok && cleanupErrors.length) {
      ok = false
      error = 'cleanup failed: ' + cleanupErrors.map(formatError).join('\n')
    }
    const result = { name: c.name, rule: c.rule, ok, ms: Math.round(now() - start) }
    if (!ok) result.error = error
    const listed = known.filter((k) => k.name === c.name).map((k) => k.assertion)
    if (t.knownHits.length) result.known = t.knownHits
    const passed = listed.filter((label) => !t.knownHits.some((h) => h.assertion === label))
    // Only a case that ran to its end has seen every listed assertion pass.
    if (ok && passed.length) result.knownPassed = passed
    return result
  }

  return { context, runCase }
}
