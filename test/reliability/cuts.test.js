// Exactly-once delivery across connection cuts: resumable server ← seeded cutting proxy ← FetchEventSource, in Node
// and in Chromium. Cuts land anywhere (HTTP head, chunk framing), inside UTF-8 sequences, between CR and LF and just
// before the blank line that would dispatch an event; half end the body normally (FIN), half reset it (RST).
// npm test: 3,000 events / >= 100 cuts in Node, 2,000 / >= 100 in Chromium; `npm run stress`: 10,000 per seed.
// Replay a failure with SEED=<seed printed in the message>.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chromiumAvailable } from '../../reliability/chromium.js'
import { runChromiumCuts } from '../../reliability/chromium-cuts.js'
import { runNodeCuts } from '../../reliability/cut-run.js'
import { runSeed, withSeed } from '../../reliability/seed.js'

const seed = runSeed(20261122)
const KINDS = ['any/fin', 'any/reset', 'utf8/fin', 'utf8/reset', 'crlf/fin', 'crlf/reset', 'blank/fin', 'blank/reset']

test(`Node: 3,000 events exactly once, in order, across at least 100 seeded cuts (SEED=${seed})`, async () => {
  await withSeed(seed, async () => {
    const run = await runNodeCuts({ total: 3000, seed, framing: 'mixed', maxBytes: 2048, timeoutMs: 45_000 })
    assert.equal(run.problem, null)
    assert.deepEqual(run.ending, { code: 204, readyState: 2 })
    assert.ok(run.cuts >= 100, `only ${run.cuts} cuts`)
    for (const kind of KINDS) assert.ok(run.cutKinds[kind] > 0, `no ${kind} cut in ${JSON.stringify(run.cutKinds)}`)
    // Every error but the final 204 was a cut: mid-body (connection-lost; stream-ended where the framing is the
    // connection's end, so a cut is indistinguishable from a finished response), or in the response head (network).
    assert.deepEqual(Object.keys(run.errors).filter((code) => !['204', 'connection-lost', 'stream-ended', 'network'].includes(code)), [])
    assert.ok(run.errors['connection-lost'] > 0 && run.errors['stream-ended'] > 0, JSON.stringify(run.errors))
  })
})

// On Bun, fetch loses the bytes that arrive together with a cut (scripts/repro/bun-fetch-cut.mjs), so where each
// reconnection resumes, and with it the bytes the next cuts land on, varies from run to run.
const bunLosesBytesAtCuts = typeof process.versions.bun === 'string' ? 'Bun fetch loses bytes at a cut: resumption points vary' : false
test(`the cuts are reproducible: the same seed cuts the same connections at the same bytes (SEED=${seed})`, { skip: bunLosesBytesAtCuts }, async () => {
  await withSeed(seed, async () => {
    const a = await runNodeCuts({ total: 800, seed, framing: 'mixed', maxBytes: 1024, timeoutMs: 15_000 })
    const b = await runNodeCuts({ total: 800, seed, framing: 'mixed', maxBytes: 1024, timeoutMs: 15_000 })
    assert.equal(a.problem, null)
    assert.ok(a.cuts >= 20)
    assert.deepEqual(b.cutLog, a.cutLog)
  })
})

test(`Chromium: 1,000 events exactly once across at least 100 cuts, cross-origin through the proxy (SEED=${seed})`, async () => {
  assert.ok(chromiumAvailable(), 'Chromium is not installed: apt-get install -y chromium')
  await withSeed(seed, async () => {
    // About half the connections are cut (at 1,500 bytes at most) before they deliver an event, and each of those
    // counts as a failure, so the storm floor (≥ 100 ms) applies to it, and every reconnect is preflighted: about
    // 25 s for 1,000 events and 480 cuts on 2 cores.
    const run = await runChromiumCuts({ total: 1000, seed, framing: 'mixed', maxBytes: 1500, timeoutMs: 60_000 })
    assert.equal(run.problem, null)
    assert.deepEqual(run.ending, { code: 204, readyState: 2 })
    assert.deepEqual(run.uncaught, [])
    assert.ok(run.cuts >= 100, `only ${run.cuts} cuts`)
  })
})
