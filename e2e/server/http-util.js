// Small node:http helpers shared by the test server and the demo server.

/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/** An error that carries the HTTP status to answer with. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message)
    this.name = 'HttpError'
    this.status = status
  }
}

/**
 * Reads a request body into memory, refusing (413) anything over `limit` bytes. A declared
 * Content-Length over the limit is refused before reading a byte; a chunked body is cut off as soon
 * as it crosses the limit and nothing more is buffered. The caller answers with `closeAfter: true`
 * (see sendJSON) so the unread rest of the body does not poison a kept-alive connection.
 * @param {IncomingMessage} req
 * @param {number} limit
 * @returns {Promise<Buffer>}
 */
export function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `request body too large (over ${limit} bytes)`))
      return
    }
    /** @type {Buffer[]} */
    const chunks = []
    let size = 0
    const cleanup = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('aborted', onAborted)
    }
    /** @param {Buffer} chunk */
    const onData = (chunk) => {
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
    /** @param {Error} err */
    const onError = (err) => {
      cleanup()
      reject(err)
    }
    const onAborted = () => onError(new Error('request aborted by the client'))
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('aborted', onAborted)
  })
}

/**
 * Parses a JSON body, mapping every failure to a 400 with a message a client can act on.
 * @param {IncomingMessage} req
 * @param {number} limit
 * @returns {Promise<unknown>}
 */
export async function readJSON(req, limit) {
  const body = await readBody(req, limit)
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new HttpError(400, `invalid JSON body: ${/** @type {Error} */ (err).message}`)
  }
}

/**
 * Sends a JSON response. `closeAfter` adds `Connection: close`, for answers given before the request
 * body was fully read (the connection cannot be reused: the rest of the body would be parsed as a
 * new request).
 * @param {ServerResponse} res
 * @param {number} status
 * @param {unknown} value
 * @param {{ headers?: Record<string, string>, closeAfter?: boolean }} [options]
 */
export function sendJSON(res, status, value, { headers = {}, closeAfter = false } = {}) {
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

/**
 * @param {ServerResponse} res
 * @param {number} status
 * @param {string} text
 * @param {Record<string, string>} [headers]
 */
export function sendText(res, status, text, headers = {}) {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

/**
 * Answers an error thrown by a handler: HttpError → its status and `{ error }`; anything else → 500.
 * A 413 closes the connection because the request body was left unread.
 * @param {ServerResponse} res
 * @param {unknown} err
 */
export function sendError(res, err) {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const status = err instanceof HttpError ? err.status : 500
  const message = err instanceof HttpError ? err.message : 'internal server error'
  if (!(err instanceof HttpError)) console.error(err)
  sendJSON(res, status, { error: message }, { closeAfter: status === 413 })
}

/**
 * Tracks a server's sockets so close() can destroy them, long-lived event streams included
 * (server.close() alone waits for them forever), and turns Nagle off so every write leaves at once.
 * @param {import('node:http').Server} server
 * @returns {() => void} destroys every open connection
 */
export function trackConnections(server) {
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set()
  server.on('connection', (socket) => {
    socket.setNoDelay(true)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  return () => {
    for (const socket of sockets) socket.destroy()
    sockets.clear()
  }
}

/**
 * Starts listening and resolves with the bound port.
 * @param {import('node:http').Server} server
 * @param {number} port
 * @param {string} host
 * @returns {Promise<number>}
 */
export function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : port)
    })
  })
}

/**
 * `http://host:port` with IPv6 literals bracketed.
 * @param {string} host
 * @param {number} port
 */
export function originOf(host, port) {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}
