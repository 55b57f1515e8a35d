/**
 * Why an `error` event fired, besides HTTP status numbers. Each code has one meaning, and the source's
 * `readyState` when the event is dispatched says what follows (CONNECTING: a reconnect is scheduled; CLOSED: the
 * source has ended). The defaults below are what happens without a `retry.shouldRetry`.
 *
 * - `network`: fetch failed without a response (refused, DNS, reset, CORS). Retried by default.
 * - `connection-lost`: the response body failed mid-stream. Reconnects.
 * - `stream-ended`: the server ended the response cleanly. Reconnects (the spec's "reestablish the connection").
 * - `heartbeat-timeout`: nothing arrived for `heartbeatTimeout` ms. Reconnects.
 * - `aborted`: something other than the source aborted the request or the response (a custom fetch's own signal,
 *   page teardown). Ends the source.
 * - `unsupported-scheme`: the URL is not http(s). Ends the source; no request is made.
 * - `invalid-request`: a `headers` or `body` function threw, or produced headers or a body fetch refuses. Ends the
 *   source by default: a programming error fails loudly, once.
 * - `redirect`: a redirect refused by `redirect: 'error'`. Ends the source by default.
 * - `invalid-content-type`, `response-rejected` (an `onResponse` that threw), and status numbers: the response was
 *   refused. Ends the source by default.
 * - `max-buffer-size-exceeded`: a line or an event outgrew `maxBufferSize`. Ends the source.
 * - `invalid-base64`: one event's data did not decode with `decodeBase64`; the event is skipped, the source stays OPEN.
 */
export type FetchEventSourceErrorCode =
  | 'network'
  | 'connection-lost'
  | 'stream-ended'
  | 'heartbeat-timeout'
  | 'aborted'
  | 'unsupported-scheme'
  | 'invalid-request'
  | 'redirect'
  | 'invalid-content-type'
  | 'response-rejected'
  | 'max-buffer-size-exceeded'
  | 'invalid-base64'

export interface FetchEventSourceErrorDetails {
  /** An HTTP status number for a refused status, otherwise one of the string codes. */
  code: FetchEventSourceErrorCode | number
  message: string
  cause?: unknown
  response?: Response
}

/** The hooks Node's `util.inspect` and Deno's `console.log` look for on an object that formats itself. */
const NODE_INSPECT = Symbol.for('nodejs.util.inspect.custom')
const DENO_INSPECT = Symbol.for('Deno.customInspect')

/**
 * Thrown by `assertEventStream`, and the rejection of a `for await` loop whose source failed for good.
 * Carries the same `code`, `cause` and `response` as the `error` event that reported it.
 */
export class FetchEventSourceError extends Error {
  readonly code: FetchEventSourceErrorCode | number
  declare readonly response: Response | undefined
  /** What failed underneath, as on the error event. Declared here too: `Error.cause` is only in lib ES2022. */
  declare readonly cause: unknown

  constructor(details: FetchEventSourceErrorDetails) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'FetchEventSourceError'
    this.code = details.code
    // Not enumerable: printing an error should show what happened, not a Response's internals.
    Object.defineProperty(this, 'response', { value: details.response, writable: false, enumerable: false, configurable: true })
  }
}

/**
 * The `error` event. Still a plain `Event` to code written for `EventSource` (no bubbling, not cancelable);
 * `readyState` at dispatch says whether the source will reconnect (CONNECTING) or has ended (CLOSED).
 */
export class FetchEventSourceErrorEvent extends Event {
  readonly code: FetchEventSourceErrorCode | number
  readonly message: string
  readonly cause: unknown
  readonly response: Response | undefined

  constructor(details: FetchEventSourceErrorDetails) {
    super('error')
    this.code = details.code
    this.message = details.message
    this.cause = details.cause
    this.response = details.response
  }
}

/**
 * `console.log` of an error or an error event, in Node and Deno. Node's own `Event` inspector shows `type`,
 * `defaultPrevented`, `cancelable` and `timeStamp` and hides every field a subclass adds, the ones worth seeing;
 * an error would otherwise print its whole `Response`. Installed off the class bodies, so the declared shape of
 * both classes stays what the types say.
 */
function inspectable<T>(prototype: T, inspect: (this: T, depth: number, options: object, nodeInspect?: Inspect) => string): void {
  for (const key of [NODE_INSPECT, DENO_INSPECT]) {
    Object.defineProperty(prototype, key, { value: inspect, enumerable: false, configurable: true, writable: true })
  }
}
inspectable(FetchEventSourceError.prototype, function (_depth, options, nodeInspect) {
  return `${this.stack ?? `${this.name}: ${this.message}`}\n    ${summary(this.code, this.response)}${causeOf(this.cause, options, nodeInspect)}`
})
inspectable(FetchEventSourceErrorEvent.prototype, function (_depth, options, nodeInspect) {
  return `FetchEventSourceErrorEvent ${summary(this.code, this.response, this.message)}${causeOf(this.cause, options, nodeInspect)}`
})

/** Node's inspect, handed to the hook as its third argument (Deno's console passes its own, or nothing). */
type Inspect = (value: unknown, options: object) => string

/** The underlying error, as Node prints an error's `[cause]`: for a network failure it holds the real reason. */
function causeOf(cause: unknown, options: object, nodeInspect: Inspect | undefined): string {
  // A FetchEventSourceError as the cause repeats the code and message just printed (assertEventStream's refusal).
  if (cause === undefined || cause instanceof FetchEventSourceError || typeof nodeInspect !== 'function') return ''
  return `\n  [cause]: ${nodeInspect(cause, options).split('\n').join('\n  ')}`
}

/**
 * Text a server sent (a status text, a Location, an event type), made safe to put in a message: messages end up on
 * terminals and in logs, so C0 and C1 controls and DEL are shown escaped instead of being written raw, and so are
 * the bidirectional formatting characters, which reorder the text around them ("Trojan Source", CVE-2021-42574).
 */
export function printable(text: string): string {
  // The CLI's convention: \x1b for a C0 control or DEL (one byte), \u009b or \u202e for the others (a code point).
  return text.replace(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0)
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** A message that may quote a URL, with any user info in it (`//user:password@`) left out. */
export function withoutUserInfo(text: string): string {
  return text.replace(/\/\/[^/?#\s@]*@/g, '//')
}

function summary(code: FetchEventSourceErrorCode | number, response: Response | undefined, message?: string): string {
  const fields = [`code: ${JSON.stringify(code)}`]
  if (message !== undefined) fields.push(`message: ${JSON.stringify(message)}`)
  if (response !== undefined) fields.push(`status: ${response.status}`)
  return `{ ${fields.join(', ')} }`
}
