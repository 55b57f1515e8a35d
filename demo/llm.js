// LLM-style token stream: POST /llm/stream, `Authorization: Bearer demo-token`, body {"prompt": "..."}.
//
//   retry: 1000                                        (first, so a dropped stream resumes quickly)
//   id: <i>  event: token  data: {"index": i, "text": "..."}   every 20-40 ms
//   id: <n>  event: done   data: {"tokens": n, "finishReason": "stop"}
//
// Nothing here is a model: the answer is a canned text chosen and varied by a hash of the prompt. That
// makes it deterministic, which buys resumption for free: a client that reconnects with the same POST
// body and Last-Event-ID k gets tokens k+1.. (or just `done`), and one that already saw `done` gets
// 204 so it stops instead of streaming the answer again. The browser's EventSource can do none of this
// (no POST, no Authorization header); FetchEventSource can.

import { timingSafeEqual } from 'node:crypto'
import { lastEventId, newStream } from '../dist/server.js'
import { HttpError, readJSON } from '../dist/support.js'
import { hashString, seededRandom } from './random.js'

export const DEMO_TOKEN = 'demo-token'
export const LIMITS = { body: 16 * 1024, promptChars: 2000 }

const OPENINGS = [
  'Good question.',
  'Here is how I would think about it.',
  'Short answer: it depends, but here is the gist.',
  'Let me walk through it step by step.',
]

const BODY = [
  'This reply is streamed from a small Node server as Server-Sent Events: each token is one `token` event, sent 20 to 40 ms after the previous one.',
  'The page opened the stream with a POST request that carries a JSON body and an Authorization header, which the browser\'s built-in EventSource cannot send.',
  'Every token has an id, so if the connection drops the client reconnects with Last-Event-ID and the server continues with the next token instead of starting over.',
  'When the answer is complete the server sends a `done` event, and the page closes the source so it does not reconnect and ask again.',
  'Press Stop at any time: closing the source aborts the fetch, and the server notices the disconnect and stops generating.',
]

/**
 * The canned answer for a prompt, split into word-sized tokens (leading space kept, as LLM tokenizers do).
 * @param {string} prompt
 * @returns {string[]}
 */
export function answerTokens(prompt) {
  const random = seededRandom(hashString(prompt))
  const opening = OPENINGS[Math.floor(random() * OPENINGS.length)]
  const quoted = prompt.trim().replace(/\s+/g, ' ').slice(0, 120)
  const sentences = BODY.filter(() => random() < 0.8)
  const text = `${opening} You asked: "${quoted}".\n\n${(sentences.length ? sentences : BODY).join(' ')}\n\nThat is all from the demo model.`
  return text.match(/\s*\S+/g) ?? []
}

/**
 * Constant-time check of the bearer token (a habit worth keeping even for a demo secret).
 * @param {string | undefined} header
 */
function isAuthorized(header) {
  const match = /^Bearer (.+)$/.exec(header ?? '')
  if (!match) return false
  const given = Buffer.from(match[1])
  const expected = Buffer.from(DEMO_TOKEN)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/**
 * @param {{ tokenDelayMs?: [number, number], maxStreams?: number }} [options]
 */
export function createLLM({ tokenDelayMs = [20, 40], maxStreams = 100 } = {}) {
  /** @type {Set<import('../dist/server.js').EventStream>} */
  const streams = new Set()

  return {
    /**
     * POST /llm/stream
     * @param {import('node:http').IncomingMessage} req
     * @param {import('node:http').ServerResponse} res
     */
    async handleStream(req, res) {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST')
      // Checked before reading the body: unauthenticated clients cannot make us buffer anything.
      if (!isAuthorized(req.headers.authorization)) {
        res.setHeader('www-authenticate', 'Bearer realm="demo"')
        throw new HttpError(401, 'missing or invalid bearer token (use "Authorization: Bearer demo-token")')
      }
      const body = await readJSON(req, LIMITS.body)
      const prompt = /** @type {{ prompt?: unknown }} */ (body)?.prompt
      if (typeof prompt !== 'string' || prompt.trim() === '') throw new HttpError(400, 'prompt must be a non-empty string')
      if (prompt.length > LIMITS.promptChars) throw new HttpError(413, `prompt too long (max ${LIMITS.promptChars} characters)`)
      if (streams.size >= maxStreams) throw new HttpError(503, 'too many concurrent streams, try again later')

      const tokens = answerTokens(prompt)
      const last = lastEventId(req)
      let next = /^\d{1,9}$/.test(last) ? Number(last) + 1 : 0
      if (next > tokens.length) {
        // The client already has the whole answer, `done` included.
        res.writeHead(204)
        res.end()
        return
      }

      const writer = newStream(res)
      streams.add(writer)
      const random = seededRandom(hashString(prompt) ^ next)
      const [min, max] = tokenDelayMs
      /** @type {NodeJS.Timeout | undefined} */
      let timer
      writer.signal.addEventListener('abort', () => {
        clearTimeout(timer)
        streams.delete(writer)
      })
      writer.send({ retry: 1000 })

      // The next token is scheduled once the previous one is on its way, so a slow reader slows the answer down
      // instead of piling it up in memory.
      const emit = async () => {
        if (writer.closed) return
        if (next < tokens.length) {
          const sent = await writer.publish({ id: String(next), event: 'token', data: JSON.stringify({ index: next, text: tokens[next] }) })
          next++
          if (sent) timer = setTimeout(emit, min + random() * (max - min))
        } else {
          writer.send({ id: String(tokens.length), event: 'done', data: JSON.stringify({ tokens: tokens.length, finishReason: 'stop' }) })
          writer.close()
        }
      }
      timer = setTimeout(emit, min + random() * (max - min))
    },

    /** Ends every running stream. */
    close() {
      for (const writer of [...streams]) writer.close()
    },
  }
}
