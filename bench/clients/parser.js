// The parser floor: `eventsource-parser` (4.1.3, patched, as the library ships it inlined) fed from a plain reader.read() loop with
// a streaming TextDecoder. No EventSource object, no Event dispatch: what any EventSource built on it cannot beat.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let createParser

/** Loads the parser (once per process, before the timed runs). */
export async function loadParser() {
  ;({ createParser } = await import('eventsource-parser'))
}

/**
 * Fetches `url` and feeds its body to a parser calling `onMessage`; `o.onEnd` at the end of the body, `o.onFail` on
 * an error. Shared with the measured limit (parser-event.js), so the two differ only in what a message costs.
 * @param {string} url
 * @param {{ fetch?: typeof fetch, onEnd: () => void, onFail: (err: any) => void }} o
 * @param {(message: import('eventsource-parser').EventSourceMessage) => void} onMessage
 * @returns {() => void} close
 */
export function openParser(url, o, onMessage) {
  const controller = new AbortController()
  ;(async () => {
    const doFetch = o.fetch || globalThis.fetch
    const response = await doFetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal })
    const parser = createParser({ onEvent: onMessage })
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
}

export default {
  name: 'parser',
  label: 'eventsource-parser (floor)',
  available: () => true,
  version: () => require('eventsource-parser/package.json').version,
  load: loadParser,
  open(url, o) {
    const onEvent = o.onEvent
    return openParser(url, o, (e) => onEvent(e.event || 'message', e.data))
  },
}
