// Page-level helpers for the demo smoke tests: reading the stock table, driving the chat and LLM pages.
// Every wait goes through harness.waitFor (bounded, on a DOM condition).

import { waitFor } from './harness.js'

/** @typedef {import('./harness.js').DemoPage} DemoPage */

// ---------------------------------------------------------------------------------------------- stocks

/**
 * The stock table as shown: last id, event count and each row's cells.
 * @param {DemoPage} demo
 */
export function readStocks(demo) {
  return demo.page.evaluate(() => ({
    lastId: document.getElementById('last-id')?.textContent ?? '',
    events: Number(document.getElementById('event-count')?.textContent),
    rows: [...document.querySelectorAll('#quotes tr')].map((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')
      return {
        symbol: cells[0],
        name: cells[1],
        price: cells[2],
        change: cells[3],
        percent: cells[4],
        sparkPoints: tr.querySelector('svg.spark polyline')?.getAttribute('points')?.split(' ').length ?? 0,
      }
    }),
  }))
}

/**
 * The stock page's sharing header: this tab's label ("This tab: K7Q") and the status line.
 * @param {DemoPage} demo
 */
export function readSharing(demo) {
  return demo.page.evaluate(() => ({
    label: document.getElementById('tab-label')?.textContent ?? '',
    status: document.getElementById('shared-status')?.textContent ?? '',
  }))
}

/**
 * Waits until the stock page's last id has advanced by `ticks` from what it shows now, with a price changed.
 * @param {DemoPage} demo
 * @param {number} ticks
 * @param {number} [timeout]
 */
export async function waitForTicks(demo, ticks, timeout) {
  const now = await readStocks(demo)
  await waitFor(
    demo,
    `the id to advance by ${ticks} ticks from ${now.lastId} and a price to change`,
    (before) => {
      const id = Number(document.getElementById('last-id')?.textContent)
      const prices = [...document.querySelectorAll('#quotes td.price')].map((td) => td.textContent)
      return id >= before.id + before.ticks && prices.some((p, i) => p !== before.prices[i])
    },
    { id: Number(now.lastId), ticks, prices: now.rows.map((r) => r.price) },
    timeout,
  )
  return readStocks(demo)
}

// ---------------------------------------------------------------------------------------------- chat

/**
 * Messages on a chat page, in order: system notes have `system: true`.
 * @param {DemoPage} demo
 * @returns {Promise<Array<{ id: number | null, system: boolean, mine: boolean, direct: boolean, meta: string, text: string }>>}
 */
export function chatMessages(demo) {
  return demo.page.evaluate(() =>
    [...document.querySelectorAll('#messages > li')].map((li) => {
      const meta = li.querySelector('.meta')?.textContent ?? ''
      const id = /#(\d+)$/.exec(meta)
      return {
        id: id ? Number(id[1]) : null,
        system: li.classList.contains('system'),
        mine: li.classList.contains('mine'),
        direct: li.classList.contains('direct'),
        meta,
        text: li.classList.contains('system') ? li.textContent ?? '' : li.querySelector('.text')?.textContent ?? '',
      }
    }),
  )
}

/**
 * Joins the chat as `username` and waits until the stream is open and the welcome has been shown.
 * @param {DemoPage} demo
 * @param {string} username
 */
export async function joinChat(demo, username) {
  await demo.page.fill('#username', username)
  await demo.page.click('#join')
  await waitFor(
    demo,
    `${username} to be connected`,
    (name) =>
      document.getElementById('state')?.dataset.state === 'open' &&
      [...document.querySelectorAll('#online li')].some((li) => li.textContent === `${name} (you)`),
    username,
  )
}

/**
 * Waits until the page's online list shows exactly `names` (the page's own name marked "(you)").
 * @param {DemoPage} demo
 * @param {string} me
 * @param {string[]} names
 */
export async function waitForOnline(demo, me, names) {
  const expected = [...names].sort().map((n) => (n === me ? `${n} (you)` : n))
  await waitFor(
    demo,
    `${me}'s online list to be ${expected.join(', ')}`,
    (want) => JSON.stringify([...document.querySelectorAll('#online li')].map((li) => li.textContent)) === JSON.stringify(want),
    expected,
  )
}

/**
 * Sends a message through the page's composer and waits until the POST succeeded (the page clears the
 * textarea only then) and the message is shown on the sender's own page.
 * @param {DemoPage} demo
 * @param {string} message
 * @param {{ to?: string | null }} [options] to: a username, '' for everyone (default), null to send to
 *   whatever the page's "To" select currently shows
 * @returns {Promise<number>} the message id shown on the sender's page
 */
export async function sendChat(demo, message, { to = '' } = {}) {
  if (to !== null) await demo.page.selectOption('#to', to)
  await demo.page.fill('#message', message)
  await demo.page.click('#send')
  await waitFor(
    demo,
    `the POST of ${JSON.stringify(message)} to succeed`,
    () => /** @type {HTMLTextAreaElement} */ (document.getElementById('message')).value === '' || !!document.getElementById('send-error')?.textContent,
  )
  const error = await demo.page.textContent('#send-error')
  if (error) throw new Error(`sending ${JSON.stringify(message)} failed: ${error}`)
  return waitForMessage(demo, message)
}

/**
 * Waits until a (non-system) message with exactly this text is on the page; returns its id.
 * @param {DemoPage} demo
 * @param {string} text
 */
export async function waitForMessage(demo, text) {
  return waitFor(
    demo,
    `message ${JSON.stringify(text)}`,
    (want) => {
      for (const li of document.querySelectorAll('#messages > li:not(.system)')) {
        if (li.querySelector('.text')?.textContent === want) return Number(/#(\d+)$/.exec(li.querySelector('.meta')?.textContent ?? '')?.[1])
      }
      return 0
    },
    text,
  )
}

// ---------------------------------------------------------------------------------------------- LLM

/**
 * The LLM page's answer as shown.
 * @param {DemoPage} demo
 */
export function readAnswer(demo) {
  return demo.page.evaluate(() => ({
    text: document.getElementById('output')?.textContent ?? '',
    tokens: Number(document.getElementById('token-count')?.textContent),
    elapsed: document.getElementById('elapsed')?.textContent ?? '',
    askDisabled: /** @type {HTMLButtonElement} */ (document.getElementById('ask')).disabled,
    stopDisabled: /** @type {HTMLButtonElement} */ (document.getElementById('stop')).disabled,
  }))
}
