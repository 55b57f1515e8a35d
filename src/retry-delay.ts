import type { Settings } from './options.js'

/** Timers above 2^31−1 ms fire at once in browsers and Node; a huge `retry:` must mean "very late", not "now". */
const MAX_TIMER_DELAY = 2 ** 31 - 1

/**
 * The least wait before a second attempt in a row that delivered no event, doubling with each further one (up to
 * `maxDelay`). Backoff multiplies the reconnection time, so without a floor a reconnection time of 0 (a server's
 * `retry: 0`, or `initialDelay: 0`) would retry a dead server thousands of times a second.
 */
export const STORM_FLOOR = 100

/**
 * The wait before the next attempt. `failures` counts attempts in a row that delivered no event, this one
 * included: the first reconnect waits exactly the reconnection time, as the spec says, and only repeated failures
 * grow the delay, capped and jittered, and never below the storm floor or the reconnection time.
 */
export function reconnectDelay(reconnectionTime: number, failures: number, policy: Settings['retry']): number {
  if (failures <= 1) return clampTimerDelay(reconnectionTime)
  const floor = stormFloor(failures, policy)
  const cap = Math.max(policy.maxDelay, reconnectionTime)
  const delay = Math.min(Math.max(reconnectionTime * policy.factor ** (failures - 1), floor), cap)
  const spread = delay * policy.jitter * Math.random()
  // Jitter spreads clients out: taken off a grown delay, but added where taking it off would wait less than the
  // reconnection time, which the standard waits in full, "optionally some more" (C17). That happens near the cap
  // (a server's retry: close to maxDelay) and with small factors; clamping there instead would put every client
  // retrying a dead server back in step.
  const jittered = delay - spread >= reconnectionTime ? delay - spread : reconnectionTime + spread
  // Never below the storm floor either.
  return clampTimerDelay(Math.max(Math.round(jittered), floor))
}

/**
 * The least wait after `failures` attempts in a row without an event, whoever chose the delay (a `shouldRetry`
 * number, a `Retry-After`): 0 for the first, then 100 ms doubling, capped by `maxDelay` (but never under 100 ms).
 */
export function stormFloor(failures: number, policy: Settings['retry']): number {
  if (failures <= 1) return 0
  return Math.min(STORM_FLOOR * 2 ** (failures - 2), Math.max(policy.maxDelay, STORM_FLOOR))
}

export function clampTimerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_DELAY)
}

/**
 * A `Retry-After` header in milliseconds from now: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable.
 */
export function retryAfter(response: Response | undefined): number | undefined {
  const value = response?.headers.get('retry-after')
  if (value == null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}
