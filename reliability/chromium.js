// Chromium for the reliability runs: the system package (/usr/bin/chromium) driven by playwright-core, with the
// project's standard flags. `withChromium(fn)` always closes the browser, whatever fn does.
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS } from '../dist/support.js'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const CHROMIUM_FLAGS = CHROMIUM_ARGS

export const chromiumAvailable = () => existsSync(CHROMIUM_PATH)

/**
 * @template T
 * @param {(page: import('playwright-core').Page, browser: import('playwright-core').Browser) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withChromium(fn) {
  if (!chromiumAvailable()) throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium)`)
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS, headless: true, timeout: 30_000 })
  try {
    const page = await browser.newPage()
    return await fn(page, browser)
  } finally {
    await browser.close()
  }
}
