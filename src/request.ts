import { FetchEventSourceError, withoutUserInfo } from './errors.js'
import type { Settings } from './options.js'

/** C0 controls but tab, and DEL: what Node's fetch refuses in a header value (CR, LF and NUL never reach here). */
const CONTROL = /[\x01-\x08\x0a-\x1f\x7f]/

/**
 * Browsers and Node's undici add `Cache-Control: no-cache` themselves for `cache: 'no-store'` (fetch §4.5, after
 * any CORS check); Deno's and Bun's fetch ignore the cache mode, so there the header is set here, as their native
 * `EventSource` sends it. Nowhere else: set by script in a browser it would make every cross-origin source
 * preflighted.
 */
const scope = globalThis as { Deno?: unknown; Bun?: unknown }
const SET_NO_CACHE = scope.Deno !== undefined || scope.Bun !== undefined

/** What one attempt sends: the URL and the init, resolved afresh for every (re)connection. */
export interface AttemptRequest {
  url: string
  init: RequestInit
}

/**
 * Builds one attempt's request. A `headers` or `body` function that throws, or that produces headers or a body
 * `fetch` would refuse, is a programming error: it rejects with a `FetchEventSourceError` of code
 * `invalid-request`, which the source does not retry by default.
 */
export async function buildRequest(settings: Settings, url: string, lastEventId: string, signal: AbortSignal): Promise<AttemptRequest> {
  const headers = await resolveHeaders(settings)
  if (!headers.has('accept')) headers.set('accept', 'text/event-stream')
  if (SET_NO_CACHE && !headers.has('cache-control')) headers.set('cache-control', 'no-cache')
  if (lastEventId !== '') {
    // An empty ID sends nothing; a caller's own Last-Event-ID header or parameter then stays as given. An ID with
    // a control character is legal SSE, but Node's fetch refuses such header values on every attempt, which would
    // turn one odd ID into endless failed reconnects: it is left out of the header, in every runtime alike
    // (documented in the README). The query parameter carries any ID.
    if (settings.lastEventIdInHeader && !CONTROL.test(lastEventId)) headers.set('last-event-id', utf8ByteString(lastEventId))
    if (settings.lastEventIdParam !== '') url = withQueryParameter(url, settings.lastEventIdParam, lastEventId)
  }

  const init: RequestInit & { duplex?: 'half' } = {
    method: settings.method,
    headers,
    signal,
    // `no-store` keeps the stream out of caches without a Cache-Control request header, which would turn every
    // cross-origin source into a preflighted request (C10).
    cache: 'no-store',
    credentials: settings.withCredentials ? 'include' : 'same-origin',
    // 'manual' rather than fetch's 'error': in a browser a refused redirect is then an opaque-redirect response
    // the source can recognise, where 'error' is indistinguishable from a network failure.
    redirect: settings.redirect === 'error' ? 'manual' : 'follow',
  }
  const body = await resolveBody(settings)
  if (body != null) {
    init.body = body
    // Streaming request bodies must say so in Node and Chromium.
    // Stryker disable next-line ConditionalExpression,StringLiteral: the typeof guard is true wherever a request can be built (Node's own Request needs the ReadableStream global); it only keeps a runtime without streams from throwing
    if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) init.duplex = 'half'
  }
  // What fetch would refuse before any byte is sent (a URL with user info, a stream body already read or locked,
  // a body it cannot take) fails here, as a programming error: fetch itself would report it as a network failure,
  // retried for ever. The Request is thrown away; the signal is left out so it registers no listener.
  try {
    new Request(url, { ...init, signal: null })
  } catch (error) {
    throw invalidRequest('fetch refuses it', error)
  }
  return { url, init }
}

async function resolveHeaders(settings: Settings): Promise<Headers> {
  const source = settings.headers
  try {
    // Static headers were checked at construction; a function's result is checked here, before any request.
    return new Headers(typeof source === 'function' ? await source() : source)
  } catch (error) {
    throw invalidRequest(typeof source === 'function' ? 'the headers function failed' : 'invalid headers', error)
  }
}

async function resolveBody(settings: Settings): Promise<RequestInit['body']> {
  const source = settings.body
  if (typeof source !== 'function') return source
  let body: RequestInit['body']
  try {
    body = await source()
  } catch (error) {
    throw invalidRequest('the body function failed', error)
  }
  if (body == null) return body
  // Checked here, not left to the Request check in buildRequest: Bun's Request accepts a body for GET.
  const method = settings.method.toUpperCase()
  if (method === 'GET' || method === 'HEAD') throw invalidRequest(`the body function returned a body for a ${method} request`)
  return body
}

function invalidRequest(what: string, cause?: unknown): FetchEventSourceError {
  const reason = cause instanceof Error ? `: ${cause.message}` : cause === undefined ? '' : `: ${String(cause)}`
  return new FetchEventSourceError({ code: 'invalid-request', message: withoutUserInfo(`Invalid request: ${what}${reason}`), cause })
}

/**
 * `url` with `name=value` in its query: an existing parameter of that name is replaced, never duplicated, and every
 * other parameter keeps its exact bytes (URLSearchParams would re-encode them all). The value is percent-encoded
 * UTF-8, which both form decoding and `decodeURIComponent` read back exactly.
 */
export function withQueryParameter(url: string, name: string, value: string): string {
  const hash = url.indexOf('#')
  const beforeHash = hash === -1 ? url : url.slice(0, hash)
  const question = beforeHash.indexOf('?')
  const base = question === -1 ? beforeHash : beforeHash.slice(0, question)
  const kept = question === -1 ? [] : beforeHash.slice(question + 1).split('&').filter((pair) => pair !== '' && decodedName(pair) !== name)
  kept.push(`${encodeComponent(name)}=${encodeComponent(value)}`)
  return `${base}?${kept.join('&')}`
}

function decodedName(pair: string): string {
  const equals = pair.indexOf('=')
  const raw = (equals === -1 ? pair : pair.slice(0, equals)).replace(/\+/g, ' ')
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** encodeURIComponent, with lone surrogates (possible in a `lastEventId` option, never in a stream) as U+FFFD. */
function encodeComponent(value: string): string {
  const wellFormed = (value as { toWellFormed?: () => string }).toWellFormed
  // Stryker disable next-line ConditionalExpression: every runtime the suites run in (Node 20+, Deno, Bun) has toWellFormed, so always calling it gives the same string; the check serves older browsers
  return encodeURIComponent(wellFormed === undefined ? value : wellFormed.call(value))
}

/**
 * Header values are byte strings. The spec sends the ID as UTF-8, so each byte becomes one char ≤ U+00FF; the
 * parser already guarantees there is no CR, LF or NUL to inject.
 */
function utf8ByteString(value: string): string {
  // Stryker disable next-line BooleanLiteral: the ASCII scan is a fast path only: UTF-8 encodes an ASCII string to the same one byte per char
  let ascii = true
  // Stryker disable next-line EqualityOperator: one more turn reads charCodeAt past the end, NaN, which is not > 0x7f
  for (let i = 0; i < value.length; i++) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: fast path only: taking the UTF-8 path for an ASCII char (or DEL, which CONTROL keeps out of the header anyway) yields the same bytes
    if (value.charCodeAt(i) > 0x7f) {
      ascii = false
      break
    }
  }
  // Stryker disable next-line ConditionalExpression: fast path only: encoding an ASCII string to UTF-8 bytes gives it back unchanged
  if (ascii) return value
  let packed = ''
  for (const byte of new TextEncoder().encode(value)) packed += String.fromCharCode(byte)
  return packed
}
