// fetch-eventsource/testing: the scripted test server this project's own suites use, for your Playwright and Node
// tests. Plain node:http on loopback, one instance per suite.
//
// Every store is bounded, because the server also answers requests a browser page makes: a script may expand to at
// most `scriptBytes`, all live scripts together to `totalScriptBytes`, scripts and their request logs expire after
// `ttlMs` without use, and recorded requests are capped in count and bytes.

import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { lastEventId, newStream } from '../index.js'
import { HttpError, closer, corsHeaders, listen, originOf, preflightHeaders, readBody, readJSON, sendError, sendJSON, sendText, trackSockets } from '../support/http.js'
import { serveStatic } from '../support/static-files.js'
import { type CompiledResponse, type ScriptedResponse, compileScript, playResponse } from './scripts.js'

export type { BodyItem, ScriptedResponse } from './scripts.js'

/** One request as the server received it; header names lower-case, the body as UTF-8. */
export interface RequestRecord {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

export interface TestServerLimits {
  /** Bytes one script may expand to (default 16 MiB). */
  scriptBytes?: number | undefined
  /** Bytes all live scripts may hold together (default 64 MiB); registering past it is refused with 413. */
  totalScriptBytes?: number | undefined
  /** A script, a request log or a result unused for this long is forgotten (default 10 minutes). */
  ttlMs?: number | undefined
  /** Recorded requests kept per key and kind (default 1,000; older ones are dropped). */
  requestsPerKey?: number | undefined
  /** Bytes of recorded requests kept in all (default 32 MiB; the oldest keys' logs are dropped first). */
  recordedBytes?: number | undefined
}

export interface TestServerOptions {
  /** Default 0: a free port. */
  port?: number | undefined
  /** Default 127.0.0.1. */
  host?: string | undefined
  /** URL prefix ('/dist/') → folder served read-only (GET/HEAD, no listings, no `..`). */
  staticRoots?: Record<string, string> | undefined
  limits?: TestServerLimits | undefined
}

export interface TestServer {
  /** `http://host:port` */
  readonly url: string
  readonly port: number
  /** Registers a script directly (no HTTP round trip) and returns its URL. Throws on an invalid script. */
  script(responses: ScriptedResponse[]): string
  /** What a script URL (or a `/counter?key=` URL) received so far, in arrival order; preflights apart. */
  requests(url: string, options?: { preflight?: boolean | undefined }): RequestRecord[]
  /** Resolves with the JSON posted to /results/:runId; rejects after timeoutMs or when the server closes first. */
  waitForResults(runId: string, timeoutMs?: number): Promise<unknown>
  /** Destroys every open connection (hanging streams included) and resolves once closed. Idempotent. */
  close(): Promise<void>
}

const DEFAULT_LIMITS: Required<TestServerLimits> = {
  scriptBytes: 16 * 1024 * 1024,
  totalScriptBytes: 64 * 1024 * 1024,
  ttlMs: 10 * 60_000,
  requestsPerKey: 1000,
  recordedBytes: 32 * 1024 * 1024,
}

/** Bodies the server reads are bounded: a recorded request body, posted results (each, and all kept together). */
const BODY_LIMITS = { recordedBody: 8 * 1024 * 1024, results: 4 * 1024 * 1024, allResults: 16 * 1024 * 1024, scriptJson: 1024 * 1024 }
/**
 * What a kept request record costs beyond its text (the object, its header object, array slots): charged per record,
 * so many small requests are counted at what they hold, not at their few bytes of text.
 */
const RECORD_OVERHEAD = 512

/** Keys and run ids are path segments chosen by tests: keep them to a safe alphabet. */
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/

const HELP = `fetch-eventsource test server (README: fetch-eventsource/testing)
POST /script {"responses":[...]}  |  GET /script?responses=<base64url JSON>  -> {"key","url"}
ANY  /s/:key                      scripted response n (0-based), 204 once exhausted
GET  /requests/:key[?preflight=1] recorded requests
ANY  /counter?total=N&per=M&retry=R&key=K   resumable counter (Last-Event-ID)
POST /results/:runId  |  GET /results/:runId
`

interface Script {
  responses: CompiledResponse[]
  served: number
  bytes: number
  touched: number
}

interface RequestLog {
  requests: RequestRecord[]
  preflights: RequestRecord[]
  bytes: number
  touched: number
}

/**
 * Scripted responses and the counter may be read by any origin, with credentials, because cross-origin and
 * `withCredentials` cases need exactly that and they hold nothing but what the test scripted. The control routes
 * (/script, /requests, /results) never reflect an origin with credentials: a page elsewhere must not read another
 * test's recorded cookies.
 */
const streamCors = (req: http.IncomingMessage) => corsHeaders(req, { credentials: true })
const controlCors = (req: http.IncomingMessage) => corsHeaders(req)

function flatHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

/** A non-negative integer query parameter, or `fallback` when absent. */
function intParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name)
  if (raw === null || raw === '') return fallback
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, `query parameter ${name} must be a non-negative integer`)
  return Number(raw)
}

/** The log key a URL records under: `/s/:key`, or `?key=` of `/counter`. */
function keyOf(url: string): string | null {
  const parsed = new URL(url, 'http://test.invalid')
  const [, first, second, ...rest] = parsed.pathname.split('/')
  if (first === 's' && second && rest.length === 0) return second
  if (first === 'counter' && second === undefined) return parsed.searchParams.get('key')
  return null
}

/** Starts the test server; see TestServerOptions. */
export async function startTestServer({ port = 0, host = '127.0.0.1', staticRoots = {}, limits = {} }: TestServerOptions = {}): Promise<TestServer> {
  // A limit given as undefined keeps its default: spread as is, it would replace it (and NaN bounds nothing).
  const given = Object.entries(limits).filter(([, value]) => value !== undefined)
  const bounds: Required<TestServerLimits> = { ...DEFAULT_LIMITS, ...(Object.fromEntries(given) as TestServerLimits) }
  const scripts = new Map<string, Script>()
  const logs = new Map<string, RequestLog>()
  /**
   * Posted results as the JSON text they came in (parsed when read: a parsed value takes many times the bytes of its
   * text), oldest first.
   */
  const results = new Map<string, { text: string; bytes: number; touched: number }>()
  let resultBytes = 0
  const resultWaiters = new Map<string, Set<(value: unknown) => void>>()
  const pendingRejects = new Set<(err: Error) => void>()
  let scriptBytes = 0
  let recordedBytes = 0
  let baseUrl = ''

  const forgetScript = (key: string) => {
    const script = scripts.get(key)
    if (!script) return
    scriptBytes -= script.bytes
    scripts.delete(key)
  }
  const forgetLog = (key: string) => {
    const log = logs.get(key)
    if (!log) return
    recordedBytes -= log.bytes
    logs.delete(key)
  }
  const forgetResult = (runId: string) => {
    const stored = results.get(runId)
    if (!stored) return
    resultBytes -= stored.bytes
    results.delete(runId)
  }
  const expire = () => {
    const cutoff = Date.now() - bounds.ttlMs
    for (const [key, script] of scripts) if (script.touched < cutoff) forgetScript(key)
    for (const [key, log] of logs) if (log.touched < cutoff) forgetLog(key)
    for (const [runId, stored] of results) if (stored.touched < cutoff) forgetResult(runId)
  }
  // Unref'd: an idle test server must not keep a test process alive.
  const sweeper = setInterval(expire, Math.min(bounds.ttlMs, 60_000))
  sweeper.unref()

  const logFor = (key: string) => {
    let log = logs.get(key)
    if (!log) logs.set(key, (log = { requests: [], preflights: [], bytes: 0, touched: 0 }))
    log.touched = Date.now()
    return log
  }

  const recordSize = (entry: RequestRecord) => RECORD_OVERHEAD + entry.body.length + entry.url.length + JSON.stringify(entry.headers).length

  /**
   * What each record is charged in its log and in the total. A record is charged when it arrives (URL and headers)
   * and again once its body is read: a body that never arrives (too large, the client gone) leaves a record that
   * is still counted, and a record dropped from a log is refunded exactly what it was charged.
   */
  const charged = new WeakMap<RequestRecord, number>()
  const charge = (key: string, log: RequestLog, entry: RequestRecord) => {
    const size = recordSize(entry)
    const added = size - (charged.get(entry) ?? 0)
    charged.set(entry, size)
    log.bytes += added
    recordedBytes += added
    // Oldest keys first (a Map iterates in insertion order); the log being written stays.
    for (const old of logs.keys()) {
      if (recordedBytes <= bounds.recordedBytes || old === key) break
      forgetLog(old)
    }
  }

  /** Records a request in arrival order; the body is filled in once read (before the response starts). */
  const record = async (req: http.IncomingMessage, key: string, kind: 'requests' | 'preflights') => {
    const entry: RequestRecord = { method: req.method ?? 'GET', url: req.url ?? '/', headers: flatHeaders(req), body: '' }
    const log = logFor(key)
    const list = log[kind]
    list.push(entry)
    if (list.length > bounds.requestsPerKey) {
      const refund = charged.get(list.shift() as RequestRecord) ?? 0
      log.bytes -= refund
      recordedBytes -= refund
    }
    charge(key, log, entry)
    entry.body = (await readBody(req, BODY_LIMITS.recordedBody)).toString('utf8')
    // A record dropped while its body was read, alone or with its whole log, is no longer held: not charged again.
    if (logs.get(key) !== log || !list.includes(entry)) return
    charge(key, log, entry)
  }

  const registerScript = (responses: unknown) => {
    const compiled = compileScript(responses, bounds.scriptBytes)
    // Sweeping is O(scripts): done on the timer, and here only when the room is needed.
    if (scriptBytes + compiled.bytes > bounds.totalScriptBytes) expire()
    if (scriptBytes + compiled.bytes > bounds.totalScriptBytes) {
      throw new HttpError(413, `the live scripts would hold more than ${bounds.totalScriptBytes} bytes; wait for some to expire (${bounds.ttlMs} ms unused)`)
    }
    let key: string
    do key = 'k' + randomBytes(8).toString('hex')
    while (scripts.has(key))
    scripts.set(key, { ...compiled, served: 0, touched: Date.now() })
    scriptBytes += compiled.bytes
    return { key, url: `${baseUrl}/s/${key}` }
  }

  const serveScripted = async (req: http.IncomingMessage, res: http.ServerResponse, key: string) => {
    const script = scripts.get(key)
    if (!script) {
      sendText(res, 404, `unknown or expired script key: ${key}\n`, streamCors(req))
      return
    }
    script.touched = Date.now()
    // The attempt number is taken on arrival, so concurrent requests get distinct responses.
    const attempt = script.served++
    await record(req, key, 'requests')
    const resp = script.responses[attempt]
    if (!resp) {
      // CORS on the final 204 too: without it a cross-origin browser would see a network error and reconnect
      // forever instead of ending.
      res.writeHead(204, streamCors(req))
      res.end()
      return
    }
    await playResponse(res, resp, streamCors(req))
  }

  const serveCounter = async (req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams) => {
    const total = intParam(query, 'total', 10)
    const per = intParam(query, 'per', Math.max(total, 1))
    // per=0 would make a client reconnect forever without progress.
    if (per < 1) throw new HttpError(400, 'query parameter per must be at least 1')
    const retry = query.has('retry') ? intParam(query, 'retry', 0) : undefined
    const key = query.get('key')
    if (key !== null && !ID_PATTERN.test(key)) throw new HttpError(400, 'query parameter key: 1-128 chars of [A-Za-z0-9_.-]')
    if (key !== null) await record(req, key, 'requests')
    else await readBody(req, BODY_LIMITS.recordedBody)

    const last = lastEventId(req) || (query.get('lastEventId') ?? '')
    const start = /^\d{1,15}$/.test(last) ? Number(last) + 1 : 1
    if (start > total) {
      res.writeHead(204, streamCors(req))
      res.end()
      return
    }
    const stream = newStream(res, { headers: streamCors(req) })
    // Each event its own write with a turn of the event loop in between, like scripted body items.
    const turn = () => new Promise((resolve) => setImmediate(resolve))
    if (retry !== undefined) {
      await stream.publish({ retry })
      await turn()
    }
    for (let i = start; i <= total && i < start + per && !stream.closed; i++) {
      await stream.publish({ id: String(i), data: String(i) })
      await turn()
    }
    stream.close()
  }

  const serveResults = async (req: http.IncomingMessage, res: http.ServerResponse, runId: string) => {
    const cors = controlCors(req)
    if (req.method === 'POST') {
      const body = await readBody(req, BODY_LIMITS.results)
      const text = body.toString('utf8')
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch (err) {
        throw new HttpError(400, `invalid JSON body: ${(err as Error).message}`)
      }
      forgetResult(runId)
      results.set(runId, { text, bytes: body.length, touched: Date.now() })
      resultBytes += body.length
      for (const old of results.keys()) {
        if (resultBytes <= BODY_LIMITS.allResults || old === runId) break
        forgetResult(old)
      }
      for (const resolve of resultWaiters.get(runId) ?? []) resolve(value)
      resultWaiters.delete(runId)
      sendJSON(res, 200, { ok: true }, { headers: cors })
    } else if (req.method === 'GET') {
      const stored = results.get(runId)
      if (!stored) sendJSON(res, 404, { error: `no results for run ${runId} yet` }, { headers: cors })
      else {
        stored.touched = Date.now()
        sendText(res, 200, stored.text, { ...cors, 'content-type': 'application/json; charset=utf-8' })
      }
    } else {
      sendJSON(res, 405, { error: 'use GET or POST' }, { headers: { ...cors, allow: 'GET, POST' } })
    }
  }

  const readScriptRequest = async (req: http.IncomingMessage, url: URL): Promise<unknown> => {
    if (req.method === 'POST') {
      // The JSON itself stays small (a parsed body takes many times its bytes): `repeat` and `b64` items carry bulk.
      const body = await readJSON(req, Math.min(bounds.scriptBytes, BODY_LIMITS.scriptJson))
      if (typeof body !== 'object' || body === null) throw new HttpError(400, 'expected a JSON object { "responses": [...] }')
      return (body as { responses?: unknown }).responses
    }
    if (req.method === 'GET') {
      const encoded = url.searchParams.get('responses')
      if (encoded === null) throw new HttpError(400, 'missing query parameter responses (base64url JSON array)')
      try {
        return JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'))
      } catch {
        throw new HttpError(400, 'query parameter responses is not base64url-encoded JSON')
      }
    }
    throw new HttpError(405, 'use POST or GET')
  }

  const ownOrigin = (req: http.IncomingMessage) => {
    const origin = req.headers.origin
    if (origin === undefined) return true
    const port = new URL(baseUrl).port
    return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`, baseUrl].includes(origin)
  }

  const route = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://test.invalid')
    const [, first = '', second, ...rest] = url.pathname.split('/')
    const id = rest.length === 0 ? second : undefined

    if (req.method === 'OPTIONS') {
      // Preflights never consume a scripted response; they are logged apart under the same key.
      const key = keyOf(req.url ?? '/')
      // Only for a script that exists: a preflight to any made-up key must not open a log.
      if (key && (scripts.has(key) || (first === 'counter' && ID_PATTERN.test(key)))) await record(req, key, 'preflights')
      const stream = first === 's' || first === 'counter'
      res.writeHead(204, preflightHeaders(req, stream ? streamCors(req) : controlCors(req)))
      res.end()
      return
    }
    // The control routes answer only the server's own pages (either host name: the suites use the other one as a
    // second origin) and Node clients (no Origin): any other page that finds the port must not register scripts,
    // read request logs or post results while a test runs.
    if ((first === 'script' || first === 'requests' || first === 'results') && !ownOrigin(req)) {
      throw new HttpError(403, 'the test server takes scripts and results from its own pages and from Node only')
    }
    if (first === 's' && id) return serveScripted(req, res, id)
    if (first === 'counter' && second === undefined) return serveCounter(req, res, url.searchParams)
    if (first === 'script' && second === undefined) {
      const responses = await readScriptRequest(req, url)
      sendJSON(res, 200, registerScript(responses), { headers: controlCors(req) })
      return
    }
    if (first === 'requests' && id && req.method === 'GET') {
      if (!ID_PATTERN.test(id)) throw new HttpError(400, 'bad key')
      const log = logs.get(id)
      const list = url.searchParams.get('preflight') === '1' ? log?.preflights : log?.requests
      sendJSON(res, 200, list ?? [], { headers: controlCors(req) })
      return
    }
    if (first === 'results' && id) {
      if (!ID_PATTERN.test(id)) throw new HttpError(400, 'bad run id: 1-128 chars of [A-Za-z0-9_.-]')
      return serveResults(req, res, id)
    }
    if (await serveStatic(req, res, staticRoots, { headers: controlCors(req) })) return
    if (url.pathname === '/' && req.method === 'GET') return sendText(res, 200, HELP)
    sendText(res, 404, `not found: ${url.pathname}\n`, controlCors(req))
  }

  const server = http.createServer({ noDelay: true }, (req, res) => {
    route(req, res).catch((err) => sendError(res, err))
  })
  const sockets = trackSockets(server)
  const boundPort = await listen(server, port, host)
  baseUrl = originOf(host, boundPort)

  return {
    url: baseUrl,
    port: boundPort,

    script(responses) {
      return registerScript(responses).url
    },

    requests(scriptUrl, { preflight = false } = {}) {
      const key = keyOf(scriptUrl)
      const log = key === null ? undefined : logs.get(key)
      return [...((preflight ? log?.preflights : log?.requests) ?? [])]
    },

    waitForResults(runId, timeoutMs = 60_000) {
      const stored = results.get(runId)
      if (stored) return Promise.resolve(JSON.parse(stored.text))
      return new Promise((resolve, reject) => {
        const waiters = resultWaiters.get(runId) ?? new Set()
        resultWaiters.set(runId, waiters)
        const finish = () => {
          clearTimeout(timer)
          waiters.delete(onResult)
          pendingRejects.delete(onClose)
        }
        const onResult = (value: unknown) => {
          finish()
          resolve(value)
        }
        const onClose = (err: Error) => {
          finish()
          reject(err)
        }
        const timer = setTimeout(() => onClose(new Error(`no results for run ${runId} within ${timeoutMs} ms`)), timeoutMs)
        waiters.add(onResult)
        pendingRejects.add(onClose)
      })
    },

    close: closer(server, sockets, () => {
      clearInterval(sweeper)
      for (const reject of [...pendingRejects]) reject(new Error('test server closed'))
    }),
  }
}
