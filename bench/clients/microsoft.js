// `@microsoft/fetch-event-source` 2.x. It is written for browsers: it reads `window.fetch`,
// `window.setTimeout` and `document.addEventListener('visibilitychange')`, so Node needs tiny shims.
// Its ESM build imports './parse' without an extension (unloadable by Node's ESM loader): use the CJS build.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let fetchEventSource

export default {
  name: 'microsoft',
  label: '@microsoft/fetch-event-source',
  available: () => true,
  version: () => require('@microsoft/fetch-event-source/package.json').version,
  async load() {
    if (!('window' in globalThis)) globalThis.window = globalThis
    if (!('document' in globalThis)) {
      globalThis.document = { hidden: false, addEventListener() {}, removeEventListener() {} }
    }
    ;({ fetchEventSource } = require('@microsoft/fetch-event-source'))
  },
  open(url, o) {
    const controller = new AbortController()
    const onEvent = o.onEvent
    fetchEventSource(url, {
      fetch: o.fetch,
      signal: controller.signal,
      openWhenHidden: true, // no page visibility in Node
      onmessage(msg) {
        onEvent(msg.event || 'message', msg.data)
      },
      onerror(err) {
        throw err // no retries: a failure ends the run
      },
    }).then(
      () => {
        if (!controller.signal.aborted) o.onEnd()
      },
      (err) => o.onFail(err),
    )
    return () => controller.abort()
  },
}
