// Hostile streams against maxBufferSize (1 MiB here), each client in its own process with its memory sampled:
// an endless line, an endless event, an endless comment (a line with no break) must end the source with
// max-buffer-size-exceeded after about the limit; endless comment *lines*, field lines and blank lines are legal and
// must stream through with flat memory. npm test streams 40 MiB of each legal kind; `npm run stress` 200 MiB.
// (lifecycle.test.js checks an endless line and a many-line event in-process; this adds the comment cases, the
// legal endless streams, RSS, and the heap each pending character really costs.)
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { runClient } from '../../reliability/child.js'
import { startFaultServer } from '../../reliability/fault-servers.js'

const MiB = 1024 * 1024
/** @type {Awaited<ReturnType<typeof startFaultServer>>} */
let faults
before(async () => {
  faults = await startFaultServer()
})
after(() => faults.close())

const END = encodeURIComponent('\ndata: end\n\n')

for (const [kind, before] of [['line', ['before']], ['event', []], ['comment', ['before']]]) {
  test(`an endless ${kind === 'comment' ? 'comment with no line break' : kind} ends the source with max-buffer-size-exceeded, memory bounded`, async () => {
    const url = `${faults.url}/hostile/${kind}?bytes=${200 * MiB}`
    const { result, code, exitedAfterResultMs } = await runClient('clients/hostile-client.js', [url, String(MiB), '20000'], { timeoutMs: 30_000 })
    assert.equal(code, 0)
    assert.deepEqual(result.messages, before)
    assert.deepEqual(result.errors, [{ code: 'max-buffer-size-exceeded', readyState: 2 }])
    // It stopped reading at the limit: the server got out the limit plus socket buffers, not 200 MiB.
    await faults.waitFor(() => faults.hostile.closedAt > 0, 5000)
    assert.ok(faults.hostile.written < 32 * MiB, `server wrote ${(faults.hostile.written / MiB).toFixed(1)} MiB`)
    assert.ok(result.peakBytes.heapAfterGc < 24 * MiB, `retained heap peaked at ${result.peakMiB.heapAfterGc} MiB`)
    assert.ok(result.peakBytes.rss < 160 * MiB, `RSS grew by ${result.peakMiB.rss} MiB`)
    assert.ok(exitedAfterResultMs < 3000, `the client process lived ${exitedAfterResultMs} ms after closing`)
  })
}

for (const kind of ['comment-lines', 'field-lines', 'blank-lines']) {
  test(`endless ${kind} are legal: 40 MiB stream through a 1 MiB limit with flat memory, and the next event arrives`, async () => {
    const url = `${faults.url}/hostile/${kind}?bytes=${40 * MiB}&then=${END}`
    const { result, code } = await runClient('clients/hostile-client.js', [url, String(MiB), '20000'], { timeoutMs: 30_000 })
    assert.equal(code, 0)
    assert.deepEqual([result.messages, result.errors, result.timedOut, result.readyStateAtEnd], [['end'], [], false, 1])
    assert.ok(result.peakBytes.heapAfterGc < 16 * MiB, `retained heap peaked at ${result.peakMiB.heapAfterGc} MiB`)
    assert.ok(result.peakBytes.rss < 160 * MiB, `RSS grew by ${result.peakMiB.rss} MiB`)
  })
}

// What pending text really costs in heap. A JS string needs 1-2 bytes per character and a final join briefly doubles
// that, so 8 bytes per character of maxBufferSize (plus 3 MiB for the fetch and stream machinery every source
// allocates once) is a generous reading of "memory bounded by the limit". In-memory fetch, so only the library is
// measured (reliability/clients/buffer-memory.js); `npm run stress` reports the marginal bytes per character.
const PER_CHAR_BOUND = 8
const FIXED = 3 * MiB
const LIMIT = 512 * 1024
const shapes = [
  ['an endless line in 64 KiB chunks', 'x', 65536, 'baseline'],
  ['an endless event of "data:" lines carrying nothing', 'data\n', 65536, 'lines'],
  ['an endless event of "data: 中" lines', 'data: \u4e2d\n', 65536, 'lines'],
  ['an endless line of 中 arriving 3 bytes per chunk', '\u4e2d', 3, 'lines'],
]
for (const [name, pattern, chunkBytes, kind] of shapes) {
  test(`heap retained while pending stays within ${PER_CHAR_BOUND} bytes per maxBufferSize character: ${name}`, async () => {
    const { result } = await runClient('clients/buffer-memory.js', [JSON.stringify(pattern), String(chunkBytes), String(LIMIT)], { timeoutMs: 30_000 })
    assert.equal(result.code, 'max-buffer-size-exceeded')
    const perChar = (result.peakHeapBytes - 2 * MiB) / LIMIT
    assert.ok(
      result.peakHeapBytes <= PER_CHAR_BOUND * LIMIT + FIXED,
      `heap grew by ${(result.peakHeapBytes / MiB).toFixed(1)} MiB for a ${LIMIT}-character limit: about ${perChar.toFixed(1)} bytes per ` +
        `character, so about ${Math.round(perChar * 16)} MiB with the default 16 Mi limit`,
    )
  })
}
