// Small node:http helpers for the test server, the demo, the reliability servers and the benchmark server: bounded
// body reading, JSON/text answers, CORS headers, socket tracking and listening. Internal: built to dist/support.js,
// not a package export.

import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/** An error that carries the HTTP status to answer with. */
export class HttpError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'HttpError'
    this.status = status
  }
}

/**
 * Reads a request body into memory, refusing (413) anything over `limit` bytes. A declared Content-Length over the
 * limit is refused before reading a byte; a chunked body is cut off as soon as it crosses the limit. The caller
 * answers with `closeAfter: true` (see sendJSON) so the unread rest does not poison a kept-alive connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `request body too large (over ${limit} bytes)`))
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    const cleanup = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('aborted', onAborted)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        req.pause()
        chunks.length = 0
        reject(new HttpError(413, `request body too large (over ${limit} bytes)`))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (err: Error) => {
      cleanup()
      reject(err)
    }
    const onAborted = () => onError(new ClientGone())
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('aborted', onAborted)
  })
}

/** The client went away mid-request: nothing to answer and nothing worth a stack trace. */
export class ClientGone extends Error {
  constructor() {
    super('request aborted by the client')
    this.name = 'ClientGone'
  }
}

/** Parses a JSON body, mapping every failure to a 400 with a message a client can act on. */
export async function readJSON(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit)
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new HttpError(400, `invalid JSON body: ${(err as Error).message}`)
  }
}

/**
 * Sends a JSON response. `closeAfter` adds `Connection: close`, for answers given before the request body was fully
 * read (the rest of the body would otherwise be parsed as a new request).
 */
export function sendJSON(res: ServerResponse, status: number, value: unknown, { headers = {}, closeAfter = false }: { headers?: Record<string, string>; closeAfter?: boolean } = {}): void {
  const body = JSON.stringify(value)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(closeAfter ? { connection: 'close' } : {}),
    ...headers,
  })
  res.end(body)
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

/**
 * Answers an error thrown by a handler: HttpError → its status and `{ error }`; anything else → 500. Whatever goes
 * wrong logs at most one line: a client that went away mid-request is routine, not a stack trace. A 413 closes the
 * connection because the request body was left unread.
 */
export function sendError(res: ServerResponse, err: unknown, log: (line: string) => void = console.error): void {
  if (err instanceof ClientGone) {
    log(err.message)
    res.destroy()
    return
  }
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  const status = err instanceof HttpError ? err.status : 500
  const message = err instanceof HttpError ? err.message : 'internal server error'
  if (!(err instanceof HttpError)) log(`500: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`.split('\n', 1)[0] as string)
  sendJSON(res, status, { error: message }, { closeAfter: status === 413 })
}

/** The request's Origin header, or undefined. */
const originHeader = (req: IncomingMessage) => (typeof req.headers.origin === 'string' ? req.headers.origin : undefined)

/**
 * CORS headers letting `origin` read the response. With `credentials`, the request's Origin is echoed only when
 * `origin` is `'reflect'` (trusted tooling only); otherwise `*`, which browsers never combine with credentials.
 */
export function corsHeaders(req: IncomingMessage, { credentials = false, reflect = credentials }: { credentials?: boolean; reflect?: boolean } = {}): Record<string, string> {
  const origin = originHeader(req)
  const echo = reflect && origin !== undefined
  return {
    'access-control-allow-origin': echo ? origin : '*',
    ...(credentials && echo ? { 'access-control-allow-credentials': 'true' } : {}),
    'access-control-allow-headers': 'last-event-id, authorization, content-type, x-*',
    'access-control-expose-headers': '*',
    ...(echo ? { vary: 'Origin' } : {}),
  }
}

/** A preflight answer reflecting exactly the method and headers the browser asks for. */
export function preflightHeaders(req: IncomingMessage, cors: Record<string, string>, maxAge = 0): Record<string, string> {
  const method = req.headers['access-control-request-method']
  const requested = req.headers['access-control-request-headers']
  return {
    ...cors,
    'access-control-allow-methods': typeof method === 'string' && method ? method : 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    'access-control-allow-headers': typeof requested === 'string' && requested ? requested : (cors['access-control-allow-headers'] ?? ''),
    'access-control-max-age': String(maxAge),
  }
}

/**
 * Tracks the sockets of a server (or of any set of sockets handed to `add`) so `destroyAll()` can end them, long-lived
 * event streams included (server.close() alone waits for them forever). Nagle is turned off so every write leaves
 * at once.
 */
export function trackSockets(server?: Server | import('node:net').Server) {
  const sockets = new Set<Socket>()
  const add = (socket: Socket) => {
    socket.setNoDelay(true)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }
  server?.on('connection', add)
  return {
    add,
    get size() {
      return sockets.size
    },
    destroyAll() {
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    },
  }
}

/** Starts listening and resolves with the bound port. */
export function listen(server: Server | import('node:net').Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : port)
    })
  })
}

/** `http://host:port` with IPv6 literals bracketed. */
export function originOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/**
 * Closes a server: rejects nothing, destroys every tracked socket (hanging streams too) and resolves once closed.
 * Idempotent: every call returns the same promise.
 */
export function closer(server: Server | import('node:net').Server, sockets: { destroyAll(): void }, before: () => void = () => {}): () => Promise<void> {
  let closing: Promise<void> | undefined
  return () =>
    (closing ??= new Promise<void>((resolve) => {
      before()
      server.close(() => resolve())
      sockets.destroyAll()
    }))
}
