// Server restarts: the resumable server runs in its own process, is SIGKILLed while clients stream from it, stays
// down until every client has failed `downAttempts` reconnections (so the backoff is observable), and is started
// again on the same port. Every client must then resume without loss or duplicates, and the waits between its
// attempts must follow the retry policy: the first reconnect waits the reconnection time, failed attempts grow
// the wait by `factor` up to `maxDelay`, and an accepted response resets the growth (seen again at the next kill).
//
// Used by test/reliability/restarts.test.js and reliability/stress.js.

import { FetchEventSource } from '../dist/index.js'
import { spawnServer } from './child-server.js'
import { EVENT_TYPES, verifyDelivery } from './stream-script.js'

/**
 * The waits the policy asks for after a stream is lost, for `failures` failed attempts after it:
 * reconnection time after the loss, then reconnectionTime × factor^(n-1) capped at maxDelay, n = 1, 2, …
 * @param {{ initialDelay: number, factor: number, maxDelay: number }} policy @param {number} count
 */
export function nominalDelays(policy, count) {
  const out = [policy.initialDelay]
  for (let n = 1; out.length < count; n++) {
    out.push(n === 1 ? policy.initialDelay : Math.min(policy.initialDelay * policy.factor ** (n - 1), Math.max(policy.maxDelay, policy.initialDelay)))
  }
  return out
}

/**
 * @param {{ clients: number, total: number, kills: number, downAttempts: number, interval?: number,
 *   policy: { initialDelay: number, maxDelay: number, factor: number, jitter: number }, timeoutMs?: number }} options
 */
export async function runServerRestarts({ clients, total, kills, downAttempts, interval = 2, policy, timeoutMs = 60_000 }) {
  const serverOptions = { port: 0, total, batch: 1, interval }
  let server = await spawnServer('resumable-server.js', serverOptions)
  const port = server.port
  const started = performance.now()

  /** @typedef {{ source: FetchEventSource, received: Array<{ id: string, type: string, data: string }>, log: Array<[string, number]>, done: boolean }} Client */
  /** @type {Client[]} */
  const all = []
  /** @type {Set<() => void>} */
  const watchers = new Set()
  const notify = () => {
    for (const check of [...watchers]) check()
  }
  /**
   * Resolves when `predicate` holds (checked at every client event); rejects after the deadline.
   * @param {() => boolean} predicate @param {string} what
   */
  const until = (predicate, what) =>
    new Promise((resolve, reject) => {
      if (predicate()) return resolve(undefined)
      const timer = setTimeout(() => {
        watchers.delete(check)
        reject(new Error(`timed out waiting for ${what}`))
      }, timeoutMs)
      const check = () => {
        if (!predicate()) return
        clearTimeout(timer)
        watchers.delete(check)
        resolve(undefined)
      }
      watchers.add(check)
    })

  /** Errors after the last open: the attempts that failed while the server was down (plus the loss itself). */
  const failuresSinceOpen = (/** @type {Client} */ client) => {
    let n = 0
    for (let k = client.log.length - 1; k >= 0 && client.log[k][0] !== 'open'; k--) if (client.log[k][0] === 'error') n++
    return n
  }
  /** @type {number[]} */
  const killTimes = []
  // Everything after the server starts is inside the try: a source that throws (a broken build) must still stop
  // the server's process, or the test process never exits.
  try {
    for (let c = 0; c < clients; c++) {
      /** @type {Client} */
      const client = { source: /** @type {any} */ (undefined), received: [], log: [], done: false }
      client.source = new FetchEventSource(`http://127.0.0.1:${port}/events`, {
        retry: policy,
        fetch: (input, init) => {
          client.log.push(['attempt', performance.now()])
          return fetch(input, init)
        },
      })
      for (const type of EVENT_TYPES) {
        client.source.addEventListener(type, (event) => {
          client.received.push({ id: event.lastEventId, type: event.type, data: event.data })
          notify()
        })
      }
      client.source.addEventListener('open', () => {
        client.log.push(['open', performance.now()])
        notify()
      })
      client.source.addEventListener('error', () => {
        client.log.push(['error', performance.now()])
        if (client.source.readyState === FetchEventSource.CLOSED) client.done = true
        notify()
      })
      all.push(client)
    }

    for (let k = 1; k <= kills; k++) {
      const mark = Math.floor((total * k) / (kills + 1))
      await until(() => all.every((c) => c.received.length >= mark), `every client to reach event ${mark}`)
      killTimes.push(performance.now())
      await server.kill()
      // The loss itself is one error; each refused reconnection is another.
      await until(() => all.every((c) => failuresSinceOpen(c) >= downAttempts + 1), `${downAttempts} failed attempts per client`)
      server = await spawnServer('resumable-server.js', { ...serverOptions, port })
      await until(() => all.every((c) => c.log.at(-1)?.[0] === 'open' || c.received.length > mark), 'every client to reconnect')
    }
    await until(() => all.every((c) => c.done), 'every client to finish (204)')
  } finally {
    for (const c of all) c.source?.close()
    await server.kill()
  }

  // Per kill: the waits between each error and the next attempt, from the first error after the kill (the loss)
  // until the next open.
  const outages = all.map((client) =>
    killTimes.map((killedAt) => {
      const waits = []
      let k = client.log.findIndex(([kind, t]) => kind === 'error' && t >= killedAt)
      let lastError = client.log[k][1]
      for (k++; k < client.log.length && client.log[k][0] !== 'open'; k++) {
        const [kind, t] = client.log[k]
        if (kind === 'error') lastError = t
        else waits.push(Math.round((t - lastError) * 10) / 10)
      }
      return waits
    }),
  )
  const problems = all.map((c) => verifyDelivery(c.received, total)).filter(Boolean)
  return {
    clients,
    total,
    kills,
    problems,
    outages,
    nominal: nominalDelays(policy, downAttempts + 2),
    durationMs: Math.round(performance.now() - started),
  }
}
