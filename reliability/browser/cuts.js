// The browser half of the cut test: the same FetchEventSource build users load with <script type="module">,
// the same verification as Node (stream-script.js).
import { FetchEventSource } from '/dist/fetch-eventsource.browser.js'
import { EVENT_TYPES, verifyDelivery } from '/reliability/stream-script.js'

const params = new URLSearchParams(location.search)
const stream = params.get('stream')
const total = Number(params.get('total'))
const timeoutMs = Number(params.get('timeout') ?? 60000)

window.__run = new Promise((resolve) => {
  const received = []
  const errors = {}
  const uncaught = []
  window.addEventListener('error', (e) => uncaught.push(String(e.message)))
  window.addEventListener('unhandledrejection', (e) => uncaught.push(String(e.reason)))
  const started = performance.now()
  const source = new FetchEventSource(stream, { retry: { initialDelay: 1, maxDelay: 20 } })
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (e) => received.push({ id: e.lastEventId, type: e.type, data: e.data }))
  }
  const finish = (ending) => {
    clearTimeout(timer)
    source.close()
    resolve({
      userAgent: navigator.userAgent,
      received: received.length,
      problem: verifyDelivery(received, total),
      ending,
      errors,
      uncaught,
      durationMs: Math.round(performance.now() - started),
    })
  }
  const timer = setTimeout(() => finish({ timeout: true }), timeoutMs)
  source.addEventListener('error', (e) => {
    errors[String(e.code)] = (errors[String(e.code)] ?? 0) + 1
    if (source.readyState === FetchEventSource.CLOSED) finish({ code: e.code, readyState: source.readyState })
  })
})
