// Server restarts: the resumable server (its own process) is SIGKILLed twice while 20 clients stream from it, and
// comes back on the same port once every client has failed 4 reconnections. The clients resume without loss or
// duplicates, and the waits between attempts follow the policy: the reconnection time after the loss and after the
// first failure, then ×2 per failure up to maxDelay; the next outage starts from the reconnection time again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runServerRestarts } from '../../reliability/restart-run.js'

test('20 clients across 2 server kills: every event exactly once; backoff grows, is capped, and resets after success', async () => {
  const policy = { initialDelay: 50, maxDelay: 150, factor: 2, jitter: 0 }
  const run = await runServerRestarts({ clients: 20, total: 1000, kills: 2, downAttempts: 4, policy, timeoutMs: 15_000 })
  assert.deepEqual(run.problems, [])
  assert.deepEqual(run.nominal, [50, 50, 100, 150, 150, 150])
  run.outages.forEach((outages, c) => {
    assert.equal(outages.length, 2)
    for (const waits of outages) {
      // At least the 5 waits of the 4 refused attempts plus the one that succeeded.
      assert.ok(waits.length >= 5, `client ${c}: waits ${waits}`)
      waits.forEach((wait, i) => {
        const nominal = run.nominal[Math.min(i, run.nominal.length - 1)]
        assert.ok(wait >= nominal - 2 && wait < nominal + 400, `client ${c}, wait ${i + 1}: ${wait} ms, policy says ${nominal} (all: ${waits})`)
      })
    }
  })
})
