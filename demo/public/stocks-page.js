// Live stock table: one FetchEventSource on /price, a listener per ticker symbol, one connection for all tabs.
//
// `shared: true`: the tabs of this origin showing the page share one HTTP connection. The tab that holds it (the
// leader) passes every event on to the others; when it closes, another tab takes over and reconnects with
// Last-Event-ID. The header says how many tabs share the connection and which one holds it: the count and this
// tab's role come from `source.sharedStatus()`, the leader's name from the page's own channel below (the library
// shares a connection, not names).
//
// The page's channel, 'stocks-demo-tabs' (demo code, not the library's):
//   { type: 'hello', tab }                        a tab (re)connected: the leader answers with 'leader' and 'table'
//   { type: 'leader', tab }                       the sender holds the connection (repeated about once a second)
//   { type: 'gone', tab }                         the sender's page is going away
//   { type: 'table', tab, tick, symbols: [...] }  the leader's table, shaped like the server's snapshot: a tab that
//                                                 joins an open connection only sees the events sent after it
//                                                 joined, so it never gets the snapshot the server sent at connect

import { FetchEventSource } from '/dist/fetch-eventsource.browser.js'
import { connectionBadge } from './connection-state.js'
import { createSparkline, drawSparkline } from './sparkline.js'

document.documentElement.dataset.ready = '1'

const HISTORY = 60
const CHANNEL = 'stocks-demo-tabs'
/** How often the header asks the lock manager how many tabs share the connection. */
const REFRESH_MS = 1000
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id))
const badge = connectionBadge($('state'), $('state-detail'))
const tbody = $('quotes')
const toggle = /** @type {HTMLButtonElement} */ ($('toggle'))
const sharing = $('shared-status')
const price = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
const signed = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' })

/** This tab's name in the headers of all tabs: three characters that cannot be mistaken for one another. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
const tab = Array.from(crypto.getRandomValues(new Uint8Array(3)), (byte) => ALPHABET[byte % ALPHABET.length]).join('')
const isTab = (/** @type {unknown} */ value) => typeof value === 'string' && /^[A-Z2-9]{3}$/.test(value)
$('tab-label').textContent = `This tab: ${tab}`

/**
 * @typedef {{ symbol: string, name: string, open: number, price: number, history: number[] }} Quote
 * @typedef {{ tick: number, symbols: Quote[] }} Snapshot
 */

/** @type {Map<string, { name: string, open: number, tick: number, history: number[], cells: Record<string, HTMLElement>, spark: SVGSVGElement }>} */
const rows = new Map()
let events = 0
/** @type {any} */
let source = null
/** Draws a snapshot-shaped table for the current source (set by connect). @type {((snapshot: Snapshot) => void) | null} */
let adoptTable = null
/** The name the leading tab announced; '' when not known (yet). */
let leaderTab = ''
/** Only the latest sharedStatus() answer is shown, whatever order they resolve in. */
let refreshes = 0

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
  row = { name, open: 0, tick: -1, history: [], cells, spark }
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
  source = new FetchEventSource('/price', { shared: true })
  badge.watch(source)
  const current = source
  /** Listeners are per source: a new connection (after Disconnect/Connect) subscribes again. */
  const subscribed = new Set()
  /** The tick of the last snapshot or table drawn: an older table from another tab is not drawn over it. */
  let drawnTick = -1

  const count = () => {
    events++
    $('event-count').textContent = String(events)
    $('last-id').textContent = current.lastEventId || '–'
  }

  /** @param {Snapshot} snapshot */
  const draw = (snapshot) => {
    drawnTick = snapshot.tick
    for (const quote of snapshot.symbols) {
      const row = ensureRow(quote.symbol, quote.name)
      row.open = quote.open
      row.tick = snapshot.tick
      row.history = quote.history.slice(0, -1)
      render(quote.symbol, quote.price)
      if (!subscribed.has(quote.symbol)) {
        subscribed.add(quote.symbol)
        // The event type is the symbol, as in the Hertz example: `event: AAPL`.
        current.addEventListener(quote.symbol, (/** @type {MessageEvent} */ tick) => {
          count()
          const data = JSON.parse(tick.data)
          const id = Number(tick.lastEventId)
          const row = rows.get(data.symbol)
          // A tick the table already shows (it came with a table from another tab) is not drawn twice.
          if (!row || id <= row.tick) return
          row.tick = id
          render(data.symbol, data.price)
        })
      }
    }
  }

  current.addEventListener('snapshot', (/** @type {MessageEvent} */ event) => {
    count()
    // From the server, at every (re)connection: always drawn, even with an older tick (a restarted server).
    draw(JSON.parse(event.data))
  })
  adoptTable = (snapshot) => {
    if (snapshot.tick <= drawnTick) return
    draw(snapshot)
    $('last-id').textContent = current.lastEventId || '–'
  }
  leaderTab = '' // the leader answers the hello below with its name
  current.addEventListener('open', refreshSharing)
  current.addEventListener('error', refreshSharing)
  // Asks a sitting leader for its name and its table. The header is first read in a task: the library joins the
  // shared connection (queues for its lock) in a microtask after the constructor, so only then is it counted.
  post({ type: 'hello', tab })
  setTimeout(refreshSharing, 0)
  toggle.textContent = 'Disconnect'
}

function disconnect() {
  source?.close()
  source = null
  adoptTable = null
  badge.set('closed', 'disconnected by you')
  toggle.textContent = 'Connect'
  refreshSharing()
}

// ---------------------------------------------------------------------------------------------- sharing

/** @param {string} text */
function showSharing(text) {
  // Set only when it changes: the element is a live region, and a screen reader would repeat it every second.
  if (sharing.textContent !== text) sharing.textContent = text
}

/** Updates the header from the lock manager; the leading tab also announces itself. */
async function refreshSharing() {
  const seq = ++refreshes
  const current = source
  if (!current) {
    showSharing('This tab is disconnected')
    return
  }
  const status = await current.sharedStatus()
  if (seq !== refreshes || current !== source) return
  if (status === null) {
    // No Web Locks or BroadcastChannel here (or the source closed): every tab connects on its own.
    showSharing(current.readyState === current.CLOSED ? 'This tab is disconnected' : 'This tab has its own connection')
    return
  }
  if (status.leader) post({ type: 'leader', tab })
  const tabs = `Shared by ${status.contexts} ${status.contexts === 1 ? 'tab' : 'tabs'}`
  const holder = status.leader ? 'this tab' : leaderTab ? `tab ${leaderTab}` : 'another tab'
  showSharing(`${tabs} · ${holder} holds the connection`)
}

/** The leader's answer to a tab that joined: its name, and its table if it has one. */
async function welcome() {
  const current = source
  const status = await current?.sharedStatus()
  if (!status?.leader || current !== source) return
  post({ type: 'leader', tab })
  const tick = Number(current.lastEventId)
  if (rows.size === 0 || !Number.isInteger(tick)) return
  const symbols = [...rows].map(([symbol, row]) => ({ symbol, name: row.name, open: row.open, price: row.history[row.history.length - 1], history: row.history }))
  post({ type: 'table', tab, tick, symbols })
}

/**
 * Whether `value` is a snapshot-shaped table: the channel is this origin's, but any of its pages may post on it.
 * @param {any} value
 * @returns {value is Snapshot}
 */
function isTable(value) {
  const number = (/** @type {unknown} */ n) => typeof n === 'number' && Number.isFinite(n)
  return (
    Number.isInteger(value.tick) &&
    Array.isArray(value.symbols) &&
    value.symbols.every(
      (/** @type {any} */ q) =>
        typeof q === 'object' && q !== null && typeof q.symbol === 'string' && typeof q.name === 'string' && number(q.open) && number(q.price) &&
        Array.isArray(q.history) && q.history.length >= 1 && q.history.length <= HISTORY && q.history.every(number),
    )
  )
}

/** @type {BroadcastChannel | null} */
let channel = null

/** @param {object} message */
function post(message) {
  channel?.postMessage(message)
}

function openChannel() {
  if (typeof BroadcastChannel !== 'function' || channel) return
  channel = new BroadcastChannel(CHANNEL)
  channel.onmessage = (event) => {
    const message = event.data
    if (typeof message !== 'object' || message === null || !isTab(message.tab) || message.tab === tab) return
    if (message.type === 'hello') {
      welcome()
    } else if (message.type === 'leader') {
      if (leaderTab !== message.tab) {
        leaderTab = message.tab
        refreshSharing()
      }
    } else if (message.type === 'gone') {
      if (leaderTab === message.tab) {
        leaderTab = ''
        refreshSharing()
      }
    } else if (message.type === 'table' && isTable(message)) {
      adoptTable?.(message)
    }
  }
}

// Leaving: a leader says so, so the others stop naming it. Into the back/forward cache the channel closes too (a
// message arriving there would evict the page), and opens again when the page comes back.
window.addEventListener('pagehide', (event) => {
  post({ type: 'gone', tab })
  if (event.persisted) {
    channel?.close()
    channel = null
  }
})
window.addEventListener('pageshow', (event) => {
  if (!event.persisted) return
  openChannel()
  post({ type: 'hello', tab })
  refreshSharing()
})

openChannel()
setInterval(refreshSharing, REFRESH_MS)
toggle.addEventListener('click', () => (source ? disconnect() : connect()))
connect()
