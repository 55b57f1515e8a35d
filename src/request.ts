import type { Settings } from './options.js'

/** C0 controls but tab, and DEL: what Node's fetch refuses in a header value (CR, LF and NUL never reach here). */
const CONTROL = /[\x01-\x08\x0a-\x1f\x7f]/

/** What one attempt sends: headers and body are resolved afresh for every (re)connection. */
export async function buildRequestInit(settings: Settings, lastEventId: string, signal: AbortSignal): Promise<RequestInit> {
  const source = settings.headers
  const headers = new Headers(typeof source === 'function' ? await source() : source)
  if (!headers.has('accept')) headers.set('accept', 'text/event-stream')
  // An empty ID sends no header (rule 11); a caller's own Last-Event-ID then stays as given. An ID with a control
  // character is legal SSE, but Node's fetch refuses such header values on every attempt, which would turn one
  // odd ID into endless failed reconnects: it is left out, in every runtime alike (documented in the README).
  if (lastEventId !== '' && !CONTROL.test(lastEventId)) headers.set('last-event-id', utf8ByteString(lastEventId))

  const init: RequestInit & { duplex?: 'half' } = {
    method: settings.method,
    headers,
    signal,
    // `no-store` keeps the stream out of caches without a Cache-Control request header, which would turn every
    // cross-origin source into a preflighted request (rule 10).
    cache: 'no-store',
    credentials: settings.withCredentials ? 'include' : 'same-origin',
    redirect: 'follow',
  }
  const body = typeof settings.body === 'function' ? await settings.body() : settings.body
  if (body != null) {
    init.body = body
    // Streaming request bodies must say so in Node and Chromium.
    if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) init.duplex = 'half'
  }
  return init
}

/**
 * Header values are byte strings. The spec sends the ID as UTF-8, so each byte becomes one char ≤ U+00FF; the
 * parser already guarantees there is no CR, LF or NUL to inject.
 */
function utf8ByteString(value: string): string {
  let ascii = true
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0x7f) {
      ascii = false
      break
    }
  }
  if (ascii) return value
  let packed = ''
  for (const byte of new TextEncoder().encode(value)) packed += String.fromCharCode(byte)
  return packed
}
