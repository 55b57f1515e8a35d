import type { FetchEventSourceErrorCode } from './errors.js'
import { HIDDEN_GRACE_MS } from './page-life.js'

// lib.dom's `HeadersInit` and `BodyInit`, read off `RequestInit`, which both lib.dom and `@types/node` declare: the
// declarations then compile without the DOM lib (see event-source.ts).
type HeadersInitLike = NonNullable<RequestInit['headers']>
type BodyInitLike = NonNullable<RequestInit['body']>

/** Headers for every attempt; a function is called before each (re)connection, e.g. for a fresh auth token. */
export type HeadersSource = HeadersInitLike | (() => HeadersInitLike | Promise<HeadersInitLike>)

/**
 * The `fetch` a source calls: always with the request's absolute URL as a string and an init object. `typeof fetch`
 * fits, and so does a wrapper typed for only what it is given.
 */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

/** A request body; a function is called per attempt, for one-shot bodies such as streams. */
export type BodySource = BodyInitLike | null | (() => BodyInitLike | null | Promise<BodyInitLike | null>)

/** What `shouldRetry` is told about a failed attempt. */
export interface RetryErrorInfo {
  code: FetchEventSourceErrorCode | number
  response?: Response | undefined
  cause?: unknown
}

export interface RetryPolicy {
  /** Milliseconds before the first reconnect; the server's `retry:` field replaces it. Default 3000. */
  initialDelay?: number | undefined
  /** Cap on the grown delay, in milliseconds. Default 30000. */
  maxDelay?: number | undefined
  /** Growth of the delay over consecutive attempts that delivered no event; an event resets it. Default 2. */
  factor?: number | undefined
  /** Random share (0–1) taken off grown delays only, so the first reconnect keeps the spec's timing. Default 0.2. */
  jitter?: number | undefined
  /**
   * Attempts in a row that delivered no event, the first request included, before the source closes (counted when
   * an attempt fails before its response is accepted). Default Infinity.
   */
  maxAttempts?: number | undefined
  /**
   * Called for every failed attempt (network error, bad status, wrong content type, refused response, redirect,
   * invalid request). `true` retries, `false` ends the source, a number retries after that many milliseconds.
   * Without it, `network` and `heartbeat-timeout` retry and everything else ends the source.
   */
  shouldRetry?: ((error: RetryErrorInfo, attempt: number) => boolean | number) | undefined
}

export interface FetchEventSourceInit {
  /** Send cookies and HTTP auth cross-origin (fetch `credentials: 'include'`, otherwise `'same-origin'`). */
  withCredentials?: boolean | undefined
  /** HTTP method. Default `'GET'`. */
  method?: string | undefined
  /** Sent with every attempt. `Accept: text/event-stream` is added unless you set `Accept`. */
  headers?: HeadersSource | undefined
  /** Sent with every attempt. */
  body?: BodySource | undefined
  /** `Last-Event-ID` for the first request; the ids the stream sends replace it. */
  lastEventId?: string | undefined
  /**
   * How the last event ID travels: the `Last-Event-ID` header (the default, as `EventSource`), a URL query
   * parameter (no CORS preflight, any id survives), or both.
   */
  lastEventIdIn?: 'header' | 'query' | 'both' | undefined
  /** The query parameter's name with `lastEventIdIn` `'query'` or `'both'`. Default `'lastEventId'`. */
  lastEventIdParam?: string | undefined
  /**
   * `'follow'` (the default) follows redirects as `fetch` does; `'error'` refuses them: the source ends with code
   * `redirect` and no request reaches the redirect's target.
   */
  redirect?: 'follow' | 'error' | undefined
  /**
   * Called with every response before its body is read. Replaces the default check (status 200 and
   * `text/event-stream`, exported as `assertEventStream`); throw or reject to refuse the response.
   */
  onResponse?: ((response: Response) => void | Promise<void>) | undefined
  /** The most characters one pending line or event's data may buffer. Default 16 Mi; `Infinity` turns it off. */
  maxBufferSize?: number | undefined
  /** Base64-decode each event's data to UTF-8 text. */
  decodeBase64?: boolean | undefined
  /** The fetch to use, called as `fetch(url, init)`. Default: `globalThis.fetch`, looked up at every attempt. */
  fetch?: FetchLike | undefined
  /** Aborting it closes the source, like `close()`. */
  signal?: AbortSignal | undefined
  retry?: RetryPolicy | undefined
  /** Milliseconds without a byte, while OPEN, after which the connection is dropped and re-established. */
  heartbeatTimeout?: number | undefined
  /**
   * Share one connection among every source created with the same key in the tabs, windows and workers of this
   * origin (browsers with BroadcastChannel and Web Locks; ignored elsewhere). `true` keys it by everything that
   * shapes the events: the request (method, URL, static headers, string body, credentials, where the last event ID
   * goes, redirects) and `maxBufferSize` and `decodeBase64`. Headers or body given as functions need a string key.
   */
  shared?: boolean | string | undefined
  /**
   * Close the connection once the document has been hidden this many milliseconds (`true`: 30000), and reconnect
   * with `Last-Event-ID` as soon as it is visible again. Meanwhile the source is CONNECTING and dispatches nothing.
   * Default false.
   */
  pauseWhenHidden?: boolean | number | undefined
}

const DEFAULT_MAX_BUFFER_SIZE = 16 * 1024 * 1024

/** Everything a connection attempt reads, validated once at construction. */
export interface Settings {
  withCredentials: boolean
  method: string
  headers: HeadersSource | undefined
  body: BodySource | undefined
  lastEventId: string
  /** Where the last event ID goes: the header, the query parameter, or both. */
  lastEventIdInHeader: boolean
  /** The query parameter's name, or '' for none. */
  lastEventIdParam: string
  redirect: 'follow' | 'error'
  onResponse: ((response: Response) => void | Promise<void>) | undefined
  maxBufferSize: number
  decodeBase64: boolean
  fetch: FetchLike | undefined
  signal: AbortSignal | undefined
  retry: Required<Omit<RetryPolicy, 'shouldRetry'>> & Pick<RetryPolicy, 'shouldRetry'>
  /** 0 when off. */
  heartbeatTimeout: number
  /** The sharing key, true to key by the request (resolved by the source, which knows the absolute URL), or false. */
  shared: string | boolean
  /** The hidden grace period in milliseconds, or -1 when off. */
  pauseWhenHidden: number
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

/** One frozen settings object for every source constructed without options. */
let defaultSettings: Settings | undefined

/** Validates `init` the way a WebIDL dictionary would: a clear `TypeError` now rather than a failure later. */
export function readSettings(init: FetchEventSourceInit | undefined | null): Settings {
  return init == null ? (defaultSettings ??= Object.freeze(validate({}))) : validate(init)
}

function validate(options: FetchEventSourceInit): Settings {
  // A dictionary argument: any object, a function included (WebIDL reads its properties like any object's).
  if (typeof options !== 'object' && typeof options !== 'function') invalid('init', 'an object', options)

  const method = options.method === undefined ? 'GET' : options.method
  if (typeof method !== 'string' || !TOKEN.test(method)) invalid('method', 'an HTTP token', method)
  const upper = method.toUpperCase()
  if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`FetchEventSource: method ${method} is forbidden by fetch`)

  const { headers, body } = options
  // Static headers are checked now, so a CR/LF or an invalid name is refused before any request is made.
  // Stryker disable next-line ConditionalExpression: new Headers(undefined) is empty and throws nothing, so checking undefined headers too (what the first test skips) refuses nothing more
  if (headers !== undefined && typeof headers !== 'function') new Headers(headers)
  if ((upper === 'GET' || upper === 'HEAD') && body != null && typeof body !== 'function') {
    throw new TypeError(`FetchEventSource: a ${upper} request cannot have a body`)
  }

  const lastEventId = options.lastEventId === undefined ? '' : options.lastEventId
  if (typeof lastEventId !== 'string') invalid('lastEventId', 'a string', lastEventId)
  if (/[\r\n\0]/.test(lastEventId)) invalid('lastEventId', 'free of CR, LF and NUL', lastEventId)

  const lastEventIdIn = options.lastEventIdIn === undefined ? 'header' : options.lastEventIdIn
  if (lastEventIdIn !== 'header' && lastEventIdIn !== 'query' && lastEventIdIn !== 'both') {
    invalid('lastEventIdIn', "'header', 'query' or 'both'", lastEventIdIn)
  }
  const param = options.lastEventIdParam === undefined ? 'lastEventId' : options.lastEventIdParam
  if (typeof param !== 'string' || param === '') invalid('lastEventIdParam', 'a non-empty string', param)

  const redirect = options.redirect === undefined ? 'follow' : options.redirect
  if (redirect !== 'follow' && redirect !== 'error') invalid('redirect', "'follow' or 'error'", redirect)

  const maxBufferSize = options.maxBufferSize === undefined ? DEFAULT_MAX_BUFFER_SIZE : options.maxBufferSize
  if (typeof maxBufferSize !== 'number' || !(maxBufferSize >= 1) || (maxBufferSize !== Infinity && !Number.isInteger(maxBufferSize))) {
    invalid('maxBufferSize', 'a positive integer or Infinity', maxBufferSize)
  }

  const heartbeatTimeout = options.heartbeatTimeout === undefined ? 0 : options.heartbeatTimeout
  if (typeof heartbeatTimeout !== 'number' || !(heartbeatTimeout >= 0)) {
    invalid('heartbeatTimeout', 'a non-negative number of milliseconds', heartbeatTimeout)
  }

  const shared = options.shared === undefined ? false : options.shared
  if (typeof shared !== 'boolean' && (typeof shared !== 'string' || shared === '')) invalid('shared', 'a boolean or a non-empty string', shared)

  const pause = options.pauseWhenHidden
  if (pause !== undefined && typeof pause !== 'boolean' && (typeof pause !== 'number' || !(pause >= 0) || pause === Infinity)) {
    invalid('pauseWhenHidden', 'a boolean or a finite non-negative number of milliseconds', pause)
  }

  const signal = options.signal
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
    invalid('signal', 'an AbortSignal', signal)
  }

  return {
    withCredentials: Boolean(options.withCredentials),
    method,
    headers,
    body,
    lastEventId,
    lastEventIdInHeader: lastEventIdIn !== 'query',
    lastEventIdParam: lastEventIdIn === 'header' ? '' : param,
    redirect,
    onResponse: optionalFunction(options.onResponse, 'onResponse'),
    maxBufferSize,
    decodeBase64: Boolean(options.decodeBase64),
    fetch: optionalFunction(options.fetch, 'fetch'),
    signal,
    retry: readRetryPolicy(options.retry),
    // Stryker disable next-line ConditionalExpression: Infinity left as is means no heartbeat as 0 does: its check re-arms every 2^31−1 ms and never reports (idle < Infinity), and the timer is cleared with each attempt
    heartbeatTimeout: heartbeatTimeout === Infinity ? 0 : heartbeatTimeout,
    shared,
    // Stryker disable next-line ConditionalExpression: an undefined pauseWhenHidden left as undefined is off as -1 is: page-life watches visibility only for a grace >= 0, and undefined >= 0 is false
    pauseWhenHidden: pause === true ? HIDDEN_GRACE_MS : pause === undefined || pause === false ? -1 : pause,
  }
}

/** Shared by every source that keeps the defaults, so an idle connection carries no policy object of its own. */
const DEFAULT_RETRY: Settings['retry'] = Object.freeze({
  initialDelay: 3000,
  maxDelay: 30000,
  factor: 2,
  jitter: 0.2,
  maxAttempts: Infinity,
  shouldRetry: undefined,
})

function readRetryPolicy(policy: RetryPolicy | undefined): Settings['retry'] {
  if (policy === undefined) return DEFAULT_RETRY
  // typeof null is 'object': without its own check, null went on to fail reading a field, with no option named.
  if (policy === null || typeof policy !== 'object') invalid('retry', 'an object', policy)
  const initialDelay = number(policy.initialDelay, DEFAULT_RETRY.initialDelay, 'retry.initialDelay', 0, false)
  const maxDelay = number(policy.maxDelay, DEFAULT_RETRY.maxDelay, 'retry.maxDelay', 0, true)
  const factor = number(policy.factor, DEFAULT_RETRY.factor, 'retry.factor', 1, false)
  const jitter = number(policy.jitter, DEFAULT_RETRY.jitter, 'retry.jitter', 0, false)
  if (jitter > 1) invalid('retry.jitter', 'between 0 and 1', jitter)
  const maxAttempts = number(policy.maxAttempts, DEFAULT_RETRY.maxAttempts, 'retry.maxAttempts', 1, true)
  if (maxAttempts !== Infinity && !Number.isInteger(maxAttempts)) invalid('retry.maxAttempts', 'a whole number or Infinity', maxAttempts)
  const shouldRetry = optionalFunction(policy.shouldRetry, 'retry.shouldRetry')
  return { initialDelay, maxDelay, factor, jitter, maxAttempts, shouldRetry }
}

function number(value: unknown, fallback: number, name: string, min: number, infinite: boolean): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (!infinite && value === Infinity)) {
    invalid(name, `a number ≥ ${min}${infinite ? ' or Infinity' : ''}`, value)
  }
  return value
}

function optionalFunction<T>(value: T, name: string): T {
  if (value !== undefined && typeof value !== 'function') invalid(name, 'a function', value)
  return value
}

/** Every option error reads the same way: which option, what it must be, what it got. */
function invalid(name: string, expected: string, value: unknown): never {
  throw new TypeError(`FetchEventSource: ${name} must be ${expected}, got ${describe(value)}`)
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'an object' : String(value)
}
