import type { Settings } from './options.js'

/** Timers above 2^31−1 ms fire at once in browsers and Node; a huge `retry:` must mean "very late", not "now". */
const MAX_TIMER_DELAY = 2 ** 31 - 1

/**
 * The wait before the next attempt. `failures` counts failed attempts in a row (0 after a stream that was
 * accepted and then ended): the first reconnect waits exactly the reconnection time, as the spec says, and only
 * repeated failures grow the delay, capped and jittered.
 */
export function reconnectDelay(reconnectionTime: number, failures: number, policy: Settings['retry']): number {
  let delay = reconnectionTime
  if (failures > 1) {
    const grown = reconnectionTime * policy.factor ** (failures - 1)
    delay = Math.min(grown, Math.max(policy.maxDelay, reconnectionTime))
    delay -= delay * policy.jitter * Math.random()
  }
  return Math.min(Math.max(0, Math.round(delay)), MAX_TIMER_DELAY)
}

export function clampTimerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_DELAY)
}
