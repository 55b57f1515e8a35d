// Validation and playback of scripted responses (e2e/server/README.md, "Scripted responses").
//
// Scripts are checked and their body items turned into Buffers when they are registered, so a
// malformed script fails loudly at POST /script (400 with the reason) instead of as a confusing
// network error in the middle of a conformance case.

import { validateHeaderName, validateHeaderValue } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { HttpError } from './http-util.js'

/**
 * @typedef {{ kind: 'write', buf: Buffer } | { kind: 'delay', ms: number }} BodyStep
 * @typedef {{
 *   status: number,
 *   headers: Record<string, string | string[] | null>,
 *   body: BodyStep[],
 *   end: 'close' | 'hang' | 'destroy',
 *   redirect?: string,
 *   cors: boolean,
 * }} CompiledResponse
 */

/** Defaults every scripted response starts from; a script's headers are merged over them. */
export const DEFAULT_RESPONSE_HEADERS = Object.freeze({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
})

/** A `repeat` item may expand to at most this many bytes (enough for multi-MiB buffer-limit cases). */
const MAX_REPEAT_BYTES = 64 * 1024 * 1024

/** @param {unknown} v */
const isPlainObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * @param {unknown} item
 * @param {string} where
 * @returns {BodyStep}
 */
function compileBodyItem(item, where) {
  if (typeof item === 'string') return { kind: 'write', buf: Buffer.from(item, 'utf8') }
  if (!isPlainObject(item)) throw new HttpError(400, `${where}: expected a string or an object`)
  const o = /** @type {Record<string, unknown>} */ (item)
  if ('delay' in o) {
    if (typeof o.delay !== 'number' || !Number.isFinite(o.delay) || o.delay < 0) {
      throw new HttpError(400, `${where}.delay: expected a non-negative number of ms`)
    }
    return { kind: 'delay', ms: o.delay }
  }
  if ('bytes' in o) {
    const bytes = o.bytes
    if (!Array.isArray(bytes) || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      throw new HttpError(400, `${where}.bytes: expected an array of integers 0..255`)
    }
    return { kind: 'write', buf: Buffer.from(bytes) }
  }
  if ('b64' in o) {
    if (typeof o.b64 !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(o.b64)) {
      throw new HttpError(400, `${where}.b64: expected a base64 string`)
    }
    // Node's base64 decoder reads both the standard and the URL-safe alphabet.
    return { kind: 'write', buf: Buffer.from(o.b64, 'base64') }
  }
  if ('repeat' in o) {
    // Extension to the spec: one write of `repeat` × `times`, so multi-MiB payloads need not travel in the script.
    const times = o.times ?? 1
    if (typeof o.repeat !== 'string' || !Number.isSafeInteger(times) || /** @type {number} */ (times) < 0) {
      throw new HttpError(400, `${where}: expected { repeat: string, times: non-negative integer }`)
    }
    const unit = Buffer.from(o.repeat, 'utf8')
    if (unit.length * /** @type {number} */ (times) > MAX_REPEAT_BYTES) {
      throw new HttpError(400, `${where}: repeat expands to more than ${MAX_REPEAT_BYTES} bytes`)
    }
    return { kind: 'write', buf: Buffer.alloc(unit.length * /** @type {number} */ (times), unit) }
  }
  throw new HttpError(400, `${where}: expected one of delay, bytes, b64, repeat`)
}

/**
 * Validates one Resp of a script and precomputes what can be.
 * @param {unknown} resp
 * @param {number} index
 * @returns {CompiledResponse}
 */
export function compileResponse(resp, index) {
  const where = `responses[${index}]`
  if (!isPlainObject(resp)) throw new HttpError(400, `${where}: expected an object`)
  const r = /** @type {Record<string, unknown>} */ (resp)
  const known = new Set(['status', 'headers', 'body', 'end', 'redirect', 'cors'])
  for (const field of Object.keys(r)) {
    if (!known.has(field)) throw new HttpError(400, `${where}: unknown field "${field}"`)
  }

  if (r.redirect !== undefined && typeof r.redirect !== 'string') {
    throw new HttpError(400, `${where}.redirect: expected a string URL`)
  }
  let status = r.status ?? 200
  if (!Number.isInteger(status) || /** @type {number} */ (status) < 200 || /** @type {number} */ (status) > 599) {
    throw new HttpError(400, `${where}.status: expected an integer 200..599`)
  }
  if (r.redirect !== undefined && !(/** @type {number} */ (status) >= 300 && /** @type {number} */ (status) < 400)) status = 302

  /** @type {Record<string, string | string[] | null>} */
  const headers = { ...DEFAULT_RESPONSE_HEADERS }
  if (r.headers !== undefined) {
    if (!isPlainObject(r.headers)) throw new HttpError(400, `${where}.headers: expected an object`)
    for (const [rawName, value] of Object.entries(/** @type {Record<string, unknown>} */ (r.headers))) {
      const name = rawName.toLowerCase()
      try {
        validateHeaderName(name)
        if (value === null) {
          headers[name] = null
          continue
        }
        const values = Array.isArray(value) ? value : [value]
        if (!values.every((v) => typeof v === 'string' || typeof v === 'number')) throw new TypeError('expected a string, number, array or null')
        const strings = values.map(String)
        for (const v of strings) validateHeaderValue(name, v)
        headers[name] = Array.isArray(value) ? strings : strings[0]
      } catch (err) {
        throw new HttpError(400, `${where}.headers["${rawName}"]: ${/** @type {Error} */ (err).message}`)
      }
    }
  }

  if (r.body !== undefined && !Array.isArray(r.body)) throw new HttpError(400, `${where}.body: expected an array`)
  const body = /** @type {unknown[]} */ (r.body ?? []).map((item, i) => compileBodyItem(item, `${where}.body[${i}]`))

  const end = r.end ?? 'close'
  if (end !== 'close' && end !== 'hang' && end !== 'destroy') {
    throw new HttpError(400, `${where}.end: expected "close", "hang" or "destroy"`)
  }
  if (r.cors !== undefined && typeof r.cors !== 'boolean') throw new HttpError(400, `${where}.cors: expected a boolean`)

  return {
    status: /** @type {number} */ (status),
    headers,
    body,
    end,
    ...(r.redirect !== undefined ? { redirect: r.redirect } : {}),
    cors: r.cors === true,
  }
}

/**
 * @param {unknown} responses
 * @returns {CompiledResponse[]}
 */
export function compileScript(responses) {
  if (!Array.isArray(responses)) throw new HttpError(400, 'expected "responses" to be an array')
  return responses.map(compileResponse)
}

/**
 * Writes one chunk and waits until it has been handed to the socket (or the socket is gone). Waiting
 * keeps consecutive body items in separate writes, so they leave as separate TCP segments.
 * @param {import('node:http').ServerResponse} res
 * @param {Buffer} buf
 * @returns {Promise<void>}
 */
function writeAndFlush(res, buf) {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve()
    const done = () => {
      res.off('close', done)
      resolve()
    }
    res.once('close', done)
    res.write(buf, done)
  })
}

/**
 * Plays one compiled response. Resolves when the body has been written and the requested ending done.
 * @param {import('node:http').ServerResponse} res
 * @param {CompiledResponse} resp
 * @param {Record<string, string>} corsHeaders used when resp.cors is set
 */
export async function playResponse(res, resp, corsHeaders) {
  /** @type {Record<string, string | string[]>} */
  const headers = {}
  for (const [name, value] of Object.entries(resp.headers)) if (value !== null) headers[name] = value
  if (resp.redirect !== undefined) headers.location = resp.redirect
  if (resp.cors) Object.assign(headers, corsHeaders)
  res.writeHead(resp.status, headers)
  // The head goes out before any body item or delay: clients must see the response start on time.
  res.flushHeaders()

  const gone = new AbortController()
  res.once('close', () => gone.abort())
  for (const step of resp.body) {
    if (gone.signal.aborted) return
    if (step.kind === 'delay') {
      try {
        await sleep(step.ms, undefined, { signal: gone.signal })
      } catch {
        return // client or server went away during the pause
      }
    } else {
      await writeAndFlush(res, step.buf)
    }
  }
  if (gone.signal.aborted) return
  if (resp.end === 'close') res.end()
  else if (resp.end === 'destroy') res.socket?.destroy() // no terminating chunk: the client sees a cut stream
  // 'hang': leave the response open; the client's abort or server.close() ends it.
}
