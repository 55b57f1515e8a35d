// The drop-in promise, for projects with the DOM lib: lib.dom's `EventSource` type accepts a FetchEventSource, its
// constructor type accepts the class, and handlers written for EventSource compile unchanged. Compiled by
// test/package.test.js under `tsc --strict` in the DOM configurations only (without the DOM lib there is no
// `EventSource` type to swap).
import { EventSource as Polyfill, FetchEventSource, type FetchEventSourceErrorCode } from 'fetch-eventsource'

const url = 'https://example.com/events'

// The instance and the constructor, wherever an EventSource or its class is expected.
const es: EventSource = new FetchEventSource(url)
const Native: typeof EventSource = FetchEventSource
const AlsoNative: typeof globalThis.EventSource = Polyfill
function subscribe(source: EventSource): void {
  source.close()
}
subscribe(new FetchEventSource(url, { method: 'POST', body: '{}' }))
const factory: (url: string | URL, init?: EventSourceInit) => EventSource = (u, init) => new Native(u, init)
const states: number[] = [Native.CONNECTING, AlsoNative.OPEN, es.CLOSED, es.readyState]

// Handlers as code written for EventSource has them.
const source = new FetchEventSource(url)
source.onerror = (event: Event) => void event.type
source.onopen = function () {
  this.close()
}
source.onmessage = (event: MessageEvent) => void event.data
source.onmessage = (event: MessageEvent<string>) => void event.data.length
source.addEventListener('price', (event: MessageEvent<string>) => void event.data.length)
source.addEventListener('error', (event: Event) => void event.type)

// And what the library adds, still precise: named events are MessageEvent<string>, errors carry their code.
source.addEventListener('price', (event) => {
  const message: MessageEvent<string> = event
  void message
})
source.onmessage = (event) => {
  const message: MessageEvent<string> = event
  void message
}
source.onerror = function (event) {
  const code: FetchEventSourceErrorCode | number = event.code
  void [code, this.lastEventId]
}
// A handler read back can be handed to code typed for EventSource.
const handler: EventSource['onerror'] = source.onerror
const listeners: Array<EventSource['onmessage']> = [source.onmessage, es.onmessage]

export { es, factory, states, handler, listeners }
