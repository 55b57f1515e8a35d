// The parser floor: `eventsource-parser` (4.1.3, patched, as the library ships it inlined) fed from a plain reader.read() loop with
// a streaming TextDecoder. No EventSource object, no Event dispatch: what any EventSource built on it cannot beat.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let createParser

export default {
  name: 'parser',
  label: 'eventsource-parser (floor)',
  available: () => true,
  version: () => require('eventsource-parser/package.json').version,
  async load() {
    ;({ createParser } = await import('eventsource-parser'))
  },
  open(url, o) {
    const controller = new AbortController()
    const onEvent = o.onEvent
    ;(async () => {
      const doFetch = o.fetch || globalThis.fetch
      const response = await doFetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal })
      const parser = createParser({ onEvent: (e) => onEvent(e.event || 'message', e.data) })
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
