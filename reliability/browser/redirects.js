// Each case opens /go (same origin), which answers 307 to the other origin; the other origin records what arrived.
import { FetchEventSource } from '/dist/fetch-eventsource.browser.js'

const cases = JSON.parse(new URLSearchParams(location.search).get('cases') ?? '[]')

const runCase = (c) =>
  new Promise((resolve) => {
    const source = new FetchEventSource(`/go?case=${c.id}`, c.init)
    const finish = (outcome) => {
      clearTimeout(timer)
      source.close()
      resolve({ id: c.id, ...outcome })
    }
    const timer = setTimeout(() => finish({ outcome: 'timeout' }), 5000)
    source.onmessage = (e) => finish({ outcome: 'message', data: e.data, origin: e.origin })
    source.onerror = (e) => finish({ outcome: 'error', code: e.code, message: e.message })
  })

window.__run = (async () => {
  await fetch('/set-cookie')
  const results = []
  for (const c of cases) results.push(await runCase(c))
  return results
})()
