// The limit, measured: the parser floor plus one bare `Event` created and dispatched per message on an EventTarget
// whose listener (one per event type, as the other clients' handlers) reads `type` and takes the data from the
// parser's message. What a drop-in EventSource built on the parser would cost if its events cost nothing beyond the
// runtime's own Event.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let createParser

export default {
  name: 'parser-event',
  label: 'eventsource-parser + bare Event (limit)',
  available: () => true,
  version: () => require('eventsource-parser/package.json').version,
  async load() {
    ;({ createParser } = await import('eventsource-parser'))
  },
  open(url, o) {
    const controller = new AbortController()
    const onEvent = o.onEvent
    const target = new EventTarget()
    let data = ''
    const listener = (event) => onEvent(event.type, data)
    for (const type of o.types) target.addEventListener(type, listener)
    ;(async () => {
      const doFetch = o.fetch || globalThis.fetch
      const response = await doFetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal })
      const parser = createParser({
        onEvent: (e) => {
          data = e.data
          target.dispatchEvent(new Event(e.event || 'message'))
        },
      })
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        parser.feed(decoder.decode(value, { stream: true }))
      }
      const tail = decoder.decode()
      if (tail) parser.feed(tail)
      o.onEnd()
    })().catch((err) => {
      if (!controller.signal.aborted) o.onFail(err)
    })
    return () => controller.abort()
  },
}
