// Harness for the demo smoke tests in Chromium (test/demo-browser.test.js): launches Debian's Chromium through
// playwright-core, opens demo pages in fresh contexts (or as more tabs of one context), waits on DOM conditions
// with bounded timeouts, records page errors and network requests, and (with SCREENSHOTS=1) saves screenshots to
// docs/screenshots/.
//
// Nothing here sleeps to wait for something to happen: every wait is a page.waitForFunction with a timeout.
// `quietPeriod` is the one fixed sleep, used only to assert that nothing more happens.

import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS } from '../../dist/support.js'

const here = path.dirname(fileURLToPath(import.meta.url))
export const ROOT = path.resolve(here, '../..')
export const BROWSER_BUILD = path.join(ROOT, 'dist/fetch-eventsource.browser.js')
export const SCREENSHOT_DIR = path.join(ROOT, 'docs/screenshots')
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const VIEWPORT = { width: 1200, height: 800 }
export const SCREENSHOTS = process.env.SCREENSHOTS === '1'

/** Default bound for one DOM condition. Generous for a loaded 2-core machine; conditions normally hold in < 1 s. */
export const WAIT_MS = 10_000

const ARGS = CHROMIUM_ARGS

/**
 * Throws (never skips) when what the tests need is not there: Chromium, or the library's browser build.
 */
export function checkPrerequisites() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Install the Debian package "chromium" (apt-get install -y chromium), ` +
        'or set CHROMIUM_PATH to a Chromium binary.',
    )
  }
  if (!existsSync(BROWSER_BUILD)) {
    throw new Error(`${path.relative(ROOT, BROWSER_BUILD)} is missing: run \`npm run build\` first (the demo pages import it).`)
  }
}

/** @returns {Promise<import('playwright-core').Browser>} */
export async function launchChromium() {
  checkPrerequisites()
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 30_000 })
}

/**
 * @typedef {{
 *   page: import('playwright-core').Page,
 *   context: import('playwright-core').BrowserContext,
 *   errors: string[],
 *   requests: Array<{ url: string, method: string, headers: Record<string, string>, at: number }>,
 *   failed: Array<{ url: string, errorText: string }>,
 *   dialogs: string[],
 * }} DemoPage
 */

/**
 * Opens `url` in a fresh browser context (1200×800) and records what happens on the page: uncaught errors,
 * console errors (CSP violations show up there), requests, failed requests and dialogs (dismissed).
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 * @param {{ waitForReady?: boolean }} [options] waitForReady: the page's module set <html data-ready>
 * @returns {Promise<DemoPage>}
 */
export async function openPage(browser, url, options) {
  const context = await browser.newContext({ viewport: VIEWPORT })
  context.setDefaultTimeout(WAIT_MS)
  try {
    return await openTab(context, url, options)
  } catch (e) {
    await context.close().catch(() => {})
    throw e
  }
}

/**
 * Opens `url` in another page (tab) of an existing context, recording as openPage does. Pages of one context are
 * one browser profile: they share Web Locks and BroadcastChannels. Each page records only its own requests.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} url
 * @param {{ waitForReady?: boolean }} [options]
 * @returns {Promise<DemoPage>}
 */
export async function openTab(context, url, { waitForReady = true } = {}) {
  const page = await context.newPage()
  /** @type {DemoPage} */
  const demo = { page, context, errors: [], requests: [], failed: [], dialogs: [] }
  page.on('pageerror', (e) => demo.errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') demo.errors.push(`console.error: ${m.text()}`)
  })
  page.on('request', (r) => demo.requests.push({ url: r.url(), method: r.method(), headers: r.headers(), at: Date.now() }))
  page.on('requestfailed', (r) => demo.failed.push({ url: r.url(), errorText: r.failure()?.errorText ?? '' }))
  page.on('dialog', (d) => {
    demo.dialogs.push(`${d.type()}: ${d.message()}`)
    d.dismiss().catch(() => {})
  })
  try {
    await page.goto(url, { waitUntil: 'load', timeout: WAIT_MS })
    if (waitForReady) {
      await waitFor(demo, 'the page module to run (html[data-ready])', () => document.documentElement.dataset.ready === '1')
    }
  } catch (e) {
    await page.close().catch(() => {})
    throw e
  }
  return demo
}

/**
 * Waits until `fn(arg)` is truthy in the page, at most `timeout` ms; on timeout the error names the condition
 * and shows the page's connection badge and recorded errors. Returns the truthy value.
 * @template A, R
 * @param {DemoPage} demo
 * @param {string} what
 * @param {(arg: A) => R} fn runs in the page
 * @param {A} [arg]
 * @param {number} [timeout]
 * @returns {Promise<R>}
 */
export async function waitFor(demo, what, fn, arg, timeout = WAIT_MS) {
  try {
    const handle = await demo.page.waitForFunction(/** @type {any} */ (fn), arg, { timeout, polling: 50 })
    const value = /** @type {R} */ (await handle.jsonValue())
    await handle.dispose()
    return value
  } catch (e) {
    const state = await demo.page
      .evaluate(() => {
        const badge = document.getElementById('state')
        const detail = document.getElementById('state-detail')
        return badge ? `${badge.textContent} ${detail?.textContent ?? ''}`.trim() : '(no badge)'
      })
      .catch(() => '(page unavailable)')
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e)
    throw new Error(`waiting for ${what}: ${message}; badge: ${state}; page errors: ${JSON.stringify(demo.errors)}`)
  }
}

/**
 * The one permitted fixed wait: lets time pass so a test can assert that nothing more happened.
 * @param {number} ms
 */
export const quietPeriod = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Saves a 1200×800 screenshot to docs/screenshots/NAME.png when SCREENSHOTS=1; returns the path or undefined.
 * Moves the mouse out of the way and blurs the focused element first, so no hover/focus ring shows.
 * @param {DemoPage} demo
 * @param {string} name
 */
export async function screenshot(demo, name) {
  if (!SCREENSHOTS) return undefined
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const file = path.join(SCREENSHOT_DIR, `${name}.png`)
  await demo.page.mouse.move(0, 0)
  await demo.page.evaluate(() => /** @type {HTMLElement | null} */ (document.activeElement)?.blur?.())
  await demo.page.screenshot({ path: file, animations: 'disabled', caret: 'hide' })
  return file
}

/**
 * Requests whose URL path is `pathname` (query ignored).
 * @param {DemoPage} demo
 * @param {string} pathname
 */
export function requestsTo(demo, pathname) {
  return demo.requests.filter((r) => new URL(r.url).pathname === pathname)
}

/** @param {DemoPage} demo */
export function badge(demo) {
  return demo.page.evaluate(() => ({
    state: document.getElementById('state')?.dataset.state ?? '',
    text: document.getElementById('state')?.textContent ?? '',
    detail: document.getElementById('state-detail')?.textContent ?? '',
  }))
}

/**
 * Starts recording every data-state the page's connection badge takes, from now on.
 * Read the list with `badgeHistory`.
 * @param {DemoPage} demo
 */
export async function recordBadge(demo) {
  await demo.page.evaluate(() => {
    const el = /** @type {HTMLElement} */ (document.getElementById('state'))
    const seen = /** @type {string[]} */ ([])
    ;/** @type {any} */ (window).__badgeStates = seen
    /** @param {string} state */
    const push = (state) => {
      if (seen[seen.length - 1] !== state) seen.push(state)
    }
    // Records are delivered in batches: each one's oldValue is the value before it, so the value after record i
    // is record i+1's oldValue (or the current value for the last record). No intermediate state is lost.
    new MutationObserver((records) => {
      records.forEach((record, i) => push(i + 1 < records.length ? records[i + 1].oldValue ?? '' : el.dataset.state ?? ''))
    }).observe(el, { attributes: true, attributeFilter: ['data-state'], attributeOldValue: true })
  })
}

/**
 * @param {DemoPage} demo
 * @returns {Promise<string[]>}
 */
export function badgeHistory(demo) {
  return demo.page.evaluate(() => /** @type {any} */ (window).__badgeStates ?? [])
}
