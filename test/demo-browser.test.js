// Demo smoke tests in Chromium: the stock, chat and LLM pages served by demo/server.js, driven through
// playwright-core with Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH). A missing browser or
// library build is a failure, never a skip.
//
//   node --test test/demo-browser.test.js                  needs dist/ (npm run build)
//   SCREENSHOTS=1 node --test test/demo-browser.test.js    also writes docs/screenshots/{index,stocks,chat,llm}.png
//   npm run screenshots                                    builds, then the line above
//
// One demo server (127.0.0.1, port 0, default timings) and one browser for the file; a fresh context per page.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startDemoServer } from '../demo/server.js'
import { DEFAULT_SYMBOLS } from '../demo/stocks.js'
import { answerTokens } from '../demo/llm.js'
import {
  SCREENSHOTS,
  badge,
  badgeHistory,
  launchChromium,
  openPage,
  openTab,
  quietPeriod,
  recordBadge,
  requestsTo,
  screenshot,
  waitFor,
} from '../e2e/demo/harness.js'
import { chatMessages, joinChat, readAnswer, readSharing, readStocks, sendChat, waitForMessage, waitForOnline, waitForTicks } from '../e2e/demo/pages.js'

/** @typedef {import('../e2e/demo/harness.js').DemoPage} DemoPage */

const TEST_TIMEOUT = 30_000
/** The library's handover budget: a new request within this long after the leading tab closes. */
const HANDOVER_MS = 2_000

/** @type {import('playwright-core').Browser | undefined} */
let browser
/** @type {Awaited<ReturnType<typeof startDemoServer>> | undefined} */
let server

before(async () => {
  server = await startDemoServer({ port: 0, host: '127.0.0.1' })
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await server?.close()
})

/**
 * Opens `pathname` of the demo in a fresh context; the context is closed when the test ends.
 * @param {import('node:test').TestContext} t
 * @param {string} pathname
 * @param {{ waitForReady?: boolean }} [options]
 */
async function open(t, pathname, options) {
  assert.ok(browser && server, 'browser and demo server are up')
  const demo = await openPage(browser, server.url + pathname, options)
  t.after(() => demo.context.close())
  return demo
}

/**
 * Opens `pathname` as one more tab of `demo`'s context (same profile: shared locks and channels); closed with the
 * context, or when the test ends.
 * @param {import('node:test').TestContext} t
 * @param {DemoPage} demo
 * @param {string} pathname
 */
async function openAnotherTab(t, demo, pathname) {
  assert.ok(server, 'demo server is up')
  const tab = await openTab(demo.context, server.url + pathname)
  t.after(() => tab.page.close().catch(() => {}))
  return tab
}

/**
 * Waits until the stock page shows its six rows with prices and its badge is open.
 * @param {DemoPage} demo
 */
function waitForTable(demo) {
  return waitFor(
    demo,
    'the snapshot: six rows with prices, badge open',
    () =>
      document.getElementById('state')?.dataset.state === 'open' &&
      document.querySelectorAll('#quotes tr').length === 6 &&
      [...document.querySelectorAll('#quotes td.price')].every((td) => /^\d[\d,]*\.\d\d$/.test(td.textContent ?? '')) &&
      /^\d+$/.test(document.getElementById('last-id')?.textContent ?? ''),
  )
}

/**
 * What every page must satisfy at the end of a test: no uncaught errors, no console errors (CSP
 * violations land there), no dialogs, and the "could not load the library" banner still hidden.
 * @param {DemoPage} demo
 */
async function assertHealthy(demo) {
  assert.deepEqual(demo.errors, [], 'no page or console errors')
  assert.deepEqual(demo.dialogs, [], 'no dialogs')
  const bootError = await demo.page.$('#boot-error')
  if (bootError) assert.equal(await bootError.isHidden(), true, 'the boot-error banner stays hidden')
}

describe('demo pages in Chromium', () => {
  test('index page links to the three demos', { timeout: TEST_TIMEOUT }, async (t) => {
    const demo = await open(t, '/', { waitForReady: false })
    assert.equal(await demo.page.textContent('h1'), 'Demos')
    const cards = await demo.page.$$eval('a.card', (as) => as.map((a) => [a.getAttribute('href'), a.querySelector('h2')?.textContent]))
    assert.deepEqual(cards, [
      ['/stocks', 'Stock prices'],
      ['/chat', 'Chat'],
      ['/llm', 'LLM-style stream'],
    ])
    await assertHealthy(demo)
    await screenshot(demo, 'index')
  })

  test('stock page: prices change and ids advance', { timeout: TEST_TIMEOUT }, async (t) => {
    const demo = await open(t, '/stocks')
    await waitFor(
      demo,
      'the snapshot: six rows with prices, badge open',
      () =>
        document.getElementById('state')?.dataset.state === 'open' &&
        document.querySelectorAll('#quotes tr').length === 6 &&
        [...document.querySelectorAll('#quotes td.price')].every((td) => /^\d[\d,]*\.\d\d$/.test(td.textContent ?? '')),
    )
    const first = await readStocks(demo)
    assert.deepEqual(
      first.rows.map((r) => [r.symbol, r.name]),
      DEFAULT_SYMBOLS.map((s) => [s.symbol, s.name]),
    )
    assert.match(first.lastId, /^\d+$/, 'the snapshot carries the tick as id')

    // Two more ticks (300 ms each) with at least one price moved.
    await waitFor(
      demo,
      'the id to advance by two ticks and a price to change',
      (before) => {
        const id = Number(document.getElementById('last-id')?.textContent)
        const prices = [...document.querySelectorAll('#quotes td.price')].map((td) => td.textContent)
        return id >= before.id + 2 && prices.some((p, i) => p !== before.prices[i])
      },
      { id: Number(first.lastId), prices: first.rows.map((r) => r.price) },
    )
    const second = await readStocks(demo)
    assert.ok(Number(second.lastId) >= Number(first.lastId) + 2, `ids advance: ${first.lastId} → ${second.lastId}`)
    assert.ok(second.events >= first.events + 6, `events counted: ${first.events} → ${second.events}`)
    assert.ok(
      second.rows.some((r, i) => r.price !== first.rows[i].price),
      'at least one price changed',
    )
    for (const row of second.rows) {
      assert.match(row.change, /^([+-]\d[\d,]*\.\d\d|0\.00)$/, `${row.symbol} change`)
      assert.match(row.percent, /^([+-]\d+\.\d\d|0\.00)%$/, `${row.symbol} percent`)
      assert.ok(row.sparkPoints >= 3, `${row.symbol} sparkline has its points`)
    }
    assert.equal((await badge(demo)).state, 'open')
    assert.equal(requestsTo(demo, '/price').length, 1, 'one connection to /price, no reconnects')
    // Alone in its context (its own browser profile): the only tab sharing, so it holds the connection.
    await waitFor(demo, 'the sharing header', () => document.getElementById('shared-status')?.textContent !== 'Connecting…')
    const sharing = await readSharing(demo)
    assert.match(sharing.label, /^This tab: [A-Z2-9]{3}$/)
    assert.equal(sharing.status, 'Shared by 1 tab · this tab holds the connection')

    if (SCREENSHOTS) {
      // Let the sparklines grow for the picture (about 7 s at 300 ms a tick).
      await waitFor(demo, '25 ticks for the screenshot', (id) => Number(document.getElementById('last-id')?.textContent) >= id + 25, Number(first.lastId), 20_000)
      await screenshot(demo, 'stocks')
    }
    await assertHealthy(demo)
  })

  test('stock page: two tabs share one connection; when the tab holding it closes, the other takes over', { timeout: TEST_TIMEOUT }, async (t) => {
    const first = await open(t, '/stocks')
    await waitForTable(first)
    const second = await openAnotherTab(t, first, '/stocks')
    const tabs = [first, second]
    await waitForTable(second) // drawn from the table the holding tab passed on: the server's snapshot came before it

    // Both headers settle on "2 tabs", one holding the connection, the other naming it.
    for (const demo of tabs) {
      await waitFor(demo, 'the header to show two tabs and who holds the connection', () =>
        /^Shared by 2 tabs · (this tab|tab [A-Z2-9]{3}) holds the connection$/.test(document.getElementById('shared-status')?.textContent ?? ''),
      )
    }
    const headers = await Promise.all(tabs.map(readSharing))
    for (const header of headers) assert.match(header.label, /^This tab: [A-Z2-9]{3}$/)
    const holding = headers.filter((h) => h.status === 'Shared by 2 tabs · this tab holds the connection')
    assert.equal(holding.length, 1, `exactly one tab holds the connection: ${JSON.stringify(headers)}`)
    const leaderIndex = headers.indexOf(holding[0])
    const leader = tabs[leaderIndex]
    const follower = tabs[1 - leaderIndex]
    const leaderLabel = headers[leaderIndex].label.slice('This tab: '.length)
    assert.equal(headers[1 - leaderIndex].status, `Shared by 2 tabs · tab ${leaderLabel} holds the connection`)
    assert.equal(leader, first, 'the tab that connected first holds the connection')

    // Both tables update from the one connection.
    for (const demo of tabs) {
      const now = await waitForTicks(demo, 2)
      assert.deepEqual(now.rows.map((r) => [r.symbol, r.name]), DEFAULT_SYMBOLS.map((s) => [s.symbol, s.name]))
      for (const row of now.rows) assert.ok(row.sparkPoints >= 3, `${row.symbol} sparkline has its points`)
    }
    assert.equal(requestsTo(leader, '/price').length, 1, 'the holding tab made the one request')
    assert.equal(requestsTo(follower, '/price').length, 0, 'the other tab made none')
    for (const demo of tabs) assert.equal((await badge(demo)).state, 'open')

    await assertHealthy(leader)

    // The holding tab closes: the other takes over within the handover budget, resuming with Last-Event-ID.
    await recordBadge(follower)
    const lastSeen = Number((await readStocks(follower)).lastId)
    const closedAt = Date.now()
    await leader.page.close()
    await waitFor(
      follower,
      'the remaining tab to hold the connection, open again',
      () =>
        document.getElementById('shared-status')?.textContent === 'Shared by 1 tab · this tab holds the connection' &&
        document.getElementById('state')?.dataset.state === 'open',
      undefined,
      HANDOVER_MS + 1_000,
    )
    const taken = requestsTo(follower, '/price')
    assert.equal(taken.length, 1, 'one request from the tab that took over')
    assert.ok(taken[0].at - closedAt <= HANDOVER_MS, `the new request came ${taken[0].at - closedAt} ms after the close`)
    t.diagnostic(`handover: the new request ${taken[0].at - closedAt} ms after the holding tab closed`)
    assert.match(taken[0].headers['last-event-id'] ?? '', /^\d+$/, 'the takeover sends Last-Event-ID')
    assert.ok(Number(taken[0].headers['last-event-id']) >= lastSeen, `it resumes from the last id seen (${lastSeen} or later)`)
    assert.deepEqual(await readSharing(follower), {
      label: headers[1 - leaderIndex].label,
      status: 'Shared by 1 tab · this tab holds the connection',
    })
    // A takeover is a reconnection to the page: error (CONNECTING, 'connection-lost'), then open.
    assert.deepEqual(await badgeHistory(follower), ['reconnecting', 'open'])
    await waitForTicks(follower, 2)
    assert.equal(requestsTo(follower, '/price').length, 1, 'no further request')
    await assertHealthy(follower)
  })

  describe('chat', () => {
    test('broadcast reaches every page, a direct message only its recipient', { timeout: TEST_TIMEOUT }, async (t) => {
      const [alice, bob, carol] = await Promise.all([open(t, '/chat'), open(t, '/chat'), open(t, '/chat')])
      await Promise.all([joinChat(alice, 'alice'), joinChat(bob, 'bob'), joinChat(carol, 'carol')])
      for (const [demo, me] of /** @type {const} */ ([[alice, 'alice'], [bob, 'bob'], [carol, 'carol']])) {
        await waitForOnline(demo, me, ['alice', 'bob', 'carol'])
      }

      const hello = 'Hello everyone from alice'
      const helloId = await sendChat(alice, hello)
      for (const demo of [bob, carol]) assert.equal(await waitForMessage(demo, hello), helloId)

      const secret = 'Just for bob'
      const secretId = await sendChat(alice, secret, { to: 'bob' })
      assert.equal(await waitForMessage(bob, secret), secretId)
      // Carol's stream is ordered: once a later broadcast has arrived, the direct message never will.
      const sentinel = 'Broadcast after the direct one'
      await sendChat(alice, sentinel)
      await waitForMessage(carol, sentinel)
      await waitForMessage(bob, sentinel)

      const seenBy = async (/** @type {DemoPage} */ demo) => (await chatMessages(demo)).filter((m) => !m.system).map((m) => [m.id, m.text, m.direct])
      const all = [
        [helloId, hello, false],
        [secretId, secret, true],
        [secretId + 1, sentinel, false],
      ]
      assert.deepEqual(await seenBy(alice), all, 'alice sees her own messages, the direct one included')
      assert.deepEqual(await seenBy(bob), all)
      assert.deepEqual(await seenBy(carol), [all[0], all[2]], 'carol never gets the direct message')
      const direct = (await chatMessages(bob)).find((m) => m.id === secretId)
      assert.match(direct?.meta ?? '', /^alice → bob \(direct\) · /)
      assert.equal((await chatMessages(alice)).find((m) => m.id === secretId)?.mine, true)
      for (const demo of [alice, bob, carol]) await assertHealthy(demo)
    })

    test('after the server drops a stream, messages sent meanwhile arrive exactly once', { timeout: TEST_TIMEOUT }, async (t) => {
      const [alice, bob] = await Promise.all([open(t, '/chat'), open(t, '/chat')])
      await Promise.all([joinChat(alice, 'alice2'), joinChat(bob, 'bob2')])
      await waitForOnline(alice, 'alice2', ['alice2', 'bob2'])
      await waitForOnline(bob, 'bob2', ['alice2', 'bob2'])

      const before = 'Before the drop'
      const beforeId = await sendChat(alice, before)
      assert.equal(await waitForMessage(bob, before), beforeId)
      const dropping = 'Dropping my connection now, keep talking'
      await sendChat(bob, dropping)
      await waitForMessage(alice, dropping)
      // Chat ids carry the server's epoch: `<epoch>-<n>`.
      const bobLastId = await bob.page.textContent('#last-id')
      assert.match(String(bobLastId), /^[a-z0-9]+-\d+$/)
      assert.equal(requestsTo(bob, '/chat/sse').length, 1)
      await alice.page.selectOption('#to', 'bob2') // alice is about to write to bob privately

      // Bob's reconnect (due 2 s after the drop: the server sends `retry: 2000`) is held back until alice's messages
      // have been published, so they can only reach bob through the Last-Event-ID replay, however slow this machine is.
      /** @type {() => void} */
      let release = () => {}
      const released = new Promise((resolve) => (release = () => resolve(undefined)))
      t.after(release)
      let held = 0
      await bob.page.route('**/chat/sse', async (route) => {
        held++ // installed after bob joined: every request seen here is a reconnect
        await released
        await route.continue()
      })

      await recordBadge(bob)
      await bob.page.click('#drop')
      await waitFor(bob, 'bob to be reconnecting', () => document.getElementById('state')?.dataset.state === 'reconnecting')
      await waitForOnline(alice, 'alice2', ['alice2'])
      // Bob's absence must not silently turn alice's private message into a broadcast.
      assert.equal(await alice.page.inputValue('#to'), 'bob2', "bob stays alice's chosen recipient while he reconnects")

      const privately = 'Private, while bob reconnects'
      const privateId = await sendChat(alice, privately, { to: null })
      assert.equal((await chatMessages(alice)).find((m) => m.id === privateId)?.direct, true, 'sent as a direct message')
      const during = 'Sent to everyone while bob reconnects'
      const duringId = await sendChat(alice, during)
      assert.equal((await badge(bob)).state, 'reconnecting', 'bob is still reconnecting when the messages are published')
      release()

      assert.equal(await waitForMessage(bob, during), duringId)
      await waitFor(bob, 'bob to be open again', () => document.getElementById('state')?.dataset.state === 'open')
      assert.deepEqual(await badgeHistory(bob), ['reconnecting', 'open'], 'connection state: reconnecting → open')

      const reconnects = requestsTo(bob, '/chat/sse')
      assert.equal(reconnects.length, 2, 'one reconnect')
      assert.equal(held, 1, 'the reconnect went through the hold')
      assert.equal(reconnects[1].headers['last-event-id'], String(bobLastId), 'the reconnect resumes from the last id seen')
      assert.equal(reconnects[0].headers['last-event-id'], undefined, 'the first connection has no Last-Event-ID')
      // The headers function sent the session token on the first request and again on the reconnect.
      assert.match(String(reconnects[0].headers.authorization), /^Bearer [A-Za-z0-9_-]{32}$/)
      assert.equal(reconnects[1].headers.authorization, reconnects[0].headers.authorization)

      // Live messages flow again; by the time this one has arrived a duplicate of a replayed one would have too.
      const afterwards = 'After the reconnect'
      await sendChat(alice, afterwards)
      await waitForMessage(bob, afterwards)

      const bobs = await chatMessages(bob)
      assert.deepEqual(
        bobs.filter((m) => !m.system).map((m) => [m.text, m.direct]),
        [
          [before, false],
          [dropping, false],
          [privately, true],
          [during, false],
          [afterwards, false],
        ],
        'each message exactly once, in order',
      )
      assert.deepEqual(
        bobs.filter((m) => m.system).map((m) => m.text),
        [
          'Connected as bob2.',
          'Asking the server to end this stream; the client will reconnect with Last-Event-ID.',
          'Connection lost, reconnecting…',
          'Connected as bob2.',
        ],
      )
      const alices = (await chatMessages(alice)).filter((m) => !m.system).map((m) => m.text)
      assert.deepEqual(alices, [before, dropping, privately, during, afterwards])
      await waitForOnline(alice, 'alice2', ['alice2', 'bob2'])
      await screenshot(bob, 'chat')
      for (const demo of [alice, bob]) await assertHealthy(demo)
    })

    test('markup in a message is shown as text, never parsed', { timeout: TEST_TIMEOUT }, async (t) => {
      const [alice, bob] = await Promise.all([open(t, '/chat'), open(t, '/chat')])
      await Promise.all([joinChat(alice, 'alice3'), joinChat(bob, 'bob3')])
      await waitForOnline(alice, 'alice3', ['alice3', 'bob3'])

      const payload = '<img src=x onerror=alert(1)>'
      const id = await sendChat(alice, payload)
      assert.equal(await waitForMessage(bob, payload), id)
      for (const demo of [alice, bob]) {
        assert.equal(await demo.page.locator('img').count(), 0, 'no img element was created')
        const shown = (await chatMessages(demo)).filter((m) => m.id === id)
        assert.deepEqual(shown.map((m) => m.text), [payload], 'the markup is the message text')
        assert.equal(await demo.page.locator('#messages').getByText(payload, { exact: true }).count(), 1, 'the text is visible as typed')
        assert.equal(requestsTo(demo, '/x').length, 0, 'nothing tried to load the image')
        await assertHealthy(demo) // includes: no alert dialog
      }
    })
  })

  describe('LLM stream', () => {
    const prompt = 'Explain Server-Sent Events in a few sentences.' // the page's default prompt
    const tokens = answerTokens(prompt)

    test('tokens stream in and Stop ends the stream', { timeout: TEST_TIMEOUT }, async (t) => {
      const demo = await open(t, '/llm')
      assert.equal(await demo.page.inputValue('#prompt'), prompt)
      await demo.page.click('#ask')
      await waitFor(demo, 'the first tokens', () => Number(document.getElementById('token-count')?.textContent) >= 3)
      const early = await readAnswer(demo)
      await waitFor(
        demo,
        'the answer to grow',
        (n) => (document.getElementById('output')?.textContent ?? '').length > n && Number(document.getElementById('token-count')?.textContent) >= 10,
        early.text.length,
      )
      assert.equal((await badge(demo)).state, 'open')

      await demo.page.click('#stop')
      const stopped = await readAnswer(demo)
      assert.ok(stopped.tokens < tokens.length, `stopped mid-answer (${stopped.tokens} of ${tokens.length} tokens)`)
      assert.equal(stopped.text, tokens.slice(0, stopped.tokens).join(''), 'the tokens shown are the answer so far, in order')
      assert.deepEqual(await badge(demo), { state: 'closed', text: 'closed', detail: 'stopped by you' })
      assert.equal(stopped.askDisabled, false)
      assert.equal(stopped.stopDisabled, true)

      // Nothing more may happen: no token, no request (16+ token intervals).
      await quietPeriod(700)
      const later = await readAnswer(demo)
      assert.equal(later.text, stopped.text, 'the text stopped growing')
      assert.equal(later.tokens, stopped.tokens)
      const streams = requestsTo(demo, '/llm/stream')
      assert.equal(streams.length, 1, 'no further requests to /llm/stream')
      assert.equal(streams[0].method, 'POST')
      assert.equal(streams[0].headers.authorization, 'Bearer demo-token')
      assert.match(streams[0].headers['content-type'] ?? '', /^application\/json/)
      assert.deepEqual(
        demo.failed.filter((f) => new URL(f.url).pathname === '/llm/stream').map((f) => f.errorText),
        ['net::ERR_ABORTED'],
        'the stream request was aborted',
      )
      await assertHealthy(demo)
    })

    test('a full answer streams to done and the source closes', { timeout: TEST_TIMEOUT }, async (t) => {
      const demo = await open(t, '/llm')
      await demo.page.click('#ask')
      await waitFor(
        demo,
        'the done event',
        () => document.getElementById('state')?.dataset.state === 'closed' && document.getElementById('state-detail')?.textContent === 'done',
        undefined,
        20_000,
      )
      const answer = await readAnswer(demo)
      assert.equal(answer.tokens, tokens.length)
      assert.equal(answer.text, tokens.join(''))
      assert.match(answer.elapsed, /^\d+\.\d\d s$/)
      await screenshot(demo, 'llm')
      // The page closes the source on `done`; had it not, it would reconnect after the server's `retry: 1000`.
      await quietPeriod(1300)
      assert.equal(requestsTo(demo, '/llm/stream').length, 1, 'no reconnect after done')
      await assertHealthy(demo)
    })
  })
})
