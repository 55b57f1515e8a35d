// The exactly-once run under connection cuts, in Node: resumable server ← cutting proxy ← FetchEventSource.
// Used by test/reliability/cuts.test.js (small counts) and reliability/stress.js (10,000 events).

import { FetchEventSource } from '../dist/index.js'
import { startCuttingProxy } from './cutting-proxy.js'
import { EVENT_TYPES, startResumableServer, verifyDelivery } from './resumable-server.js'

/**
 * @param {{ total: number, seed: number, framing?: 'chunked' | 'close' | 'mixed', maxBytes?: number,
 *   timeoutMs?: number, kinds?: import('./cutting-proxy.js').CutKind[] }} options
 */
export async function runNodeCuts({ total, seed, framing = 'mixed', maxBytes = 4096, timeoutMs = 60_000, kinds }) {
  const server = await startResumableServer({ total, retry: 1, framing })
  const proxy = await startCuttingProxy({ target: { port: server.port }, seed, maxBytes, ...(kinds ? { kinds } : {}) })
  /** @type {Array<{ id: string, type: string, data: string }>} */
  const received = []
  /** @type {Record<string, number>} */
  const errors = {}
  const started = performance.now()
  /** @type {FetchEventSource | undefined} */
  let source
  /** @type {{ code: unknown, readyState: number } | undefined} */
  let ending
  // Everything after the servers start is inside the try: a source that throws (a broken build) must still close
  // them, or the test process never exits.
  try {
    source = new FetchEventSource(`${proxy.url}/events`, { retry: { initialDelay: 1, maxDelay: 20 } })
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (event) => received.push({ id: event.lastEventId, type: event.type, data: event.data }))
    }
    const opened = source
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not finished after ${timeoutMs} ms: ${received.length}/${total} events, ${proxy.cuts.length} cuts`)), timeoutMs)
      opened.addEventListener('error', (/** @type {any} */ event) => {
        const key = String(event.code)
        errors[key] = (errors[key] ?? 0) + 1
        if (opened.readyState === FetchEventSource.CLOSED) {
          ending = { code: event.code, readyState: opened.readyState }
          clearTimeout(timer)
          resolve(undefined)
        }
      })
    })
  } finally {
    source?.close()
    await proxy.close()
    await server.close()
  }
  return {
    seed,
    total,
    framing,
    received: received.length,
    problem: verifyDelivery(received, total),
    ending,
    cuts: proxy.cuts.length,
    cutKinds: countBy(proxy.cuts, (c) => `${c.kind}/${c.manner}`),
    cutLog: proxy.cuts,
    connections: proxy.stats.connections,
    requests: server.stats.requests,
    errors,
    durationMs: Math.round(performance.now() - started),
  }
}

/**
 * @template T @param {T[]} list @param {(item: T) => string} key
 * @returns {Record<string, number>}
 */
export function countBy(list, key) {
  /** @type {Record<string, number>} */
  const out = {}
  for (const item of list) out[key(item)] = (out[key(item)] ?? 0) + 1
  return out
}
