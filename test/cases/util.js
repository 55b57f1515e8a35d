// Helpers shared by the case files (portable ESM).

/** The trace of an `open` event (readyState OPEN at dispatch). */
export const OPEN = Object.freeze({ type: 'open', readyState: 1 })

/**
 * The trace of a message event.
 * @param {any} t
 * @param {string} data
 * @param {{ type?: string, id?: string, origin?: string, readyState?: number }} [o]
 */
export function msg(t, data, { type = 'message', id = '', origin = t.origin, readyState = 1 } = {}) {
  return { type, data, lastEventId: id, origin, readyState }
}

/**
 * The trace of an `error` event. Without `code`, assertTrace does not check the event's code (used where
 * the README names none, e.g. the error announcing a reconnect after a normal end of body).
 */
export function err(readyState, code) {
  return code === undefined ? { type: 'error', readyState } : { type: 'error', readyState, code }
}

/** A trace record without its error code: for cases that check the code in an assertion of its own. */
export const withoutCode = ({ code, ...record }) => record

/** The sentinel event appended to parser streams: everything before it has been parsed. */
export const END = 'data: END\n\n'
export const endMsg = (t, id = '') => msg(t, 'END', { id })

const isErrorEvent = (r) => r.type === 'error' && !('data' in r)

/** until-predicates for collect() */
export const untilData = (data) => (records) => records.some((r) => 'data' in r && r.data === data)
export const untilClosed = (records) => records.some((r) => isErrorEvent(r) && r.readyState === 2)
export const untilErrors = (n) => (records) => records.filter(isErrorEvent).length >= n
export const untilOpens = (n) => (records) => records.filter((r) => r.type === 'open' && !('data' in r)).length >= n

/**
 * deepEqual of traces, except that an expected error record without a `code` key accepts any code.
 */
export function assertTrace(t, actual, expected, message) {
  const normalised = actual.map((r, i) => {
    const e = expected[i]
    if (e && isErrorEvent(r) && isErrorEvent(e) && !('code' in e) && 'code' in r) {
      const { code, ...rest } = r
      return rest
    }
    return r
  })
  t.assert.deepEqual(normalised, expected, message)
}

/** UTF-8 bytes of a string, as a plain array (for { bytes } body items). */
export const utf8 = (s) => Array.from(new TextEncoder().encode(s))

/**
 * How a Node server reports a header whose value was sent as the UTF-8 bytes of `s`: Node decodes
 * header values as latin1, one char per byte.
 */
export const utf8AsLatin1 = (s) => String.fromCharCode(...new TextEncoder().encode(s))

/** Standard base64 of the UTF-8 bytes of s. */
export const b64utf8 = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(s)))

/** The server's URL with 127.0.0.1 and localhost swapped: another origin on the same server. */
export function altOrigin(t) {
  const u = new URL(t.serverUrl)
  u.hostname = u.hostname === 'localhost' ? '127.0.0.1' : 'localhost'
  return u.origin
}

/** Rewrites a script URL onto another origin of the same server. */
export function onOrigin(url, origin) {
  const u = new URL(url)
  return origin + u.pathname + u.search
}

/** Scripts one response with `body` (+ the END sentinel), opens it and collects up to END. */
export async function parse(t, body, { init, types, headers, end = 'hang', sentinel = true, timeout = 5000 } = {}) {
  const resp = { body: sentinel ? [...body, END] : body, end }
  if (headers) resp.headers = headers
  const { url, key } = await t.script([resp])
  const es = init ? t.open(url, init) : t.open(url)
  const records = await t.collect(es, { types, until: sentinel ? untilData('END') : untilClosed, timeout })
  return { es, records, url, key }
}

/**
 * A fetch wrapper recording each call as a Request (to inspect method, headers, credentials, cache,
 * signal) before delegating to `impl` (default: the global fetch, looked up at call time).
 */
export function spyFetch(impl) {
  const calls = []
  const times = []
  const fn = (input, init) => {
    times.push(Date.now())
    let request
    try {
      request = new Request(input, init)
    } catch (e) {
      request = { error: e }
    }
    calls.push({ input, init, request })
    return impl ? impl(input, init, calls.length) : globalThis.fetch(input, init)
  }
  fn.calls = calls
  fn.times = times
  return fn
}

/** A fetch that always fails like a refused connection. */
export const refusingFetch = () => Promise.reject(new TypeError('fetch failed (simulated connection refused)'))

/** A synthetic event-stream Response from strings (each its own chunk), optionally ending with an error. */
export function streamResponse(chunks, { status = 200, contentType = 'text/event-stream', errorAtEnd, hang = false } = {}) {
  const enc = new TextEncoder()
  let i = 0
  const body = new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(enc.encode(chunks[i++]))
      else if (errorAtEnd) controller.error(errorAtEnd)
      else if (!hang) controller.close()
      else return new Promise(() => {})
    },
  })
  return new Response(body, { status, headers: { 'content-type': contentType } })
}

/** Intervals between consecutive timestamps. */
export const intervals = (times) => times.slice(1).map((x, i) => x - times[i])
