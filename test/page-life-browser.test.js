// The page's life in Chromium: one connection shared by three pages, offline and online, pauseWhenHidden,
// freeze/resume and the back/forward cache. Driven through playwright-core with Debian's Chromium against
// e2e/page-life/server.js, whose /ticks stream numbers its events and resumes from Last-Event-ID: every check
// compares ids (each page must see 1, 2, 3 … with no gap and no repeat), and waits on requests and ended
// connections with bounded timeouts. Firefox and WebKit run the engine-neutral part of this file through
// test/page-life-other-browsers.test.js (see the README's browser section for which engine covers what).
//
//   node --test test/page-life-browser.test.js            needs dist/ (npm run build)

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS } from '../dist/support.js'
import { CHROMIUM_PATH, checkPrerequisites } from '../e2e/demo/harness.js'
import { startPageLifeServer } from '../e2e/page-life/server.js'

const TEST_TIMEOUT = 30_000
/** The handover budget of the README: a new request within this long after the leader's page closes. */
const HANDOVER_MS = 2_000
/** After `online`, the reconnect must not wait out a backoff delay. */
const ONLINE_MS = 500

/** @type {import('playwright-core').Browser | undefined} */
let browser
/** @type {Awaited<ReturnType<typeof startPageLifeServer>> | undefined} */
let server

before(async () => {
  server = await startPageLifeServer()
  checkPrerequisites()
  // Playwright disables the back/forward cache by default; this file needs it.
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], ignoreDefaultArgs: ['--disable-back-forward-cache'], timeout: 30_000 })
})

after(async () => {
  await browser?.close()
  await server?.close()
})

/**
 * A fresh context (one browser profile: pages in it share locks and channels), closed when the test ends.
 * @param {import('node:test').TestContext} t
 */
async function newContext(t) {
  assert.ok(browser)
  const context = await browser.newContext()
  t.after(() => context.close())
  return context
}

/** @param {import('playwright-core').BrowserContext} context */
async function openPage(context) {
  assert.ok(server)
  const page = await context.newPage()
  /** @type {string[]} */
  const errors = []
  page.on('pageerror', (error) => errors.push(String(error)))
  await page.goto(`${server.url}/page-life/page.html`)
  await page.waitForFunction(() => document.documentElement.dataset.ready === '1', undefined, { timeout: 10_000 })
  return Object.assign(page, { errors })
}

/** @param {import('playwright-core').Page} page @returns {Promise<number[]>} */
const idsOf = (page) => page.evaluate(() => /** @type {any} */ (window).ids)
/** @param {import('playwright-core').Page} page @returns {Promise<Array<[string, ...unknown[]]>>} */
const logOf = (page) => page.evaluate(() => /** @type {any} */ (window).log)

/** The page's lifecycle events whose names start with one of `prefixes`. @param {import('playwright-core').Page} page @param {string[]} prefixes */
const lifecycleOf = (page, ...prefixes) =>
  page.evaluate((p) => /** @type {string[]} */ (/** @type {any} */ (window).lifecycle).filter((e) => p.some((x) => e.startsWith(x))), prefixes)

/** Waits until the page has received more than `count` events. @param {import('playwright-core').Page} page @param {number} count */
function moreThan(page, count, timeout = 10_000) {
  return page.waitForFunction((n) => /** @type {any} */ (window).ids.length > n, count, { timeout })
}

/** Each id once, in order, no gap: [k, k+1, k+2 …]. @param {number[]} ids @param {string} what */
function assertContiguous(ids, what) {
  assert.ok(ids.length > 0, `${what}: received events`)
  const expected = ids.map((_, i) => ids[0] + i)
  assert.deepEqual(ids, expected, `${what}: every id once, in order, without a gap`)
}

describe('page life in Chromium', () => {
  test('shared: three pages, one request; the leader closes and another takes over with Last-Event-ID; the last close ends it', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const before = server.requests.length
    const pages = [await openPage(context), await openPage(context), await openPage(context)]
    for (const page of pages) await page.evaluate(() => /** @type {any} */ (window).startSource({ shared: true }))
    for (const page of pages) await moreThan(page, 5)
    assert.equal(server.requests.length - before, 1, 'the server sees exactly one request for three pages')

    const statuses = await Promise.all(pages.map((page) => page.evaluate(() => /** @type {any} */ (window).source.sharedStatus())))
    assert.equal(statuses.filter((s) => s.leader).length, 1, 'exactly one page leads')
    for (const s of statuses) assert.deepEqual({ sources: s.sources, contexts: s.contexts }, { sources: 3, contexts: 3 })
    const leaderIndex = statuses.findIndex((s) => s.leader)
    // The leader's request started the stream; a page that joins later receives from then on, like a tab opened later.
    assert.equal((await idsOf(pages[leaderIndex]))[0], 1, 'the leader starts at event 1')
    for (const page of pages) assertContiguous(await idsOf(page), 'before the handover')
    const [leader] = pages.splice(leaderIndex, 1)
    const first = server.requests[before]
    const closedAt = Date.now()
    await leader.close()
    await server.waitFor('the leader page closes: a second request', () => server?.requests.length === before + 2, HANDOVER_MS + 1_000)
    const second = server.requests[before + 1]
    assert.ok(second.openedAt - closedAt <= HANDOVER_MS, `handover took ${second.openedAt - closedAt} ms`)
    t.diagnostic(`handover: the new request ${second.openedAt - closedAt} ms after the leader page closed`)
    await server.waitFor('the first connection ended', () => first.endedAt !== undefined)
    assert.match(second.lastEventId, /^[1-9]\d*$/, 'the takeover resumes with the last event ID passed on')

    const resumedFrom = Number(second.lastEventId)
    for (const page of pages) {
      const count = (await idsOf(page)).length
      await moreThan(page, count + 5)
      const ids = await idsOf(page)
      assertContiguous(ids, 'a page that stayed')
      assert.ok(ids.includes(resumedFrom) && ids.includes(resumedFrom + 1), 'the id before and after the handover both arrived')
      // A takeover is a reconnection to every page: error (CONNECTING), then open.
      assert.deepEqual(await logOf(page), [['open', 1], ['error', 'connection-lost', 0], ['open', 1]])
    }

    // A follower's close() leaves the connection to the others.
    const roles = await Promise.all(pages.map((page) => page.evaluate(() => /** @type {any} */ (window).source.sharedStatus())))
    const follower = pages[roles.findIndex((s) => !s.leader)]
    const newLeader = pages[roles.findIndex((s) => s.leader)]
    assert.ok(follower && newLeader && follower !== newLeader)
    await follower.evaluate(() => /** @type {any} */ (window).source.close())
    const count = (await idsOf(newLeader)).length
    await moreThan(newLeader, count + 5)
    assert.equal(server.requests.length, before + 2, 'no new request after a follower closed')
    assert.equal(second.endedAt, undefined, 'the connection is still open')
    assert.equal(await follower.evaluate(() => /** @type {any} */ (window).source.readyState), 2)

    // The last one closes: the server sees the connection end.
    await newLeader.evaluate(() => /** @type {any} */ (window).source.close())
    await server.waitFor('the last close ends the connection', () => second.endedAt !== undefined, 5_000)
    assert.equal(server.requests.length, before + 2)
    for (const page of pages) assert.deepEqual(page.errors, [])
  })

  // A crash says no bye: the next leader waits for the last messages the crashed one may still have in flight.
  test('shared: the leader tab crashes; another takes over within 2 s with Last-Event-ID, nothing lost or repeated', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const before = server.requests.length
    const pages = [await openPage(context), await openPage(context), await openPage(context)]
    for (const page of pages) await page.evaluate(() => /** @type {any} */ (window).startSource({ shared: 'crash' }))
    for (const page of pages) await moreThan(page, 3)
    const statuses = await Promise.all(pages.map((page) => page.evaluate(() => /** @type {any} */ (window).source.sharedStatus())))
    const [leader] = pages.splice(statuses.findIndex((s) => s.leader), 1)
    const cdp = await context.newCDPSession(leader)
    const crashedAt = Date.now()
    cdp.send('Page.crash').catch(() => {}) // never answers: the renderer is gone
    await server.waitFor('the leader crashed: a second request', () => server?.requests.length === before + 2, HANDOVER_MS + 1_000)
    const second = server.requests[before + 1]
    assert.ok(second.openedAt - crashedAt <= HANDOVER_MS, `handover took ${second.openedAt - crashedAt} ms`)
    t.diagnostic(`handover after a crash: the new request ${second.openedAt - crashedAt} ms after Page.crash`)
    for (const page of pages) {
      await moreThan(page, (await idsOf(page)).length + 5)
      const ids = await idsOf(page)
      assertContiguous(ids, 'a page that stayed')
      assert.ok(ids.includes(Number(second.lastEventId) + 1), 'the first event after the handover arrived')
      assert.deepEqual(await logOf(page), [['open', 1], ['error', 'connection-lost', 0], ['open', 1]])
    }
  })

  test('shared: true keys by the request and what the source makes of it, hashed: no header value in the key', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const before = server.requests.length
    const pages = [await openPage(context), await openPage(context), await openPage(context)]
    const token = 'Bearer s3cr3t-token'
    await pages[0].evaluate((h) => /** @type {any} */ (window).startSource({ shared: true, headers: { authorization: h } }), token)
    await pages[1].evaluate((h) => /** @type {any} */ (window).startSource({ shared: true, headers: { authorization: h } }), token)
    // The same request, but data decoded as base64: it would receive other events, so it connects apart.
    await pages[2].evaluate((h) => /** @type {any} */ (window).startSource({ shared: true, headers: { authorization: h }, decodeBase64: true }), token)
    await moreThan(pages[0], 2)
    await moreThan(pages[1], 2)
    await server.waitFor('two connections: one shared, one apart', () => server?.requests.length === before + 2)
    const statuses = await Promise.all(pages.map((page) => page.evaluate(() => /** @type {any} */ (window).source.sharedStatus())))
    for (const status of statuses) assert.match(status.key, /^request-[0-9a-f]{16}$/)
    assert.equal(statuses[0].key, statuses[1].key, 'the same request, the same key')
    assert.notEqual(statuses[2].key, statuses[0].key, 'decodeBase64 makes another key')
    assert.deepEqual(statuses.map((s) => s.sources), [2, 2, 1])
    const lockNames = await pages[0].evaluate(async () => {
      const { held = [], pending = [] } = await navigator.locks.query()
      return [...held, ...pending].map((lock) => lock.name)
    })
    assert.equal(lockNames.length, 3)
    for (const name of lockNames) assert.ok(!name.includes('s3cr3t'), `the lock name ${name} carries no header value`)
  })

  test('shared in a third-party frame, where Chromium refuses Web Locks: the source connects on its own', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const page = await context.newPage()
    const before = server.requests.length
    await page.goto(server.url.replace('127.0.0.1', 'localhost') + '/page-life/third-party.html')
    const frame = await (await page.waitForSelector('#frame')).contentFrame()
    assert.ok(frame)
    await frame.waitForFunction(() => document.documentElement.dataset.ready === '1', undefined, { timeout: 10_000 })
    await frame.evaluate(() => /** @type {any} */ (window).startSource({ shared: true }))
    await frame.waitForFunction(() => /** @type {any} */ (window).ids.length > 3, undefined, { timeout: 10_000 })
    assert.equal(server.requests.length, before + 1, 'its own request')
    assert.deepEqual(await frame.evaluate(() => /** @type {any} */ (window).log), [['open', 1]])
    assert.equal(await frame.evaluate(() => /** @type {any} */ (window).source.sharedStatus()), null, 'not sharing')
  })

  // Past the six connections per host that HTTP/1.1 allows a browser: eight tabs, one request.
  test('shared: eight pages of one profile, one request, the same events', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const before = server.requests.length
    const pages = []
    for (let i = 0; i < 8; i++) pages.push(await openPage(context))
    for (const page of pages) await page.evaluate(() => /** @type {any} */ (window).startSource({ shared: 'ticks' }))
    for (const page of pages) await moreThan(page, 5)
    assert.equal(server.requests.length - before, 1, 'one request for eight pages')
    const statuses = await Promise.all(pages.map((page) => page.evaluate(() => /** @type {any} */ (window).source.sharedStatus())))
    assert.deepEqual(statuses.map((s) => [s.key, s.sources, s.contexts]), Array(8).fill(['ticks', 8, 8]))
    const leader = pages[statuses.findIndex((s) => s.leader)]
    assert.equal((await idsOf(leader))[0], 1, 'the leader starts at event 1')
    for (const page of pages) assertContiguous(await idsOf(page), 'each of eight pages')
    for (const page of pages) await page.evaluate(() => /** @type {any} */ (window).source.close())
    await server.waitFor('the last close ends the connection', () => server?.requests[before].endedAt !== undefined, 5_000)
  })

  test('offline: no attempt is made while offline; back online, the reconnect is immediate', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const page = await openPage(context)
    // A short delay that would make many attempts if offline did not stop them; attempts are counted in the page,
    // since an offline request never reaches the server.
    await page.evaluate(() => {
      const w = /** @type {any} */ (window)
      w.attempts = 0
      w.startSource({ retry: { initialDelay: 50, maxDelay: 50 }, fetch: (/** @type {any[]} */ ...args) => (w.attempts++, fetch(...args)) })
    })
    await moreThan(page, 3)
    const before = server.requests.length
    const first = server.requests[before - 1]
    await context.setOffline(true)
    server.endStreams()
    await server.waitFor('the stream ended', () => first.endedAt !== undefined)
    await page.waitForFunction(() => /** @type {any} */ (window).log.some((/** @type {any[]} */ e) => e[0] === 'error'), undefined, { timeout: 5_000 })
    // A quiet period is the only way to show that nothing happens; 1 s is twenty reconnection delays.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).attempts), 1, 'no attempt while offline')
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).source.readyState), 0, 'CONNECTING while offline')
    // Read before going online: once the new connection is open, window.ids may already hold its first event.
    const lastSeen = (await idsOf(page)).at(-1)
    const onlineAt = Date.now()
    await context.setOffline(false)
    await server.waitFor('back online: a new request', () => server?.requests.length === before + 1, 5_000)
    assert.ok(server.requests[before].openedAt - onlineAt <= ONLINE_MS, `reconnected ${server.requests[before].openedAt - onlineAt} ms after online`)
    t.diagnostic(`online: the new request ${server.requests[before].openedAt - onlineAt} ms after the network came back`)
    assert.equal(server.requests[before].lastEventId, String(lastSeen), 'with the last event ID')
    const count = (await idsOf(page)).length
    await moreThan(page, count + 3)
    assertContiguous(await idsOf(page), 'across the offline period')
  })

  test('online ends a pending backoff delay at once, even with retry.initialDelay 30000', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const page = await openPage(context)
    await page.evaluate(() => /** @type {any} */ (window).startSource({ retry: { initialDelay: 30_000 } }))
    await moreThan(page, 3)
    const before = server.requests.length
    // Offline first, so the stream's end schedules nothing; then back online.
    await context.setOffline(true)
    server.endStreams()
    await page.waitForFunction(() => /** @type {any} */ (window).log.some((/** @type {any[]} */ e) => e[0] === 'error'), undefined, { timeout: 5_000 })
    const onlineAt = Date.now()
    await context.setOffline(false)
    await server.waitFor('back online: a new request', () => server?.requests.length === before + 1, 5_000)
    assert.ok(server.requests[before].openedAt - onlineAt <= ONLINE_MS, `reconnected ${server.requests[before].openedAt - onlineAt} ms after online`)

    // And a delay already running when the network goes away: the offline event cancels it, online ends the wait.
    const count = (await idsOf(page)).length
    await moreThan(page, count + 2)
    server.endStreams()
    await page.waitForFunction(() => /** @type {any} */ (window).log.filter((/** @type {any[]} */ e) => e[0] === 'error').length === 2, undefined, { timeout: 5_000 })
    await context.setOffline(true)
    const onlineAgain = Date.now()
    await context.setOffline(false)
    await server.waitFor('a third request', () => server?.requests.length === before + 2, 5_000)
    assert.ok(server.requests[before + 1].openedAt - onlineAgain <= ONLINE_MS, `reconnected ${server.requests[before + 1].openedAt - onlineAgain} ms after online`)
    const total = (await idsOf(page)).length
    await moreThan(page, total + 2)
    assertContiguous(await idsOf(page), 'across both waits')
  })

  test('pauseWhenHidden: hidden past the grace period closes the connection; visible again resumes with Last-Event-ID', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const page = await openPage(context)
    await page.evaluate(() => /** @type {any} */ (window).startSource({ pauseWhenHidden: 300 }))
    await moreThan(page, 3)
    const before = server.requests.length
    const first = server.requests[before - 1]
    const hiddenAt = Date.now()
    await page.evaluate(() => /** @type {any} */ (window).setHidden(true))
    await server.waitFor('hidden: the connection closes', () => first.endedAt !== undefined, 5_000)
    assert.ok(/** @type {number} */ (first.endedAt) - hiddenAt >= 300, 'not before the grace period')
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).source.readyState), 0, 'CONNECTING while paused')
    const lastSeen = (await idsOf(page)).at(-1)
    await page.evaluate(() => /** @type {any} */ (window).setHidden(false))
    await server.waitFor('visible: a new request', () => server?.requests.length === before + 1, 2_000)
    assert.equal(server.requests[before].lastEventId, String(lastSeen))
    await moreThan(page, (await idsOf(page)).length + 3)
    assertContiguous(await idsOf(page), 'across the pause')
    assert.deepEqual(await logOf(page), [['open', 1], ['open', 1]], 'a pause dispatches no error; the resumed connection opens again')

    // Hidden for less than the grace period: nothing happens.
    await page.evaluate(() => /** @type {any} */ (window).setHidden(true))
    await page.evaluate(() => /** @type {any} */ (window).setHidden(false))
    await moreThan(page, (await idsOf(page)).length + 10)
    assert.equal(server.requests.length, before + 1, 'a short hide keeps the connection')
  })

  // Page.setWebLifecycleState('frozen') does nothing to a visible page, and headless Chromium keeps every page visible
  // (measured: no freeze event, no visibilitychange, the stream kept flowing). So the page gets the events Chromium
  // dispatches when it freezes a page; the back/forward cache test below has Chromium dispatch them itself.
  test('freeze and resume: the connection closes, then resumes with Last-Event-ID', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const page = await openPage(context)
    await page.evaluate(() => /** @type {any} */ (window).startSource())
    await moreThan(page, 3)
    const before = server.requests.length
    const first = server.requests[before - 1]
    await page.evaluate(() => document.dispatchEvent(new Event('freeze')))
    await server.waitFor('frozen: the connection closes', () => first.endedAt !== undefined, 5_000)
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).source.readyState), 0, 'CONNECTING while frozen')
    const ids = await idsOf(page)
    await page.evaluate(() => document.dispatchEvent(new Event('resume')))
    await server.waitFor('resumed: a new request', () => server?.requests.length === before + 1, 5_000)
    assert.equal(server.requests[before].lastEventId, String(ids.at(-1)), 'resumes after the last event the page saw')
    await moreThan(page, ids.length + 3)
    assertContiguous(await idsOf(page), 'across the freeze')
    assert.deepEqual(await logOf(page), [['open', 1], ['open', 1]], 'a freeze dispatches no error')
  })

  test('back/forward cache: a page with an open source is cached (Chromium says so), and resumes with Last-Event-ID', { timeout: TEST_TIMEOUT }, async (t) => {
    assert.ok(server)
    const context = await newContext(t)
    const page = await openPage(context)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Page.enable')
    /** @type {unknown[]} */
    const notCached = []
    cdp.on('Page.backForwardCacheNotUsed', (event) => notCached.push(event))
    await page.evaluate(() => /** @type {any} */ (window).startSource())
    await moreThan(page, 3)
    const before = server.requests.length
    const first = server.requests[before - 1]
    await page.goto(`${server.url}/page-life/away.html`)
    await server.waitFor('navigated away: the connection closes', () => first.endedAt !== undefined, 5_000)
    // A page restored from the cache fires no load event: wait for the navigation to commit.
    await page.goBack({ waitUntil: 'commit' })
    await server.waitFor('back: a new request', () => server?.requests.length === before + 1, 5_000)
    // The page's own state survived: it came back from the cache, not from the network.
    assert.deepEqual(notCached, [], 'Chromium reports no reason that kept the page out of the back/forward cache')
    assert.deepEqual(await lifecycleOf(page, 'page'), ['pageshow:false', 'pagehide:true', 'pageshow:true'])
    // The last id the page saw before it was cached: events of the resumed connection may already be in window.ids.
    const lastSeen = await page.evaluate(() => /** @type {any} */ (window).lastIdAtPagehide)
    assert.equal(typeof lastSeen, 'number', 'the page saw events before it was cached')
    assert.equal(server.requests[before].lastEventId, String(lastSeen), 'resumes after the last event the page saw')
    await moreThan(page, (await idsOf(page)).length + 3)
    const ids = await idsOf(page)
    assertContiguous(ids, 'across the back/forward cache')
    assert.equal(ids.indexOf(lastSeen + 1), ids.indexOf(lastSeen) + 1, 'the first event after the cache follows the last one before it')
  })
})
