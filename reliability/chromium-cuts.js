// The exactly-once run under connection cuts, in Chromium: the page (served by the resumable server) streams
// through the cutting proxy, which is another origin, so every attempt is a CORS request with Last-Event-ID.
import { withChromium } from './chromium.js'
import { startCuttingProxy } from './cutting-proxy.js'
import { startResumableServer } from './resumable-server.js'

/**
 * @param {{ total: number, seed: number, framing?: 'chunked' | 'close' | 'mixed', maxBytes?: number, timeoutMs?: number }} options
 */
export async function runChromiumCuts({ total, seed, framing = 'mixed', maxBytes = 4096, timeoutMs = 120_000 }) {
  const server = await startResumableServer({ total, retry: 1, framing })
  const proxy = await startCuttingProxy({ target: { port: server.port }, seed, maxBytes })
  try {
    const result = await withChromium(async (page, browser) => {
      const query = new URLSearchParams({ stream: `${proxy.url}/events`, total: String(total), timeout: String(timeoutMs) })
      await page.goto(`${server.url}/reliability/browser/cuts.html?${query}`, { timeout: 30_000 })
      await page.waitForFunction(() => /** @type {any} */ (window).__run !== undefined, null, { timeout: 30_000 })
      return { version: browser.version(), ...(await page.evaluate(() => /** @type {any} */ (window).__run)) }
    })
    return {
      seed,
      total,
      framing,
      ...result,
      cuts: proxy.cuts.length,
      connections: proxy.stats.connections,
      requests: server.stats.requests,
      preflights: server.stats.preflights,
    }
  } finally {
    await proxy.close()
    await server.close()
  }
}
