// The built files are what users load: each shape must load and expose the same API.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import vm from 'node:vm'

const dist = new URL('../dist/', import.meta.url)
const require = createRequire(import.meta.url)

test('ESM build exports the API, EventSource being the same class', async () => {
  const esm = await import('../dist/index.js')
  assert.equal(typeof esm.FetchEventSource, 'function')
  assert.equal(esm.EventSource, esm.FetchEventSource)
  assert.equal(typeof esm.assertEventStream, 'function')
  assert.equal(typeof esm.FetchEventSourceError, 'function')
  assert.equal(typeof esm.FetchEventSourceErrorEvent, 'function')
  assert.deepEqual([esm.FetchEventSource.CONNECTING, esm.FetchEventSource.OPEN, esm.FetchEventSource.CLOSED], [0, 1, 2])
})

test('CJS build requires and works', async () => {
  const cjs = require('../dist/index.cjs')
  assert.equal(cjs.EventSource, cjs.FetchEventSource)
  const source = new cjs.FetchEventSource('http://127.0.0.1:9/', { fetch: () => new Promise(() => {}) })
  assert.equal(source.readyState, 0)
  source.close()
  assert.equal(source.readyState, 2)
})

test('package.json exports resolve to the ESM and CJS builds', async () => {
  const resolvedRequire = require.resolve('fetch-eventsource')
  assert.ok(resolvedRequire.endsWith('dist/index.cjs'), resolvedRequire)
  const esm = await import('fetch-eventsource')
  assert.equal(typeof esm.FetchEventSource, 'function')
})

test('no runtime dependencies: package.json declares none, and the ESM and CJS builds import and require nothing', async () => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
  assert.deepEqual([pkg.dependencies, pkg.peerDependencies, pkg.optionalDependencies], [undefined, undefined, undefined])
  for (const file of ['index.js', 'index.cjs']) {
    const code = await readFile(new URL(file, dist), 'utf8')
    assert.doesNotMatch(code, /\bimport\s*[\w{*]|\bfrom\s*["']|\bimport\s*\(|\brequire\s*\(/, file)
  }
})

test('the browser ESM is self-contained: no bare or relative imports', async () => {
  const code = await readFile(new URL('fetch-eventsource.browser.js', dist), 'utf8')
  assert.doesNotMatch(code, /\bimport\s*[\w{*]/)
  assert.doesNotMatch(code, /\bfrom\s*["']/)
  assert.doesNotMatch(code, /\bimport\s*\(/)
  assert.doesNotMatch(code, /\brequire\s*\(/)
  const mod = await import('../dist/fetch-eventsource.browser.js')
  assert.equal(mod.EventSource, mod.FetchEventSource)
})

test('the IIFE defines the global fetchEventSource in a bare context', async () => {
  const code = await readFile(new URL('fetch-eventsource.iife.js', dist), 'utf8')
  const context = vm.createContext({ EventTarget, Event, MessageEvent, DOMException, URL, Headers, AbortController, TextDecoder, TextEncoder, queueMicrotask })
  vm.runInContext(code, context)
  assert.equal(typeof context.fetchEventSource.FetchEventSource, 'function')
  assert.equal(context.fetchEventSource.EventSource, context.fetchEventSource.FetchEventSource)
  assert.equal(typeof context.fetchEventSource.assertEventStream, 'function')
})

test('type declarations exist for both module systems', async () => {
  for (const file of ['index.d.ts', 'index.d.cts']) {
    const text = await readFile(new URL(file, dist), 'utf8')
    // Structural: an interface plus a constructor value, as lib.dom declares EventSource (src/event-source.ts).
    assert.match(text, /interface FetchEventSource extends EventTarget/)
    assert.match(text, /declare const FetchEventSource: FetchEventSourceConstructor/)
    assert.doesNotMatch(text, /declare class FetchEventSource\b/)
    assert.match(text, /interface FetchEventSourceInit/)
  }
})
