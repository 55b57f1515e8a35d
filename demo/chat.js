// Chat (after the Hertz `examples/server/chat` example), made safe to reconnect to and to share.
//
//   POST /chat/join       {"username"}          → 200 {"username","token"}   (409 while someone else holds that name;
//                                                 sending the name's own token gives it back)
//   GET  /chat/sse                              the caller's event stream
//   POST /chat/broadcast  {"message"}           → 200 {message}
//   POST /chat/direct     {"to","message"}      → 200 {message}
//   POST /chat/drop       {}                    ends the caller's own streams (to demo a reconnect)
// Every route but join needs `Authorization: Bearer <token>`; the name comes from the token, never from the request.
// Bodies are JSON objects (demo/server.js refuses other content types and cross-origin requests).
//
// Stream events:
//   id: <epoch>-<n>  event: broadcast | direct   data: {"id","type","from","to","message","timestamp"}
//   id: <epoch>-<head>  event: welcome  retry: 2000  data: {"username","online":[...],"epoch"}  (after any replay)
//   event: presence  data: {"joined":[...],"left":[...]}      (deltas, no id: not part of the replayable log)
//   event: gap       data: {"from","to"}                        (ids that fell out of the history)
//   event: reset     data: {"epoch"}    Last-Event-ID was issued by an earlier run: forget what you have, the
//                                      history follows from its start
//   ": heartbeat" comments every heartbeatMs
//
// Exactly-once delivery across reconnects: every message gets the next number of one sequence and goes into a
// bounded history. A stream that starts with Last-Event-ID `<epoch>-N` is first caught up from the history, one
// `await publish` at a time, so a reader far behind is paced instead of cut off by the output cap; it goes live (and
// gets `welcome` with the head id) in the same synchronous turn in which the catch-up finds nothing newer, so no
// message slips between replay and live delivery or arrives twice.
//
// Presence goes out as deltas, batched per presenceBatchMs: a join or leave costs each connection at most one small
// write per batch, instead of the whole online list per change (which made 1,000 users joining cost seconds of CPU).

import { randomBytes } from 'node:crypto'
import { lastEventId, newStream } from '../dist/server.js'
import { HttpError, readJSON, sendJSON } from '../dist/support.js'

export const USERNAME = /^[A-Za-z0-9_-]{1,32}$/
export const LIMITS = { body: 16 * 1024, messageBytes: 4 * 1024 }

/**
 * @typedef {import('node:http').IncomingMessage} IncomingMessage
 * @typedef {import('node:http').ServerResponse} ServerResponse
 * @typedef {{ id: number, type: 'broadcast' | 'direct', from: string, to: string, message: string, timestamp: string }} ChatMessage
 * @typedef {{ stream: import('../dist/server.js').EventStream, username: string, live: boolean }} Connection
 * @typedef {{ token: string, connections: Set<Connection>, live: number, leftAt: number, everConnected?: boolean }} User
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
 * The JSON body as an object.
 * @param {IncomingMessage} req
 * @returns {Promise<Record<string, unknown>>}
 */
async function readFields(req) {
  const value = await readJSON(req, LIMITS.body).catch((err) => {
    throw err instanceof HttpError && err.status === 400 ? new HttpError(400, 'body is not valid JSON') : err
  })
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'body must be a JSON object')
  return /** @type {Record<string, unknown>} */ (value)
}

/** @param {IncomingMessage} req */
function bearer(req) {
  const match = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(req.headers.authorization ?? '')
  return match ? match[1] : undefined
}

/**
 * @param {{ historySize?: number, heartbeatMs?: number, presenceGraceMs?: number, presenceBatchMs?: number,
 *   maxConnections?: number, maxPerUser?: number, maxUsers?: number, unusedSessionMs?: number, epoch?: string }} [options]
 *   presenceGraceMs: how long a user who disconnected keeps their name and token, so a direct message sent while
 *   they reconnect is kept for their replay instead of refused. epoch: the id prefix of this run (default: the start
 *   time in base 36), so ids from an earlier run are recognised. maxUsers: sessions held at once (joins past it
 *   get 503), so joining in a loop cannot grow the registry without bound. unusedSessionMs: how long a session that
 *   never opened a stream keeps its name, so a flood of joins frees itself in seconds, not a minute.
 */
export function createChat({
  historySize = 1000,
  heartbeatMs = 15_000,
  presenceGraceMs = 60_000,
  presenceBatchMs = 50,
  maxConnections = 1000,
  maxPerUser = 10,
  maxUsers = 10 * maxConnections,
  unusedSessionMs = 10_000,
  epoch = Date.now().toString(36),
} = {}) {
  // resumePoint only recognises ids of this shape: any other epoch would replay the whole history on every reconnect.
  if (!/^[a-z0-9]{1,16}$/.test(epoch)) throw new TypeError(`epoch must be 1-16 characters of [a-z0-9], got ${JSON.stringify(epoch)}`)
  /** @type {ChatMessage[]} ids are consecutive, so a message's index is `id - history[0].id` */
  const history = []
  let lastId = 0
  /** @type {Map<string, User>} */
  const users = new Map()
  /** @type {Map<string, string>} token → username */
  const tokens = new Map()
  /** @type {Set<Connection>} connections that receive live messages */
  const live = new Set()
  let connectionCount = 0
  /** @type {Set<string>} users with at least one live connection */
  const online = new Set()
  /** @type {Set<string>} what the last presence batch told everyone */
  const announced = new Set()
  /** @type {Set<string>} */
  const presenceChanged = new Set()
  /** @type {NodeJS.Timeout | undefined} */
  let presenceTimer
  /** @type {NodeJS.Timeout | undefined} */
  let heartbeat

  const idOf = (/** @type {number} */ n) => `${epoch}-${n}`

  /**
   * Forgets users gone for longer than the grace period (a session that never opened a stream: after a few
   * seconds, so a flood of joins cannot hold every name), and their tokens: the registry stays bounded. A name once
   * freed can be joined by anyone, so the direct messages of the session that held it are blanked in the history:
   * the next holder of the name must not have them replayed.
   */
  const prune = () => {
    const now = Date.now()
    /** @type {Set<string>} */
    const freed = new Set()
    for (const [name, user] of users) {
      const grace = user.everConnected ? presenceGraceMs : Math.min(presenceGraceMs, unusedSessionMs)
      if (user.connections.size === 0 && now - user.leftAt >= grace) {
        users.delete(name)
        tokens.delete(user.token)
        freed.add(name)
      }
    }
    if (freed.size === 0) return
    history.forEach((m, i) => {
      if (m.type === 'direct' && (freed.has(m.from) || freed.has(m.to))) history[i] = { ...m, from: '', to: '', message: '' }
    })
  }

  /**
   * The user a request's token belongs to; 401 otherwise.
   * @param {IncomingMessage} req
   */
  const authenticate = (req) => {
    const token = bearer(req)
    const name = token === undefined ? undefined : tokens.get(token)
    const user = name === undefined ? undefined : users.get(name)
    if (!user || name === undefined) throw new HttpError(401, 'missing or unknown session token: POST /chat/join first')
    return { name, user }
  }

  /**
   * @param {ChatMessage} m
   * @param {string} username
   */
  const visibleTo = (m, username) => m.type === 'broadcast' || m.from === username || m.to === username

  /** @param {ChatMessage} m */
  const toEvent = (m) => ({ id: idOf(m.id), event: m.type, data: JSON.stringify(m) })

  const flushPresence = () => {
    presenceTimer = undefined
    /** @type {string[]} */
    const joined = []
    /** @type {string[]} */
    const left = []
    for (const name of presenceChanged) {
      if (online.has(name) && !announced.has(name)) (announced.add(name), joined.push(name))
      else if (!online.has(name) && announced.has(name)) (announced.delete(name), left.push(name))
    }
    presenceChanged.clear()
    if (joined.length === 0 && left.length === 0) return
    const event = { event: 'presence', data: JSON.stringify({ joined: joined.sort(), left: left.sort() }) }
    for (const c of live) c.stream.send(event)
  }

  /** @param {string} name */
  const presenceChange = (name) => {
    presenceChanged.add(name)
    presenceTimer ??= setTimeout(flushPresence, presenceBatchMs)
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
    // Fan-out without waiting: a reader that stops reading is cut by the stream's output cap and catches up from
    // the history when it reconnects.
    for (const c of live) if (visibleTo(m, c.username)) c.stream.send(event)
    return m
  }

  /**
   * Where a stream's replay starts: after the message it names, or from the start (with `reset`) when the id was
   * issued by another run of the server.
   * @param {string} last
   * @returns {{ after: number, reset: boolean }}
   */
  const resumePoint = (last) => {
    if (last === '') return { after: lastId, reset: false }
    const match = /^([a-z0-9]{1,16})-(\d{1,15})$/.exec(last)
    if (match && match[1] === epoch && Number(match[2]) <= lastId) return { after: Number(match[2]), reset: false }
    return { after: 0, reset: true }
  }

  /**
   * Replays what `c` missed, paced by the reader, then makes it live with `welcome` in the same turn.
   * @param {Connection} c
   * @param {User} user
   * @param {number} after
   */
  const catchUp = async (c, user, after) => {
    let cursor = after
    for (;;) {
      if (c.stream.closed) return
      const oldest = history.length > 0 ? /** @type {ChatMessage} */ (history[0]).id : lastId + 1
      if (cursor + 1 < oldest) {
        await c.stream.publish({ event: 'gap', data: JSON.stringify({ from: cursor + 1, to: oldest - 1 }) })
        cursor = oldest - 1
        continue
      }
      const m = history[cursor + 1 - oldest]
      if (m === undefined) break // caught up: nothing newer in this turn
      cursor = m.id
      if (visibleTo(m, c.username)) await c.stream.publish(toEvent(m))
    }
    live.add(c)
    user.live++
    if (user.live === 1) {
      online.add(c.username)
      presenceChange(c.username)
    }
    c.stream.send({
      id: idOf(lastId),
      event: 'welcome',
      retry: 2000,
      data: JSON.stringify({ username: c.username, online: [...online].sort(), epoch }),
    })
  }

  /**
   * GET /chat/sse
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   */
  const handleStream = (req, res) => {
    const { name, user } = authenticate(req)
    if (connectionCount >= maxConnections) throw new HttpError(503, 'chat is full, try again later')
    if (user.connections.size >= maxPerUser) throw new HttpError(429, `too many open streams for ${name}`)

    // A small output cap: a reader cut for not reading catches up from the history when it reconnects, so the server
    // need not hold a megabyte per idle connection for it.
    const stream = newStream(res, { maxBuffered: 128 * 1024 })
    /** @type {Connection} */
    const c = { stream, username: name, live: false }
    user.connections.add(c)
    user.everConnected = true
    connectionCount++
    heartbeat ??= setInterval(() => {
      for (const l of live) l.stream.comment('heartbeat')
    }, heartbeatMs)
    stream.signal.addEventListener('abort', () => {
      connectionCount--
      user.connections.delete(c)
      if (live.delete(c) && --user.live === 0) {
        online.delete(name)
        presenceChange(name)
      }
      if (user.connections.size === 0) user.leftAt = Date.now()
      if (connectionCount === 0) {
        clearInterval(heartbeat)
        heartbeat = undefined
      }
    })

    const { after, reset } = resumePoint(lastEventId(req))
    if (reset) stream.send({ event: 'reset', data: JSON.stringify({ epoch }) })
    catchUp(c, user, after).catch(() => stream.close())
  }

  /**
   * POST /chat/join
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   */
  const handleJoin = async (req, res) => {
    const fields = await readFields(req)
    const username = checkUsername(fields.username, 'username')
    prune()
    const held = users.get(username)
    // Joining again with the name's own token (a page that left and comes back) keeps the session.
    if (held && held.token === bearer(req)) return sendJSON(res, 200, { username, token: held.token })
    if (held) throw new HttpError(409, `${username} is taken; choose another name`)
    if (users.size >= maxUsers) throw new HttpError(503, 'too many sessions, try again in a minute')
    const token = randomBytes(24).toString('base64url')
    users.set(username, { token, connections: new Set(), live: 0, leftAt: Date.now() })
    tokens.set(token, username)
    sendJSON(res, 200, { username, token })
  }

  /**
   * POST /chat/broadcast, /chat/direct, /chat/drop
   * @param {'broadcast' | 'direct' | 'drop'} kind
   * @param {IncomingMessage} req
   * @param {ServerResponse} res
   */
  const handlePost = async (kind, req, res) => {
    // Authenticated before the body is read: strangers cannot make us buffer anything.
    const { name, user } = authenticate(req)
    const fields = await readFields(req)
    if (fields.from !== undefined && fields.from !== name) throw new HttpError(403, `this token speaks for ${name} only`)
    if (kind === 'drop') {
      const dropped = user.connections.size
      // Ending the response normally (not destroying it) makes a well-behaved client reconnect.
      for (const c of [...user.connections]) c.stream.close()
      sendJSON(res, 200, { dropped })
      return
    }
    const message = checkMessage(fields.message)
    let to = ''
    if (kind === 'direct') {
      to = checkUsername(fields.to, 'to')
      prune()
      if (!users.has(to)) throw new HttpError(404, `unknown recipient: ${to}`)
    }
    sendJSON(res, 200, { message: publish(kind, name, to, message) })
  }

  return {
    epoch,

    /** Open chat streams, live or catching up. */
    get connections() {
      return connectionCount
    },

    /**
     * Routes /chat/*; returns false for other paths.
     * @param {IncomingMessage} req
     * @param {ServerResponse} res
     * @param {URL} url
     */
    async handle(req, res, url) {
      const post = (/** @type {() => Promise<void>} */ handler) => {
        if (req.method !== 'POST') throw new HttpError(405, 'use POST')
        return handler()
      }
      switch (url.pathname) {
        case '/chat/sse':
          if (req.method !== 'GET') throw new HttpError(405, 'use GET')
          handleStream(req, res)
          return true
        case '/chat/join':
          await post(() => handleJoin(req, res))
          return true
        case '/chat/broadcast':
        case '/chat/direct':
        case '/chat/drop':
          await post(() => handlePost(/** @type {'broadcast' | 'direct' | 'drop'} */ (url.pathname.slice(6)), req, res))
          return true
        default:
          return false
      }
    },

    /** Ends every chat stream and stops the timers. */
    close() {
      for (const user of users.values()) for (const c of [...user.connections]) c.stream.close()
      clearInterval(heartbeat)
      heartbeat = undefined
      clearTimeout(presenceTimer)
      presenceTimer = undefined
    },
  }
}
