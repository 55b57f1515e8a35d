// A TCP proxy on loopback that cuts server→client streams at seeded byte offsets, aimed at the places a parser
// gets wrong: inside a UTF-8 sequence, between CR and LF, just before the blank line that would dispatch an event,
// or anywhere (HTTP headers and chunk framing included). Everything it decides comes from one seed, and the byte
// stream a resumable server sends is a function of where the client resumes, so a run replays exactly.
//
//   const proxy = await startCuttingProxy({ target: { port: server.port }, seed: 42 })
//   fetch(proxy.url + '/events') ... proxy.cuts (one record per cut) ... await proxy.close()
//
// Per connection it draws a threshold (stream offset, in [minBytes, maxBytes]), a kind and a manner:
//   kinds   'any'    cut exactly at the threshold
//           'utf8'   at the first position ≥ threshold whose next byte is a UTF-8 continuation byte
//           'crlf'   between a CR and the LF that follows it
//           'blank'  just before a line ending that follows a line ending (an event without its blank line)
//   manner  'fin'    forward the bytes before the cut, then end the connection normally (FIN)
//           'reset'  forward them, then reset it (RST): the client sees a network error
// Bytes are forwarded as they come until the cut point is found; after the cut both sides are destroyed.

import net from 'node:net'
import { closer, listen, trackSockets } from '../dist/support.js'
import { derive } from './seed.js'

const CR = 0x0d
const LF = 0x0a

/** @typedef {'any' | 'utf8' | 'crlf' | 'blank'} CutKind */
/** @typedef {{ conn: number, offset: number, kind: CutKind, manner: 'fin' | 'reset', before: string, after: string }} Cut */

/**
 * @param {{
 *   target: { host?: string, port: number },
 *   seed: number,
 *   minBytes?: number, maxBytes?: number,
 *   kinds?: CutKind[], manners?: Array<'fin' | 'reset'>,
 *   cutProbability?: number,
 *   maxCuts?: number,
 * }} options  cutProbability: share of connections that get a cut at all (default 1); after maxCuts cuts the
 *   proxy only forwards (lets a run finish once enough cuts were made).
 */
export async function startCuttingProxy({
  target,
  seed,
  minBytes = 1,
  maxBytes = 4096,
  kinds = ['any', 'utf8', 'crlf', 'blank'],
  manners = ['fin', 'reset'],
  cutProbability = 1,
  maxCuts = Infinity,
}) {
  const random = derive(seed, 'cutting-proxy')
  const pick = (/** @type {any[]} */ list) => list[Math.floor(random() * list.length)]
  /** @type {Cut[]} */
  const cuts = []
  const stats = { connections: 0, bytesDown: 0, bytesUp: 0, cuts: 0 }
  const server = net.createServer((client) => {
    const conn = stats.connections++
    // Decisions are drawn at accept time, in accept order: reproducible for a single sequential client.
    const cutting = cuts.length < maxCuts && random() < cutProbability
    const threshold = minBytes + Math.floor(random() * (maxBytes - minBytes + 1))
    const kind = /** @type {CutKind} */ (pick(kinds))
    const manner = pick(manners)
    const upstream = net.connect(target.port, target.host ?? '127.0.0.1')
    sockets.add(upstream)
    for (const socket of [client, upstream]) socket.on('error', () => {}) // resets are the point; the other side is destroyed below
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => {
      if (!client.destroyed) client.end()
    })

    // client → server: plain forwarding with backpressure
    client.on('data', (chunk) => {
      stats.bytesUp += chunk.length
      if (!upstream.write(chunk)) client.pause()
    })
    upstream.on('drain', () => client.resume())
    client.on('end', () => upstream.end())

    // server → client: forward until the cut point
    let offset = 0 // bytes of this connection forwarded so far
    let previous = -1 // the byte before `offset`
    let done = !cutting
    upstream.on('data', (/** @type {Buffer} */ chunk) => {
      if (client.destroyed) return
      if (!done) {
        const at = findCut(chunk, offset, previous, threshold, kind)
        if (at !== -1) {
          done = true
          const head = chunk.subarray(0, at)
          stats.bytesDown += head.length
          stats.cuts++
          cuts.push({
            conn,
            offset: offset + at,
            kind,
            manner,
            before: hex(at >= 4 ? chunk.subarray(at - 4, at) : chunk.subarray(0, at)),
            after: hex(chunk.subarray(at, at + 4)),
          })
          upstream.destroy()
          const finish = () => (manner === 'reset' ? client.resetAndDestroy() : client.end())
          if (head.length > 0) client.write(head, finish)
          else finish()
          return
        }
        previous = chunk[chunk.length - 1]
        offset += chunk.length
      }
      stats.bytesDown += chunk.length
      if (!client.write(chunk)) upstream.pause()
    })
    client.on('drain', () => upstream.resume())
  })
  // Client sockets are tracked on accept, upstream ones as they are opened: close() ends both.
  const sockets = trackSockets(server)
  server.on('error', () => {})
  const port = await listen(server, 0, '127.0.0.1')
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    cuts,
    stats,
    close: closer(server, sockets),
  }
}

/**
 * Index in `chunk` where the cut goes (bytes before it are delivered), or -1 if not in this chunk.
 * @param {Buffer} chunk @param {number} offset stream offset of chunk[0] @param {number} previous byte before it
 * @param {number} threshold @param {CutKind} kind
 */
export function findCut(chunk, offset, previous, threshold, kind) {
  const from = Math.max(0, threshold - offset)
  for (let i = from; i < chunk.length; i++) {
    const before = i === 0 ? previous : chunk[i - 1]
    const byte = chunk[i]
    switch (kind) {
      case 'any':
        return i
      case 'utf8':
        if ((byte & 0xc0) === 0x80) return i
        break
      case 'crlf':
        if (before === CR && byte === LF) return i
        break
      case 'blank':
        if ((byte === CR || byte === LF) && (before === CR || before === LF) && !(before === CR && byte === LF)) return i
        break
    }
  }
  return -1
}

/** @param {Uint8Array} bytes */
const hex = (bytes) => Buffer.from(bytes).toString('hex')
