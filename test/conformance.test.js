// Runs the shared conformance registry (test/cases/) in Node against the built library (dist/index.js)
// and the scripted test server. One node:test test per case: `node --test test/conformance.test.js`.
// CONFORMANCE_LIB=path/to/build.js runs the same cases against another build (e.g. dist/index.cjs).
import path from 'node:path'
import { describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { cases } from './cases/index.js'
import { registryRun } from './support/registry.js'

const lib = process.env.CONFORMANCE_LIB
  ? await import(pathToFileURL(path.resolve(process.env.CONFORMANCE_LIB)).href)
  : await import('../dist/index.js')

const registry = registryRun(lib)

/** @param {typeof cases[number]} c */
function caseTest(c) {
  test(`${c.rule} ${c.name}`, { skip: c.node === false ? 'browser-only case' : false }, () => registry.runCase(c))
}

// CONFORMANCE_CONCURRENCY=n runs up to n cases at a time (the mutation run uses it: most of this file's time is the
// cases' real waits for reconnects and timers). Cases marked `exclusive` (they replace globalThis.fetch, which every
// case without a fetch option goes through) run alone, after the others. Default 1: one case at a time, in order.
const concurrency = Number(process.env.CONFORMANCE_CONCURRENCY) || 1
if (concurrency > 1) {
  describe('cases', { concurrency }, () => {
    for (const c of cases) if (!c.exclusive) caseTest(c)
  })
  for (const c of cases) if (c.exclusive) caseTest(c)
} else {
  for (const c of cases) caseTest(c)
}

// API:retry (docs/conformance.md), Node only (needs a child process, so it lives here rather than in the portable
// registry):
// "Reconnect timers never keep a Node process alive after close()".
test('API:retry reconnect and heartbeat timers never keep a Node process alive after close()', async () => {
  const { spawn } = await import('node:child_process')
  const libUrl = pathToFileURL(path.resolve(process.env.CONFORMANCE_LIB || new URL('../dist/index.js', import.meta.url).pathname)).href
  // A source that fails to connect, waits a minute to retry, and is closed in its error handler; a second one
  // closed while OPEN with a long heartbeat. The child must exit on its own, long before a minute.
  const script = `
    import { FetchEventSource } from ${JSON.stringify(libUrl)}
    const a = new FetchEventSource('http://127.0.0.1:9/x', {
      fetch: () => Promise.reject(new TypeError('refused')), retry: { initialDelay: 60000 },
    })
    // closed while the reconnect timer is pending (closing inside the handler would prevent the timer)
    a.onerror = () => setTimeout(() => { a.close(); process.stdout.write('a-closed ') }, 20)
    const b = new FetchEventSource(${JSON.stringify(registry.server.url + '/s/none')}, {
      heartbeatTimeout: 60000, retry: { initialDelay: 60000 },
      fetch: async () => new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('data: x\\n\\n')) } }), { headers: { 'content-type': 'text/event-stream' } }),
    })
    b.onmessage = () => { b.close(); process.stdout.write('b-closed ') }
  `
  // A file rather than `-e`: Deno runs `-e` code as a classic script, where neither top-level await nor import() works.
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(path.join(tmpdir(), 'fes-keepalive-'))
  const file = path.join(dir, 'child.mjs')
  await writeFile(file, script)
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const started = Date.now()
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve('killed: still alive after 5000 ms')
    }, 5000)
    child.on('exit', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  await rm(dir, { recursive: true, force: true })
  if (code !== 0) throw new Error(`child exit: ${code}; output: ${out}`)
  if (!out.includes('a-closed') || !out.includes('b-closed')) throw new Error(`child output: ${out}`)
  if (Date.now() - started > 4000) throw new Error(`child took ${Date.now() - started} ms`)
})
