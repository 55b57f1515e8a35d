// Firefox ESR (Debian package "firefox-esr") driven by puppeteer-core over WebDriver BiDi.
import puppeteer from 'puppeteer-core'
import { killByMarker, pageSession, killGroup, logRing, requireBinaries, withTimeout } from './common.js'

export const engine = 'firefox'
export const executablePath = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr'

/**
 * @param {{ timeoutMs?: number }} [opts]
 * @returns {Promise<import('./index.js').BrowserSession>}
 */
export async function launch({ timeoutMs = 30_000 } = {}) {
  requireBinaries(engine, [[executablePath, 'firefox-esr']])
  const log = logRing()
  /** @type {import('puppeteer-core').Browser | undefined} */
  let browser
  /** @type {number | undefined} */
  let pid
  /** @type {string | undefined} */
  let profile
  const cleanup = async () => {
    if (browser) await withTimeout(browser.close(), 10_000, 'firefox close').catch((e) => log.push(String(e)))
    killGroup(pid) // puppeteer spawns detached and kills the group; this is the safety net
    if (profile) killByMarker(profile)
  }
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath,
      headless: true,
      timeout: timeoutMs,
      protocolTimeout: timeoutMs,
      handleSIGINT: true,
      handleSIGTERM: true,
    })
    const proc = browser.process()
    pid = proc?.pid
    const args = proc?.spawnargs ?? []
    profile = args[args.indexOf('--profile') + 1]
    const page = await browser.newPage()
    const version = (await browser.version()).replace(/^[a-z]+\//i, '')
    return pageSession({ engine, version, page, log, timeoutMs, cleanup })
  } catch (e) {
    await cleanup()
    throw e
  }
}
