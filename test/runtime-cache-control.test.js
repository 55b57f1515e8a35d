// Deno's and Bun's fetch ignore the cache mode, so there the library sends `Cache-Control: no-cache` itself, as
// their native EventSource does, unless the caller set a Cache-Control of their own; browsers and Node's fetch add
// it themselves for `cache: 'no-store'`, and the library leaves it to them. The library decides once, when it
// loads: in Node a stand-in `Bun` global (or `Deno`, from runtime-cache-control-deno.test.js), set before the import
// and removed after, makes it take the Deno and Bun path (Node runs each test file in its own process). In Deno and
// Bun the file runs as it is.
import { test } from 'node:test'
import assert from 'node:assert/strict'

const scope = /** @type {any} */ (globalThis)
const native = scope.Deno !== undefined || scope.Bun !== undefined
const standIn = scope.process?.env?.CACHE_CONTROL_STAND_IN ?? 'Bun'
if (!native) scope[standIn] = {}
const { FetchEventSource } = await import('../dist/index.js')
if (!native) delete scope[standIn]

/** The headers of a source's first request, or the error it reported instead; the source is closed. */
function firstRequestHeaders(/** @type {Record<string, string> | undefined} */ headers) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (source.close(), reject(new Error('no request within 2 s'))), 2000)
    const source = new FetchEventSource('http://cache-control.test/', {
      headers,
      fetch: async (_input, init) => {
        clearTimeout(timer)
        source.close()
        resolve(Object.fromEntries(new Headers(init?.headers)))
        return new Promise(() => {})
      },
    })
    source.onerror = (event) => {
      clearTimeout(timer)
      source.close()
      reject(new Error(`error event instead of a request: ${event.code} ${event.message}`))
    }
  })
}

test('without a Cache-Control of the caller, the request carries no-cache', async () => {
  assert.deepEqual(await firstRequestHeaders(undefined), { accept: 'text/event-stream', 'cache-control': 'no-cache' })
})

test("the caller's Cache-Control is kept as given", async () => {
  assert.deepEqual(await firstRequestHeaders({ 'Cache-Control': 'max-age=0', 'x-a': '1' }), { accept: 'text/event-stream', 'cache-control': 'max-age=0', 'x-a': '1' })
})
