// Chat client: joining gets a session token; one FetchEventSource per joined user sends it with the `headers`
// function on every (re)connection, and every POST carries it too. All user-supplied text goes through textContent:
// nothing received is ever parsed as HTML.

import { FetchEventSource } from '/dist/fetch-eventsource.browser.js'
import { connectionBadge } from './connection-state.js'

document.documentElement.dataset.ready = '1'

const USERNAME = /^[A-Za-z0-9_-]{1,32}$/
/** Messages kept on screen; older ones are removed so a long session does not grow the DOM forever. */
const MAX_ON_SCREEN = 500

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id))
const badge = connectionBadge($('state'), $('state-detail'))
const list = /** @type {HTMLUListElement} */ ($('messages'))
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })

/** @type {any} */
let source = null
let me = ''
/** The session token from POST /chat/join: it alone says who we are (kept in memory only, and kept after Leave so
 * joining again under the same name gets the same session back). */
let token = ''
/** Who is online, kept from `welcome` and the `presence` deltas. */
const onlineNow = new Set()
const auth = () => ({ authorization: `Bearer ${token}` })

/** @param {boolean} joined */
function setJoined(joined) {
  $('username').disabled = joined
  $('join').disabled = joined
  $('leave').disabled = !joined
  $('drop').disabled = !joined
  $('to').disabled = !joined
  $('message').disabled = !joined
  $('send').disabled = !joined
}

/** @param {HTMLLIElement} li */
function append(li) {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40
  list.append(li)
  while (list.children.length > MAX_ON_SCREEN) list.firstElementChild?.remove()
  if (atBottom) list.scrollTop = list.scrollHeight
}

/** @param {string} text */
function systemNote(text) {
  const li = document.createElement('li')
  li.className = 'msg system'
  li.textContent = text
  append(li)
}

/** @param {{ id: number, type: string, from: string, to: string, message: string, timestamp: string }} m */
function showMessage(m) {
  const li = document.createElement('li')
  li.className = `msg${m.from === me ? ' mine' : ''}${m.type === 'direct' ? ' direct' : ''}`
  const meta = document.createElement('div')
  meta.className = 'meta'
  const from = document.createElement('b')
  from.textContent = m.from
  meta.append(from)
  if (m.type === 'direct') meta.append(` → ${m.to} (direct)`)
  meta.append(` · ${time.format(new Date(m.timestamp))} · #${m.id}`)
  const text = document.createElement('div')
  text.className = 'text'
  text.textContent = m.message
  li.append(meta, text)
  append(li)
}

/** @param {string[]} users */
function showOnline(users) {
  const online = $('online')
  online.replaceChildren(
    ...users.map((name) => {
      const li = document.createElement('li')
      li.textContent = name === me ? `${name} (you)` : name
      return li
    }),
  )
  // Keep the chosen recipient chosen, even while they are offline (e.g. reconnecting after a network blip):
  // falling back to "Everyone" would silently turn the next private message into a broadcast. The server
  // keeps direct messages for a recipient who reconnects, and answers 404 for one who is really gone.
  const select = /** @type {HTMLSelectElement} */ ($('to'))
  const chosen = select.value
  const options = users.filter((name) => name !== me).map((name) => new Option(name, name))
  if (chosen && !users.includes(chosen)) options.push(new Option(`${chosen} (offline)`, chosen))
  select.replaceChildren(new Option('Everyone', ''), ...options)
  select.value = chosen
}

/** @param {string} username */
async function join(username) {
  ;({ token } = await post('/chat/join', { username }))
  me = username
  // A function, so every reconnect sends the token again (a browser EventSource cannot send headers at all).
  source = new FetchEventSource('/chat/sse', { headers: auth })
  badge.watch(source)
  const current = source
  const trackId = () => ($('last-id').textContent = current.lastEventId || '–')

  current.addEventListener('welcome', (/** @type {MessageEvent} */ event) => {
    trackId()
    onlineNow.clear()
    for (const name of JSON.parse(event.data).online) onlineNow.add(name)
    showOnline([...onlineNow].sort())
  })
  current.addEventListener('presence', (/** @type {MessageEvent} */ event) => {
    const { joined, left } = JSON.parse(event.data)
    for (const name of joined) onlineNow.add(name)
    for (const name of left) onlineNow.delete(name)
    showOnline([...onlineNow].sort())
  })
  // Our last id came from an earlier run of the server: what is on screen is stale; the history follows.
  current.addEventListener('reset', () => {
    list.replaceChildren()
    systemNote('The server restarted; showing its history from the start.')
  })
  for (const type of ['broadcast', 'direct']) {
    current.addEventListener(type, (/** @type {MessageEvent} */ event) => {
      trackId()
      showMessage(JSON.parse(event.data))
    })
  }
  current.addEventListener('gap', (/** @type {MessageEvent} */ event) => {
    const { from, to } = JSON.parse(event.data)
    systemNote(`Messages #${from}–#${to} are no longer available (history limit).`)
  })
  current.addEventListener('open', () => systemNote(`Connected as ${username}.`))
  current.addEventListener('error', () => {
    if (current.readyState === current.CLOSED) {
      systemNote('Connection closed.')
      leave(false)
    } else {
      systemNote('Connection lost, reconnecting…')
    }
  })
  setJoined(true)
}

function leave(byUser = true) {
  source?.close()
  source = null
  if (byUser) badge.set('closed', 'you left')
  setJoined(false)
  $('to').value = ''
  showOnline([])
}

/**
 * @param {string} path
 * @param {object} body
 */
async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(token ? auth() : {}) }, body: JSON.stringify(body) })
  if (!res.ok) {
    const { error } = await res.json().catch(() => ({ error: `HTTP ${res.status}` }))
    throw new Error(error)
  }
  return res.json()
}

$('join-form').addEventListener('submit', (/** @type {SubmitEvent} */ event) => {
  event.preventDefault()
  const username = $('username').value.trim()
  $('join-error').textContent = ''
  if (!USERNAME.test(username)) {
    $('join-error').textContent = 'Use 1–32 letters, digits, _ or -.'
    return
  }
  join(username).catch((err) => ($('join-error').textContent = /** @type {Error} */ (err).message))
})

$('leave').addEventListener('click', () => leave())

$('drop').addEventListener('click', async () => {
  systemNote('Asking the server to end this stream; the client will reconnect with Last-Event-ID.')
  try {
    await post('/chat/drop', {})
  } catch (err) {
    $('send-error').textContent = /** @type {Error} */ (err).message
  }
})

async function send() {
  const message = $('message').value
  const to = $('to').value
  $('send-error').textContent = ''
  if (message.trim() === '') return
  try {
    await post(to ? '/chat/direct' : '/chat/broadcast', to ? { to, message } : { message })
    $('message').value = ''
  } catch (err) {
    $('send-error').textContent = /** @type {Error} */ (err).message
  }
}

$('send-form').addEventListener('submit', (/** @type {SubmitEvent} */ event) => {
  event.preventDefault()
  send()
})
$('message').addEventListener('keydown', (/** @type {KeyboardEvent} */ event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault()
    send()
  }
})
