// For tests that stub `setTimeout` and `Math.random` to pin exact delays: the real ones, put back after every test
// together with closing every source the test opened, so a failed assertion cannot leave one reconnecting.
import { afterEach } from 'node:test'

export const realSetTimeout = globalThis.setTimeout
export const realClearTimeout = globalThis.clearTimeout
export const realRandom = Math.random

/** Registers the clean-up; add each source a test opens to the returned set. @returns {Set<{ close(): void }>} */
export function closedAfterEach() {
  const opened = new Set()
  afterEach(() => {
    globalThis.setTimeout = realSetTimeout
    globalThis.clearTimeout = realClearTimeout
    Math.random = realRandom
    for (const source of opened) source.close()
    opened.clear()
  })
  return opened
}
