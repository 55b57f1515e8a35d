// fetch-eventsource/server inside the frameworks the README names: Express's `res`, Fastify's `reply.raw` after
// `reply.hijack()`, and Hono's fetch-style handler. Each streams to FetchEventSource, which resumes with
// Last-Event-ID; every server binds 127.0.0.1 on a free port and is closed by the test.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { FetchEventSource } from '../../dist/index.js'
import { lastEventId, newStream, newWebStream } from '../../dist/server.js'
import { trackSockets } from '../../dist/support.js'

/**
 * Three ticks after the client's Last-Event-ID, then the end of the response: the client reconnects and resumes.
 * @param {import('../../dist/server.js').EventStream} stream @param {number} from
 */
async function threeTicks(stream, from) {
  await stream.publish({ retry: 20 })
  for (let i = from + 1; i <= from + 3; i++) await stream.publish({ id: i, event: 'tick', data: `t${i}` })
  stream.close()
}

/**
 * Opens `url` (with `init`) and resolves with the first six ticks as `lastEventId:data`; rejects after 5 s.
 * @param {string} url @param {import('../../dist/index.js').FetchEventSourceInit} [init]
 */
async function sixTicks(url, init) {
  const source = new FetchEventSource(url, init)
  /** @type {string[]} */
  const seen = []
  /** @type {NodeJS.Timeout | undefined} */
  let timer
  try {
    await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`six ticks not seen within 5 s: ${JSON.stringify(seen)}`)), 5000)
      source.addEventListener('tick', (event) => {
        seen.push(`${event.lastEventId}:${event.data}`)
        if (seen.length === 6) resolve(undefined)
      })
    })
  } finally {
    clearTimeout(timer)
    source.close()
  }
  return seen
}

const SIX = ['1:t1', '2:t2', '3:t3', '4:t4', '5:t5', '6:t6']

describe('fetch-eventsource/server in frameworks', () => {
  test('Express: newStream(res)', async () => {
    const app = express()
    app.get('/events', (req, res) => {
      void threeTicks(newStream(res, { headers: { 'x-framework': 'express' } }), Number(lastEventId(req) || 0))
    })
    const server = app.listen(0, '127.0.0.1')
    const sockets = trackSockets(server)
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      assert.deepEqual(await sixTicks(`http://127.0.0.1:${port}/events`), SIX)
    } finally {
      sockets.destroyAll()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('Fastify: reply.hijack(), then newStream(reply.raw)', async () => {
    const app = Fastify()
    app.get('/events', (request, reply) => {
      reply.hijack()
      void threeTicks(newStream(reply.raw), Number(lastEventId(request.raw) || 0))
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const { port } = /** @type {import('node:net').AddressInfo} */ (app.server.address())
      assert.deepEqual(await sixTicks(`http://127.0.0.1:${port}/events`), SIX)
    } finally {
      await app.close()
    }
  })

  test('Hono: newWebStream().response from a route handler', async () => {
    const app = new Hono()
    app.get('/events', (c) => {
      const stream = newWebStream({ signal: c.req.raw.signal })
      void threeTicks(stream, Number(lastEventId(c.req.raw) || 0))
      return stream.response
    })
    // Hono's app.fetch is the whole server: FetchEventSource's `fetch` option calls it directly.
    const seen = await sixTicks('http://hono.invalid/events', { fetch: async (input, init) => app.fetch(new Request(input, init)) })
    assert.deepEqual(seen, SIX)
  })
})
