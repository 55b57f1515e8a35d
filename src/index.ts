export { FetchEventSource, FetchEventSource as EventSource } from './event-source.js'
export type {
  EventHandlerValue,
  AddListenerOptions,
  EventListenerLike,
  ListenerOptions,
  FetchEventSourceConstructor,
  FetchEventSourceEventMap,
  FetchEventSourceMessageEvent,
} from './event-source.js'
export { assertEventStream } from './assert-event-stream.js'
export {
  FetchEventSourceError,
  FetchEventSourceErrorEvent,
  type FetchEventSourceErrorCode,
  type FetchEventSourceErrorDetails,
} from './errors.js'
export type { BodySource, FetchEventSourceInit, FetchLike, HeadersSource, RetryErrorInfo, RetryPolicy } from './options.js'
export type { SharedStatus } from './shared-connection.js'
