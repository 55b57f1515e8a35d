// Runs one client scenario in its own process, printing what it sees as JSON lines. The parent test owns the
// server, so if this process fails to exit after `close()`, only the client can be what keeps it alive.
import { FetchEventSource } from '../../dist/index.js'

const [url, scenario] = process.argv.slice(2)
const print = (record) => process.stdout.write(JSON.stringify(record) + '\n')
const closed = () => print({ type: 'closed', at: performance.now() })

const scenarios = {
  // One event, then close() from the handler while the response is still streaming.
  'close-while-open': () => {
    const source = new FetchEventSource(url)
    source.onmessage = (e) => {
      print({ type: 'message', data: e.data })
      source.close()
      closed()
    }
  },
  // The stream ended and the source waits out a long retry: close() must cancel that timer.
  'close-during-reconnect-wait': () => {
    const source = new FetchEventSource(url)
    source.onerror = () => {
      print({ type: 'error', readyState: source.readyState })
      source.close()
      closed()
    }
  },
  // Response headers never come.
  'close-while-connecting': () => {
    const source = new FetchEventSource(url)
    setTimeout(() => {
      source.close()
      closed()
    }, 100)
  },
  // Leaving a for-await loop closes the source.
  'break-for-await': async () => {
    const source = new FetchEventSource(url)
    for await (const event of source) {
      print({ type: 'message', data: event.data })
      break
    }
    print({ type: 'state', readyState: source.readyState })
    closed()
  },
  // The caller's AbortSignal ends everything.
  'abort-signal': () => {
    const controller = new AbortController()
    const source = new FetchEventSource(url, { signal: controller.signal })
    source.onmessage = () => {
      controller.abort()
      print({ type: 'state', readyState: source.readyState })
      closed()
    }
  },
  // A fatal failure (the server answers 404) needs no close() at all.
  'fatal-status': () => {
    const source = new FetchEventSource(url)
    source.onerror = (e) => {
      print({ type: 'error', readyState: source.readyState, code: e.code })
      closed()
    }
  },
}

await scenarios[scenario]()
