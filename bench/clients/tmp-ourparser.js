// The parser floor: `eventsource-parser` (3.1.x, the library's dependency) fed from a plain reader.read() loop with
// a streaming TextDecoder. No EventSource object, no Event dispatch: what any EventSource built on it cannot beat.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let P

export default {
  name: 'ourparser',
  label: 'eventsource-parser (floor)',
  available: () => true,
  version: () => require('eventsource-parser/package.json').version,
  async load() {
    ;({ EventStreamParser: P } = await import('./tmp-ourparser.mjs'))
  },
  open(url, o) {
    const controller = new AbortController()
    const onEvent = o.onEvent
    ;(async () => {
      const doFetch = o.fetch || globalThis.fetch
      const response = await doFetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal })
      const parser = new P({ onEvent: (t, d) => onEvent(t, d), onRetry() {}, onOverflow() {} }, 1 << 24); parser.reset('')
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
