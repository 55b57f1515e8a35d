// LLM-style streaming: a POST with a bearer token, rendered token by token, stoppable.

import { FetchEventSource } from '/dist/fetch-eventsource.browser.js'
import { connectionBadge } from './connection-state.js'

document.documentElement.dataset.ready = '1'

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id))
const badge = connectionBadge($('state'), $('state-detail'))
const output = /** @type {HTMLElement} */ ($('output'))

/** The running request, if any. @type {{ controller: AbortController, started: number } | null} */
let running = null

/** @param {boolean} on */
function setRunning(on) {
  $('ask').disabled = on
  $('stop').disabled = !on
  output.classList.toggle('streaming', on)
}

/**
 * Ends the running request. Aborting the signal closes the source (like source.close()), which aborts
 * the fetch; the server sees the disconnect and stops generating.
 * @param {string} [why] shown next to the badge; omitted when the source already reported why it closed
 */
function finish(why) {
  if (!running) return
  running.controller.abort()
  $('elapsed').textContent = `${((performance.now() - running.started) / 1000).toFixed(2)} s`
  running = null
  setRunning(false)
  if (why) badge.set('closed', why)
}

/** @param {string} prompt */
function ask(prompt) {
  finish('replaced by a new prompt')
  const controller = new AbortController()
  running = { controller, started: performance.now() }
  const withToken = $('with-token').checked
  let tokens = 0
  output.replaceChildren()
  $('token-count').textContent = '0'
  $('elapsed').textContent = '–'

  const source = new FetchEventSource('/llm/stream', {
    method: 'POST',
    // A function is called before every (re)connection: the place to fetch a fresh token.
    headers: () => ({
      'Content-Type': 'application/json',
      ...(withToken ? { Authorization: 'Bearer demo-token' } : {}),
    }),
    body: JSON.stringify({ prompt }),
    signal: controller.signal,
  })
  badge.watch(source)

  source.addEventListener('token', (/** @type {MessageEvent} */ event) => {
    const { text } = JSON.parse(event.data)
    // Text nodes, never HTML: the model's output is data.
    output.append(document.createTextNode(text))
    $('token-count').textContent = String(++tokens)
  })
  source.addEventListener('done', () => {
    // The server ends the response after `done`; without closing, the source would reconnect.
    source.close()
    finish('done')
  })
  source.addEventListener('error', () => {
    // A fatal error (e.g. 401 without the token): the badge already shows its code and message.
    if (source.readyState === source.CLOSED && running?.controller === controller) finish()
  })
  setRunning(true)
}

$('ask-form').addEventListener('submit', (/** @type {SubmitEvent} */ event) => {
  event.preventDefault()
  const prompt = $('prompt').value.trim()
  if (prompt) ask(prompt)
})
$('stop').addEventListener('click', () => finish('stopped by you'))
