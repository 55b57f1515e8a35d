// Chat (after the Hertz `examples/server/chat` example), made safe to reconnect to.
//
//   GET  /chat/sse?username=NAME         the user's event stream
//   POST /chat/broadcast  {"from","message"}        → 200 {message}
//   POST /chat/direct     {"from","to","message"}   → 200 {message}
//   POST /chat/drop       {"username"}              ends that user's streams (to demo a reconnect)
// (Hertz-style query parameters `?from=&to=&message=` are accepted when the body is empty.)
//
// Stream events:
//   id: <n>  event: broadcast | direct   data: {"id","type","from","to","message","timestamp"}
//   id: <head>  event: welcome  retry: 2000  data: {"username","online":[...]}  (after any replay)
//   event: presence  data: {"online":[...]}                    (no id: not part of the replayable log)
//   event: gap       data: {"from","to"}                        (ids that fell out of the history)
//   ": heartbeat" comments every heartbeatMs
//
// Exactly-once delivery across reconnects: every message gets the next id of one global sequence and
// goes into a bounded history. A stream that starts with Last-Event-ID N first receives the history
// entries after N that its user may see (broadcasts, and directs from or to them), then `welcome`
// carrying the current head id, then live messages. Replay and subscription happen in the same
// synchronous turn, so no message can slip between them or arrive twice. `welcome` carries an id so a
// client that has not seen any message yet still resumes from the right place.
//
// Unlike the Hertz example (which blocks forever sending to an unknown recipient's channel), every
// bad request is answered with a 4xx JSON `{ "error" }` and nothing else is affected.

import { HttpError, readBody, sendJSON } from '../e2e/server/http-util.js'
import { SSEWriter, lastEventId } from '../e2e/server/sse-writer.js'

export const USERNAME = /^[A-Za-z0-9_-]{1,32}$/
export const LIMITS = { body: 16 * 1024, messageBytes: 4 * 1024 }

/**
 * @typedef {{ id: number, type: 'broadcast' | 'direct', from: string, to: string, message: string, timestamp: string }} ChatMessage
 * @typedef {{ writer: SSEWriter, username: string }} Connection
 */

/**
 * @param {unknown} value
 * @param {string} field
 */
function checkUsername(value, field) {
  if (typeof value !== 'string' || !USERNAME.test(value)) {
    throw new HttpError(400, `${field} must be 1-32 characters of A-Z, a-z, 0-9, _ or -`)
  }
  return value
}

/** @param {unknown} value */
function checkMessage(value) {
  if (typeof value !== 'string') throw new HttpError(400, 'message must be a string')
  if (value.trim() === '') throw new HttpError(400, 'message must not be empty')
  if (Buffer.byteLength(value, 'utf8') > LIMITS.messageBytes) {
    throw new HttpError(413, `message too long (max ${LIMITS.messageBytes} bytes)`)
  }
  return value
}

/**
 * The JSON body as an object, or the query parameters when the body is empty (Hertz-style curl).
 * @param {import('node:http').IncomingMessage} req
 * @param {URL} url
 * @returns {Promise<Record<string, unknown>>}
 */
async function readFields(req, url) {
  const body = await readBody(req, LIMITS.body)
  if (body.length === 0) return Object.fromEntries(url.searchParams)
  let value
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch {
    throw new HttpError(400, 'body is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'body must be a JSON object')
  }
  return value
}

/**
 * @param {{ historySize?: number, heartbeatMs?: number, presenceGraceMs?: number, maxConnections?: number, maxPerUser?: number }} [options]
 *   presenceGraceMs: how long a user who disconnected still counts as a known recipient, so a direct
 *   message sent while they reconnect is kept for their replay instead of refused.
 */
export function createChat({ historySize = 1000, heartbeatMs = 15_000, presenceGraceMs = 60_000, maxConnections = 1000, maxPerUser = 10 } = {}) {
  /** @type {ChatMessage[]} */
  const history = []
  let lastId = 0
  /** @type {Map<string, { connections: Set<Connection>, leftAt: number }>} */
  const users = new Map()
  /** @type {Set<Connection>} */
  const connections = new Set()
  /** @type {NodeJS.Timeout | undefined} */
  let heartbeat

  const online = () => [...users].filter(([, u]) => u.connections.size > 0).map(([name]) => name).sort()

  /** @param {string} name */
  const isKnown = (name) => {
    const user = users.get(name)
    return !!user && (user.connections.size > 0 || Date.now() - user.leftAt < presenceGraceMs)
  }

  /** Forgets users gone for longer than the grace period, so the registry stays bounded. */
  const prune = () => {
    const now = Date.now()
    for (const [name, user] of users) {
      if (user.connections.size === 0 && now - user.leftAt >= presenceGraceMs) users.delete(name)
    }
  }

  /**
   * @param {ChatMessage} m
   * @param {string} username
   */
  const visibleTo = (m, username) => m.type === 'broadcast' || m.from === username || m.to === username

  /** @param {ChatMessage} m */
  const toEvent = (m) => ({ id: String(m.id), event: m.type, data: JSON.stringify(m) })

  const announcePresence = () => {
    const event = { event: 'presence', data: JSON.stringify({ online: online() }) }
    for (const c of connections) c.writer.writeEvent(event)
  }

  /**
   * @param {'broadcast' | 'direct'} type
   * @param {string} from
   * @param {string} to
   * @param {string} message
   */
  const publish = (type, from, to, message) => {
    /** @type {ChatMessage} */
    const m = { id: ++lastId, type, from, to, message, timestamp: new Date().toISOString() }
    history.push(m)
    if (history.length > historySize) history.shift()
    const event = toEvent(m)
    for (const c of connections) if (visibleTo(m, c.username)) c.writer.writeEvent(event)
    return m
  }

  /**
   * GET /chat/sse?username=
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {URL} url
   */
  const handleStream = (req, res, url) => {
    const username = checkUsername(url.searchParams.get('username'), 'username')
    if (connections.size >= maxConnections) throw new HttpError(503, 'chat is full, try again later')
    prune()
    const user = users.get(username) ?? { connections: new Set(), leftAt: 0 }
    if (user.connections.size >= maxPerUser) throw new HttpError(429, `too many open streams for ${username}`)
    users.set(username, user)

    const writer = new SSEWriter(res)
    /** @type {Connection} */
    const connection = { writer, username }

    // Replay what this user missed. Last-Event-ID is ours only if it is a number we could have issued.
    const last = lastEventId(req)
    if (/^\d{1,15}$/.test(last) && Number(last) < lastId) {
      const after = Number(last)
      const oldest = history.length > 0 ? history[0].id : lastId + 1
      if (after + 1 < oldest) writer.writeEvent({ event: 'gap', data: JSON.stringify({ from: after + 1, to: oldest - 1 }) })
      for (const m of history) if (m.id > after && visibleTo(m, username)) writer.writeEvent(toEvent(m))
    }
    writer.writeEvent({ id: String(lastId), event: 'welcome', retry: 2000, data: JSON.stringify({ username, online: [...new Set([...online(), username])].sort() }) })

    connections.add(connection)
    user.connections.add(connection)
    if (user.connections.size === 1) announcePresence()
    heartbeat ??= setInterval(() => {
      for (const c of connections) c.writer.writeComment('heartbeat')
    }, heartbeatMs)

    writer.signal.addEventListener('abort', () => {
      connections.delete(connection)
      user.connections.delete(connection)
      if (user.connections.size === 0) {
        user.leftAt = Date.now()
        announcePresence()
      }
      if (connections.size === 0) {
        clearInterval(heartbeat)
        heartbeat = undefined
      }
    })
  }

  /**
   * POST /chat/broadcast, /chat/direct, /chat/drop
   * @param {'broadcast' | 'direct' | 'drop'} kind
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {URL} url
   */
  const handlePost = async (kind, req, res, url) => {
    if (req.method !== 'POST') throw new HttpError(405, 'use POST')
    const fields = await readFields(req, url)
    if (kind === 'drop') {
      const username = checkUsername(fields.username, 'username')
      const user = users.get(username)
      const dropped = user ? user.connections.size : 0
      // Ending the response normally (not destroying it) makes a well-behaved client reconnect.
      for (const c of [...(user?.connections ?? [])]) c.writer.close()
      sendJSON(res, 200, { dropped })
      return
    }
    const from = checkUsername(fields.from, 'from')
    const message = checkMessage(fields.message)
    let to = ''
    if (kind === 'direct') {
      to = checkUsername(fields.to, 'to')
      if (!isKnown(to)) throw new HttpError(404, `unknown recipient: ${to}`)
    }
    sendJSON(res, 200, { message: publish(kind, from, to, message) })
  }

  return {
    /**
     * Routes /chat/*; returns false for other paths.
     * @param {import('node:http').IncomingMessage} req
     * @param {import('node:http').ServerResponse} res
     * @param {URL} url
     */
    async handle(req, res, url) {
      switch (url.pathname) {
        case '/chat/sse':
          if (req.method !== 'GET') throw new HttpError(405, 'use GET')
          handleStream(req, res, url)
          return true
        case '/chat/broadcast':
          await handlePost('broadcast', req, res, url)
          return true
        case '/chat/direct':
          await handlePost('direct', req, res, url)
          return true
        case '/chat/drop':
          await handlePost('drop', req, res, url)
          return true
        default:
          return false
      }
    },

    /** Ends every chat stream and stops the heartbeat. */
    close() {
      for (const c of [...connections]) c.writer.close()
      clearInterval(heartbeat)
      heartbeat = undefined
    },
  }
}
