// `eventsource` 5.x (declares node >= 22.12, but runs on Node 20: it needs only fetch, EventTarget, MessageEvent).
import { createRequire } from 'node:module'
import { openEventTarget } from './_event-target.js'

const require = createRequire(import.meta.url)
let EventSource

export default {
  name: 'eventsource',
  label: 'eventsource',
  available: () => true,
  version: () => require('eventsource/package.json').version,
  async load() {
    ;({ EventSource } = await import('eventsource'))
  },
  open(url, o) {
    return openEventTarget(EventSource, url, o)
  },
}
