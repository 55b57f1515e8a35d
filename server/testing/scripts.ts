// Validation and playback of scripted responses (README, "fetch-eventsource/testing").
//
// Scripts are checked and their body items turned into Buffers when they are registered, so a malformed script fails
// loudly at registration (400 with the reason) instead of as a confusing network error in the middle of a test. The
// bytes a script expands to are counted against a budget *before* anything is allocated: a short `repeat` item must
// not be able to make the server allocate hundreds of megabytes.

import { type ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { HttpError } from '../support/http.js'

/** One scripted response, as a test writes it. */
export interface ScriptedResponse {
  /** 200..599 (default 200). */
  status?: number | undefined
  /** Merged over `content-type: text/event-stream`, `cache-control: no-cache`; lower-cased; null removes a default. */
  headers?: Record<string, string | number | Array<string | number> | null> | undefined
  /** Written in order, each item its own write (flushed before the next), so chunk boundaries reach the client. */
  body?: BodyItem[] | undefined
  /** End normally (default) / stay open until the client or `close()` ends it / destroy the socket (a cut). */
  end?: 'close' | 'hang' | 'destroy' | undefined
  /** Location; the status becomes 302 unless a 3xx is given. */
  redirect?: string | undefined
  /** Credentialed CORS for the request's Origin (for cross-origin and `withCredentials` cases). */
  cors?: boolean | undefined
}

/** A body item: text (UTF-8), a pause, raw bytes, base64, or one write of `repeat` × `times`. */
export type BodyItem = string | { delay: number } | { bytes: number[] } | { b64: string } | { repeat: string; times?: number | undefined }

type BodyStep = { kind: 'write'; buf: Buffer } | { kind: 'delay'; ms: number }

export interface CompiledResponse {
  status: number
  headers: Record<string, string | string[] | null>
  body: BodyStep[]
  end: 'close' | 'hang' | 'destroy'
  redirect?: string | undefined
  cors: boolean
}

/** Defaults every scripted response starts from; a script's headers are merged over them. */
export const DEFAULT_RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
})

/** What an item costs at least, whatever its length: Buffer and array bookkeeping. */
const ITEM_OVERHEAD = 64
/** What a registered script costs besides its items: its map entry, response objects and header records. */
const SCRIPT_OVERHEAD = 256

/** Counts a script's bytes against its cap before they are allocated. */
class Budget {
  used = 0
  constructor(readonly limit: number) {}
  take(bytes: number, where: string): void {
    this.used += bytes + ITEM_OVERHEAD
    if (this.used > this.limit) throw new HttpError(413, `${where}: the script expands to more than ${this.limit} bytes`)
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function compileBodyItem(item: unknown, where: string, budget: Budget): BodyStep {
  if (typeof item === 'string') {
    budget.take(Buffer.byteLength(item), where)
    return { kind: 'write', buf: Buffer.from(item, 'utf8') }
  }
  if (!isPlainObject(item)) throw new HttpError(400, `${where}: expected a string or an object`)
  if ('delay' in item) {
    const { delay } = item
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) throw new HttpError(400, `${where}.delay: expected a non-negative number of ms`)
    budget.take(0, where)
    return { kind: 'delay', ms: delay }
  }
  if ('bytes' in item) {
    const { bytes } = item
    if (!Array.isArray(bytes) || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      throw new HttpError(400, `${where}.bytes: expected an array of integers 0..255`)
    }
    budget.take(bytes.length, where)
    return { kind: 'write', buf: Buffer.from(bytes) }
  }
  if ('b64' in item) {
    const { b64 } = item
    if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw new HttpError(400, `${where}.b64: expected a base64 string`)
    budget.take(Math.ceil((b64.length * 3) / 4), where)
    // Node's base64 decoder reads both the standard and the URL-safe alphabet.
    return { kind: 'write', buf: Buffer.from(b64, 'base64') }
  }
  if ('repeat' in item) {
    const times = item.times ?? 1
    if (typeof item.repeat !== 'string' || typeof times !== 'number' || !Number.isSafeInteger(times) || times < 0) {
      throw new HttpError(400, `${where}: expected { repeat: string, times: non-negative integer }`)
    }
    const unit = Buffer.from(item.repeat, 'utf8')
    budget.take(unit.length * times, where)
    return { kind: 'write', buf: Buffer.alloc(unit.length * times, unit) }
  }
  throw new HttpError(400, `${where}: expected one of delay, bytes, b64, repeat`)
}

const KNOWN_FIELDS = new Set(['status', 'headers', 'body', 'end', 'redirect', 'cors'])

function compileHeaders(raw: unknown, where: string): Record<string, string | string[] | null> {
  const headers: Record<string, string | string[] | null> = { ...DEFAULT_RESPONSE_HEADERS }
  if (raw === undefined) return headers
  if (!isPlainObject(raw)) throw new HttpError(400, `${where}.headers: expected an object`)
  for (const [rawName, value] of Object.entries(raw)) {
    const name = rawName.toLowerCase()
    try {
      validateHeaderName(name)
      if (value === null) {
        headers[name] = null
        continue
      }
      const values: unknown[] = Array.isArray(value) ? value : [value]
      if (!values.every((v) => typeof v === 'string' || typeof v === 'number')) throw new TypeError('expected a string, number, array or null')
      const strings = values.map(String)
      for (const v of strings) validateHeaderValue(name, v)
      headers[name] = Array.isArray(value) ? strings : (strings[0] as string)
    } catch (err) {
      throw new HttpError(400, `${where}.headers["${rawName}"]: ${(err as Error).message}`)
    }
  }
  return headers
}

function compileResponse(resp: unknown, index: number, budget: Budget): CompiledResponse {
  const where = `responses[${index}]`
  if (!isPlainObject(resp)) throw new HttpError(400, `${where}: expected an object`)
  for (const field of Object.keys(resp)) {
    if (!KNOWN_FIELDS.has(field)) throw new HttpError(400, `${where}: unknown field "${field}"`)
  }
  const { redirect } = resp
  if (redirect !== undefined && typeof redirect !== 'string') throw new HttpError(400, `${where}.redirect: expected a string URL`)
  const given = resp.status ?? 200
  if (typeof given !== 'number' || !Number.isInteger(given) || given < 200 || given > 599) {
    throw new HttpError(400, `${where}.status: expected an integer 200..599`)
  }
  const status = redirect !== undefined && !(given >= 300 && given < 400) ? 302 : given
  const headers = compileHeaders(resp.headers, where)
  if (resp.body !== undefined && !Array.isArray(resp.body)) throw new HttpError(400, `${where}.body: expected an array`)
  budget.take(0, where)
  const body = ((resp.body ?? []) as unknown[]).map((item, i) => compileBodyItem(item, `${where}.body[${i}]`, budget))
  const end = resp.end ?? 'close'
  if (end !== 'close' && end !== 'hang' && end !== 'destroy') throw new HttpError(400, `${where}.end: expected "close", "hang" or "destroy"`)
  if (resp.cors !== undefined && typeof resp.cors !== 'boolean') throw new HttpError(400, `${where}.cors: expected a boolean`)
  return { status, headers, body, end, ...(redirect !== undefined ? { redirect } : {}), cors: resp.cors === true }
}

/** Validates a script; `maxBytes` caps what it may expand to. Returns the responses and the bytes they hold. */
export function compileScript(responses: unknown, maxBytes: number): { responses: CompiledResponse[]; bytes: number } {
  if (!Array.isArray(responses)) throw new HttpError(400, 'expected "responses" to be an array')
  const budget = new Budget(maxBytes)
  budget.take(SCRIPT_OVERHEAD, 'responses')
  const compiled = responses.map((resp, i) => compileResponse(resp, i, budget))
  return { responses: compiled, bytes: budget.used }
}

/**
 * Writes one chunk and waits until it has been handed to the socket (or the socket is gone). Waiting keeps
 * consecutive body items in separate writes, so they leave as separate TCP segments.
 */
function writeAndFlush(res: ServerResponse, buf: Buffer): Promise<void> {
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

/** Plays one compiled response; resolves when the body has been written and the requested ending done. */
export async function playResponse(res: ServerResponse, resp: CompiledResponse, corsHeaders: Record<string, string>): Promise<void> {
  const headers: Record<string, string | string[]> = {}
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
