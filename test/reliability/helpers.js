// Shared by the reliability tests: sources that are always closed (a failed assertion must not leave a source
// reconnecting and the process alive), and bounded waits on events.
import { afterEach } from 'node:test'
import { FetchEventSource } from '../../dist/index.js'

/** @type {Set<FetchEventSource>} */
const sources = new Set()
afterEach(() => {
  for (const source of sources) source.close()
  sources.clear()
})

/**
 * A FetchEventSource closed after the current test whatever happens.
 * @param {string} url @param {import('../../dist/index.js').FetchEventSourceInit} [init]
 */
export function track(url, init) {
  const source = new FetchEventSource(url, init)
  sources.add(source)
  return source
}

/**
 * The next event of `type` on `target` (where `predicate` holds); rejects after `ms`.
 * @param {EventTarget} target @param {string} type @param {number} [ms] @param {(event: any) => boolean} [predicate]
 * @returns {Promise<any>}
 */
export function next(target, type, ms = 5000, predicate = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, listener)
      reject(new Error(`no ${type} event within ${ms} ms`))
    }, ms)
    const listener = (/** @type {Event} */ event) => {
      if (!predicate(event)) return
      clearTimeout(timer)
      target.removeEventListener(type, listener)
      resolve(event)
    }
    target.addEventListener(type, listener)
  })
}

/** @param {number[]} times */
export const gapsOf = (times) => times.slice(1).map((t, i) => t - times[i])
