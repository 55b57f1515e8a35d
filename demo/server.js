// Demo server (`npm start`): stock prices, chat and an LLM-style stream, each a page using the
// library's self-contained browser build from /dist/. Wiring only; the demos live in their modules.
//
//   node demo/server.js          PORT (default: a free port) and HOST (default 127.0.0.1) from the env
//
// Routes: /, /stocks, /chat, /llm (pages) · GET /price · /chat/* · POST /llm/stream · /dist/* · static

import { existsSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { HttpError, listen, originOf, sendError, sendText, trackConnections } from '../e2e/server/http-util.js'
import { serveStatic } from '../e2e/server/static-files.js'
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
 * @param {{
 *   port?: number, host?: string, seed?: number, priceIntervalMs?: number, heartbeatMs?: number,
 *   tokenDelayMs?: [number, number], historySize?: number, distDir?: string,
 * }} [options]
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
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
} = {}) {
  const stocks = createStocks({ seed, intervalMs: priceIntervalMs })
  const chat = createChat({ heartbeatMs, historySize })
  const llm = createLLM({ tokenDelayMs })
  const staticRoots = { '/dist/': distDir, '/': PUBLIC_DIR }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   */
  const route = async (req, res) => {
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
    route(req, res).catch((err) => sendError(res, err))
  })
  const destroyConnections = trackConnections(server)
  const boundPort = await listen(server, port, host)

  /** @type {Promise<void> | undefined} */
  let closing
  return {
    url: originOf(host, boundPort),
    port: boundPort,
    close() {
      closing ??= new Promise((resolve) => {
        stocks.close()
        chat.close()
        llm.close()
        server.close(() => resolve())
        destroyConnections()
      })
      return closing
    },
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const server = await startDemoServer({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
  console.log(`fetch-eventsource demo: ${server.url}/`)
  if (!existsSync(path.join(DIST_DIR, 'fetch-eventsource.browser.js'))) {
    console.warn('warning: dist/fetch-eventsource.browser.js is missing; run `npm run build` for the pages to work')
  }
  const stop = () => server.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
