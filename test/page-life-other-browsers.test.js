// The page's life in Chromium, Firefox ESR and WebKitGTK: the engine-neutral part of test/page-life-browser.test.js,
// driven through the repository's own drivers (e2e/browsers/drivers/: playwright-core for Chromium, puppeteer-core
// over WebDriver BiDi for Firefox, WebKitWebDriver with MiniBrowser under Xvfb for WebKit), one browser launch per
// engine. Those drivers drive a single tab and can only run script in it, so everything is simulated in the page:
//   - three pages are three same-origin iframes (e2e/page-life/frames.html); removing an iframe destroys its context
//     as closing a tab does (its Web Lock is released, its fetch aborted);
//   - offline is `navigator.onLine` overridden on Navigator.prototype plus `offline`/`online` events on window;
//   - hidden is page.html's setHidden(); freeze/resume are the document events Chromium would dispatch;
//   - the back/forward cache is a real one: the top page navigates to away.html and goes back.
// Every check compares ids (each page sees k, k+1, k+2 … with no gap and no repeat), request counts and Last-Event-ID
// values on e2e/page-life/server.js, and waits on conditions with bounded timeouts (in the page, polled every 50 ms,
// or server.waitFor); the one fixed wait is the offline quiet period, which shows that nothing happens.
//
// What each engine did when this file was written (Debian's chromium 156, firefox-esr 153.8, WebKitGTK 2.50.6):
//   - Web Locks and BroadcastChannel: all three have both, so in all three the three frames share one connection.
//     Removing the leader's frame fires pagehide in it, where the leader says bye, so the next frame takes over at
//     once: the new request came 10–25 ms after the removal (a leader gone without a bye would add the 150 ms
//     settle delay: measured 160–180 ms when pagehide without `persisted` did not close the source). WebKit cancels
//     the removed frame's fetch before its pagehide: the leader reports that lost connection to the others, then
//     says bye; the pages see the same error (connection-lost, CONNECTING) and open as in the other engines.
//     The documented fallback where one is missing (three requests, each frame on its own) is checked in every
//     engine by hiding navigator.locks in the frames.
//   - offline/online: every engine reconnected 2–10 ms after `online`.
//   - back/forward cache (the last test reports it as a diagnostic; an engine that does not cache is not a failure):
//     WebKit restores the page and the source resumes with Last-Event-ID, but WebKit cancels the page's loads when
//     the navigation away starts, before pagehide, so the source first reports an `error` (connection-lost).
//     Firefox never caches a page with an open stream: not with FetchEventSource, a native EventSource or a bare
//     streaming fetch (the same page with its source closed first is cached), so it loads page.html afresh.
//     Chromium through playwright never caches (playwright launches it with --disable-back-forward-cache);
//     test/page-life-browser.test.js covers Chromium's cache.
//
//   node --test test/page-life-other-browsers.test.js                   needs dist/ (npm run build)
//   BROWSERS=firefox node --test test/page-life-other-browsers.test.js  some engines only
// A missing browser fails every test of its engine with the driver's message naming the Debian package.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { drivers, engines as allEngines } from '../e2e/browsers/drivers/index.js'
import { startPageLifeServer } from '../e2e/page-life/server.js'

/** @typedef {import('../e2e/browsers/drivers/index.js').BrowserSession} BrowserSession */
/** @typedef {Awaited<ReturnType<typeof startPageLifeServer>>} PageLifeServer */

const ENGINES = process.env.BROWSERS?.split(',').filter(Boolean) ?? allEngines
const LAUNCH_MS = 45_000
const TEST_TIMEOUT = 40_000
/** The handover budget of the README: a new request within this long after the leader's context goes away. */
const HANDOVER_MS = 2_000
/** After `online`, the reconnect must not wait out a backoff delay. */
const ONLINE_MS = 500
const FRAMES = ['a', 'b', 'c']

/** @type {PageLifeServer | undefined} */
let server

before(async () => {
  server = await startPageLifeServer()
})

after(async () => {
  await server?.close()
})

/** The server, once `before` started it. */
function srv() {
  assert.ok(server, 'the page-life server is running')
  return server
}

/**
 * Runs `body`, an async function body, in the page (or in the window of frame `where` of frames.html) with `W` bound
 * to that window, and returns its value through JSON: every driver then returns the same thing, and an error thrown
 * in the page is thrown here (the WebKit driver would resolve it as `{ error }`).
 * @param {BrowserSession} session @param {string | undefined} where @param {string} body @returns {Promise<any>}
 */
async function inPage(session, where, body) {
  const target = where === undefined ? 'window' : `window.frame(${JSON.stringify(where)})`
  const script = `try {
    const W = ${target}
    if (!W) throw new Error('no frame ${where}')
    const value = await (async () => { ${body} })()
    return JSON.stringify({ value: value === undefined ? null : value })
  } catch (e) {
    return JSON.stringify({ error: String((e && e.stack) || e) })
  }`
  const raw = await session.evaluate(script)
  if (typeof raw !== 'string') throw new Error(`${session.engine}: evaluate returned ${JSON.stringify(raw)}`)
  const out = JSON.parse(raw)
  if ('error' in out) throw new Error(`${session.engine}, in the page${where ? ` (frame ${where})` : ''}: ${out.error}`)
  return out.value
}

/**
 * Waits in the page until `condition` (an expression over `W`) is truthy, checking every 50 ms; fails after `ms`
 * with the page's log and ids. Returns the condition's value.
 * @param {BrowserSession} session @param {string | undefined} where @param {string} what @param {string} condition
 */
function waitIn(session, where, what, condition, ms = 10_000) {
  return inPage(
    session,
    where,
    `const deadline = Date.now() + ${ms}
    for (;;) {
      const value = ${condition}
      if (value) return value
      if (Date.now() >= deadline) {
        const ids = W.ids ?? []
        throw new Error(${JSON.stringify(what)} + ': not within ${ms} ms (log: ' + JSON.stringify(W.log) + ', ' + ids.length + ' ids, last ' + ids[ids.length - 1] + ')')
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }`,
  )
}

/** Waits until the page (or frame) has received more than `count` events. @param {BrowserSession} session @param {string | undefined} where @param {number} count */
const moreThan = (session, where, count) => waitIn(session, where, `more than ${count} events`, `W.ids.length > ${count}`)

/** @param {BrowserSession} session @param {string | undefined} [where] @returns {Promise<number[]>} */
const idsOf = (session, where) => inPage(session, where, 'return W.ids')
/** @param {BrowserSession} session @param {string | undefined} [where] @returns {Promise<unknown[][]>} */
const logOf = (session, where) => inPage(session, where, 'return W.log')
/** @param {BrowserSession} session @param {string | undefined} [where] @returns {Promise<number>} */
const readyStateOf = (session, where) => inPage(session, where, 'return W.source.readyState')

/** Each id once, in order, no gap: [k, k+1, k+2 …]. @param {number[]} ids @param {string} what */
function assertContiguous(ids, what) {
  assert.ok(ids.length > 0, `${what}: received events`)
  const expected = ids.map((_, i) => ids[0] + i)
  assert.deepEqual(ids, expected, `${what}: every id once, in order, without a gap`)
}

/** The requests the server has not seen end. */
const openRequests = () => srv().requests.filter((r) => r.endedAt === undefined)

/**
 * Loads `page` (page.html or frames.html) in the session's tab, waits for it to be ready, and registers the test's
 * clean-up: every source in it closed and every connection seen ending, so the next test starts from nothing.
 * @param {import('node:test').TestContext} t @param {BrowserSession} session @param {string} page
 */
async function open(t, session, page) {
  await session.goto(`${srv().url}/page-life/${page}`)
  await waitIn(session, undefined, `${page} ready`, `document.documentElement.dataset.ready === '1'`)
  assert.deepEqual(openRequests(), [], 'no connection left open by an earlier test')
  t.after(async () => {
    await inPage(session, undefined, `for (const w of [window, ...['a', 'b', 'c'].map((n) => window.frame?.(n))]) w?.source?.close()`).catch(() => {})
    await srv().waitFor('every connection ended after the test', () => openRequests().length === 0, 5_000)
  })
}

for (const engine of ENGINES) {
  describe(`page life in ${engine}`, () => {
    /** @type {BrowserSession | undefined} */
    let session
    /** @type {unknown} */
    let launchError

    before(async () => {
      try {
        const driver = drivers[engine]
        if (!driver) throw new Error(`unknown engine "${engine}" (known: ${allEngines.join(', ')})`)
        session = await driver.launch({ timeoutMs: LAUNCH_MS })
      } catch (error) {
        // Kept for every test of this engine to fail with (a MissingBrowserError names the package): never a skip.
        launchError = error
      }
    })

    after(async () => {
      await session?.close()
    })

    /** The engine's session, or the launch's error (a missing browser fails each test with the driver's message). */
    function browser() {
      if (launchError !== undefined) throw launchError
      assert.ok(session, `${engine} launched`)
      return session
    }

    test('shared: three frames, one request; the leader frame goes away and another takes over with Last-Event-ID; the last close ends it', { timeout: TEST_TIMEOUT }, async (t) => {
      const s = browser()
      const server = srv()
      await open(t, s, 'frames.html')
      const features = await inPage(s, 'a', `return { locks: typeof W.navigator.locks?.request === 'function', broadcastChannel: typeof W.BroadcastChannel === 'function' }`)
      t.diagnostic(`${engine} ${s.version}: Web Locks ${features.locks ? 'yes' : 'no'}, BroadcastChannel ${features.broadcastChannel ? 'yes' : 'no'}`)
      const before = server.requests.length
      // All three in one script: every frame listens before the leader can open, so every frame sees event 1.
      await inPage(s, undefined, `for (const name of ['a', 'b', 'c']) window.frame(name).startSource({ shared: true })`)
      for (const name of FRAMES) await moreThan(s, name, 5)

      if (!features.locks || !features.broadcastChannel) {
        await assertEachOnItsOwn(s, before)
        return
      }

      assert.equal(server.requests.length - before, 1, 'the server sees exactly one request for three frames')
      /** @type {Array<{ key: string, leader: boolean, sources: number, contexts: number }>} */
      const statuses = await inPage(s, undefined, `return Promise.all(['a', 'b', 'c'].map((name) => window.frame(name).source.sharedStatus()))`)
      assert.equal(statuses.filter((x) => x.leader).length, 1, `exactly one frame leads: ${JSON.stringify(statuses)}`)
      for (const x of statuses) assert.deepEqual({ sources: x.sources, contexts: x.contexts }, { sources: 3, contexts: 3 }, 'three sources in three contexts')
      for (const name of FRAMES) assert.equal((await idsOf(s, name))[0], 1, `frame ${name} starts at event 1`)

      const leaderName = /** @type {string} */ (FRAMES[statuses.findIndex((x) => x.leader)])
      const stayed = FRAMES.filter((name) => name !== leaderName)
      const first = /** @type {import('../e2e/page-life/server.js').TickRequest} */ (server.requests[before])
      const removedAt = Date.now()
      await inPage(s, undefined, `document.getElementById(${JSON.stringify(leaderName)}).remove()`)
      await server.waitFor('the leader frame is removed: a second request', () => server.requests.length === before + 2, HANDOVER_MS + 1_000)
      const second = /** @type {import('../e2e/page-life/server.js').TickRequest} */ (server.requests[before + 1])
      const handoverMs = second.openedAt - removedAt
      t.diagnostic(`${engine}: handover ${handoverMs} ms after the leader frame was removed`)
      assert.ok(handoverMs <= HANDOVER_MS, `handover took ${handoverMs} ms`)
      await server.waitFor('the removed frame’s connection ended', () => first.endedAt !== undefined, 5_000)
      assert.match(second.lastEventId, /^[1-9]\d*$/, 'the takeover resumes with the last event ID passed on')

      const resumedFrom = Number(second.lastEventId)
      for (const name of stayed) {
        await moreThan(s, name, (await idsOf(s, name)).length + 5)
        const ids = await idsOf(s, name)
        assertContiguous(ids, `frame ${name}, which stayed`)
        assert.equal(ids[0], 1, `frame ${name} still starts at event 1`)
        assert.ok(ids.includes(resumedFrom) && ids.includes(resumedFrom + 1), 'the id before and after the handover both arrived')
        // A takeover is a reconnection to every page: error (CONNECTING), then open. (In WebKit the error is the
        // leader's own lost connection, passed on before it says bye; the new leader then has nothing to announce.)
        assert.deepEqual(await logOf(s, name), [['open', 1], ['error', 'connection-lost', 0], ['open', 1]], `frame ${name}'s events`)
      }
      assert.equal(server.requests.length, before + 2, 'one takeover, one request')

      // A follower's close() leaves the connection to the other.
      /** @type {Array<{ leader: boolean }>} */
      const roles = await inPage(s, undefined, `return Promise.all(${JSON.stringify(stayed)}.map((name) => window.frame(name).source.sharedStatus()))`)
      assert.deepEqual(roles.map((x) => x.leader).sort(), [false, true], `one leader among the frames that stayed: ${JSON.stringify(roles)}`)
      const follower = /** @type {string} */ (stayed[roles.findIndex((x) => !x.leader)])
      const newLeader = /** @type {string} */ (stayed[roles.findIndex((x) => x.leader)])
      await inPage(s, follower, 'W.source.close()')
      await moreThan(s, newLeader, (await idsOf(s, newLeader)).length + 5)
      assert.equal(server.requests.length, before + 2, 'no new request after a follower closed')
      assert.equal(second.endedAt, undefined, 'the connection is still open')
      assert.equal(await readyStateOf(s, follower), 2, 'the follower is CLOSED')
      assertContiguous(await idsOf(s, newLeader), 'the new leader')

      // The last one closes: the server sees the connection end.
      await inPage(s, newLeader, 'W.source.close()')
      await server.waitFor('the last close ends the connection', () => second.endedAt !== undefined, 5_000)
      assert.equal(server.requests.length, before + 2)
      assert.deepEqual(await inPage(s, undefined, 'return window.errors'), [], 'no error in any frame')
    })

    test('shared where Web Locks are missing (hidden in the frames): ignored, each frame connects on its own', { timeout: TEST_TIMEOUT }, async (t) => {
      const s = browser()
      await open(t, s, 'frames.html')
      const before = srv().requests.length
      await inPage(s, undefined, `for (const name of ['a', 'b', 'c']) {
        const w = window.frame(name)
        Object.defineProperty(w.Navigator.prototype, 'locks', { configurable: true, get: () => undefined })
        w.startSource({ shared: true })
      }`)
      for (const name of FRAMES) await moreThan(s, name, 5)
      await assertEachOnItsOwn(s, before)
    })

    /**
     * Opens page.html, runs `start` in it (which opens the source as window.source) and waits for three events.
     * Returns the request count then and the request of the open connection.
     * @param {import('node:test').TestContext} t @param {string} start
     */
    async function pageWithSource(t, start) {
      const s = browser()
      const server = srv()
      await open(t, s, 'page.html')
      await inPage(s, undefined, start)
      await moreThan(s, undefined, 3)
      const before = server.requests.length
      const first = /** @type {import('../e2e/page-life/server.js').TickRequest} */ (server.requests[before - 1])
      return { s, server, before, first }
    }

    test('offline (simulated in the page): no attempt is made while offline; back online, the reconnect is immediate', { timeout: TEST_TIMEOUT }, async (t) => {
      // A short delay that would make many attempts if offline did not stop them; attempts are counted in the page.
      const { s, server, before, first } = await pageWithSource(t, `
        W.attempts = 0
        W.startSource({ retry: { initialDelay: 50, maxDelay: 50 }, fetch: (...args) => (W.attempts++, fetch(...args)) })`)
      assert.equal(await setOnline(s, false), false, 'navigator.onLine reads false')
      server.endStreams()
      await server.waitFor('the stream ended', () => first.endedAt !== undefined)
      await waitIn(s, undefined, 'the error of the ended stream', `W.log.some((e) => e[0] === 'error')`, 5_000)
      // A quiet period is the only way to show that nothing happens; 1 s is twenty reconnection delays.
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      assert.equal(await inPage(s, undefined, 'return W.attempts'), 1, 'no attempt while offline')
      assert.equal(server.requests.length, before, 'no request while offline')
      assert.equal(await readyStateOf(s), 0, 'CONNECTING while offline')
      const lastSeen = (await idsOf(s)).at(-1)
      const onlineAt = Date.now()
      assert.equal(await setOnline(s, true), true, 'navigator.onLine reads true')
      await server.waitFor('back online: a new request', () => server.requests.length === before + 1, 5_000)
      const reconnect = /** @type {import('../e2e/page-life/server.js').TickRequest} */ (server.requests[before])
      t.diagnostic(`${engine}: reconnected ${reconnect.openedAt - onlineAt} ms after online`)
      assert.ok(reconnect.openedAt - onlineAt <= ONLINE_MS, `reconnected ${reconnect.openedAt - onlineAt} ms after online`)
      assert.equal(reconnect.lastEventId, String(lastSeen), 'with the last event ID')
      await moreThan(s, undefined, (await idsOf(s)).length + 3)
      assertContiguous(await idsOf(s), 'across the offline period')
      assert.equal(await inPage(s, undefined, 'return W.attempts'), 2, 'one attempt once online')
      assert.deepEqual(await logOf(s), [['open', 1], ['error', 'stream-ended', 0], ['open', 1]], 'the ended stream, then the reconnection')
    })

    test('online ends a pending backoff delay at once, even with retry.initialDelay 30000', { timeout: TEST_TIMEOUT }, async (t) => {
      const { s, server, before } = await pageWithSource(t, 'W.startSource({ retry: { initialDelay: 30_000 } })')
      // Offline first, so the stream's end schedules nothing; then back online.
      await setOnline(s, false)
      server.endStreams()
      await waitIn(s, undefined, 'the error of the ended stream', `W.log.some((e) => e[0] === 'error')`, 5_000)
      const onlineAt = Date.now()
      await setOnline(s, true)
      await server.waitFor('back online: a new request', () => server.requests.length === before + 1, 5_000)
      const second = /** @type {import('../e2e/page-life/server.js').TickRequest} */ (server.requests[before])
      t.diagnostic(`${engine}: reconnected ${second.openedAt - onlineAt} ms after online (waiting for the network)`)
      assert.ok(second.openedAt - onlineAt <= ONLINE_MS, `reconnected ${second.openedAt - onlineAt} ms after online`)

      // And a delay already running when the network goes away: the offline event cancels it, online ends the wait.
      await moreThan(s, undefined, (await idsOf(s)).length + 2)
      server.endStreams()
      await waitIn(s, undefined, 'the second error', `W.log.filter((e) => e[0] === 'error').length === 2`, 5_000)
      await setOnline(s, false)
      const onlineAgain = Date.now()
      await setOnline(s, true)
      await server.waitFor('a third request', () => server.requests.length === before + 2, 5_000)
      const third = /** @type {import('../e2e/page-life/server.js').TickRequest} */ (server.requests[before + 1])
      t.diagnostic(`${engine}: reconnected ${third.openedAt - onlineAgain} ms after online (a 30 s backoff delay was pending)`)
      assert.ok(third.openedAt - onlineAgain <= ONLINE_MS, `reconnected ${third.openedAt - onlineAgain} ms after online`)
      await moreThan(s, undefined, (await idsOf(s)).length + 2)
      assertContiguous(await idsOf(s), 'across both waits')
      assert.equal(server.requests.length, before + 2)
    })

    /**
     * Opens page.html with a source, lets `leave` run in the page, checks that the connection closed silently
     * (CONNECTING, no error), runs `back`, and checks the resumed request's Last-Event-ID and the ids across it.
     * @param {import('node:test').TestContext} t @param {string} options @param {string} leave @param {string} back
     * @param {string} what
     */
    async function closesThenResumes(t, options, leave, back, what) {
      const { s, server, before, first } = await pageWithSource(t, `W.startSource(${options})`)
      const leftAt = Date.now()
      await inPage(s, undefined, leave)
      await server.waitFor(`${what}: the connection closes`, () => first.endedAt !== undefined, 5_000)
      assert.equal(await readyStateOf(s), 0, `CONNECTING across ${what}`)
      const lastSeen = (await idsOf(s)).at(-1)
      await inPage(s, undefined, back)
      await server.waitFor(`after ${what}: a new request`, () => server.requests.length === before + 1, 5_000)
      assert.equal(server.requests[before]?.lastEventId, String(lastSeen), 'resumes after the last event the page saw')
      await moreThan(s, undefined, (await idsOf(s)).length + 3)
      assertContiguous(await idsOf(s), `across ${what}`)
      assert.deepEqual(await logOf(s), [['open', 1], ['open', 1]], `${what} dispatches no error; the resumed connection opens again`)
      return { s, server, before, closedAfter: /** @type {number} */ (first.endedAt) - leftAt }
    }

    test('pauseWhenHidden: hidden past the grace period closes the connection; visible again resumes with Last-Event-ID', { timeout: TEST_TIMEOUT }, async (t) => {
      const { s, server, before, closedAfter } = await closesThenResumes(t, '{ pauseWhenHidden: 300 }', 'W.setHidden(true)', 'W.setHidden(false)', 'a pause')
      assert.ok(closedAfter >= 300, 'not before the grace period')

      // Hidden for less than the grace period: nothing happens.
      await inPage(s, undefined, 'W.setHidden(true); W.setHidden(false)')
      await moreThan(s, undefined, (await idsOf(s)).length + 10)
      assert.equal(server.requests.length, before + 1, 'a short hide keeps the connection')
      assert.equal(server.requests[before]?.endedAt, undefined)
    })

    test('freeze and resume (dispatched in the page): the connection closes, then resumes with Last-Event-ID', { timeout: TEST_TIMEOUT }, async (t) => {
      await closesThenResumes(t, '', `document.dispatchEvent(new Event('freeze'))`, `document.dispatchEvent(new Event('resume'))`, 'a freeze')
    })

    test('back/forward cache: away and back; a page restored from the cache resumes with Last-Event-ID (an engine that does not cache it is reported)', { timeout: TEST_TIMEOUT }, async (t) => {
      const { s, server, before, first } = await pageWithSource(t, 'W.startSource()')
      await s.goto(`${server.url}/page-life/away.html`)
      await server.waitFor('navigated away: the connection closes', () => first.endedAt !== undefined, 5_000)
      // Back, from a timer so the script returns before the navigation starts.
      await inPage(s, undefined, 'setTimeout(() => history.back(), 0)')
      // No script may be sent while that navigation is under way: WebKitWebDriver can hand it to the page being left,
      // which the cache then suspends, and the command never answers (seen: 2 runs in 6). So the sign that the page
      // is back comes from the server: a restored page's source resumes at once. An engine that does not restore it
      // loads page.html afresh, which starts no source: 3 s without a request is that answer (the one quiet period
      // here, which the fresh-load branch below also asserts), and its load is long over when the page is polled.
      const resumedSoon = await server.waitFor('back: the restored page resumes its source', () => server.requests.length > before, 3_000).then(
        () => true,
        () => false,
      )
      const back = await backOnPage(s)
      const restored = back.lifecycle.includes('pageshow:true')
      t.diagnostic(`${engine}: ${restored ? 'restored from the back/forward cache' : 'not cached: page.html loaded afresh'} (lifecycle ${JSON.stringify(back.lifecycle)})`)
      if (!restored) {
        // Not cached: a fresh page.html, which starts no source.
        assert.deepEqual(back.lifecycle, ['pageshow:false'], 'a fresh load')
        assert.equal(back.ids, 0)
        assert.equal(server.requests.length, before, 'no request from the fresh page')
        return
      }
      assert.deepEqual(back.lifecycle, ['pageshow:false', 'pagehide:true', 'pageshow:true'])
      assert.ok(resumedSoon, 'the restored page made a request within 3 s')
      assert.equal(server.requests.length, before + 1, 'back: one new request')
      const resumed = /** @type {import('../e2e/page-life/server.js').TickRequest} */ (server.requests[before])
      assert.match(resumed.lastEventId, /^[1-9]\d*$/)
      const from = Number(resumed.lastEventId)
      await moreThan(s, undefined, (await idsOf(s)).length + 3)
      const ids = await idsOf(s)
      assertContiguous(ids, 'across the back/forward cache')
      assert.ok(ids.includes(from) && ids.includes(from + 1), 'resumed right after the last event the page saw')
      assert.equal(server.requests.length, before + 1, 'one request: the resumed connection')
      if (engine === 'webkit') {
        // WebKit cancels the page's loads when the navigation away starts, after beforeunload and before pagehide:
        // the body read fails ("Load failed"), which the source reports as a lost connection (error, CONNECTING)
        // before pagehide (persisted) suspends it. Measured order: beforeunload, error, pagehide:true … pageshow:true,
        // open. Nothing is lost (the ids above are contiguous), but the page sees one error the README's silent
        // close does not announce; reported to the library's authors, asserted as it is so a change shows up here.
        assert.deepEqual(await logOf(s), [['open', 1], ['error', 'connection-lost', 0], ['open', 1]], 'WebKit: the cancelled load is an error, then the restored page opens again')
      } else {
        assert.deepEqual(await logOf(s), [['open', 1], ['open', 1]], 'a cached page dispatches no error')
      }
    })
  })
}

/**
 * The documented fallback of `shared` where Web Locks or BroadcastChannel are missing: the three frames of
 * frames.html, started with `shared: true`, each hold a connection of their own; removing one ends its connection
 * and nobody takes over.
 * @param {BrowserSession} s @param {number} before the server's request count before the frames started
 */
async function assertEachOnItsOwn(s, before) {
  const server = srv()
  assert.equal(server.requests.length - before, 3, 'without sharing, one request per frame')
  assert.deepEqual(server.requests.slice(before).map((r) => r.lastEventId), ['', '', ''], 'each from the start')
  for (const name of FRAMES) {
    assert.equal(await inPage(s, name, 'return W.source.sharedStatus()'), null, 'sharedStatus() is null when not sharing')
    const ids = await idsOf(s, name)
    assertContiguous(ids, `frame ${name}`)
    assert.equal(ids[0], 1, `frame ${name} starts at event 1`)
  }
  const ended = () => server.requests.slice(before).filter((r) => r.endedAt !== undefined).length
  await inPage(s, undefined, `document.getElementById('a').remove()`)
  await server.waitFor('the removed frame’s connection ends', () => ended() === 1, 5_000)
  for (const name of ['b', 'c']) {
    await moreThan(s, name, (await idsOf(s, name)).length + 3)
    assertContiguous(await idsOf(s, name), `frame ${name}`)
    assert.deepEqual(await logOf(s, name), [['open', 1]], `frame ${name} saw nothing of frame a's going`)
  }
  assert.equal(server.requests.length - before, 3, 'no new request: there is nothing to take over')
  assert.equal(ended(), 1, 'the other two connections are still open')
  assert.deepEqual(await inPage(s, undefined, 'return window.errors'), [], 'no error in any frame')
}

/**
 * Sets the page's simulated network state: navigator.onLine (overridden on Navigator.prototype, once) and the
 * `online`/`offline` event a browser sends. Returns what navigator.onLine reads afterwards.
 * @param {BrowserSession} session @param {boolean} online @returns {Promise<boolean>}
 */
function setOnline(session, online) {
  return inPage(
    session,
    undefined,
    `if (!W.network) {
      W.network = { online: true }
      Object.defineProperty(W.Navigator.prototype, 'onLine', { configurable: true, get: () => W.network.online })
    }
    W.network.online = ${online}
    W.dispatchEvent(new Event(${JSON.stringify(online ? 'online' : 'offline')}))
    return W.navigator.onLine`,
  )
}

/**
 * After history.back(): polls (every 50 ms, up to 10 s) until page.html is the current document and loaded, then
 * returns its page lifecycle events and how many events it holds. Evaluation fails while the navigation is under way;
 * those failures are retried.
 * @param {BrowserSession} session @returns {Promise<{ lifecycle: string[], ids: number }>}
 */
async function backOnPage(session) {
  const deadline = Date.now() + 10_000
  let last = ''
  for (;;) {
    try {
      const state = await inPage(
        session,
        undefined,
        `return location.pathname.endsWith('/page.html') && document.readyState === 'complete' && document.documentElement.dataset.ready === '1' && W.lifecycle.at(-1)?.startsWith('pageshow')
          ? { lifecycle: W.lifecycle.filter((e) => e.startsWith('page')), ids: W.ids.length }
          : null`,
      )
      if (state) return state
      last = 'not yet on page.html'
    } catch (error) {
      last = String(error)
    }
    if (Date.now() > deadline) throw new Error(`back on page.html: not within 10 s (${last})`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
