// Misuse that must not compile: each line is marked @ts-expect-error, so a misuse that compiles (an unused
// directive) fails `tsc --strict`.
import { FetchEventSource, assertEventStream } from 'fetch-eventsource'

const url = 'https://example.com/events'

// @ts-expect-error a URL is required
new FetchEventSource()
// @ts-expect-error the URL is a string or a URL
new FetchEventSource(42)
// @ts-expect-error method is a string
new FetchEventSource(url, { method: 1 })
// @ts-expect-error headers are HeadersInit or a function returning them
new FetchEventSource(url, { headers: 5 })
// @ts-expect-error headers function must return HeadersInit
new FetchEventSource(url, { headers: () => 5 })
// @ts-expect-error withCredentials is a boolean
new FetchEventSource(url, { withCredentials: 'yes' })
// @ts-expect-error body is a BodyInit
new FetchEventSource(url, { method: 'POST', body: { prompt: 'hi' } })
// @ts-expect-error lastEventId is a string
new FetchEventSource(url, { lastEventId: 5 })
// @ts-expect-error maxBufferSize is a number
new FetchEventSource(url, { maxBufferSize: '1024' })
// @ts-expect-error heartbeatTimeout is a number of milliseconds
new FetchEventSource(url, { heartbeatTimeout: '45s' })
// @ts-expect-error shared is a boolean or a string key
new FetchEventSource(url, { shared: 1 })
// @ts-expect-error pauseWhenHidden is a boolean or milliseconds
new FetchEventSource(url, { pauseWhenHidden: '30s' })
// @ts-expect-error decodeBase64 is a boolean
new FetchEventSource(url, { decodeBase64: 1 })
// @ts-expect-error fetch is a function like fetch
new FetchEventSource(url, { fetch: 'fetch' })
// @ts-expect-error fetch is given a URL string, not a URL object
new FetchEventSource(url, { fetch: (input: URL) => fetch(input) })
// @ts-expect-error fetch resolves with a Response
new FetchEventSource(url, { fetch: async (input: string) => input })
// @ts-expect-error signal is an AbortSignal
new FetchEventSource(url, { signal: {} })
// @ts-expect-error onResponse receives a Response
new FetchEventSource(url, { onResponse: (response: string) => void response })
// @ts-expect-error retry.maxAttempts is a number
new FetchEventSource(url, { retry: { maxAttempts: '3' } })
// @ts-expect-error retry.shouldRetry returns a boolean or a number of milliseconds
new FetchEventSource(url, { retry: { shouldRetry: () => 'yes' } })
// @ts-expect-error redirect is 'follow' or 'error'
new FetchEventSource(url, { redirect: 'manual' })
// @ts-expect-error lastEventIdIn is 'header', 'query' or 'both'
new FetchEventSource(url, { lastEventIdIn: 'body' })
// @ts-expect-error unknown options are refused
new FetchEventSource(url, { reconnect: false })

const source = new FetchEventSource(url)
// @ts-expect-error readyState is read-only
source.readyState = 1
// @ts-expect-error url is read-only
source.url = 'https://example.org/'
// @ts-expect-error the constants are read-only
FetchEventSource.OPEN = 3
// @ts-expect-error lastEventId is read-only: set the option instead
source.lastEventId = '7'
// @ts-expect-error message data is a string
source.onmessage = (event: MessageEvent<number>) => event.data.toFixed()
// @ts-expect-error a named event's data is a string
source.addEventListener('tick', (event) => event.data.toFixed())
// @ts-expect-error the error code is a string code or a status number, not always a string
source.addEventListener('error', (event) => event.code.toUpperCase())
// @ts-expect-error an error event has no data
source.addEventListener('error', (event) => event.data)
// @ts-expect-error an error handler gets the error event, not a message
source.onerror = (event: Event & { data: string }) => event.data
// @ts-expect-error not an error code
source.addEventListener('error', (event) => event.code === 'timeout')
// @ts-expect-error a source is not a plain object
const fake: FetchEventSource = { url, readyState: 0 }
void fake
// @ts-expect-error assertEventStream checks a Response
assertEventStream('text/event-stream')

export async function iterate(): Promise<void> {
  for await (const event of source) {
    // @ts-expect-error iterated events carry string data
    const n: number = event.data
    void n
  }
}
