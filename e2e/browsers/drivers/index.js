// One interface for every engine:
//   const session = await drivers.chromium.launch({ timeoutMs })
//   await session.goto(url)      // resolves once the page has loaded; the page reports through the test server
//   await session.close()        // always; kills every process the driver started
/**
 * @typedef {object} BrowserSession
 * @property {string} engine
 * @property {string} version
 * @property {string[]} logs               console messages, page errors, driver output (bounded)
 * @property {(url: string, opts?: { timeoutMs?: number }) => Promise<void>} goto
 * @property {() => Promise<string>} userAgent
 * @property {(body: string) => Promise<any>} evaluate   runs `body` as an async function body in the page; for debugging
 * @property {() => Promise<void>} close
 */
import * as chromium from './chromium.js'
import * as firefox from './firefox.js'
import * as webkit from './webkit.js'

export { MissingBrowserError } from './common.js'

/** @type {Record<string, { engine: string, launch: (opts?: { timeoutMs?: number }) => Promise<BrowserSession> }>} */
export const drivers = { chromium, firefox, webkit }
export const engines = Object.keys(drivers)

