// A custom `fetch` serving scripted bytes from memory: parser and dispatch cases with exact chunk boundaries,
// no sockets, no timing.

const encoder = new TextEncoder()

/** @param {string | Uint8Array} chunk */
export const bytes = (chunk) => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk)

/**
 * @param {Array<{ chunks?: Array<string | Uint8Array>, status?: number, headers?: Record<string, string>, url?: string }>} responses
 *   one per attempt; attempts past the end get 204 (which ends an EventSource)
 * @returns {typeof fetch & { requests: Request[] }}
 */
export function memoryFetch(responses) {
  const requests = []
  const fetchImpl = async (input, init) => {
    const request = new Request(input, init)
    requests.push(request)
    const spec = responses[requests.length - 1]
    if (spec === undefined) return new Response(null, { status: 204 })
    const queue = (spec.chunks ?? []).map(bytes)
    const body = new ReadableStream({
      pull(controller) {
        const next = queue.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(next)
      },
    })
    const response = new Response(body, {
      status: spec.status ?? 200,
      headers: spec.headers ?? { 'content-type': 'text/event-stream' },
    })
    if (spec.url !== undefined) Object.defineProperty(response, 'url', { value: spec.url })
    return response
  }
  return Object.assign(fetchImpl, { requests })
}

/**
 * Runs one response to its end and returns what was dispatched: every message (all types, via the async
 * iterator), and the source's last event ID when the stream ended.
 * @param {import('../../dist/index.js').FetchEventSource extends infer T ? any : never} FetchEventSource
 * @param {Array<string | Uint8Array>} chunks
 * @param {object} [init]
 */
export async function dispatched(FetchEventSource, chunks, init = {}) {
  const source = new FetchEventSource('http://stream.test/', {
    ...init,
    fetch: memoryFetch([{ chunks }]),
  })
  const events = []
  const errors = []
  let lastEventId
  source.addEventListener('error', (event) => {
    errors.push({ code: event.code, readyState: source.readyState })
    if (source.readyState === source.CONNECTING) {
      // The first end of stream: record and stop before the reconnect.
      lastEventId = source.lastEventId
      source.close()
    }
  })
  for await (const event of source) events.push({ type: event.type, data: event.data, lastEventId: event.lastEventId })
  return { events, errors, lastEventId: lastEventId ?? source.lastEventId }
}
