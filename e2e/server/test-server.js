// The scripted test server every Node, differential and browser suite runs against.
// Interface: e2e/server/README.md. Plain node:http, loopback by default, one instance per suite.
//
//   const server = await startTestServer({ port: 0, staticRoots: { '/dist/': distDir } })
//   server.url; server.port; await server.waitForResults(runId, ms); await server.close()
//
// Standalone, for manual browser work: `node e2e/server/test-server.js` (PORT and HOST env honoured),
// serving /dist/, /test/ and /e2e/ from the repository.
//
// Beyond the spec: a body item `{ "repeat": "x", "times": N }` writes "x" N times in one write, and
// GET / answers a short plain-text index of the endpoints.

import { randomBytes } from 'node:crypto'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { HttpError, listen, originOf, readBody, readJSON, sendError, sendJSON, sendText, trackConnections } from './http-util.js'
import { compileScript, playResponse } from './scripts.js'
import { SSEWriter, lastEventId } from './sse-writer.js'
import { serveStatic } from './static-files.js'

/** Bodies the server reads are bounded; scripts may carry large payloads, recorded requests less so. */
const LIMITS = { script: 32 * 1024 * 1024, recordedBody: 8 * 1024 * 1024, results: 16 * 1024 * 1024 }

/** Keys and run ids are path segments chosen by tests: keep them to a safe alphabet. */
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/

const HELP = `fetch-eventsource test server (e2e/server/README.md)
POST /script {"responses":[...]}  |  GET /script?responses=<base64url JSON>  -> {"key","url"}
ANY  /s/:key                      scripted response n (0-based), 204 once exhausted
GET  /requests/:key[?preflight=1] recorded requests
ANY  /counter?total=N&per=M&retry=R&key=K   resumable counter (Last-Event-ID)
POST /results/:runId  |  GET /results/:runId
`

/**
 * @typedef {{ method: string, url: string, headers: Record<string, string>, body: string }} RequestRecord
 * @typedef {{ requests: RequestRecord[], preflights: RequestRecord[] }} RequestLog
 * @typedef {{ responses: import('./scripts.js').CompiledResponse[], served: number }} Script
 */

/**
 * CORS headers that let any origin read the response, credentials included.
 * @param {http.IncomingMessage} req
 * @returns {Record<string, string>}
 */
export function permissiveCors(req) {
  const origin = req.headers.origin
  return {
    'access-control-allow-origin': origin ?? '*',
    'access-control-allow-credentials': 'true',
    'access-control-allow-headers': 'last-event-id, authorization, content-type, x-*',
    'access-control-expose-headers': '*',
    ...(origin ? { vary: 'Origin' } : {}),
  }
}

/**
 * Preflight answer: reflects exactly what the browser asks for, so any method and header passes.
 * max-age 0 keeps browsers from caching the preflight, so every request's preflight is observable.
 * @param {http.IncomingMessage} req
 */
function preflightHeaders(req) {
  const headers = permissiveCors(req)
  const method = req.headers['access-control-request-method']
  const requested = req.headers['access-control-request-headers']
  return {
    ...headers,
    'access-control-allow-methods': typeof method === 'string' && method ? method : 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    'access-control-allow-headers': typeof requested === 'string' && requested ? requested : headers['access-control-allow-headers'],
    'access-control-max-age': '0',
  }
}

/**
 * @param {http.IncomingMessage} req
 * @returns {Record<string, string>}
 */
function flatHeaders(req) {
  /** @type {Record<string, string>} */
  const out = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

/**
 * A non-negative integer query parameter, or `fallback` when absent.
 * @param {URLSearchParams} query
 * @param {string} name
 * @param {number} fallback
 */
function intParam(query, name, fallback) {
  const raw = query.get(name)
  if (raw === null || raw === '') return fallback
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, `query parameter ${name} must be a non-negative integer`)
  return Number(raw)
}

/**
 * @param {{ port?: number, host?: string, staticRoots?: Record<string, string> }} [options]
 */
export async function startTestServer({ port = 0, host = '127.0.0.1', staticRoots = {} } = {}) {
  /** @type {Map<string, Script>} */
  const scripts = new Map()
  /** @type {Map<string, RequestLog>} */
  const logs = new Map()
  /** @type {Map<string, unknown>} */
  const results = new Map()
  /** @type {Map<string, Set<(value: unknown) => void>>} */
  const resultWaiters = new Map()
  /** @type {Set<(err: Error) => void>} */
  const pendingRejects = new Set()
  let baseUrl = ''

  /** @param {string} key */
  const logFor = (key) => {
    let log = logs.get(key)
    if (!log) logs.set(key, (log = { requests: [], preflights: [] }))
    return log
  }

  /**
   * Records a request in arrival order; the body is filled in once read (before the response starts).
   * @param {http.IncomingMessage} req
   * @param {RequestRecord[]} list
   */
  const record = async (req, list) => {
    /** @type {RequestRecord} */
    const entry = { method: req.method ?? 'GET', url: req.url ?? '/', headers: flatHeaders(req), body: '' }
    list.push(entry)
    entry.body = (await readBody(req, LIMITS.recordedBody)).toString('utf8')
  }

  /** @param {import('./scripts.js').CompiledResponse[]} responses */
  const registerScript = (responses) => {
    let key
    do key = 'k' + randomBytes(4).toString('hex')
    while (scripts.has(key))
    scripts.set(key, { responses, served: 0 })
    return { key, url: `${baseUrl}/s/${key}` }
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {string} key
   */
  const serveScripted = async (req, res, key) => {
    const script = scripts.get(key)
    if (!script) {
      sendText(res, 404, `unknown script key: ${key}\n`, permissiveCors(req))
      return
    }
    // The attempt number is taken on arrival, so concurrent requests get distinct responses.
    const attempt = script.served++
    await record(req, logFor(key).requests)
    const resp = script.responses[attempt]
    if (!resp) {
      // CORS on the final 204 too: without it a cross-origin browser would see a network error and
      // reconnect forever instead of ending.
      res.writeHead(204, permissiveCors(req))
      res.end()
      return
    }
    await playResponse(res, resp, permissiveCors(req))
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {URLSearchParams} query
   */
  const serveCounter = async (req, res, query) => {
    const total = intParam(query, 'total', 10)
    const per = intParam(query, 'per', Math.max(total, 1))
    // per=0 would make a client reconnect forever without progress.
    if (per < 1) throw new HttpError(400, 'query parameter per must be at least 1')
    const retry = query.has('retry') ? intParam(query, 'retry', 0) : undefined
    const key = query.get('key')
    if (key !== null && !ID_PATTERN.test(key)) throw new HttpError(400, 'query parameter key: 1-128 chars of [A-Za-z0-9_.-]')
    if (key !== null) await record(req, logFor(key).requests)
    else await readBody(req, LIMITS.recordedBody)

    const last = lastEventId(req) || (query.get('lastEventId') ?? '')
    const start = /^\d{1,15}$/.test(last) ? Number(last) + 1 : 1
    if (start > total) {
      res.writeHead(204, permissiveCors(req))
      res.end()
      return
    }
    const writer = new SSEWriter(res, { headers: permissiveCors(req) })
    // Each event is its own write with a flush in between, like scripted body items.
    const flushed = () => new Promise((resolve) => (res.writableNeedDrain ? res.once('drain', resolve) : setImmediate(resolve)))
    if (retry !== undefined) {
      writer.writeEvent({ retry })
      await flushed()
    }
    for (let i = start; i <= total && i < start + per && !writer.closed; i++) {
      writer.writeEvent({ id: String(i), data: String(i) })
      await flushed()
    }
    writer.close()
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {string} runId
   */
  const serveResults = async (req, res, runId) => {
    const cors = permissiveCors(req)
    if (req.method === 'POST') {
      const value = await readJSON(req, LIMITS.results)
      results.set(runId, value)
      for (const resolve of resultWaiters.get(runId) ?? []) resolve(value)
      resultWaiters.delete(runId)
      sendJSON(res, 200, { ok: true }, { headers: cors })
    } else if (req.method === 'GET') {
      if (!results.has(runId)) sendJSON(res, 404, { error: `no results for run ${runId} yet` }, { headers: cors })
      else sendJSON(res, 200, results.get(runId), { headers: cors })
    } else {
      sendJSON(res, 405, { error: 'use GET or POST' }, { headers: { ...cors, allow: 'GET, POST' } })
    }
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   */
  const route = async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://test.invalid')
    const [, first = '', second, ...rest] = url.pathname.split('/')
    const id = rest.length === 0 ? second : undefined

    if (req.method === 'OPTIONS') {
      // Preflights never consume a scripted response; they are logged apart under the same key.
      const key = first === 's' ? id : first === 'counter' ? url.searchParams.get('key') : null
      if (key && ID_PATTERN.test(key)) await record(req, logFor(key).preflights)
      res.writeHead(204, preflightHeaders(req))
      res.end()
      return
    }
    if (first === 's' && id) return serveScripted(req, res, id)
    if (first === 'counter' && second === undefined) return serveCounter(req, res, url.searchParams)
    if (first === 'script' && second === undefined) {
      let responses
      if (req.method === 'POST') {
        const body = await readJSON(req, LIMITS.script)
        if (typeof body !== 'object' || body === null) throw new HttpError(400, 'expected a JSON object { "responses": [...] }')
        responses = /** @type {{ responses?: unknown }} */ (body).responses
      } else if (req.method === 'GET') {
        const encoded = url.searchParams.get('responses')
        if (encoded === null) throw new HttpError(400, 'missing query parameter responses (base64url JSON array)')
        try {
          responses = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'))
        } catch {
          throw new HttpError(400, 'query parameter responses is not base64url-encoded JSON')
        }
      } else {
        throw new HttpError(405, 'use POST or GET')
      }
      sendJSON(res, 200, registerScript(compileScript(responses)), { headers: permissiveCors(req) })
      return
    }
    if (first === 'requests' && id && req.method === 'GET') {
      if (!ID_PATTERN.test(id)) throw new HttpError(400, 'bad key')
      const log = logs.get(id)
      const list = url.searchParams.get('preflight') === '1' ? log?.preflights : log?.requests
      sendJSON(res, 200, list ?? [], { headers: permissiveCors(req) })
      return
    }
    if (first === 'results' && id) {
      if (!ID_PATTERN.test(id)) throw new HttpError(400, 'bad run id: 1-128 chars of [A-Za-z0-9_.-]')
      return serveResults(req, res, id)
    }
    if (await serveStatic(req, res, staticRoots, { headers: { 'access-control-allow-origin': '*' } })) return
    if (url.pathname === '/' && req.method === 'GET') return sendText(res, 200, HELP)
    sendText(res, 404, `not found: ${url.pathname}\n`, permissiveCors(req))
  }

  const server = http.createServer({ noDelay: true }, (req, res) => {
    route(req, res).catch((err) => sendError(res, err))
  })
  const destroyConnections = trackConnections(server)
  const boundPort = await listen(server, port, host)
  baseUrl = originOf(host, boundPort)

  let closing = /** @type {Promise<void> | null} */ (null)
  return {
    url: baseUrl,
    port: boundPort,

    /**
     * Resolves with the JSON posted to /results/:runId (at once if already there); rejects after
     * timeoutMs or when the server closes first.
     * @param {string} runId
     * @param {number} [timeoutMs]
     * @returns {Promise<unknown>}
     */
    waitForResults(runId, timeoutMs = 60_000) {
      if (results.has(runId)) return Promise.resolve(results.get(runId))
      return new Promise((resolve, reject) => {
        const waiters = resultWaiters.get(runId) ?? new Set()
        resultWaiters.set(runId, waiters)
        const finish = () => {
          clearTimeout(timer)
          waiters.delete(onResult)
          pendingRejects.delete(onClose)
        }
        /** @param {unknown} value */
        const onResult = (value) => {
          finish()
          resolve(value)
        }
        /** @param {Error} err */
        const onClose = (err) => {
          finish()
          reject(err)
        }
        const timer = setTimeout(() => onClose(new Error(`no results for run ${runId} within ${timeoutMs} ms`)), timeoutMs)
        waiters.add(onResult)
        pendingRejects.add(onClose)
      })
    },

    /** Destroys every open connection (hanging streams included) and resolves once the server is closed. */
    close() {
      closing ??= new Promise((resolve) => {
        for (const reject of [...pendingRejects]) reject(new Error('test server closed'))
        server.close(() => resolve())
        destroyConnections()
      })
      return closing
    },
  }
}

// Standalone mode: serve the repository for manual browser work.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
  const server = await startTestServer({
    port: Number(process.env.PORT ?? 0),
    host: process.env.HOST ?? '127.0.0.1',
    staticRoots: {
      '/dist/': path.join(repo, 'dist'),
      '/test/': path.join(repo, 'test'),
      '/e2e/': path.join(repo, 'e2e'),
    },
  })
  console.log(`test server listening on ${server.url}`)
  const stop = () => server.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
