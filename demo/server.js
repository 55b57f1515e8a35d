// Demo server (`npm start`): stock prices, chat and an LLM-style stream, each a page using the
// library's self-contained browser build from /dist/. Wiring only; the demos live in their modules.
//
//   node demo/server.js [--port N] [--host H] [--allowed-host name:port]...   PORT and HOST from the env work too
//                                                   (defaults: a free port on 127.0.0.1)
//
// Routes: /, /stocks, /chat, /llm (pages) · GET /price · /chat/* · POST /llm/stream · /dist/* · static
//
// Every request must name this server in its Host header (a DNS-rebinding page names its own domain), cross-origin
// requests are refused (Origin, or Sec-Fetch-Site from browsers that omit Origin on GET), and POST bodies must be
// JSON: a cross-site form can send none of these.

import { existsSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { HttpError, closer, isMain, listen, originOf, parseArgs, sendError, sendText, serveStatic, trackSockets } from '../dist/support.js'
import { createChat } from './chat.js'
import { createLLM } from './llm.js'
import { createStocks } from './stocks.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const PUBLIC_DIR = path.join(here, 'public')
const DIST_DIR = path.resolve(here, '../dist')

/** Pretty page routes → files in public/. */
const PAGES = /** @type {Record<string, string>} */ ({ '/': 'index.html', '/stocks': 'stocks.html', '/chat': 'chat.html', '/llm': 'llm.html' })

/**
 * Pages only load same-origin scripts and styles and talk to this server: nothing inline, nothing
 * third-party, so even a rendering bug cannot turn chat text into script.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
}

/**
 * The Host values this server answers to: what it listens on, plus the loopback names, plus `extra` (a public name
 * when it runs behind a proxy).
 * @param {string} host @param {number} port @param {string[]} extra
 */
function allowedHosts(host, port, extra) {
  const names = [host, 'localhost', '127.0.0.1', '[::1]'].map((h) => new URL(originOf(h.replace(/^\[|\]$/g, ''), port)).host)
  return new Set([...names, ...extra.map((h) => h.toLowerCase())])
}

/**
 * Refuses requests that do not come from this server's own pages (see the top of the file).
 * @param {http.IncomingMessage} req @param {Set<string>} hosts
 */
function checkRequestSource(req, hosts) {
  const host = (req.headers.host ?? '').toLowerCase()
  if (!hosts.has(host)) throw new HttpError(421, 'unexpected Host header')
  const origin = req.headers.origin
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) throw new HttpError(403, 'cross-origin requests are not accepted')
  if (req.headers['sec-fetch-site'] === 'cross-site') throw new HttpError(403, 'cross-site requests are not accepted')
  // On the path as routing sees it (normalised): a check on the raw path could be sidestepped with `/./chat/join`.
  const path = new URL(req.url ?? '/', 'http://demo.invalid').pathname
  if (req.method === 'POST' && /^\/(chat|llm)\//.test(path) && !/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    throw new HttpError(415, 'POST bodies must be JSON (Content-Type: application/json)')
  }
}

/**
 * @param {{
 *   port?: number, host?: string, seed?: number, priceIntervalMs?: number, heartbeatMs?: number,
 *   tokenDelayMs?: [number, number], historySize?: number, distDir?: string, allowedHosts?: string[],
 *   presenceBatchMs?: number, presenceGraceMs?: number, unusedSessionMs?: number, epoch?: string, log?: (line: string) => void,
 * }} [options]
 * @returns {Promise<{ url: string, port: number, chat: ReturnType<typeof createChat>, close: () => Promise<void> }>}
 */
export async function startDemoServer({
  port = 0,
  host = '127.0.0.1',
  seed = 42,
  priceIntervalMs = 300,
  heartbeatMs = 15_000,
  tokenDelayMs = [20, 40],
  historySize = 1000,
  distDir = DIST_DIR,
  allowedHosts: extraHosts = [],
  presenceBatchMs,
  presenceGraceMs,
  unusedSessionMs,
  epoch,
  log = console.error,
} = {}) {
  const stocks = createStocks({ seed, intervalMs: priceIntervalMs })
  const chat = createChat({ heartbeatMs, historySize, presenceBatchMs, presenceGraceMs, unusedSessionMs, epoch })
  const llm = createLLM({ tokenDelayMs })
  const staticRoots = { '/dist/': distDir, '/': PUBLIC_DIR }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   */
  const route = async (req, res) => {
    checkRequestSource(req, hosts)
    const url = new URL(req.url ?? '/', 'http://demo.invalid')
    if (url.pathname === '/price') {
      if (req.method !== 'GET') throw new HttpError(405, 'use GET')
      return stocks.handlePrice(req, res)
    }
    if (url.pathname === '/llm/stream') return llm.handleStream(req, res)
    if (await chat.handle(req, res, url)) return
    const page = PAGES[url.pathname]
    if (page && (req.method === 'GET' || req.method === 'HEAD')) req.url = `/${page}`
    if (await serveStatic(req, res, staticRoots, { headers: SECURITY_HEADERS })) return
    sendText(res, 404, 'not found\n')
  }

  const server = http.createServer({ noDelay: true }, (req, res) => {
    route(req, res).catch((err) => sendError(res, err, log))
  })
  const sockets = trackSockets(server)
  const boundPort = await listen(server, port, host)
  const hosts = allowedHosts(host, boundPort, extraHosts)

  return {
    url: originOf(host, boundPort),
    port: boundPort,
    chat,
    close: closer(server, sockets, () => {
      stocks.close()
      chat.close()
      llm.close()
    }),
  }
}

if (isMain(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2))
  const server = await startDemoServer({
    port: Number(args.port ?? process.env.PORT ?? 0),
    host: String(args.host ?? process.env.HOST ?? '127.0.0.1'),
    allowedHosts: typeof args['allowed-host'] === 'string' ? [args['allowed-host']] : [],
  })
  console.log(`fetch-eventsource demo: ${server.url}/`)
  if (!existsSync(path.join(DIST_DIR, 'fetch-eventsource.browser.js'))) {
    console.warn('warning: dist/fetch-eventsource.browser.js is missing; run `npm run build` for the pages to work')
  }
  const stop = () => server.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
