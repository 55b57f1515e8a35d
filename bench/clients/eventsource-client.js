// `eventsource-client` 1.x (Node entry). Messages arrive as plain objects { event, data, id } through `onMessage`;
// the end of the stream calls `onDisconnect` (it would reconnect), where the run closes it.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let createEventSource

export default {
  name: 'eventsource-client',
  label: 'eventsource-client',
  available: () => true,
  version: () => require('eventsource-client/package.json').version,
  async load() {
    ;({ createEventSource } = await import('eventsource-client'))
  },
  open(url, o) {
    const onEvent = o.onEvent
    const es = createEventSource({
      url,
      fetch: o.fetch,
      onMessage(msg) {
        onEvent(msg.event || 'message', msg.data)
      },
      onDisconnect() {
        es.close()
        o.onEnd()
      },
    })
    return () => es.close()
  },
}
