// A bare-TCP HTTP/1.1 server that keeps each request head exactly as it came off the wire (latin1, one char per
// byte), to see what a client really sends: header injection shows up here as extra lines, which a parsing server
// would hide or reject. `respond(request, n)` returns the raw response bytes; the connection closes after it.
import net from 'node:net'
import { closer, listen, trackSockets } from '../dist/support.js'

/**
 * @typedef {{ raw: string, path: string, headerLines: string[] }} RawRequest
 * @param {(request: RawRequest, n: number) => string | Buffer} respond
 */
export async function startRawServer(respond) {
  /** @type {RawRequest[]} */
  const requests = []
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    let head = ''
    socket.on('data', (data) => {
      if (head.includes('\r\n\r\n')) return
      head += data.toString('latin1')
      const end = head.indexOf('\r\n\r\n')
      if (end === -1) return
      const lines = head.slice(0, end).split('\r\n')
      const request = { raw: head.slice(0, end + 4), path: lines[0].split(' ')[1] ?? '', headerLines: lines.slice(1) }
      requests.push(request)
      socket.end(respond(request, requests.length - 1))
    })
  })
  const sockets = trackSockets(server)
  const port = await listen(server, 0, '127.0.0.1')
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: closer(server, sockets),
  }
}

/** A close-delimited event stream response with the given body. */
export const rawEventStream = (/** @type {string | Buffer} */ body) =>
  Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n', 'latin1'), Buffer.from(body)])

export const RAW_204 = 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'
