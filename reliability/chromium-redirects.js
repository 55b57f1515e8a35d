// What a cross-origin redirect carries in Chromium: the page (origin A, with a cookie) opens a source on A, which
// answers 307 to origin B (same host, another port: cross-origin but same-site, so the cookie could go). B records
// the cookie, Authorization, a custom header and Last-Event-ID of every request and preflight.
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { corsHeaders, listen, preflightHeaders, serveStatic } from '../dist/support.js'
import { withChromium } from './chromium.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')

export const REDIRECT_CASES = [
  { id: 'plain', init: {} },
  { id: 'credentials', init: { withCredentials: true } },
  { id: 'headers', init: { headers: { authorization: 'Bearer secret', 'x-api-key': 'key-123' }, lastEventId: '41' } },
  { id: 'headers-credentials', init: { withCredentials: true, headers: { authorization: 'Bearer secret', 'x-api-key': 'key-123' }, lastEventId: '41' } },
]


export async function runChromiumRedirects() {
  /** @type {Record<string, { method: string, cookie?: string, authorization?: string, apiKey?: string, lastEventId?: string }[]>} */
  const seen = {}
  const b = http.createServer((req, res) => {
    const id = new URL(req.url ?? '/', 'http://b').searchParams.get('case') ?? '?'
    ;(seen[id] ??= []).push({
      method: req.method ?? '',
      cookie: req.headers.cookie,
      authorization: req.headers.authorization,
      apiKey: req.headers['x-api-key'],
      lastEventId: req.headers['last-event-id'],
      ...(req.method === 'OPTIONS' ? { requested: req.headers['access-control-request-headers'] } : {}),
    })
    // B lets every origin in, credentials and any requested header included: what arrives is what is measured.
    const cors = corsHeaders(req, { credentials: true })
    if (req.method === 'OPTIONS') {
      res.writeHead(204, preflightHeaders(req, cors))
      return res.end()
    }
    res.writeHead(200, { ...cors, 'content-type': 'text/event-stream' })
    res.end('data: reached b\n\n')
  })
  const bPort = await listen(b, 0, '127.0.0.1')
  const a = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://a')
    if (url.pathname === '/set-cookie') {
      res.writeHead(200, { 'set-cookie': 'session=secret; Path=/; SameSite=Lax', 'content-type': 'text/plain' })
      return res.end('ok')
    }
    if (url.pathname === '/go') {
      res.writeHead(307, { location: `http://127.0.0.1:${bPort}/events?case=${url.searchParams.get('case')}` })
      return res.end()
    }
    if (!(await serveStatic(req, res, { '/dist/': path.join(root, 'dist'), '/reliability/': here }))) res.writeHead(404).end()
  })
  const aPort = await listen(a, 0, '127.0.0.1')
  try {
    const results = await withChromium(async (page, browser) => {
      await page.goto(`http://127.0.0.1:${aPort}/reliability/browser/redirects.html?cases=${encodeURIComponent(JSON.stringify(REDIRECT_CASES))}`)
      await page.waitForFunction(() => /** @type {any} */ (window).__run !== undefined)
      return { version: browser.version(), outcomes: await page.evaluate(() => /** @type {any} */ (window).__run) }
    })
    return { chromium: results.version, cases: results.outcomes.map((o) => ({ ...o, atB: seen[o.id] ?? [] })) }
  } finally {
    for (const server of [a, b]) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
}
