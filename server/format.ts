// The wire format, shared by the node:http and the web-standard streams.
//
// Choices the tests pin byte for byte:
// - fields in the order id, event, retry, data, then the blank line that dispatches the event;
// - `field: value` with one space; an empty value is written as `field:` (no trailing whitespace);
// - multi-line data (CRLF, CR or LF) becomes one `data:` line per line, so the client's join with "\n" gives back
//   the text with its line breaks normalised to LF;
// - a field that cannot be represented (CR/LF in id or event, NUL in id) throws instead of being silently mangled:
//   a stray newline would otherwise let data inject fields or end the event early.

/** One event, after Hertz's `sse.Event`. */
export interface SSEEvent {
  /** Sets the client's last event ID (`''` resets it). Numbers are written in decimal. */
  id?: string | number | null | undefined
  /** Event type; omitted means the client's default, `message`. */
  event?: string | null | undefined
  /** Reconnection time in ms (a non-negative integer). */
  retry?: number | null | undefined
  /** Payload; bytes are decoded as UTF-8. Without data, the client dispatches no event. */
  data?: string | Uint8Array | null | undefined
}

/** Headers every event stream gets; `X-Accel-Buffering: no` stops nginx-style proxies from buffering it. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
})

const LINE_BREAK = /\r\n|\r|\n/
// ignoreBOM: a leading U+FEFF in data is data (the client strips one BOM at the start of the stream only).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

const line = (name: string, value: string) => (value === '' ? `${name}:\n` : `${name}: ${value}\n`)

function checkField(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`SSE ${name} must be a string, got ${typeof value}`)
  if (/[\r\n]/.test(value)) throw new TypeError(`SSE ${name} must not contain CR or LF: ${JSON.stringify(value)}`)
  return value
}

/** Serialises one event. Pure; throws on a field that cannot be represented. */
export function formatEvent(ev: SSEEvent): string {
  if (ev === null || typeof ev !== 'object') throw new TypeError('SSE event must be an object')
  let out = ''
  if (ev.id != null) {
    if (typeof ev.id === 'number' && !Number.isFinite(ev.id)) throw new RangeError(`SSE id must be a finite number or a string, got ${ev.id}`)
    const id = checkField(typeof ev.id === 'number' ? String(ev.id) : ev.id, 'id')
    // The WHATWG parser ignores an id containing NUL, which would silently break resumption.
    if (id.includes('\0')) throw new TypeError(`SSE id must not contain NUL: ${JSON.stringify(id)}`)
    out += line('id', id)
  }
  if (ev.event != null) out += line('event', checkField(ev.event, 'event'))
  if (ev.retry != null) {
    if (typeof ev.retry !== 'number') throw new TypeError(`SSE retry must be a number of ms, got ${typeof ev.retry}`)
    if (!Number.isSafeInteger(ev.retry) || ev.retry < 0) throw new RangeError(`SSE retry must be a non-negative integer (ms), got ${ev.retry}`)
    out += line('retry', String(ev.retry))
  }
  if (ev.data != null) {
    let text: string
    if (typeof ev.data === 'string') text = ev.data
    else if (ev.data instanceof Uint8Array) text = utf8.decode(ev.data)
    else throw new TypeError(`SSE data must be a string or Uint8Array, got ${typeof ev.data}`)
    for (const l of text.split(LINE_BREAK)) out += line('data', l)
  }
  if (out === '') throw new TypeError('SSE event needs at least one of id, event, retry, data')
  return out + '\n'
}

/**
 * Serialises a comment (ignored by clients; a heartbeat, or a note for curl). Multi-line text becomes several
 * comment lines so it can never turn into a field. `formatComment()` is the bare `:` keep-alive line.
 */
export function formatComment(text = ''): string {
  if (typeof text !== 'string') throw new TypeError(`SSE comment must be a string, got ${typeof text}`)
  return text
    .split(LINE_BREAK)
    .map((l) => (l === '' ? ':\n' : `: ${l}\n`))
    .join('')
}

/** Header bags we read `Last-Event-ID` from: node:http (Express, Fastify's `request.raw`) or a fetch `Request`. */
export type RequestLike = { headers: Headers | Record<string, string | string[] | undefined> }

/** The `Last-Event-ID` request header (Hertz `GetLastEventID`), or `''` when the client sent none. */
export function lastEventId(req: RequestLike): string {
  const { headers } = req
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get('last-event-id') ?? ''
  const value = (headers as Record<string, string | string[] | undefined>)['last-event-id']
  return typeof value === 'string' ? value : ''
}

/** Options both stream flavours share. */
export interface StreamOptions {
  /** Response status (default 200). */
  status?: number | undefined
  /** Merged over SSE_HEADERS (names are lower-cased). */
  headers?: Record<string, string | number | readonly string[]> | undefined
  /**
   * Bytes of unsent output a reader may let pile up before it is disconnected (default 1 MiB). A producer that
   * awaits `publish` never gets near it; it is the safety valve against a reader that never reads while events are
   * sent with `send` or un-awaited `publish` (fan-out to many readers).
   */
  maxBuffered?: number | undefined
  /** Sends a bare `:` comment line every this many ms, so proxies and heartbeat timeouts keep the stream open. */
  keepAlive?: number | undefined
}

/** SSE_HEADERS with `extra` merged over them, names lower-cased. */
export function mergeHeaders(extra: StreamOptions['headers'] = {}): Record<string, string | number | readonly string[]> {
  const merged: Record<string, string | number | readonly string[]> = { ...SSE_HEADERS }
  for (const [name, value] of Object.entries(extra)) merged[name.toLowerCase()] = value
  return merged
}

export const DEFAULT_MAX_BUFFERED = 1024 * 1024

export function checkKeepAlive(ms: number | undefined): void {
  if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) throw new RangeError(`keepAlive must be a positive number of ms, got ${ms}`)
}
