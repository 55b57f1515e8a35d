// Typical code against the published types: everything here must compile under `tsc --strict` (test/package.test.js
// compiles it against the packed tarball, with Node ESM, bundler and Node-without-DOM settings).
import {
  EventSource,
  FetchEventSource,
  FetchEventSourceError,
  FetchEventSourceErrorEvent,
  assertEventStream,
  type FetchEventSourceErrorCode,
  type FetchEventSourceInit,
  type FetchEventSourceMessageEvent,
  type FetchLike,
  type RetryPolicy,
  type SharedStatus,
} from 'fetch-eventsource'

declare function getToken(): Promise<string>
declare function render(text: string): void

// A drop-in EventSource: the same class under both names, constants on the class and on instances.
const source: FetchEventSource = new EventSource('https://example.com/events')
const states: Array<0 | 1 | 2> = [FetchEventSource.CONNECTING, source.OPEN, source.CLOSED, source.readyState]
const url: string = source.url
const credentials: boolean = source.withCredentials
const lastId: string = source.lastEventId

source.onopen = function (event) {
  const e: Event = event
  const self: FetchEventSource = this
  void e, self
}
source.onmessage = (event) => render(`${event.lastEventId} ${event.origin} ${event.data.toUpperCase()}`)
source.onerror = (event) => {
  const code: FetchEventSourceErrorCode | number = event.code
  if (typeof code === 'number') render(`HTTP ${code} ${event.response?.status ?? ''}`)
  else if (code === 'network') render(event.message)
  if (source.readyState === source.CLOSED) render('ended')
}
source.onmessage = null

// Named events are message events with string data; the error event has its extra fields.
source.addEventListener('price', (event) => render(JSON.parse(event.data).symbol))
source.addEventListener('error', (event) => {
  const code: FetchEventSourceErrorCode | number = event.code
  if (code === 'connection-lost' || code === 'stream-ended' || code === 'redirect' || code === 'invalid-request') render(code)
})
source.addEventListener('error', (event) => render(`${event.code}: ${event.message}`), { once: true })
source.addEventListener('open', () => render('open'))
const listener = { handleEvent: (event: Event) => render(event.type) }
source.addEventListener('custom', listener)
source.removeEventListener('custom', listener)
source.close()

// Every option, including the function forms.
const controller = new AbortController()
const policy: RetryPolicy = {
  initialDelay: 1000,
  maxDelay: 60_000,
  factor: 1.5,
  jitter: 0,
  maxAttempts: 5,
  shouldRetry: (error, attempt) =>
    error.code === 503 ? Number(error.response?.headers.get('retry-after') ?? attempt) * 1000 : error.code === 'network',
}
const init: FetchEventSourceInit = {
  withCredentials: true,
  method: 'POST',
  headers: async () => ({ authorization: `Bearer ${await getToken()}`, 'content-type': 'application/json' }),
  body: () => new Blob(['{"prompt":"hi"}']),
  lastEventId: '42',
  onResponse: async (response) => {
    assertEventStream(response)
    if (response.headers.get('x-deprecated')) throw new Error('refused')
  },
  maxBufferSize: Infinity,
  decodeBase64: true,
  fetch: (input, requestInit) => fetch(input, requestInit),
  signal: controller.signal,
  retry: policy,
  heartbeatTimeout: 45_000,
  redirect: 'error',
  lastEventIdIn: 'both',
  lastEventIdParam: 'lastEventID',
  shared: 'llm-session-42',
  pauseWhenHidden: 60_000,
}
const post = new FetchEventSource(new URL('https://example.com/llm'), init)
// The fetch option takes fetch itself, or a wrapper typed for what it is given: a URL string and an init.
new FetchEventSource('/relative', { fetch })
new FetchEventSource('/relative', { fetch: globalThis.fetch })
async function loggingFetch(url: string, requestInit?: RequestInit): Promise<Response> {
  return fetch(url, requestInit)
}
const wrapped: FetchLike = loggingFetch
new FetchEventSource('/relative', { fetch: wrapped })
new FetchEventSource('/relative', { headers: [['x-a', '1']], body: 'text' })
new FetchEventSource('/relative', { headers: new Headers({ accept: 'text/event-stream' }), body: null })
new FetchEventSource('/prices', { shared: true, pauseWhenHidden: true })

// Sharing status: null when the source does not share.
export async function sharing(source: FetchEventSource): Promise<string> {
  const status: SharedStatus | null = await source.sharedStatus()
  return status === null ? 'own connection' : `${status.key}: ${status.sources} sources in ${status.contexts} contexts, leader ${status.leader}`
}

// Async iteration: every event type; a fatal failure rejects with FetchEventSourceError.
export async function consume(): Promise<string[]> {
  const seen: string[] = []
  try {
    for await (const event of post) {
      const message: FetchEventSourceMessageEvent = event
      seen.push(`${message.type}:${message.data}:${message.lastEventId}:${message.origin}`)
      if (message.data === '[DONE]') break
    }
  } catch (error) {
    if (error instanceof FetchEventSourceError) {
      const status: number | undefined = error.response?.status
      seen.push(`${error.code} ${status ?? ''} ${error.message}`)
    }
  }
  return seen
}

// A structural type: a test double can implement it without the class.
export function isOpen(source: FetchEventSource): boolean {
  return source.readyState === source.OPEN
}

// The error types can be made and checked by users too (tests, custom onResponse checks).
const failure = new FetchEventSourceError({ code: 'invalid-content-type', message: 'nope' })
const failureEvent = new FetchEventSourceErrorEvent({ code: 404, message: 'Not Found', cause: failure })
const isError: boolean = failureEvent instanceof Event && failure instanceof Error

export { states, url, credentials, lastId, isError }

// Options passed through as undefined (exactOptionalPropertyTypes is on in every configuration of the type tests).
declare const maybe: { signal?: AbortSignal; token?: string; attempts?: number }
new FetchEventSource('/relative', {
  signal: maybe.signal,
  headers: maybe.token ? { authorization: maybe.token } : undefined,
  retry: { maxAttempts: maybe.attempts },
  lastEventId: undefined,
})
