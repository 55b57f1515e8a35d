// Server-Sent Events writer for node:http responses.
//
// Modelled on Hertz: `NewStream`/`Publish`/`GetLastEventID` (hertz-contrib/sse) and the newer
// `sse.NewWriter` with `WriteEvent`, `WriteComment`, `WriteKeepAlive`, `Close` (hertz pkg/protocol/sse).
//
// Wire format choices (the tests pin them byte for byte):
// - one event = one `res.write()`, so an event is never split across chunks by us and a client can
//   observe exact chunk boundaries;
// - fields in the order id, event, retry, data, then the blank line that dispatches the event;
// - `field: value` with one space; an empty value is written as `field:` (no trailing whitespace);
// - multi-line data (CRLF, CR or LF) becomes one `data:` line per line, so the client's join with "\n"
//   gives back the text with its line breaks normalised to LF;
// - a field that cannot be represented (CR/LF in id or event, NUL in id) throws instead of being
//   silently mangled: a stray newline would otherwise let data inject fields or end the event early.

/** @typedef {import('node:http').ServerResponse} ServerResponse */
/** @typedef {import('node:http').IncomingMessage} IncomingMessage */

/**
 * @typedef {object} SSEEvent
 * @property {string | number} [id]     sets the client's last event ID (`''` resets it)
 * @property {string} [event]           event type; omitted means the client's default, `message`
 * @property {number} [retry]           reconnection time in ms (non-negative integer)
 * @property {string | Uint8Array} [data]  payload; bytes are decoded as UTF-8. Without data, no event is dispatched
 */

/** Headers every event stream gets; `X-Accel-Buffering: no` stops nginx-style proxies from buffering it. */
export const SSE_HEADERS = Object.freeze({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
})

const LINE_BREAK = /\r\n|\r|\n/

/** `name: value`, or `name:` for an empty value so no line carries trailing whitespace. */
const line = (/** @type {string} */ name, /** @type {string} */ value) => (value === '' ? `${name}:\n` : `${name}: ${value}\n`)

/**
 * @param {unknown} value
 * @param {string} name
 */
function checkField(value, name) {
  if (typeof value !== 'string') throw new TypeError(`SSE ${name} must be a string, got ${typeof value}`)
  if (/[\r\n]/.test(value)) throw new TypeError(`SSE ${name} must not contain CR or LF: ${JSON.stringify(value)}`)
  return value
}

/**
 * Serialises one event. Pure; exported for tests and for servers that batch their own writes.
 * @param {SSEEvent} ev
 * @returns {string}
 */
export function formatEvent(ev) {
  if (ev === null || typeof ev !== 'object') throw new TypeError('SSE event must be an object')
  let out = ''
  if (ev.id !== undefined && ev.id !== null) {
    const id = checkField(typeof ev.id === 'number' ? String(ev.id) : ev.id, 'id')
    // The WHATWG parser ignores an id containing NUL, which would silently break resumption.
    if (id.includes('\0')) throw new TypeError(`SSE id must not contain NUL: ${JSON.stringify(id)}`)
    out += line('id', id)
  }
  if (ev.event !== undefined && ev.event !== null) {
    out += line('event', checkField(ev.event, 'event'))
  }
  if (ev.retry !== undefined && ev.retry !== null) {
    if (typeof ev.retry !== 'number') throw new TypeError(`SSE retry must be a number of ms, got ${typeof ev.retry}`)
    if (!Number.isSafeInteger(ev.retry) || ev.retry < 0) {
      throw new RangeError(`SSE retry must be a non-negative integer (ms), got ${ev.retry}`)
    }
    out += line('retry', String(ev.retry))
  }
  if (ev.data !== undefined && ev.data !== null) {
    let text
    if (typeof ev.data === 'string') text = ev.data
    else if (ev.data instanceof Uint8Array) text = Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength).toString('utf8')
    else throw new TypeError(`SSE data must be a string or Uint8Array, got ${typeof ev.data}`)
    for (const l of text.split(LINE_BREAK)) out += line('data', l)
  }
  if (out === '') throw new TypeError('SSE event needs at least one of id, event, retry, data')
  return out + '\n'
}

/**
 * Serialises a comment (ignored by clients; useful as a heartbeat or for debugging with curl).
 * Multi-line text becomes several comment lines so it can never turn into a field.
 * @param {string} [text]
 */
export function formatComment(text = '') {
  if (typeof text !== 'string') throw new TypeError(`SSE comment must be a string, got ${typeof text}`)
  return text.split(LINE_BREAK).map((l) => (l === '' ? ':\n' : `: ${l}\n`)).join('')
}

/**
 * The `Last-Event-ID` request header (Hertz `GetLastEventID`), or `''` when the client sent none.
 * @param {IncomingMessage} req
 * @returns {string}
 */
export function lastEventId(req) {
  const value = req.headers['last-event-id']
  return typeof value === 'string' ? value : ''
}

/**
 * An open event stream on one response. Writes after the client went away are dropped and report
 * `false` (as Hertz `Publish` returns an error), so producers can stop without try/catch.
 */
export class SSEWriter {
  /** @type {ServerResponse} */ #res
  #closed = false
  #maxBuffered
  #abort = new AbortController()

  /**
   * @param {ServerResponse} res
   * @param {{ status?: number, headers?: Record<string, string | number | string[]>, maxBuffered?: number }} [options]
   *   headers are merged over SSE_HEADERS; maxBuffered (bytes, default 1 MiB) is how much unsent output a slow
   *   client may accumulate before it is disconnected, so one stuck reader cannot grow the server's memory.
   */
  constructor(res, { status = 200, headers = {}, maxBuffered = 1024 * 1024 } = {}) {
    if (res.headersSent) throw new Error('SSEWriter: response headers were already sent')
    this.#res = res
    this.#maxBuffered = maxBuffered
    /** @type {Record<string, string | number | string[]>} */
    const merged = { ...SSE_HEADERS }
    for (const [name, value] of Object.entries(headers)) merged[name.toLowerCase()] = value
    res.writeHead(status, merged)
    // Send the head now: clients consider the stream open on headers, before any event exists.
    res.flushHeaders()
    const onGone = () => {
      this.#closed = true
      this.#abort.abort()
    }
    if (res.destroyed || res.socket?.destroyed) onGone()
    else res.once('close', onGone)
  }

  /** True once `close()` was called or the client disconnected. */
  get closed() {
    return this.#closed
  }

  /** Aborted when the stream ends for any reason: hook timers and subscriptions to it. */
  get signal() {
    return this.#abort.signal
  }

  /** @param {string} chunk */
  #write(chunk) {
    if (this.#closed) return false
    this.#res.write(chunk)
    if (this.#res.writableLength > this.#maxBuffered) {
      this.#res.destroy(new Error('SSE client too slow: output buffer limit exceeded'))
      return false
    }
    return true
  }

  /**
   * Writes one event (Hertz `WriteEvent`/`Publish`). Throws on invalid fields; returns false when the
   * stream is already closed.
   * @param {SSEEvent} ev
   */
  writeEvent(ev) {
    return this.#write(formatEvent(ev))
  }

  /** Hertz-style alias of `writeEvent`. @param {SSEEvent} ev */
  publish(ev) {
    return this.writeEvent(ev)
  }

  /** @param {string} [text] */
  writeComment(text = '') {
    return this.#write(formatComment(text))
  }

  /** A bare `:` line: the smallest write that keeps proxies and heartbeat timeouts from closing the stream. */
  writeKeepAlive() {
    return this.#write(':\n')
  }

  /** Ends the response normally (the client will reconnect unless it closes itself). Idempotent. */
  close() {
    if (this.#closed) return
    this.#closed = true
    this.#res.end()
    this.#abort.abort()
  }
}

/**
 * Hertz `NewStream`: sets the event-stream headers and returns the writer.
 * @param {ServerResponse} res
 * @param {ConstructorParameters<typeof SSEWriter>[1]} [options]
 */
export function newStream(res, options) {
  return new SSEWriter(res, options)
}
