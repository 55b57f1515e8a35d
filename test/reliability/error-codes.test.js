// What each failure is called, over real sockets: the error codes of an error event, the readyState that follows,
// and the requests each one draws. (The same cases run in every browser from test/cases/; these add the counts.)
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { FetchEventSource } from '../../dist/index.js'
import { startFaultServer } from '../../reliability/fault-servers.js'
import { next, track } from './helpers.js'

/** @type {Awaited<ReturnType<typeof startFaultServer>>} */
let faults
before(async () => {
  faults = await startFaultServer()
})
after(() => faults.close())

const hitsOf = (tag) => faults.hits.filter((h) => h.url.includes(`case=${tag}`))

test('a cut is connection-lost and a clean end is stream-ended, each followed by a reconnect (CONNECTING)', async () => {
  const cut = track(`${faults.url}/accept-reset?case=cut`, { retry: { initialDelay: 50 } })
  const ended = track(`${faults.url}/accept-drop?retry=50&case=ended`)
  const [a, b] = await Promise.all([next(cut, 'error'), next(ended, 'error')])
  assert.deepEqual([a.code, cut.readyState, b.code, ended.readyState], ['connection-lost', 0, 'stream-ended', 0])
  // Both reconnect: a second request arrives for each.
  await Promise.all([next(cut, 'error'), next(ended, 'error')])
  assert.ok(hitsOf('cut').length >= 2 && hitsOf('ended').length >= 2)
})

test('a headers function that throws: one invalid-request error, CLOSED, zero requests', async () => {
  const errors = []
  const source = track(`${faults.url}/accept-drop?case=throws`, {
    headers: () => {
      throw new Error('token store unavailable')
    },
    retry: { initialDelay: 0 },
  })
  source.addEventListener('error', (e) => errors.push([e.code, source.readyState, e.message]))
  await next(source, 'error')
  // Were it retried, a zero delay would have made many attempts by now.
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.deepEqual(errors, [['invalid-request', 2, 'Invalid request: the headers function failed: token store unavailable']])
  assert.equal(hitsOf('throws').length, 0)
})

test("redirect: 'error' on a 307 to another path: CLOSED with code redirect; the target sees nothing", async () => {
  const target = '/accept-drop?case=target'
  const source = track(`${faults.url}/redirect?status=307&case=redirecting&to=${encodeURIComponent(target)}`, {
    redirect: 'error',
    method: 'POST',
    body: 'secret',
    headers: { 'x-api-key': 'key' },
  })
  const error = await next(source, 'error')
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.deepEqual([error.code, source.readyState, error.response?.status], ['redirect', 2, 307])
  assert.equal(hitsOf('redirecting').length, 1)
  assert.equal(hitsOf('target').length, 0)
})

test('a listener that throws is reported by Node as an uncaught exception; the source carries on unaffected', async () => {
  // In its own process: the test runner treats an uncaught exception as a failure of whatever test is running.
  const script = `
    import { FetchEventSource } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}
    const thrown = []
    process.on('uncaughtException', (error) => thrown.push(error.message))
    const body = Buffer.from('id: 1\\ndata: <html>\\n\\nid: 2\\ndata: {"ok":true}\\n\\n').toString('base64url')
    const source = new FetchEventSource(process.argv[1] + '/raw?b64=' + body)
    const seen = []
    source.addEventListener('message', (event) => JSON.parse(event.data))
    source.addEventListener('message', (event) => seen.push([event.data, source.readyState, source.lastEventId]))
    source.addEventListener('error', () => {
      source.close()
      setTimeout(() => console.log(JSON.stringify({ thrown, seen, state: source.readyState })), 10)
    })
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, faults.url], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill(), reject(new Error('child did not finish in 10 s'))), 10_000)
    child.on('exit', (c) => (clearTimeout(timer), resolve(c)))
  })
  assert.equal(code, 0)
  const result = JSON.parse(out)
  assert.equal(result.thrown.length, 1)
  assert.match(result.thrown[0], /JSON/)
  // The second listener ran for both events, the source stayed OPEN, and the id advanced as usual.
  assert.deepEqual(result.seen, [['<html>', 1, '1'], ['{"ok":true}', 1, '2']])
  assert.equal(result.state, FetchEventSource.CLOSED)
})

/** The first error event of a source that ends (CLOSED), with the number of requests its tag drew. */
async function ending(tag, url, init) {
  const source = track(url, init)
  const errors = []
  source.addEventListener('error', (e) => errors.push([e.code, source.readyState]))
  const last = await next(source, 'error', 5000, () => source.readyState === FetchEventSource.CLOSED)
  return { errors, last, hits: hitsOf(tag).length }
}

test('what fetch refuses before sending anything is invalid-request, once, not a network failure retried for ever', async () => {
  const [credentials, contentLength, notAResponse] = await Promise.all([
    ending('creds', `${faults.url.replace('http://', 'http://user:secret@')}/accept-drop?case=creds`, { retry: { initialDelay: 0 } }),
    ending('content-length', `${faults.url}/accept-drop?case=content-length`, { headers: { 'content-length': 'abc' }, retry: { initialDelay: 0 } }),
    // A bare test mock that resolves with undefined.
    ending('mock', `${faults.url}/accept-drop?case=mock`, { fetch: async () => undefined, retry: { initialDelay: 0 } }),
  ])
  for (const result of [credentials, contentLength, notAResponse]) {
    assert.deepEqual(result.errors, [['invalid-request', 2]])
    assert.equal(result.hits, 0)
  }
  // The message names the URL without its user info.
  assert.doesNotMatch(credentials.last.message, /secret/)
  assert.ok(credentials.last.message.startsWith('Invalid request: fetch refuses it: '), credentials.last.message)
  assert.ok(credentials.last.message.includes(`${faults.url}/accept-drop?case=creds`), credentials.last.message)
  assert.match(notAResponse.last.message, /not a Response/)
})

test('a ReadableStream body can be sent once: the reconnect that would resend it ends with invalid-request', async () => {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('payload'))
      controller.close()
    },
  })
  const source = track(`${faults.url}/accept-drop?retry=10&case=stream-body`, { method: 'POST', body })
  const errors = []
  source.addEventListener('error', (e) => errors.push([e.code, source.readyState]))
  await next(source, 'error', 5000, () => source.readyState === FetchEventSource.CLOSED)
  assert.deepEqual(errors, [['stream-ended', 0], ['invalid-request', 2]])
  assert.equal(hitsOf('stream-body').length, 1)
})

test('a stream body on a 307: fetch cannot re-send it, so the attempt fails as a network error, and the target sees nothing', async () => {
  // README, Redirects: "a stream body cannot be re-sent, so that attempt fails". Each attempt gets a fresh stream
  // (a body function) and meets the same redirect: each fails the same way, and maxAttempts ends it.
  const target = '/accept-drop?case=target-of-stream-307'
  const body = () =>
    new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('payload'))
        controller.close()
      },
    })
  const source = track(`${faults.url}/redirect?status=307&case=stream-307&to=${encodeURIComponent(target)}`, {
    method: 'POST',
    body,
    retry: { initialDelay: 10, maxAttempts: 2 },
  })
  const errors = []
  source.addEventListener('error', (e) => errors.push([e.code, source.readyState]))
  await next(source, 'error', 5000, () => source.readyState === FetchEventSource.CLOSED)
  assert.deepEqual(errors, [['network', 0], ['network', 2]])
  assert.equal(hitsOf('stream-307').length, 2)
  assert.equal(faults.hits.filter((h) => h.url === target).length, 0)
})

test('an onResponse that reads the body it was handed ends the source (response-rejected), with no unhandled rejection', async () => {
  const source = track(`${faults.url}/accept-drop?case=locked`, { onResponse: (response) => void response.body?.getReader() })
  const error = await next(source, 'error')
  assert.deepEqual([error.code, source.readyState], ['response-rejected', FetchEventSource.CLOSED])
  assert.match(error.message, /cannot be read/)
})
