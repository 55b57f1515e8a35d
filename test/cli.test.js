// The command-line tool end to end: `dist/cli.js` run as a child process (with the runtime running this file, so
// the runtime matrix covers it on Node, Deno and Bun) against the scripted test server (notes/SERVER-SPEC.md).
// Every run is bounded; every assertion is on exact stdout, exit status, and the requests the server recorded.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestServer } from '../dist/testing.js'

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const pkg = JSON.parse(await (await import('node:fs/promises')).readFile(new URL('../package.json', import.meta.url), 'utf8'))

/** @type {Awaited<ReturnType<typeof startTestServer>>} */
let server
let scratch = ''

before(async () => {
  server = await startTestServer({ port: 0, host: '127.0.0.1' })
  scratch = await mkdtemp(path.join(tmpdir(), 'fes-cli-'))
})

after(async () => {
  await server?.close()
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

/**
 * @param {unknown[]} responses
 * @returns {Promise<{ url: string, key: string }>}
 */
async function script(responses) {
  const res = await fetch(`${server.url}/script`, { method: 'POST', body: JSON.stringify({ responses }) })
  assert.equal(res.status, 200)
  return res.json()
}

/** @param {string} key */
async function requests(key) {
  return (await fetch(`${server.url}/requests/${key}`)).json()
}

/**
 * Runs the CLI to completion (or until `whenStdout` matches, then sends `signal`), bounded by `limit` ms.
 * @param {string[]} args
 * @param {{ input?: string | Uint8Array, whenStdout?: RegExp, signal?: NodeJS.Signals, limit?: number }} [options]
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string }>}
 */
function cli(args, { input, whenStdout, signal = 'SIGINT', limit = 10_000 } = {}) {
  if (typeof globalThis.Deno !== 'undefined') return cliDeno(args, { input, whenStdout, signal, limit })
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let signalled = false
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`cli ${args.join(' ')} did not finish within ${limit} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, limit)
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (whenStdout && !signalled && whenStdout.test(stdout)) {
        signalled = true
        child.kill(signal)
      }
    })
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, sig) => {
      clearTimeout(timer)
      resolve({ code, signal: sig, stdout, stderr })
    })
    if (input !== undefined) child.stdin.end(input)
    else child.stdin.end()
  })
}

/**
 * The same on Deno, through Deno.Command: Deno's node:child_process reports a child it sent a signal to as
 * killed by that signal (code null) even when the child handled it and exited 0 (seen on Deno 2.9.6).
 * @param {string[]} args
 * @param {{ input?: string | Uint8Array, whenStdout?: RegExp, signal: NodeJS.Signals, limit: number }} options
 */
async function cliDeno(args, { input, whenStdout, signal, limit }) {
  const Deno = /** @type {any} */ (globalThis).Deno
  const child = new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', '--quiet', CLI, ...args],
    stdin: 'piped',
    stdout: 'piped',
    stderr: 'piped',
  }).spawn()
  const timer = setTimeout(() => child.kill('SIGKILL'), limit)
  const writer = child.stdin.getWriter()
  if (input !== undefined) await writer.write(typeof input === 'string' ? new TextEncoder().encode(input) : input)
  await writer.close()
  let stdout = ''
  let signalled = false
  const readStdout = (async () => {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true }) // --raw output keeps a BOM
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true })
      if (whenStdout && !signalled && whenStdout.test(stdout)) {
        signalled = true
        child.kill(signal)
      }
    }
  })()
  const readStderr = new Response(child.stderr).text()
  const [status, , stderr] = await Promise.all([child.status, readStdout, readStderr])
  clearTimeout(timer)
  if (status.signal === 'SIGKILL') throw new Error(`cli ${args.join(' ')} did not finish within ${limit} ms\nstdout: ${stdout}\nstderr: ${stderr}`)
  return { code: status.signal ? null : status.code, signal: status.signal, stdout, stderr }
}

const STREAM = [
  'retry: 50\n',
  ': a comment\n',
  'id: 1\ndata: first\n\n',
  'event: update\ndata: line one\ndata: line two\n\n',
  'data\n\n', // an event with empty data
  'id: 7\r\nevent: tick\r\ndata: {"n":7}\r\n\r\n',
]

describe('output', () => {
  test('plain: each event\'s data and a newline; a 204 afterwards ends it with status 0', async () => {
    const { url } = await script([{ body: STREAM }])
    const run = await cli([url])
    assert.equal(run.stdout, 'first\nline one\nline two\n\n{"n":7}\n')
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /reconnecting with Last-Event-ID "7"/)
    assert.match(run.stderr, /the server ended the stream \(204 No Content\)\n$/)
  })

  test('--json: one object per event with type, data and id', async () => {
    const { url } = await script([{ body: STREAM }])
    const run = await cli(['--json', url])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(run.stdout.split('\n'), [
      '{"type":"message","data":"first","id":"1"}',
      '{"type":"update","data":"line one\\nline two","id":"1"}',
      '{"type":"message","data":"","id":"1"}',
      '{"type":"tick","data":"{\\"n\\":7}","id":"7"}',
      '',
    ])
  })

  test('--json escapes DEL, C1 controls and U+2028/U+2029, which JSON.stringify leaves raw', async () => {
    const { url } = await script([{ body: ['id: nel \u0085\n', 'event: ps \u2029\n', 'data: del \x7f csi \u009b ls \u2028 esc \x1b é ✓\n\n'] }])
    const run = await cli(['--json', '-s', url])
    assert.equal(run.code, 0, run.stderr)
    // The non-ASCII part stays outside String.raw: Bun's transpiler rewrites non-ASCII characters in a template as
    // \u escapes, which String.raw then keeps literally.
    const expected = String.raw`{"type":"ps \u2029","data":"del \u007f csi \u009b ls \u2028 esc \u001b ` + 'é ✓' + String.raw`","id":"nel \u0085"}`
    assert.equal(run.stdout, expected + '\n')
    assert.deepEqual(JSON.parse(run.stdout), { type: 'ps \u2029', data: 'del \x7f csi \u009b ls \u2028 esc \x1b é ✓', id: 'nel \u0085' })
  })

  test('--raw: the bytes exactly as received, comments and CRLFs included', async () => {
    const { url } = await script([{ body: [{ bytes: [0xef, 0xbb, 0xbf] }, ...STREAM, 'data: no blank line at the end'] }])
    const run = await cli(['--raw', url])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, '\uFEFF' + STREAM.join('') + 'data: no blank line at the end')
  })

  test('--raw does not print the body of a refused response', async () => {
    const { url } = await script([{ status: 500, headers: { 'content-type': 'text/event-stream' }, body: ['data: nope\n\n'] }])
    const run = await cli(['--raw', url])
    assert.equal(run.code, 1)
    assert.equal(run.stdout, '')
    assert.equal(run.stderr, 'fetch-eventsource: Expected status 200, got 500 Internal Server Error: data: nope\n')
  })

  test('-s silences notices', async () => {
    const { url } = await script([{ body: ['retry: 20\ndata: x\n\n'] }])
    const run = await cli(['-s', url])
    assert.deepEqual([run.code, run.stdout, run.stderr], [0, 'x\n', ''])
  })
})

describe('requests', () => {
  test('-X, repeated -H and -d: method, headers and body are sent; Accept is added', async () => {
    const { url, key } = await script([{ body: ['retry: 10\ndata: ok\n\n'] }])
    const run = await cli(['-X', 'PUT', '-H', 'X-One: 1', '-H', 'authorization:  Bearer t0ken ', '--header=x-empty:', '-d', 'héllo', url])
    assert.equal(run.code, 0, run.stderr)
    const [first] = await requests(key)
    assert.equal(first.method, 'PUT')
    assert.equal(first.headers['x-one'], '1')
    assert.equal(first.headers.authorization, 'Bearer t0ken')
    assert.equal(first.headers['x-empty'], '')
    assert.equal(first.headers.accept, 'text/event-stream')
    assert.equal(first.body, 'héllo')
  })

  test('-d implies POST and is sent again on every reconnection; a given Accept is kept', async () => {
    const { url, key } = await script([{ body: ['retry: 20\ndata: a\n\n'] }, { body: ['data: b\n\n'] }])
    const run = await cli(['-d', '{"prompt":"hi"}', '-H', 'Content-Type: application/json', '-H', 'Accept: application/x-ndjson, text/event-stream', url])
    assert.deepEqual([run.code, run.stdout], [0, 'a\nb\n'], run.stderr)
    const recorded = await requests(key)
    assert.equal(recorded.length, 3)
    for (const r of recorded) {
      assert.equal(r.method, 'POST')
      assert.equal(r.body, '{"prompt":"hi"}')
      assert.equal(r.headers['content-type'], 'application/json')
      assert.equal(r.headers.accept, 'application/x-ndjson, text/event-stream')
    }
  })

  test('-d @file sends the file\'s bytes', async () => {
    const file = path.join(scratch, 'body.json')
    await writeFile(file, '{"text":"ünïcode ✓"}\n')
    const { url, key } = await script([{ body: ['retry: 10\ndata: ok\n\n'] }])
    const run = await cli(['--data', `@${file}`, url])
    assert.equal(run.code, 0, run.stderr)
    const [first] = await requests(key)
    assert.deepEqual([first.method, first.body], ['POST', '{"text":"ünïcode ✓"}\n'])
  })

  test('-d - reads the body from standard input', async () => {
    const { url, key } = await script([{ body: ['retry: 10\ndata: ok\n\n'] }])
    const run = await cli(['-X', 'PATCH', '-d', '-', url], { input: 'from stdin\nline 2' })
    assert.equal(run.code, 0, run.stderr)
    const [first] = await requests(key)
    assert.deepEqual([first.method, first.body], ['PATCH', 'from stdin\nline 2'])
  })

  test('-d @- reads standard input too; no Content-Type is added to a body (the README says so; fetch would add text/plain)', async () => {
    const { url, key } = await script([{ body: ['retry: 10\ndata: ok\n\n'] }])
    const run = await cli(['-d', '@-', url], { input: 'from stdin' })
    assert.equal(run.code, 0, run.stderr)
    const { url: literalUrl, key: literalKey } = await script([{ body: ['retry: 10\ndata: ok\n\n'] }])
    const literal = await cli(['-d', 'literal', literalUrl])
    assert.equal(literal.code, 0, literal.stderr)
    const [first] = await requests(key)
    const [second] = await requests(literalKey)
    assert.deepEqual([first.method, first.body, first.headers['content-type']], ['POST', 'from stdin', undefined])
    assert.deepEqual([second.method, second.body, second.headers['content-type']], ['POST', 'literal', undefined])
  })

  test('--last-event-id is sent on the first request, then the stream\'s ids replace it', async () => {
    const { url, key } = await script([{ body: ['retry: 20\nid: 43\ndata: x\n\n'] }])
    const run = await cli(['--last-event-id', '42', url])
    assert.equal(run.code, 0, run.stderr)
    const recorded = await requests(key)
    assert.deepEqual(recorded.map((r) => r.headers['last-event-id']), ['42', '43'])
  })
})

describe('--last-event-id-in and --redirect', () => {
  /** What each request sent: its query string, and its Last-Event-ID header. */
  const sent = async (/** @type {string} */ key) =>
    (await requests(key)).map((/** @type {{ url: string, headers: Record<string, string> }} */ r) => [r.url.slice(r.url.indexOf('?')), r.headers['last-event-id']])

  for (const [place, expected] of [
    ['header', [['?since=1&lastEventId=old', '42'], ['?since=1&lastEventId=old', '43']]],
    ['query', [['?since=1&lastEventId=42', undefined], ['?since=1&lastEventId=43', undefined]]],
    ['both', [['?since=1&lastEventId=42', '42'], ['?since=1&lastEventId=43', '43']]],
  ]) {
    test(`--last-event-id-in ${place}: the first id, then the stream's, travel ${place === 'both' ? 'both ways' : `in the ${place}`}`, async () => {
      const { url, key } = await script([{ body: ['retry: 20\nid: 43\ndata: x\n\n'] }])
      const run = await cli(['-s', '--last-event-id', '42', '--last-event-id-in', /** @type {string} */ (place), `${url}?since=1&lastEventId=old`])
      assert.deepEqual([run.code, run.stdout], [0, 'x\n'], run.stderr)
      // An existing parameter of that name is replaced, never duplicated; the others stay.
      assert.deepEqual(await sent(key), expected)
    })
  }

  test('--last-event-id-param names the parameter, and alone implies the query', async () => {
    const { url, key } = await script([{ body: ['retry: 20\nid: 9 é\ndata: x\n\n'] }])
    const run = await cli(['-s', '--last-event-id-param', 'lastEventID', `${url}?lastEventID=1`])
    assert.equal(run.code, 0, run.stderr)
    // No id yet: the URL goes as given; then the stream's id, percent-encoded UTF-8.
    assert.deepEqual(await sent(key), [['?lastEventID=1', undefined], ['?lastEventID=9%20%C3%A9', undefined]])
  })

  test('--redirect error: a 307 ends with status 1 and the target sees no request', async () => {
    const target = await script([{ body: ['data: moved\n\n'] }])
    const { url } = await script([{ status: 307, redirect: target.url }])
    const run = await cli(['--redirect', 'error', url])
    assert.deepEqual([run.code, run.stdout], [1, ''])
    assert.equal(run.stderr, `fetch-eventsource: refused a 307 redirect to ${target.url} (--redirect error)\n`)
    assert.deepEqual(await requests(target.key), [])
  })

  test('--redirect follow (the default): the target serves the stream', async () => {
    const target = await script([{ body: ['data: moved\n\n'] }])
    const { url } = await script([{ status: 307, redirect: target.url }])
    const run = await cli(['-s', '--no-reconnect', '--redirect', 'follow', url])
    assert.deepEqual([run.code, run.stdout], [0, 'moved\n'], run.stderr)
    assert.equal((await requests(target.key)).length, 1)
  })
})

describe('endings', () => {
  test('204 on the first request: status 0, nothing on stdout', async () => {
    const { url } = await script([{ status: 204 }])
    const run = await cli([url])
    assert.deepEqual([run.code, run.stdout, run.stderr], [0, '', 'fetch-eventsource: the server ended the stream (204 No Content)\n'])
  })

  test('404: status 1 with the status and the start of the body', async () => {
    const { url } = await script([{ status: 404, headers: { 'content-type': 'application/json' }, body: ['{"error":\n  "no such stream"}'] }])
    const run = await cli([url])
    assert.deepEqual([run.code, run.stdout], [1, ''])
    assert.equal(run.stderr, 'fetch-eventsource: Expected status 200, got 404 Not Found: {"error": "no such stream"}\n')
  })

  test('a wrong content type: status 1, named in the message', async () => {
    const { url } = await script([{ headers: { 'content-type': 'text/html' }, body: ['<h1>hi</h1>'] }])
    const run = await cli([url])
    assert.equal(run.code, 1)
    assert.equal(run.stderr, 'fetch-eventsource: Expected Content-Type text/event-stream, got "text/html": <h1>hi</h1>\n')
  })

  test('no server: status 1 at once, no retrying', async () => {
    const own = await startTestServer({ port: 0, host: '127.0.0.1' })
    const deadUrl = `${own.url}/s/gone`
    await own.close()
    const run = await cli([deadUrl], { limit: 5000 })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /^fetch-eventsource: Failed to fetch http:\/\/127\.0\.0\.1:\d+\/s\/gone: .+\n$/)
  })

  test('--no-reconnect: a finished response ends with status 0 after one request', async () => {
    const { url, key } = await script([{ body: ['data: a\n\n', 'data: b\n\n'] }, { body: ['data: never\n\n'] }])
    const run = await cli(['--no-reconnect', url])
    assert.deepEqual([run.code, run.stdout], [0, 'a\nb\n'], run.stderr)
    assert.equal(run.stderr, 'fetch-eventsource: the server ended the response\n')
    assert.equal((await requests(key)).length, 1)
  })

  test('--no-reconnect with --raw: the bytes, then 0 for a finished response and 1 for a cut', async () => {
    const ended = await script([{ body: ['data: a\n\n', ': done\n'] }])
    const cut = await script([{ body: ['data: a\n\n', { delay: 30 }], end: 'destroy' }])
    const [clean, lost] = await Promise.all([cli(['--raw', '--no-reconnect', ended.url]), cli(['--raw', '--no-reconnect', cut.url])])
    assert.deepEqual([clean.code, clean.stdout, clean.stderr], [0, 'data: a\n\n: done\n', 'fetch-eventsource: the server ended the response\n'])
    assert.deepEqual([lost.code, lost.stdout], [1, 'data: a\n\n'], lost.stderr)
    assert.match(lost.stderr, /^fetch-eventsource: The connection was lost: .+\n$/)
  })

  test('--no-reconnect: a lost connection ends with status 1', async () => {
    const { url, key } = await script([{ body: ['data: a\n\n', { delay: 30 }], end: 'destroy' }, { body: ['data: never\n\n'] }])
    const run = await cli(['--no-reconnect', url])
    assert.deepEqual([run.code, run.stdout], [1, 'a\n'], run.stderr)
    assert.match(run.stderr, /^fetch-eventsource: The connection was lost: .+\n$/)
    assert.equal((await requests(key)).length, 1)
  })

  test('resume after a cut: reconnects with Last-Event-ID, says so on stderr, prints every event once', async () => {
    const { url, key } = await script([
      // The delay keeps the cut apart from the data: Bun's fetch drops bytes that arrive together with a reset.
      { body: ['retry: 50\n', 'id: 1\ndata: one\n\n', 'id: 2\ndata: two\n\n', 'data: incomplete', { delay: 30 }], end: 'destroy' },
      { body: ['id: 3\ndata: three\n\n'] },
    ])
    const run = await cli(['--json', url])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(run.stdout.trim().split('\n').map((line) => JSON.parse(line)), [
      { type: 'message', data: 'one', id: '1' },
      { type: 'message', data: 'two', id: '2' },
      { type: 'message', data: 'three', id: '3' },
    ])
    const recorded = await requests(key)
    assert.deepEqual(recorded.map((r) => r.headers['last-event-id']), [undefined, '2', '3'])
    const lines = run.stderr.trim().split('\n')
    assert.equal(lines.length, 4, run.stderr)
    assert.match(lines[0], /^fetch-eventsource: The connection was lost: .*; reconnecting with Last-Event-ID "2"$/)
    assert.equal(lines[1], 'fetch-eventsource: reconnected')
    assert.equal(lines[2], 'fetch-eventsource: The server ended the stream; reconnecting with Last-Event-ID "3"')
    assert.equal(lines[3], 'fetch-eventsource: the server ended the stream (204 No Content)')
  })

  test('the resumable counter: every event exactly once across reconnects', async () => {
    const key = `cli-counter-${Date.now()}`
    const run = await cli(['-s', `${server.url}/counter?total=7&per=3&retry=10&key=${key}`])
    assert.deepEqual([run.code, run.stdout, run.stderr], [0, '1\n2\n3\n4\n5\n6\n7\n', ''])
    assert.deepEqual((await requests(key)).map((r) => r.headers['last-event-id']), [undefined, '3', '6', '7'])
  })

  test('Ctrl-C (SIGINT): closes the stream and exits with status 0', async () => {
    const { url } = await script([{ body: ['data: waiting\n\n'], end: 'hang' }])
    const run = await cli([url], { whenStdout: /waiting\n/ })
    assert.deepEqual([run.code, run.signal, run.stdout, run.stderr], [0, null, 'waiting\n', ''])
  })

  test('SIGTERM: the same', async () => {
    const { url } = await script([{ body: ['data: waiting\n\n'], end: 'hang' }])
    const run = await cli([url], { whenStdout: /waiting\n/, signal: 'SIGTERM' })
    assert.deepEqual([run.code, run.signal, run.stdout], [0, null, 'waiting\n'])
  })

  test('--timeout: gives up after the given seconds with status 28', async () => {
    const { url } = await script([{ body: ['data: a\n\n'], end: 'hang' }])
    const started = Date.now()
    const run = await cli(['--timeout', '0.4', url])
    const took = Date.now() - started
    assert.deepEqual([run.code, run.stdout, run.stderr], [28, 'a\n', 'fetch-eventsource: timed out after 0.4 s\n'])
    assert.ok(took >= 400, `took ${took} ms`)
  })

  test('--max-buffer-size: events before the overflow are printed, then status 1', async () => {
    const { url } = await script([{ body: ['data: short\n\n', `data: ${'x'.repeat(100)}\n\n`, 'data: after\n\n'] }])
    const run = await cli(['--max-buffer-size', '50', url])
    assert.deepEqual([run.code, run.stdout], [1, 'short\n'])
    assert.match(run.stderr, /^fetch-eventsource: .*maxBufferSize \(50 characters\)\n$/)
  })
})

describe('arguments', () => {
  for (const [name, args, message] of [
    ['no URL', [], /a URL is required/],
    ['two URLs', ['http://a/', 'http://b/'], /expected one URL, got 2/],
    ['an unknown option', ['--nope', 'http://a/'], /Unknown option '--nope'/],
    ['a header without a colon', ['-H', 'nocolon', 'http://a/'], /--header expects "Name: value"/],
    ['an invalid header name', ['-H', 'bad name: v', 'http://a/'], /header/i],
    ['an unparsable URL', ['http://exa mple.com/'], /invalid/i],
    ['--json with --raw', ['--json', '--raw', 'http://a/'], /cannot be combined/],
    ['a body on GET', ['-X', 'GET', '-d', 'x', 'http://a/'], /GET request cannot have a body/],
    ['a bad --timeout', ['--timeout', 'soon', 'http://a/'], /--timeout expects a positive number/],
    ['a bad --max-buffer-size', ['--max-buffer-size', '-1', 'http://a/'], /max-buffer-size/],
    ['a missing --data file', ['-d', '@/nonexistent/file', 'http://a/'], /cannot read --data file/],
    ['a bad --last-event-id', ['--last-event-id', 'a\nb', 'http://a/'], /lastEventId/],
    ['a bad --last-event-id-in', ['--last-event-id-in', 'cookie', 'http://a/'], /^fetch-eventsource: --last-event-id-in expects header, query or both, got "cookie"\n/],
    ['an empty --last-event-id-param', ['--last-event-id-param', '', 'http://a/'], /^fetch-eventsource: --last-event-id-param expects a parameter name, got ""\n/],
    ['--last-event-id-param with the header only', ['--last-event-id-in', 'header', '--last-event-id-param', 'id', 'http://a/'], /--last-event-id-param needs --last-event-id-in query or both/],
    ['a bad --redirect', ['--redirect', 'manual', 'http://a/'], /^fetch-eventsource: --redirect expects follow or error, got "manual"\n/],
  ]) {
    test(`status 2 for ${name}`, async () => {
      const run = await cli(/** @type {string[]} */ (args))
      assert.equal(run.code, 2, run.stderr)
      assert.equal(run.stdout, '')
      assert.match(run.stderr, /** @type {RegExp} */ (message))
      assert.match(run.stderr, /Try 'fetch-eventsource --help'/)
    })
  }

  test('--help and --version', async () => {
    const help = await cli(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Usage: fetch-eventsource \[options\] <url>/)
    for (const option of ['--method', '--header', '--data', '--last-event-id', '--last-event-id-in', '--last-event-id-param', '--redirect', '--json', '--raw', '--max-buffer-size', '--no-reconnect', '--timeout']) {
      assert.ok(help.stdout.includes(option), option)
    }
    const version = await cli(['-V'])
    assert.deepEqual([version.code, version.stdout], [0, `${pkg.version}\n`])
  })
})
