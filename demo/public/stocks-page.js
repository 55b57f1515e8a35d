// Live stock table: one FetchEventSource on /price, a listener per ticker symbol.

import { FetchEventSource } from '/dist/fetch-eventsource.browser.js'
import { connectionBadge } from './connection-state.js'
import { createSparkline, drawSparkline } from './sparkline.js'

document.documentElement.dataset.ready = '1'

const HISTORY = 60
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id))
const badge = connectionBadge($('state'), $('state-detail'))
const tbody = $('quotes')
const toggle = /** @type {HTMLButtonElement} */ ($('toggle'))
const price = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
const signed = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' })

/** @type {Map<string, { open: number, history: number[], cells: Record<string, HTMLElement>, spark: SVGSVGElement }>} */
const rows = new Map()
let events = 0
/** @type {any} */
let source = null

/**
 * @param {string} symbol
 * @param {string} name
 */
function ensureRow(symbol, name) {
  let row = rows.get(symbol)
  if (row) return row
  const tr = document.createElement('tr')
  /** @type {Record<string, HTMLElement>} */
  const cells = {}
  for (const [key, className] of [['symbol', 'symbol'], ['name', 'name'], ['price', 'num price'], ['change', 'num'], ['percent', 'num'], ['trend', '']]) {
    const td = document.createElement('td')
    td.className = className
    cells[key] = td
    tr.append(td)
  }
  cells.symbol.textContent = symbol
  cells.name.textContent = name
  const spark = createSparkline()
  cells.trend.append(spark)
  tbody.append(tr)
  row = { open: 0, history: [], cells, spark }
  rows.set(symbol, row)
  return row
}

/**
 * @param {string} symbol
 * @param {number} value
 */
function render(symbol, value) {
  const row = rows.get(symbol)
  if (!row) return
  const previous = row.history[row.history.length - 1]
  row.history.push(value)
  if (row.history.length > HISTORY) row.history.shift()
  const change = value - row.open
  const direction = change >= 0 ? 'up' : 'down'
  row.cells.price.textContent = price.format(value)
  row.cells.change.textContent = signed.format(change)
  row.cells.percent.textContent = `${signed.format((change / row.open) * 100)}%`
  row.cells.change.className = `num ${direction}`
  row.cells.percent.className = `num ${direction}`
  if (previous !== undefined && previous !== value) {
    // Restart the flash animation: drop the class, force a style flush, add it back.
    const flash = value > previous ? 'flash-up' : 'flash-down'
    row.cells.price.classList.remove('flash-up', 'flash-down')
    void row.cells.price.offsetWidth
    row.cells.price.classList.add(flash)
  }
  drawSparkline(row.spark, row.history, row.open)
}

function connect() {
  source = new FetchEventSource('/price')
  badge.watch(source)
  const current = source
  /** Listeners are per source: a new connection (after Disconnect/Connect) subscribes again. */
  const subscribed = new Set()

  const count = () => {
    events++
    $('event-count').textContent = String(events)
    $('last-id').textContent = current.lastEventId || '–'
  }

  current.addEventListener('snapshot', (/** @type {MessageEvent} */ event) => {
    count()
    const snapshot = JSON.parse(event.data)
    for (const quote of snapshot.symbols) {
      const row = ensureRow(quote.symbol, quote.name)
      row.open = quote.open
      row.history = quote.history.slice(0, -1)
      render(quote.symbol, quote.price)
      if (!subscribed.has(quote.symbol)) {
        subscribed.add(quote.symbol)
        // The event type is the symbol, as in the Hertz example: `event: AAPL`.
        current.addEventListener(quote.symbol, (/** @type {MessageEvent} */ tick) => {
          count()
          const data = JSON.parse(tick.data)
          render(data.symbol, data.price)
        })
      }
    }
  })
  toggle.textContent = 'Disconnect'
}

function disconnect() {
  source?.close()
  source = null
  badge.set('closed', 'disconnected by you')
  toggle.textContent = 'Connect'
}

toggle.addEventListener('click', () => (source ? disconnect() : connect()))
connect()
