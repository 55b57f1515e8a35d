import { assertEventStream } from './assert-event-stream.js'
import { decodeBase64Utf8 } from './base64.js'
import {
  FetchEventSourceError,
  FetchEventSourceErrorEvent,
  printable,
  withoutUserInfo,
  type FetchEventSourceErrorDetails,
} from './errors.js'
import { EventStreamParser, type EventStreamSink } from './event-stream-parser.js'
import { SourceMessageEvent } from './message-event.js'
import { MessageIterator } from './message-iterator.js'
import { readSettings, type FetchEventSourceInit, type Settings } from './options.js'
import { canWatchPage, isOffline, watchPage } from './page-life.js'
import { buildRequest } from './request.js'
import { clampTimerDelay, reconnectDelay, retryAfter, stormFloor } from './retry-delay.js'
import { SharedConnection, sharedKey, sharedStatus, sharingSupported, type ForwardedMessage, type SharedStatus } from './shared-connection.js'
import type { EventHandlerValue, FetchEventSourceEventMap, FetchEventSourceMessageEvent } from './event-source.js'

const CONNECTING = 0
const OPEN = 1
const CLOSED = 2
/** Shared so the per-chunk decode allocates no options object. */
const STREAM: TextDecodeOptions = { stream: true }

type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSED
/**
 * What a handler attribute holds. `EventHandlerNonNull` is `[LegacyTreatNonObjectAsNull]` (HTML): any object is
 * kept, a callable one is called, and an object that is not callable holds the listener's place but is never
 * called; any other value is null (C7).
 */
type Handler = Callback | object | null
type Callback = (this: FetchEventSource, event: any) => unknown
/** The statuses fetch follows (fetch §4.4 "HTTP-redirect fetch"): with redirect 'manual', Node returns them as is. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
type HandlerType = 'open' | 'message' | 'error'

// Set by the class's static block, where they can reach the source's private members.
let ParserSink: new (source: FetchEventSource) => EventStreamSink
/**
 * The listeners behind the handler attributes, shared by every instance: EventTarget calls a function listener
 * with `this` set to the target, so no source needs closures of its own.
 */
let INVOKERS: Record<HandlerType, (this: FetchEventSource, event: any) => void>
let startPageLife: (source: FetchEventSource) => (() => void) | undefined
let joinShared: (source: FetchEventSource, key: string) => SharedConnection

/**
 * A drop-in `EventSource` on `fetch`: the WHATWG processing model step by step (the comments name the rules of
 * docs/conformance.md, C1–C38), plus the Hertz client's extensions (method, body, headers functions, response
 * callback, buffer limit, base64 data, custom fetch, retry policy, heartbeat, async iteration).
 *
 * Each connection attempt owns an `AbortController`; whichever code path ends an attempt (close, failure,
 * reconnect) aborts it and clears `#controller`, and every await in the attempt checks that it is still the
 * current one before touching state. That single check is what makes `close()` final and leak-free.
 */
export class FetchEventSource extends EventTarget {
  // Defined below the class on the constructor and the prototype, as WebIDL constants: read-only (C5, C6).
  declare static readonly CONNECTING: typeof CONNECTING
  declare static readonly OPEN: typeof OPEN
  declare static readonly CLOSED: typeof CLOSED
  declare readonly CONNECTING: typeof CONNECTING
  declare readonly OPEN: typeof OPEN
  declare readonly CLOSED: typeof CLOSED

  /** The absolute URL (C3); a reconnection goes there too, so it is read-only (C6). */
  readonly #url: string
  readonly #withCredentials: boolean
  #readyState: ReadyState = CONNECTING
  readonly #settings: Settings
  readonly #parser: EventStreamParser
  /** The reconnection time: starts at `retry.initialDelay`, replaced by each valid `retry:` field (C20). */
  #reconnectionTime: number
  /**
   * Attempts in a row that delivered no event: failed ones, and accepted ones that ended empty. An event resets it.
   * Drives backoff (with its storm floor) and `maxAttempts`.
   */
  #failures = 0
  /** Whether the current connection has dispatched a message: decides, when it ends, whether it failed. */
  // Stryker disable next-line BooleanLiteral: every accepted response sets it to false before its connection can end, the only time it is read
  #delivered = false
  #controller: AbortController | undefined
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined
  #heartbeatTimer: ReturnType<typeof setTimeout> | undefined
  #lastActivity = 0
  /** Origin of the current response's final URL (C8), computed once per response, not per event. */
  // Stryker disable next-line StringLiteral: read only once the source has been OPEN, and every way to OPEN sets it first
  #origin = ''
  #iterators: Set<MessageIterator> | undefined
  /** Handler attributes, allocated when the first one is set (most sources use addEventListener or for await). */
  #handlers: Partial<Record<HandlerType, Handler>> | undefined
  #onAbort: (() => void) | undefined
  /** Why the source holds no connection on purpose (page-life.ts: HIDDEN, FROZEN); 0 when it may connect. */
  #suspended = 0
  /** Offline: the next attempt waits for the `online` event instead of a timer. */
  // Stryker disable next-line BooleanLiteral: read only by the online hook, installed with the first attempt, where #connectWhenAllowed sets it (a follower's stays, and the hook's #connectWhenAllowed returns for it)
  #waitingForNetwork = false
  /** Stops watching the page's life (offline, hidden, frozen); undefined where there is nothing to watch. */
  #unwatchPage: (() => void) | undefined
  /** With `shared` in a browser: this source's place among the sources sharing one connection. */
  #shared: SharedConnection | undefined

  // WebIDL's `length` counts the required arguments only (C6): the default keeps the optional `init` out of it.
  constructor(url: string | URL, init: FetchEventSourceInit | null | undefined = undefined) {
    super()
    if (arguments.length === 0) {
      throw new TypeError("Failed to construct 'FetchEventSource': 1 argument required, but only 0 present.")
    }
    // ToString (C1): a template literal converts objects, numbers, null and undefined, and throws for symbols.
    const href = `${url}`
    let parsed: URL
    try {
      parsed = new URL(href, baseURL())
    } catch (error) {
      throw new DOMException(`Failed to construct 'FetchEventSource': The URL '${href}' is invalid.`, 'SyntaxError')
    }
    this.#url = parsed.href
    const settings = readSettings(init)
    this.#settings = settings
    this.#withCredentials = settings.withCredentials
    this.#reconnectionTime = settings.retry.initialDelay
    this.#parser = new EventStreamParser(new ParserSink(this), settings.maxBufferSize)
    this.#parser.reset(settings.lastEventId)
    // Derived now, so a `shared: true` that cannot name its request throws here, in every runtime.
    const key = settings.shared === true ? sharedKey(this.#url, settings) : settings.shared

    const { signal } = settings
    if (signal?.aborted) {
      this.#readyState = CLOSED
      return
    }
    // Created now, so sharedStatus() answers from the start; it joins the others with the first connection attempt.
    if (key !== false && sharingSupported()) this.#shared = joinShared(this, key)
    if (signal !== undefined) {
      this.#onAbort = () => this.close()
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: a signal dispatches abort once, and the close() it calls removes the listener anyway
      signal.addEventListener('abort', this.#onAbort, { once: true })
    }
    // Start after the constructor returns, so `new FetchEventSource(url).close()` sends nothing at all.
    queueMicrotask(() => {
      if (this.#readyState !== CONNECTING) return
      const scheme = parsed.protocol
      if (scheme !== 'http:' && scheme !== 'https:') {
        // Futile to retry (C13): fail at once, without throwing from the constructor.
        this.#fail({ code: 'unsupported-scheme', message: `Cannot connect to ${scheme} URLs: only http and https are supported` })
        return
      }
      if (canWatchPage()) this.#unwatchPage = startPageLife(this)
      if (this.#shared === undefined) this.#connectWhenAllowed()
      else {
        // Stryker disable next-line ConditionalExpression: nothing can suspend the source before this point (startPageLife, just above, only starts a grace timer for a hidden page); only `false` (never join) differs, and it is killed
        if (this.#suspended === 0) this.#shared.attach()
      }
    })
  }

  get url(): string {
    return this.#url
  }

  get withCredentials(): boolean {
    return this.#withCredentials
  }

  get readyState(): ReadyState {
    return this.#readyState
  }

  /** The last event ID string: what the next reconnection sends as `Last-Event-ID` (Hertz `GetLastEventID`). */
  get lastEventId(): string {
    return this.#parser.lastEventId
  }

  // Read as lib.dom's handler type, written precisely: see EventHandlerValue in event-source.ts.
  get onopen(): EventHandlerValue {
    return (this.#handlers?.open ?? null) as EventHandlerValue
  }
  set onopen(handler: ((this: FetchEventSource, event: Event) => unknown) | null) {
    this.#setHandler('open', handler)
  }
  get onmessage(): EventHandlerValue {
    return (this.#handlers?.message ?? null) as EventHandlerValue
  }
  set onmessage(handler: ((this: FetchEventSource, event: FetchEventSourceMessageEvent) => unknown) | null) {
    this.#setHandler('message', handler)
  }
  get onerror(): EventHandlerValue {
    return (this.#handlers?.error ?? null) as EventHandlerValue
  }
  set onerror(handler: ((this: FetchEventSource, event: FetchEventSourceErrorEvent) => unknown) | null) {
    this.#setHandler('error', handler)
  }

  /**
   * With `shared` in a browser: whether this source leads, and how many sources in how many tabs share its
   * connection (from the browser's lock manager). Null when the source does not share (not asked, not supported
   * here, or closed).
   */
  sharedStatus(): Promise<SharedStatus | null> {
    const shared = this.#shared
    return shared === undefined || this.#readyState === CLOSED ? Promise.resolve(null) : sharedStatus(shared.key, shared.holdsLock)
  }

  /** Aborts the request and sets CLOSED synchronously; nothing is dispatched afterwards (C19, C38). */
  close(): void {
    // No check for CLOSED: a second teardown finds nothing left to release (every step of it is idempotent).
    this.#readyState = CLOSED
    this.#teardown()
  }

  /** Every message of every event type, in arrival order, across reconnects. Leaving the loop closes the source. */
  [Symbol.asyncIterator](): AsyncIterableIterator<FetchEventSourceMessageEvent> {
    const iterator = new MessageIterator(() => {
      this.#iterators?.delete(iterator)
      this.close()
    })
    if (this.#readyState === CLOSED) iterator.end()
    else (this.#iterators ??= new Set()).add(iterator)
    return iterator
  }

  // ---- handler attributes -------------------------------------------------------------------------------------

  /**
   * An event handler attribute is one listener whose place in the listener list is fixed when it is first set
   * (C7): assigning another function keeps that place; assigning null removes it. Adding the listener that is
   * already there, or removing one that is not, changes nothing (DOM), so neither needs the previous value.
   */
  #setHandler(type: HandlerType, handler: Handler): void {
    // typeof null is 'object': null stays null.
    const value = typeof handler === 'object' || typeof handler === 'function' ? handler : null
    ;(this.#handlers ??= {})[type] = value
    if (value === null) this.removeEventListener(type, INVOKERS[type])
    else this.addEventListener(type, INVOKERS[type])
  }

  // ---- the handler invokers and what the parser reports (through ParserSink) ----------------------------------

  static {
    // Each reads the handler slot itself: the per-event path through `onmessage` is one call, not a getter and a call.
    INVOKERS = {
      open(event) {
        const handler = this.#handlers!.open
        if (typeof handler === 'function') (handler as Callback).call(this, event)
      },
      message(event) {
        const handler = this.#handlers!.message
        if (typeof handler === 'function') (handler as Callback).call(this, event)
      },
      error(event) {
        const handler = this.#handlers!.error
        if (typeof handler === 'function') (handler as Callback).call(this, event)
      },
    }
    // The parser's sink: one small object per source instead of four closures. Declared here, where its methods
    // reach the source's private members directly: a parsed event is one call from the sink to the source, not two.
    ParserSink = class implements EventStreamSink {
      readonly source: FetchEventSource
      constructor(source: FetchEventSource) {
        this.source = source
      }
      onEvent(type: string, data: string, lastEventId: string): void {
        this.source.#dispatchMessage(type, data, lastEventId)
      }
      onRetry(ms: number): void {
        const source = this.source
        // `retry:` with hundreds of digits parses to Infinity; keep the delay a number timers can take.
        source.#reconnectionTime = clampTimerDelay(ms)
        // Stryker disable next-line StringLiteral: send() stamps the term itself; `'retry'` differs, and is killed
        source.#forward({ t: 'retry', term: '', ms: source.#reconnectionTime })
      }
      // Only a leader cares: its followers must resume from the same id if one of them takes over. Checked before
      // building the message, as for events: a stream of id-only blocks allocates nothing when not shared.
      onLastEventId(lastEventId: string): void {
        // Stryker disable next-line ConditionalExpression,StringLiteral: send() drops the message unless this source leads (the check only spares building it), and stamps the term itself; `false` and `'id'` differ, and are killed
        if (this.source.#shared?.leading) this.source.#forward({ t: 'id', term: '', lastEventId })
      }
      onOverflow(): void {
        const source = this.source
        source.#fail({
          code: 'max-buffer-size-exceeded',
          message: `A line or an event's data exceeded maxBufferSize (${source.#settings.maxBufferSize} characters)`,
        })
      }
    }
    startPageLife = (source) =>
      watchPage(
        {
          suspend: (reason) => source.#suspend(reason),
          resume: (reason) => source.#resume(reason),
          online: () => {
            // Back online: a wait for the network, or a backoff delay that started while offline, ends now.
            // Stryker disable next-line ConditionalExpression,LogicalOperator: widening the test changes nothing, since #connectWhenAllowed returns in every other state (an attempt running, suspended, following, closed); the mutants that narrow it differ, and tests catch them
            if (source.#readyState === CONNECTING && (source.#waitingForNetwork || source.#reconnectTimer !== undefined)) source.#connectWhenAllowed()
          },
          // Stryker disable next-line BlockStatement,ArrowFunction: a reconnect timer that fires while offline leaves the source waiting for the network all the same (#connectWhenAllowed checks isOffline()), and `online` connects it either way
          offline: () => {
            // Stryker disable next-line ConditionalExpression,EqualityOperator: a reconnect timer that fires while offline leaves the source waiting for the network all the same (#connectWhenAllowed checks isOffline()), and `online` connects it either way; a wait set early (an attempt running, the source open) only lets `online` reach #connectWhenAllowed, which then returns or does what the timer would
            if (source.#reconnectTimer === undefined) return
            // Stryker disable next-line CallExpression: a reconnect timer that fires while offline leaves the source waiting for the network all the same (#connectWhenAllowed checks isOffline()), and `online` connects it either way
            source.#clearReconnectTimer()
            source.#waitingForNetwork = true
          },
        },
        source.#settings.pauseWhenHidden,
      )
    joinShared = (source, key) =>
      new SharedConnection(key, {
        lead: (unheard) => source.#lead(unheard),
        receive: (message) => source.#receive(message),
        state: () => ({
          readyState: source.#readyState,
          lastEventId: source.#parser.lastEventId,
          origin: source.#origin,
          retry: source.#reconnectionTime,
        }),
        alone: () => {
          // Sharing refused after all: this source becomes one that never asked to share.
          source.#shared = undefined
          // Stryker disable next-line BooleanLiteral: #shared is undefined by now, so the error an unheard takeover would forward goes nowhere
          source.#lead(false)
        },
      })
  }

  // ---- the page's life and the shared connection --------------------------------------------------------------

  /** Gives up the connection, silently: CONNECTING until `#resume`, with no `error`, since nothing failed. */
  #suspend(reason: number): void {
    // Stryker disable next-line ConditionalExpression: closing removes the page listeners and clears the grace timer, so nothing suspends a closed source; only `true` differs, and it is killed
    if (this.#readyState === CLOSED) return
    const was = this.#suspended
    this.#suspended |= reason
    // Stryker disable next-line ConditionalExpression: for a source already suspended the steps below are all no-ops (it is detached, no attempt or timer is left, and the wait flag is set again on resume); only `true` differs, and it is killed
    if (was !== 0) return
    // A leader's detach says bye and releases the lock: another tab takes the connection over at once.
    this.#shared?.detach()
    this.#endAttempt()
    // Stryker disable next-line CallExpression: a reconnect timer that fires while suspended reaches #connectWhenAllowed, which clears it and returns
    this.#clearReconnectTimer()
    // Stryker disable next-line BooleanLiteral: a suspended source's wait for the network only lets `online` reach #connectWhenAllowed, which returns while suspended; resuming sets it again
    this.#waitingForNetwork = false
    this.#readyState = CONNECTING
  }

  /** Once no reason is left, reconnects at once (with `Last-Event-ID`), or rejoins the shared connection. */
  #resume(reason: number): void {
    if ((this.#suspended & reason) === 0) return
    this.#suspended &= ~reason
    // Stryker disable next-line ConditionalExpression: a closed source has no page listeners to resume it, so `this.#readyState === CLOSED` is never true here; `this.#suspended !== 0` differs, and is killed
    if (this.#suspended !== 0 || this.#readyState === CLOSED) return
    if (this.#shared !== undefined) this.#shared.attach()
    else this.#connectWhenAllowed()
  }

  /**
   * This source now holds the shared connection. Taking over an open one is a reconnection for every page: the
   * same `error` (CONNECTING) and then `open` a dropped connection gives, and the request resumes from the last
   * event ID that was passed on.
   */
  #lead(unheard: boolean): void {
    // Stryker disable next-line ConditionalExpression: for a closed source the rest does nothing (it no longer leads, so nothing is forwarded, and #connectWhenAllowed returns); only `true` differs, and it is killed
    if (this.#readyState === CLOSED) return
    this.#failures = 0
    const details: FetchEventSourceErrorDetails = { code: 'connection-lost', message: 'The context that held the shared connection left; this one takes over' }
    if (this.#readyState === OPEN) {
      this.#readyState = CONNECTING
      this.#report(details)
    } else if (unheard) {
      // Not open here (its hello still unanswered when the lock came), but others may be: they reconnect too.
      this.#forwardError(details)
    }
    this.#connectWhenAllowed()
  }

  /** Passes a message on to the sources that share this one's connection, when it leads (`send` stamps the term). */
  #forward(message: ForwardedMessage): void {
    this.#shared?.send(message)
  }

  /** What the leader passed on: this source follows it as if it held the connection itself. */
  #receive(message: ForwardedMessage): void {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: a closed or suspended source has detached, and a closed channel delivers nothing, so no message reaches it; only `true` differs, and it is killed
    if (this.#readyState === CLOSED || this.#suspended !== 0) return
    switch (message.t) {
      case 'event':
        // Events flow only from an open connection: one that outruns the answer to this source's hello opens it.
        if (this.#readyState !== OPEN) {
          this.#open(message.origin)
          // An open handler may have closed it (TypeScript does not see the handler's effect).
          if ((this.#readyState as ReadyState) !== OPEN) return
        }
        this.#parser.lastEventId = message.lastEventId
        this.#deliver(new SourceMessageEvent(message.type, message.data, message.origin, message.lastEventId))
        return
      case 'id':
        this.#parser.lastEventId = message.lastEventId
        return
      case 'retry':
        this.#reconnectionTime = clampTimerDelay(message.ms)
        return
      case 'state':
        this.#parser.lastEventId = message.lastEventId
        this.#reconnectionTime = clampTimerDelay(message.retry)
        if (message.readyState !== OPEN) return
      // falls through: a leader that is already open opens this source too
      case 'open':
        if (this.#readyState !== OPEN) this.#open(message.origin)
        return
      case 'error': {
        this.#parser.lastEventId = message.lastEventId
        const details: FetchEventSourceErrorDetails = { code: message.code as FetchEventSourceErrorDetails['code'], message: message.message }
        if (message.readyState === CLOSED) {
          this.#fail(details)
          return
        }
        if (message.readyState !== OPEN) this.#readyState = CONNECTING
        else if (this.#readyState !== OPEN) {
          // An error that leaves the connection open (invalid-base64) before the answer to this source's hello.
          this.#open(message.origin)
          if ((this.#readyState as ReadyState) !== OPEN) return
        }
        this.#dispatchError(details)
      }
    }
  }

  #open(origin: string): void {
    this.#origin = origin
    this.#readyState = OPEN
    this.dispatchEvent(new Event('open'))
  }

  /**
   * Connects now, unless the source is closed, suspended, following another tab's leader, or offline (then the
   * `online` event connects it: no attempt is spent on a network that is known to be down).
   */
  #connectWhenAllowed(): void {
    this.#clearReconnectTimer()
    // Stryker disable next-line ConditionalExpression,LogicalOperator: no caller reaches here closed, suspended or with an attempt running (each checks, or those states clear its timer and wait first): a guard; only `true` differs, and it is killed
    if (this.#readyState === CLOSED || this.#suspended !== 0 || this.#controller !== undefined) return
    // Stryker disable next-line ConditionalExpression: a follower never gets here (it starts through attach(), its timer and wait end with its leadership, and #lead leads first); `true` and an unguarded `this.#shared.leading` differ, and are killed
    if (this.#shared !== undefined && !this.#shared.leading) return
    this.#waitingForNetwork = isOffline()
    if (!this.#waitingForNetwork) this.#connect()
  }

  #dispatchMessage(type: string, data: string, lastEventId: string): void {
    if (this.#settings.decodeBase64) {
      const decoded = decodeBase64Utf8(data)
      if (decoded === undefined) {
        // Skipped and reported; the stream itself is fine, so it stays OPEN.
        this.#report({ code: 'invalid-base64', message: `Event data is not valid base64 (event type "${printable(type)}")` })
        return
      }
      data = decoded
    }
    this.#delivered = true
    // Checked before building the message: the per-event path allocates nothing for sharing unless it leads.
    // Stryker disable next-line ConditionalExpression,StringLiteral: send() drops the message unless this source leads (the check only spares building it), and stamps the term itself; `false` and `'event'` differ, and are killed
    if (this.#shared?.leading) this.#forward({ t: 'event', term: '', type, data, lastEventId, origin: this.#origin })
    this.#deliver(new SourceMessageEvent(type, data, this.#origin, lastEventId))
  }

  #deliver(event: SourceMessageEvent): void {
    this.dispatchEvent(event)
    const iterators = this.#iterators
    if (iterators !== undefined) for (const iterator of iterators) iterator.push(event)
  }

  #dispatchError(details: FetchEventSourceErrorDetails): void {
    this.dispatchEvent(new FetchEventSourceErrorEvent(details))
  }

  /** An error event here, and, from a leader, in every page that shares the connection (with the state it leaves). */
  #report(details: FetchEventSourceErrorDetails): void {
    this.#forwardError(details)
    this.#dispatchError(details)
  }

  #forwardError(details: FetchEventSourceErrorDetails): void {
    const { code, message } = details
    // Stryker disable next-line StringLiteral: send() stamps the term itself; `'error'` differs, and is killed
    this.#forward({ t: 'error', term: '', code, message, readyState: this.#readyState, lastEventId: this.#parser.lastEventId, origin: this.#origin })
  }

  // ---- the connection -----------------------------------------------------------------------------------------

  #connect(): void {
    const controller = new AbortController()
    this.#controller = controller
    this.#armHeartbeat()
    // Every failure an attempt can meet is handled inside it; anything that still escapes is a bug, and must end the
    // source with an error rather than leave it CONNECTING forever behind an unhandled rejection.
    this.#attempt(controller).catch((error: unknown) => {
      if (controller === this.#controller) this.#fail({ code: 'network', message: `Unexpected error: ${errorMessage(error)}`, cause: error })
    })
  }

  async #attempt(controller: AbortController): Promise<void> {
    const settings = this.#settings
    let response: Response
    try {
      const request = await buildRequest(settings, this.#url, this.#parser.lastEventId, controller.signal)
      if (controller !== this.#controller) return
      // Looked up per attempt, so a fetch patched after construction (tests, polyfills) is used.
      response = await (settings.fetch ?? globalThis.fetch)(request.url, request.init)
      // A custom fetch (a bare test mock, say) that resolves with something else is a programming error.
      if (typeof response !== 'object' || response === null || typeof response.status !== 'number' || typeof response.headers?.get !== 'function') {
        throw new FetchEventSourceError({ code: 'invalid-request', message: 'Invalid request: the fetch option resolved with something that is not a Response' })
      }
    } catch (error) {
      if (controller !== this.#controller) return
      // A request that cannot be sent (buildRequest's checks, or Node's HTTP client refusing it) is a programming
      // error: it ends the source unless shouldRetry says otherwise.
      if (error instanceof FetchEventSourceError) {
        this.#attemptFailed({ code: error.code, message: error.message, cause: error.cause }, true)
      } else if (isInvalidArgument(error)) {
        this.#attemptFailed({ code: 'invalid-request', message: `Invalid request: fetch refused it: ${errorMessage(error)}`, cause: error }, true)
      } else if (isAbortError(error)) {
        // An abort the source did not cause (page teardown, a custom fetch giving up): fail (C12).
        this.#fail({ code: 'aborted', message: 'The request was aborted', cause: error })
      } else {
        this.#attemptFailed({ code: 'network', message: withoutUserInfo(`Failed to fetch ${this.#url}: ${errorMessage(error)}`), cause: error }, false)
      }
      return
    }
    if (controller !== this.#controller) {
      discard(response)
      return
    }
    // `redirected` too: a custom fetch may follow redirects whatever it is asked.
    if (settings.redirect === 'error' && (isRedirect(response) || response.redirected)) {
      discard(response)
      // An opaque redirect hides its target; a redirect a custom fetch followed names it by its final URL.
      const target = response.type === 'opaqueredirect' ? '' : (response.headers.get('location') ?? response.url)
      const location = target === '' ? '' : ` to ${printable(target)}`
      this.#attemptFailed({ code: 'redirect', message: `Refused a redirect${location} (redirect: 'error')`, response }, true)
      return
    }
    // Only with a heartbeat: a timestamp is a heap number, 16 bytes an idle source would carry for nothing.
    // Stryker disable next-line ConditionalExpression: without a heartbeat the timestamp is never read (the condition only saves storing it)
    if (settings.heartbeatTimeout !== 0) this.#lastActivity = Date.now()

    try {
      if (settings.onResponse !== undefined) await settings.onResponse(response)
      else assertEventStream(response)
    } catch (error) {
      discard(response)
      if (controller !== this.#controller) return
      const details: FetchEventSourceErrorDetails =
        error instanceof FetchEventSourceError
          ? { code: error.code, message: error.message, response, cause: error }
          : { code: 'response-rejected', message: `onResponse refused the response: ${errorMessage(error)}`, response, cause: error }
      // Statuses, content types and refusals end the source unless shouldRetry says otherwise (C14, C15, C18).
      this.#attemptFailed(details, true)
      return
    }
    if (controller !== this.#controller) {
      discard(response)
      return
    }

    // Announce the connection (C16). The backoff count stays: an accepted response that ends without an event
    // is one more failure in a row, so a server that accepts and closes at once cannot draw a reconnect storm.
    this.#origin = originOf(response.url || this.#url)
    this.#delivered = false
    this.#readyState = OPEN
    // Stryker disable next-line StringLiteral: send() stamps the term itself; `'open'` differs, and is killed
    this.#forward({ t: 'open', term: '', origin: this.#origin })
    this.dispatchEvent(new Event('open'))
    if (controller !== this.#controller) {
      discard(response)
      return
    }
    // Handing over (not awaiting) ends this frame, so an open connection keeps one suspended function, not two.
    // Only the body goes on: an idle connection should not keep the Response and its headers alive.
    return this.#read(response.body, controller)
  }

  async #read(body: ReadableStream<Uint8Array> | null, controller: AbortController): Promise<void> {
    const parser = this.#parser
    parser.reset(parser.lastEventId)
    if (body !== null) {
      let reader: ReadableStreamDefaultReader<Uint8Array>
      try {
        reader = body.getReader()
      } catch (error) {
        // onResponse read or locked the body it was handed to check.
        this.#fail({ code: 'response-rejected', message: `The response body cannot be read: ${errorMessage(error)}`, cause: error })
        return
      }
      // A fresh decoder per response: UTF-8 whatever the charset says (C21). The one leading BOM is removed
      // here rather than by the decoder, because Deno's streaming decoder strips a BOM at the start of every
      // decode() call, and a U+FEFF opening a later chunk is content (it spoils that line's field name).
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
      // Stryker disable next-line ConditionalExpression: without a heartbeat the timestamp is never read (the condition only saves storing it)
      const heartbeat = this.#settings.heartbeatTimeout !== 0
      let atStart = true
      try {
        for (;;) {
          // The generator keeps its registers while suspended: `result` and `text` are cleared after use so an idle
          // connection does not hold its last chunk and that chunk's text until the next one arrives.
          let result: ReadableStreamReadResult<Uint8Array> | undefined = await reader.read()
          if (controller !== this.#controller) return
          if (result.done) break
          // Stryker disable next-line ConditionalExpression: without a heartbeat the timestamp is never read (the condition only saves storing it)
          if (heartbeat) this.#lastActivity = Date.now()
          let text = decoder.decode(result.value, STREAM)
          result = undefined
          if (atStart && text !== '') {
            atStart = false
            if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
          }
          parser.feed(text)
          // Stryker disable next-line StringLiteral: memory only (the next chunk's text replaces it before any read)
          text = ''
          // A handler may have closed the source, or the buffer limit failed it, in the middle of the chunk.
          if (controller !== this.#controller) return
        }
      } catch (error) {
        if (controller !== this.#controller) return
        if (isAbortError(error)) this.#fail({ code: 'aborted', message: 'The response was aborted', cause: error })
        else this.#reestablish({ code: 'connection-lost', message: `The connection was lost: ${errorMessage(error)}`, cause: error })
        return
      } finally {
        // A read given up (close, failure, a handler's close) releases the stream; cancelling one that has ended, or
        // failed, is a no-op, so no condition is needed.
        reader.cancel().catch(ignore)
      }
    }
    // The body ended: the pending, incomplete event is discarded with its id (C33), then reconnect (C17).
    this.#reestablish({ code: 'stream-ended', message: 'The server ended the stream' })
  }

  /** An accepted stream ended or broke: CONNECTING, `error`, wait the reconnection time, fetch again (C17). */
  #reestablish(details: FetchEventSourceErrorDetails): void {
    this.#endAttempt()
    // A connection that delivered an event did its job, and backoff starts over; one that ended empty failed.
    // Offline, an empty connection is the network's doing, not the server's: it does not grow the backoff.
    const failures = this.#delivered ? (this.#failures = 0) : isOffline() ? this.#failures : ++this.#failures
    this.#readyState = CONNECTING
    this.#report(details)
    if (this.#readyState === CONNECTING) this.#schedule(reconnectDelay(this.#reconnectionTime, failures, this.#settings.retry))
  }

  /**
   * An attempt failed before a response was accepted. Network errors retry and refusals end by default; then
   * `maxAttempts` and `shouldRetry` have their say.
   */
  #attemptFailed(details: FetchEventSourceErrorDetails, fatal: boolean): void {
    this.#endAttempt()
    if (!fatal && isOffline()) {
      // The browser knows the network is down: this attempt counts against neither maxAttempts nor the backoff,
      // and the next one waits for `online`.
      this.#readyState = CONNECTING
      this.#report({ ...details, message: `${details.message} (offline: waiting for the network)` })
      // Stryker disable next-line ConditionalExpression: a source that an error handler closed has no online hook left to read the flag; only `false` differs, and it is killed
      if (this.#readyState === CONNECTING) this.#waitingForNetwork = true
      return
    }
    const failures = ++this.#failures
    const policy = this.#settings.retry
    if (failures >= policy.maxAttempts) {
      this.#fail({ ...details, message: `${details.message} (gave up after ${failures} attempt${failures === 1 ? '' : 's'})` })
      return
    }
    let verdict: boolean | number = !fatal
    if (policy.shouldRetry !== undefined) {
      try {
        verdict = policy.shouldRetry({ code: details.code, response: details.response, cause: details.cause }, failures)
      } catch (error) {
        this.#fail({ ...details, message: `${details.message} (shouldRetry threw: ${errorMessage(error)})` })
        return
      }
      // shouldRetry may have called close(), which is final (C19): no error, and no reconnect, follows it.
      if (this.#readyState === CLOSED) return
    }
    if (verdict === false) {
      this.#fail(details)
      return
    }
    this.#readyState = CONNECTING
    this.#report(details)
    if (this.#readyState !== CONNECTING) return
    this.#schedule(this.#retryDelay(verdict, failures, details.response))
  }

  /**
   * A number from `shouldRetry` is the caller's choice, uncapped. Otherwise a `Retry-After` the response carried
   * (the server's own answer, so it replaces the reconnection time), capped by `maxDelay`, or else the computed
   * backoff. Either way, never under the storm floor: `Retry-After: 0` in a loop cannot storm.
   */
  #retryDelay(verdict: boolean | number, failures: number, response: Response | undefined): number {
    const policy = this.#settings.retry
    const floor = stormFloor(failures, policy)
    if (typeof verdict === 'number' && !Number.isNaN(verdict)) return clampTimerDelay(Math.max(verdict, floor))
    const requested = retryAfter(response)
    if (requested === undefined) return reconnectDelay(this.#reconnectionTime, failures, policy)
    return clampTimerDelay(Math.max(Math.min(requested, policy.maxDelay), floor))
  }

  /** Fail the connection: CLOSED, one `error`, never reconnect (C18). */
  #fail(details: FetchEventSourceErrorDetails): void {
    if (this.#readyState === CLOSED) return
    this.#readyState = CLOSED
    // Told before the teardown closes the channel: every page sharing the connection fails with it.
    this.#forwardError(details)
    const iterators = this.#iterators
    this.#iterators = undefined
    this.#teardown()
    if (iterators !== undefined) {
      const error = new FetchEventSourceError(details)
      for (const iterator of iterators) iterator.end(error)
    }
    this.#dispatchError(details)
  }

  #schedule(delay: number): void {
    // Stryker disable next-line ConditionalExpression,BlockStatement: a reconnect timer that fires while offline leaves the source waiting for the network all the same (#connectWhenAllowed checks isOffline()), and `online` connects it either way
    if (isOffline()) {
      this.#waitingForNetwork = true
      return
    }
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      // Stryker disable next-line ConditionalExpression: every way out of CONNECTING clears this timer first (close, failure, suspension, a connection), and a leader never receives an open
      if (this.#readyState === CONNECTING) this.#connectWhenAllowed()
    }, delay)
  }

  #clearReconnectTimer(): void {
    // clearTimeout(undefined) does nothing, so this needs no check.
    clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = undefined
  }

  /** Ends the current attempt, if any: its awaits see a stale controller and stop; its socket is released. */
  #endAttempt(): void {
    const controller = this.#controller
    this.#controller = undefined
    this.#parser.stop()
    clearTimeout(this.#heartbeatTimer)
    this.#heartbeatTimer = undefined
    controller?.abort()
  }

  /** Everything `close()` and failures release, so nothing keeps a Node process alive afterwards. */
  #teardown(): void {
    this.#endAttempt()
    this.#clearReconnectTimer()
    this.#shared?.detach()
    this.#unwatchPage?.()
    this.#unwatchPage = undefined
    if (this.#onAbort !== undefined) {
      // Stryker disable next-line OptionalChaining: #onAbort is set only when there is a signal
      this.#settings.signal?.removeEventListener('abort', this.#onAbort)
      this.#onAbort = undefined
    }
    const iterators = this.#iterators
    this.#iterators = undefined
    if (iterators !== undefined) for (const iterator of iterators) iterator.end()
  }

  /**
   * One timer per attempt that checks for silence, instead of a timer reset per chunk: the hot path only stores
   * a timestamp. It covers the wait for response headers too, so a server that accepts and never answers is caught.
   */
  #armHeartbeat(): void {
    const timeout = this.#settings.heartbeatTimeout
    if (timeout === 0) return
    const controller = this.#controller
    this.#lastActivity = Date.now()
    const check = (): void => {
      this.#heartbeatTimer = undefined
      // Stryker disable next-line ConditionalExpression: #endAttempt clears this timer whenever the attempt ends, so the check never runs for a stale one
      if (controller !== this.#controller) return
      const idle = Date.now() - this.#lastActivity
      if (idle < timeout) {
        this.#heartbeatTimer = setTimeout(check, clampTimerDelay(timeout - idle))
        return
      }
      const details: FetchEventSourceErrorDetails = {
        code: 'heartbeat-timeout',
        message: `No data received for ${timeout} ms`,
      }
      if (this.#readyState === OPEN) this.#reestablish(details)
      else this.#attemptFailed(details, false)
    }
    this.#heartbeatTimer = setTimeout(check, clampTimerDelay(timeout))
  }
}

// The interface's shape, as WebIDL gives it to EventSource (C5, C6): the constants on the constructor and the
// prototype, read-only and enumerable; attributes and operations enumerable on the prototype (a class makes its
// members non-enumerable); and the class string "EventSource", for `Object.prototype.toString`.
for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSED', CLOSED]] as const) {
  for (const target of [FetchEventSource, FetchEventSource.prototype]) {
    Object.defineProperty(target, name, { value, enumerable: true, writable: false, configurable: false })
  }
}
for (const name of ['url', 'withCredentials', 'readyState', 'lastEventId', 'onopen', 'onmessage', 'onerror', 'sharedStatus', 'close']) {
  Object.defineProperty(FetchEventSource.prototype, name, { enumerable: true })
}
Object.defineProperty(FetchEventSource.prototype, Symbol.toStringTag, { value: 'EventSource', configurable: true })

// The listener overloads of the public type (event-source.ts), repeated so the class implements it: TypeScript merges
// declared overloads into a class, but cannot merge an interface that extends one (EventTarget's signature differs).
export interface FetchEventSource {
  addEventListener<K extends keyof FetchEventSourceEventMap>(
    type: K,
    listener: (this: FetchEventSource, event: FetchEventSourceEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void
  addEventListener(
    type: string,
    listener: (this: FetchEventSource, event: MessageEvent<string>) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void
  removeEventListener<K extends keyof FetchEventSourceEventMap>(
    type: K,
    listener: (this: FetchEventSource, event: FetchEventSourceEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void
  removeEventListener(
    type: string,
    listener: (this: FetchEventSource, event: MessageEvent<string>) => unknown,
    options?: boolean | EventListenerOptions,
  ): void
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void
}

/** The document's base URL in a page, the worker's location in a worker; none in Node. */
function baseURL(): string | undefined {
  const scope = globalThis as { document?: { baseURI?: string }; location?: { href?: string } }
  try {
    const base = scope.document?.baseURI
    // Stryker disable next-line OptionalChaining: without location the plain access throws, and the catch below returns undefined, as `?.` does
    return base ?? scope.location?.href
  } catch {
    // Deno throws on `location` when started without --location: then there is no base URL.
  }
  return undefined
}

/** The last origin computed: sources on one server share one string instead of holding a copy each. */
// Stryker disable next-line StringLiteral: an interning cache: any initial value gives the same origin strings
let sharedOrigin = ''

function originOf(url: string): string {
  let origin: string
  try {
    origin = new URL(url).origin
  } catch {
    return 'null'
  }
  // Stryker disable next-line ConditionalExpression: an interning cache: assigning an equal string changes no value anyone sees
  if (origin !== sharedOrigin) sharedOrigin = origin
  return sharedOrigin
}

function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError'
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
    return `${error.message}${cause}`
  }
  return String(error)
}

/** A redirect fetch was told not to follow: Node returns the 3xx itself, browsers an opaque-redirect response. */
function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || (REDIRECT_STATUSES.has(response.status) && response.headers.has('location'))
}

/** Releases a response we will not read, so its connection does not linger. */
function discard(response: Response): void {
  const body = response.body
  if (body != null && !body.locked) body.cancel().catch(ignore)
}

/**
 * Node's fetch rejects a request its HTTP client refuses to send (a `content-length: abc`, a `transfer-encoding` or
 * `upgrade` header …) as a network error whose cause says so: the same on every attempt, so not worth retrying.
 */
function isInvalidArgument(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause
  return typeof cause === 'object' && cause !== null && cause.code === 'UND_ERR_INVALID_ARG'
}

function ignore(): void {}
