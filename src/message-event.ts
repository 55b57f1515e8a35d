/**
 * The events a source dispatches for messages: MessageEvents to every reader (`instanceof MessageEvent`, the same
 * five attributes, `initMessageEvent`), built without the runtime's `MessageEvent` constructor.
 *
 * Why: on Node 22 and 24 that constructor is undici's WebIDL layer, which converts an init dictionary, validates a
 * `source` and copies a `ports` array for every event. Creating and dispatching one takes about five times as long
 * as this class (bench/event-cost.js), and a token stream is one event per few dozen bytes. An SSE message never has
 * a source or ports, so this class stores its three strings and leaves the rest out.
 *
 * It extends `Event`, so every EventTarget accepts and dispatches it natively (target, phases, listeners,
 * `stopImmediatePropagation`), and its prototype chain runs through `MessageEvent.prototype`, so `instanceof` and
 * `Object.prototype.toString` say MessageEvent. Its own accessors shadow MessageEvent's, whose brand checks it
 * would fail.
 */
export class SourceMessageEvent extends Event implements MessageEvent<string> {
  #data: string
  #origin: string
  #lastEventId: string

  constructor(type: string, data: string, origin: string, lastEventId: string) {
    super(type)
    this.#data = data
    this.#origin = origin
    this.#lastEventId = lastEventId
  }

  get data(): string {
    return this.#data
  }
  get origin(): string {
    return this.#origin
  }
  get lastEventId(): string {
    return this.#lastEventId
  }
  get source(): null {
    return null
  }
  get ports(): ReadonlyArray<MessagePort> {
    return NO_PORTS
  }

  /** The legacy initializer, as the HTML standard defines it; ports are ignored (an SSE message has none). */
  initMessageEvent(
    type: string,
    bubbles = false,
    cancelable = false,
    data: any = null,
    origin = '',
    lastEventId = '',
  ): void {
    // "If this's dispatch flag is set, then return": an event in dispatch has a phase.
    if (this.eventPhase !== 0) return
    this.initEvent(type, bubbles, cancelable)
    this.#data = data
    this.#origin = `${origin}`
    this.#lastEventId = `${lastEventId}`
  }
}

const NO_PORTS: ReadonlyArray<MessagePort> = Object.freeze([])

// Runtimes without MessageEvent (none that run fetch today) still get events with the same attributes. Without
// its own `constructor`, the prototype answers `event.constructor === MessageEvent` as a native event does. The
// tag is WebIDL's class string; some runtimes keep it off MessageEvent.prototype (Deno) or lack it (Node 20).
// Stryker disable next-line ConditionalExpression: true wherever this module runs (Node 20+, Deno, Bun and browsers all have MessageEvent); only a runtime without one, which none of the suites can be, takes the other branch
if (typeof MessageEvent === 'function') {
  Object.setPrototypeOf(SourceMessageEvent.prototype, MessageEvent.prototype)
  delete (SourceMessageEvent.prototype as { constructor?: unknown }).constructor
}
Object.defineProperty(SourceMessageEvent.prototype, Symbol.toStringTag, { value: 'MessageEvent', configurable: true })
// Enumerable, as MessageEvent's own attributes and operation are (WebIDL): `for…in` lists the same five fields and
// initMessageEvent.
for (const name of ['data', 'origin', 'lastEventId', 'source', 'ports', 'initMessageEvent']) {
  Object.defineProperty(SourceMessageEvent.prototype, name, { enumerable: true })
}
