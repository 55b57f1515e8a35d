/**
 * The public face of a source: `FetchEventSource` as a structural interface plus a constructor value, the way
 * lib.dom declares its own `EventSource`, so that
 * - an instance is assignable to lib.dom's `EventSource` and the constructor to `typeof EventSource` (a class with
 *   `#private` members would be nominal, and its handler types would not fit lib.dom's);
 * - a project without the DOM lib (Node with `@types/node` only) compiles against them: nothing here names a type
 *   that only lib.dom declares (`HeadersInit`, `BodyInit`, generic `MessageEvent<T>`, `EventListenerObject` …).
 *
 * The implementation is the class in `fetch-event-source.ts`, exported here under these types.
 */
import type { FetchEventSourceErrorEvent } from './errors.js'
import { FetchEventSource as FetchEventSourceClass } from './fetch-event-source.js'
import type { FetchEventSourceInit } from './options.js'
import type { SharedStatus } from './shared-connection.js'

/**
 * A message event: the runtime's own `MessageEvent` with string data. Written against the `MessageEvent` value
 * rather than the type, because lib.dom's type is generic (`MessageEvent<T>`) and `@types/node`'s is not; either
 * way the result is mutually assignable with `MessageEvent<string>` wherever that exists.
 */
export interface FetchEventSourceMessageEvent extends Omit<InstanceType<typeof MessageEvent>, 'data'> {
  readonly data: string
}

export interface FetchEventSourceEventMap {
  open: Event
  message: FetchEventSourceMessageEvent
  error: FetchEventSourceErrorEvent
}

/**
 * What reading a handler attribute returns. lib.dom types its handlers as `(this: EventSource, ev: Event) => any`
 * and compares them strictly, so a source is only assignable to `EventSource` if what it returns accepts at least
 * that. What you assign is typed precisely (see the setters below).
 */
export type EventHandlerValue = ((this: EventTarget, event: Event) => unknown) | null

/** A listener: a function, or an object with `handleEvent` (lib.dom's `EventListenerOrEventListenerObject`). */
export type EventListenerLike = ((event: Event) => unknown) | { handleEvent(event: Event): unknown }

/** lib.dom's `EventListenerOptions` and `AddEventListenerOptions`, which `@types/node` does not declare globally. */
export interface ListenerOptions {
  capture?: boolean
}
export interface AddListenerOptions extends ListenerOptions {
  once?: boolean
  passive?: boolean
  signal?: AbortSignal
}

export interface FetchEventSource extends EventTarget {
  readonly CONNECTING: 0
  readonly OPEN: 1
  readonly CLOSED: 2
  /** The absolute URL. */
  readonly url: string
  readonly withCredentials: boolean
  readonly readyState: 0 | 1 | 2
  /** The last event ID string: what the next reconnection sends as `Last-Event-ID` (Hertz `GetLastEventID`). */
  readonly lastEventId: string

  get onopen(): EventHandlerValue
  set onopen(handler: ((this: FetchEventSource, event: Event) => unknown) | null)
  get onmessage(): EventHandlerValue
  set onmessage(handler: ((this: FetchEventSource, event: FetchEventSourceMessageEvent) => unknown) | null)
  get onerror(): EventHandlerValue
  set onerror(handler: ((this: FetchEventSource, event: FetchEventSourceErrorEvent) => unknown) | null)

  /** Aborts the request and sets CLOSED synchronously; nothing is dispatched afterwards. */
  close(): void
  /**
   * With `shared` in a browser: whether this source leads, and how many sources in how many contexts share its
   * connection. Null when it does not share (not asked, not supported here, or closed).
   */
  sharedStatus(): Promise<SharedStatus | null>

  addEventListener<K extends keyof FetchEventSourceEventMap>(
    type: K,
    listener: (this: FetchEventSource, event: FetchEventSourceEventMap[K]) => unknown,
    options?: boolean | AddListenerOptions,
  ): void
  addEventListener(
    type: string,
    listener: (this: FetchEventSource, event: FetchEventSourceMessageEvent) => unknown,
    options?: boolean | AddListenerOptions,
  ): void
  addEventListener(type: string, listener: EventListenerLike | null, options?: boolean | AddListenerOptions): void
  removeEventListener<K extends keyof FetchEventSourceEventMap>(
    type: K,
    listener: (this: FetchEventSource, event: FetchEventSourceEventMap[K]) => unknown,
    options?: boolean | ListenerOptions,
  ): void
  removeEventListener(
    type: string,
    listener: (this: FetchEventSource, event: FetchEventSourceMessageEvent) => unknown,
    options?: boolean | ListenerOptions,
  ): void
  removeEventListener(type: string, listener: EventListenerLike | null, options?: boolean | ListenerOptions): void

  /** Every message of every event type, in arrival order, across reconnects. Leaving the loop closes the source. */
  [Symbol.asyncIterator](): AsyncIterableIterator<FetchEventSourceMessageEvent>
}

export interface FetchEventSourceConstructor {
  readonly prototype: FetchEventSource
  new (url: string | URL, init?: FetchEventSourceInit): FetchEventSource
  readonly CONNECTING: 0
  readonly OPEN: 1
  readonly CLOSED: 2
}

/** The class under its public type: checked here, so the implementation cannot drift from what is declared. */
export const FetchEventSource: FetchEventSourceConstructor = FetchEventSourceClass
