// Shared adapter body for EventSource-shaped clients (ours and `eventsource`): the way a user writes it —
// `onmessage` plus `addEventListener` for each named type, the handler reading `event.type` and `event.data`.
// The stream ending makes a spec EventSource fire `error` with readyState CONNECTING (it would reconnect):
// that is the end of a run, so the adapter closes the source there.

/**
 * @param {any} Ctor EventSource-like constructor
 * @param {string} url
 * @param {{ fetch?: typeof fetch, types: string[], onEvent: (type: string, data: string) => void,
 *           onEnd: () => void, onFail: (err: any) => void }} o
 * @returns {() => void} close
 */
export function openEventTarget(Ctor, url, o) {
  const es = new Ctor(url, o.fetch ? { fetch: o.fetch } : undefined)
  const onEvent = o.onEvent
  const handler = (event) => onEvent(event.type, event.data)
  for (const type of o.types) {
    if (type === 'message') es.onmessage = handler
    else es.addEventListener(type, handler)
  }
  es.onerror = (event) => {
    const fatal = es.readyState === 2
    es.close()
    if (fatal) o.onFail(new Error(`error event, readyState CLOSED: ${event.code ?? ''} ${event.message ?? ''}`))
    else o.onEnd()
  }
  return () => es.close()
}
