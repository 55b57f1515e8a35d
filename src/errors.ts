/** Why an `error` event fired, besides HTTP status numbers. */
export type FetchEventSourceErrorCode =
  | 'network'
  | 'invalid-content-type'
  | 'response-rejected'
  | 'max-buffer-size-exceeded'
  | 'invalid-base64'
  | 'heartbeat-timeout'

export interface FetchEventSourceErrorDetails {
  /** An HTTP status number for a refused status, otherwise one of the string codes. */
  code: FetchEventSourceErrorCode | number
  message: string
  cause?: unknown
  response?: Response
}

/**
 * Thrown by `assertEventStream`, and the rejection of a `for await` loop whose source failed for good.
 * Carries the same `code`, `cause` and `response` as the `error` event that reported it.
 */
export class FetchEventSourceError extends Error {
  readonly code: FetchEventSourceErrorCode | number
  readonly response: Response | undefined

  constructor(details: FetchEventSourceErrorDetails) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'FetchEventSourceError'
    this.code = details.code
    this.response = details.response
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
