// A comment flood (reliability/comment-flood.js): `: keep-alive` lines as fast as loopback takes them, 2 s per
// client, each client in its own process, ours and `eventsource` 5 alternating over 3 rounds (medians; the machine
// may be shared). Nearly every chunk ends inside a comment; a source that keeps a slice of it keeps the whole
// chunk alive into every scavenge, V8 grows the young generation for it, and the chunks' byte buffers pile up
// between scavenges. Ours must grow RSS no more than eventsource 5 does in the same run (within the noise measured
// between identical runs), and its young generation no larger: that one is the check that fails at once when the
// per-chunk path starts holding chunks (it measured 8 MiB against 4 MiB for eventsource 5 when it did).
// `npm run stress` (section `comments`) runs 5 rounds and adds a bare fetch reader loop, the limit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RSS_MARGIN, runCommentFlood } from '../../reliability/comment-flood.js'

test('a comment flood: RSS growth no worse than eventsource 5 in the same run, young generation no larger', { timeout: 60_000 }, async () => {
  const { summary, runs } = await runCommentFlood({ rounds: 3, ms: 2000, kinds: ['ours', 'eventsource'] })
  const { ours, eventsource } = summary
  for (const run of [...runs.ours, ...runs.eventsource]) {
    assert.equal(run.problem, null, `${run.kind} did not read the flood to its end`)
    assert.ok(run.bytes > 32 * 2 ** 20, `${run.kind} read only ${(run.bytes / 2 ** 20).toFixed(1)} MiB in ${run.ms} ms`)
  }
  const figures = (s) => `RSS +${s.rssMiB.toFixed(1)} MiB, young generation ${s.newSpaceMiB} MiB, ${s.readMiB.toFixed(0)} MiB read`
  const detail = `ours ${figures(ours)}; eventsource 5 ${figures(eventsource)}`
  assert.ok(ours.newSpaceMiB <= eventsource.newSpaceMiB, `young generation: ${detail}`)
  assert.ok(ours.rssMiB <= eventsource.rssMiB * RSS_MARGIN, `peak RSS growth: ${detail}`)
})
