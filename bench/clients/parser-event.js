// The limit, measured: the parser floor plus one bare `Event` created and dispatched per message on an EventTarget
// whose listener (one per event type, as the other clients' handlers) reads `type` and takes the data from the
// parser's message. What a drop-in EventSource built on the parser would cost if its events cost nothing beyond the
// runtime's own Event.
import parser, { loadParser, openParser } from './parser.js'

export default {
  name: 'parser-event',
  label: 'eventsource-parser + bare Event (limit)',
  available: () => true,
  version: parser.version,
  load: loadParser,
  open(url, o) {
    const onEvent = o.onEvent
    const target = new EventTarget()
    let data = ''
    const listener = (event) => onEvent(event.type, data)
    for (const type of o.types) target.addEventListener(type, listener)
    return openParser(url, o, (e) => {
      data = e.data
      target.dispatchEvent(new Event(e.event || 'message'))
    })
  },
}
