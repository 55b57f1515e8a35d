// Stock prices (after the Hertz `examples/server/stockprice` `/price` endpoint).
//
// Wire format of GET /price:
//   on connect   id: <tick>  event: snapshot  data: {"tick","intervalMs","symbols":[{symbol,name,open,price,history:[...]}]}
//   every tick   id: <tick>  event: <SYMBOL>  data: {"symbol","price","open","change","changePercent","time"}
// As in Hertz the event type is the ticker symbol (so a client subscribes with
// addEventListener('AAPL', ...)), and every event of one tick shares the tick number as its id. The data is
// JSON rather than Hertz's bare number so the page can show the change without extra state.
// Prices are live, not replayed: a reconnecting client gets a fresh snapshot instead of missed ticks.
//
// One shared market for all clients: every viewer sees the same prices, and the ticker runs only
// while someone is watching (no timer left behind when the last client leaves or the server closes).

import { gaussian, seededRandom } from './random.js'
import { newStream } from '../dist/server.js'

export const DEFAULT_SYMBOLS = [
  { symbol: 'AAPL', name: 'Apple', price: 189.5 },
  { symbol: 'AMZN', name: 'Amazon', price: 178.2 },
  { symbol: 'GOOG', name: 'Alphabet', price: 141.8 },
  { symbol: 'MSFT', name: 'Microsoft', price: 415.3 },
  { symbol: 'NVDA', name: 'NVIDIA', price: 875.4 },
  { symbol: 'TSLA', name: 'Tesla', price: 171.1 },
]

/** Points kept per symbol for the sparklines of a newly connected page. */
const HISTORY = 60
/** Per-tick volatility of the log-price random walk. */
const VOLATILITY = 0.004

/** @param {number} n */
const cents = (n) => Math.round(n * 100) / 100

/**
 * @param {{ seed?: number, intervalMs?: number, symbols?: typeof DEFAULT_SYMBOLS, maxClients?: number }} [options]
 */
export function createStocks({ seed = 42, intervalMs = 300, symbols = DEFAULT_SYMBOLS, maxClients = 500 } = {}) {
  const random = seededRandom(seed)
  const quotes = symbols.map((s) => ({ symbol: s.symbol, name: s.name, open: s.price, price: s.price, history: [s.price] }))
  /** @type {Set<import('../dist/server.js').EventStream>} */
  const clients = new Set()
  let tick = 0
  /** @type {NodeJS.Timeout | undefined} */
  let timer

  const step = () => {
    tick++
    const time = Date.now()
    for (const q of quotes) {
      // Geometric walk: prices stay positive and move proportionally, like real quotes.
      q.price = Math.max(0.01, cents(q.price * Math.exp(VOLATILITY * gaussian(random))))
      q.history.push(q.price)
      if (q.history.length > HISTORY) q.history.shift()
      const event = {
        id: String(tick),
        event: q.symbol,
        data: JSON.stringify({
          symbol: q.symbol,
          price: q.price,
          open: q.open,
          change: cents(q.price - q.open),
          changePercent: Math.round(((q.price - q.open) / q.open) * 10000) / 100,
          time,
        }),
      }
      // Fan-out: send without waiting for each reader; the output cap cuts one that stops reading.
      for (const client of clients) client.send(event)
    }
  }

  /** @param {import('../dist/server.js').EventStream} client */
  const remove = (client) => {
    clients.delete(client)
    if (clients.size === 0 && timer) {
      clearInterval(timer)
      timer = undefined
    }
  }

  return {
    /**
     * GET /price
     * @param {import('node:http').IncomingMessage} req
     * @param {import('node:http').ServerResponse} res
     */
    handlePrice(req, res) {
      if (clients.size >= maxClients) {
        res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '5' })
        res.end(JSON.stringify({ error: 'too many price subscribers, try again later' }))
        return
      }
      // A snapshot is a few KiB and a tick a few hundred bytes: 128 KiB is minutes of ticks for a reader that stalls,
      // and bounds what 500 subscribers that never read can hold (64 MiB; the default 1 MiB would allow 500).
      const client = newStream(res, { maxBuffered: 128 * 1024 })
      client.send({
        id: String(tick),
        event: 'snapshot',
        data: JSON.stringify({
          tick,
          intervalMs,
          symbols: quotes.map((q) => ({ symbol: q.symbol, name: q.name, open: q.open, price: q.price, history: q.history })),
        }),
      })
      clients.add(client)
      client.signal.addEventListener('abort', () => remove(client))
      timer ??= setInterval(step, intervalMs)
    },

    /** Ends every price stream and stops the ticker. */
    close() {
      for (const client of [...clients]) client.close()
      clients.clear()
      clearInterval(timer)
      timer = undefined
    },

    /** For tests: how many clients are connected. */
    get clientCount() {
      return clients.size
    },
  }
}
