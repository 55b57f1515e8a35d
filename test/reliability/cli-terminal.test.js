// The CLI in front of a terminal: a server's data, ids, event types, status text, headers and error bodies must
// never reach a terminal as control characters (ESC ]0 retitles the window, ESC ]52 writes the clipboard, ESC [2J
// clears the screen, U+009B is a CSI by itself, a CR overwrites the line). The CLI runs under a pseudo-terminal
// made by util-linux `script -qec`, and through plain pipes, where the data is passed on as sent and only the
// messages on stderr are escaped. Every assertion is on exact output.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { startTestServer } from '../../dist/testing.js'

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

// BSD and macOS `script` take other arguments: only util-linux's is driven here.
const scriptVersion = spawnSync('script', ['--version'], { encoding: 'utf8' })
const noScript = scriptVersion.error || !/util-linux/.test(scriptVersion.stdout)
  ? 'needs util-linux `script` (to run the CLI under a pseudo-terminal), not found on PATH'
  : false

const OSC_TITLE = '\x1b]0;pwned\x07'
const OSC_CLIPBOARD = '\x1b]52;c;cHduZWQ=\x07'
const CLEAR = '\x1b[2J'
const CSI = '\u009b'

/** One event whose data, id and type hold every kind of sequence; a CR in a data line (a line break to SSE). */
const HOSTILE = [
  'retry: 10\n',
  `id: 7${CLEAR}${CSI}\n`,
  `event: tick${OSC_TITLE}\n`,
  `data: title ${OSC_TITLE}\n`,
  `data: clipboard ${OSC_CLIPBOARD}\n`,
  `data: clear ${CLEAR} csi ${CSI}31m del \x7f nul \x00\n`,
  'data: over\rwritten\n',
  '\n',
]
const HOSTILE_DATA = `title ${OSC_TITLE}\nclipboard ${OSC_CLIPBOARD}\nclear ${CLEAR} csi ${CSI}31m del \x7f nul \x00\nover`

/** The hostile event as --json writes it, terminal or not. */
const HOSTILE_JSON =
  String.raw`{"type":"tick\u001b]0;pwned\u0007",` +
  String.raw`"data":"title \u001b]0;pwned\u0007\nclipboard \u001b]52;c;cHduZWQ=\u0007\nclear \u001b[2J csi \u009b31m del \u007f nul \u0000\nover",` +
  String.raw`"id":"7\u001b[2J\u009b"}`

/** What the hostile stream's notices say, escaped, whether stderr is a terminal or not. */
const HOSTILE_NOTICES = [
  String.raw`fetch-eventsource: The server ended the stream; reconnecting with Last-Event-ID "7\u001b[2J\u009b"`,
  'fetch-eventsource: the server ended the stream (204 No Content)',
]

/** The message for the raw server's refused response, escaped, whether stderr is a terminal or not. */
const REFUSED_MESSAGE = String.raw`fetch-eventsource: Expected status 200, got 500 Oops\x1b]0;pwned\x07 \u009b2J: bad \x1b[2J\x07 body line \u009b2`

/**
 * Bidirectional formatting characters: invisible, they reorder what a terminal shows ("gnp.exe" read as "exe.png";
 * CVE-2021-42574). One of each kind the CLI escapes, in the id, the type and the data.
 */
const BIDI = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']
const BIDI_STREAM = ['retry: 10\n', 'id: 1\u202eevil\n', 'event: t\u2066x\u2069\n', `data: file \u202egnp.exe ${BIDI.join('')}\n`, '\n']
const BIDI_DATA = `file \u202egnp.exe ${BIDI.join('')}`
const BIDI_ESCAPED = String.raw`file \u202egnp.exe \u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069`
const BIDI_JSON = `{"type":"t\\u2066x\\u2069","data":"${BIDI_ESCAPED}","id":"1\\u202eevil"}`
const BIDI_NOTICES = [
  String.raw`fetch-eventsource: The server ended the stream; reconnecting with Last-Event-ID "1\u202eevil"`,
  'fetch-eventsource: the server ended the stream (204 No Content)',
]

/** @type {Awaited<ReturnType<typeof startTestServer>>} */
let server
/** A server that answers every request with one fixed response, byte for byte: a status line node:http refuses. */
let rawServer = /** @type {net.Server | undefined} */ (undefined)
let rawUrl = ''
const RAW_BODY = `bad ${CLEAR}\x07 body\r\nline ${CSI}2`
const RAW_RESPONSE = Buffer.from(
  `HTTP/1.1 500 Oops${OSC_TITLE} ${CSI}2J\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(RAW_BODY)}\r\n` +
    `connection: close\r\n\r\n${RAW_BODY}`,
)

before(async () => {
  server = await startTestServer({ port: 0, host: '127.0.0.1' })
  rawServer = net.createServer((socket) => socket.once('data', () => socket.end(RAW_RESPONSE)))
  await new Promise((resolve) => rawServer?.listen(0, '127.0.0.1', () => resolve(undefined)))
  rawUrl = `http://127.0.0.1:${/** @type {net.AddressInfo} */ (rawServer.address()).port}/`
})

after(async () => {
  await server?.close()
  await new Promise((resolve) => (rawServer ? rawServer.close(resolve) : resolve(undefined)))
})

/** @param {unknown[]} responses */
async function script(responses) {
  const res = await fetch(`${server.url}/script`, { method: 'POST', body: JSON.stringify({ responses }) })
  assert.equal(res.status, 200)
  return /** @type {{ url: string, key: string }} */ (await res.json())
}

/** @param {string} word */
const shellQuote = (word) => `'${word.replaceAll("'", `'\\''`)}'`

/**
 * Runs the CLI to completion, bounded by `limit` ms. In a terminal: under `script`, stdout and stderr both the
 * pseudo-terminal, captured together as the terminal received them. Otherwise stdout and stderr are pipes.
 * Standard input is /dev/null either way (CI runs with none).
 * @param {string[]} args @param {{ terminal: boolean, limit?: number }} options
 * @returns {Promise<{ code: number | null, stdout: Buffer, stderr: Buffer }>}
 */
function runCli(args, { terminal, limit = 10_000 }) {
  const command = terminal
    ? ['script', ['-qec', `exec ${[process.execPath, CLI, ...args].map(shellQuote).join(' ')} </dev/null`, '/dev/null']]
    : [process.execPath, [CLI, ...args]]
  return new Promise((resolve, reject) => {
    const child = spawn(/** @type {string} */ (command[0]), /** @type {string[]} */ (command[1]), { stdio: ['ignore', 'pipe', 'pipe'] })
    /** @type {Buffer[]} */ const out = []
    /** @type {Buffer[]} */ const err = []
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`cli ${args.join(' ')} did not finish within ${limit} ms\n${Buffer.concat([...out, ...err])}`))
    }, limit)
    child.stdout.on('data', (chunk) => out.push(chunk))
    child.stderr.on('data', (chunk) => err.push(chunk))
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) })
    })
  })
}

/**
 * The CLI with `args` against a fresh copy of the hostile stream (or `body`), which it must finish with status 0.
 * @param {string[]} args @param {boolean} terminal @param {string[]} [body]
 */
async function runHostile(args, terminal, body = HOSTILE) {
  const { url } = await script([{ body }])
  const run = await runCli([...args, url], { terminal })
  assert.equal(run.code, 0, Buffer.concat([run.stdout, run.stderr]).toString())
  return run
}

/**
 * A terminal capture checked for what must never be in it, then split into the CLI's stdout lines and its
 * messages (which start with the tool's name; their interleaving with data lines is up to timing).
 * @param {Buffer} captured
 */
function terminalLines(captured) {
  assert.equal(captured.indexOf(0x1b), -1, `raw ESC in ${JSON.stringify(captured.toString('latin1'))}`)
  assert.equal(captured.indexOf(0x07), -1, `raw BEL in ${JSON.stringify(captured.toString('latin1'))}`)
  assert.equal(captured.indexOf(0x9b), -1, `raw 0x9B byte (CSI, or U+009B in UTF-8) in ${JSON.stringify(captured.toString('latin1'))}`)
  assert.equal(captured.indexOf(0x00), -1, 'raw NUL')
  assert.equal(captured.indexOf(0x7f), -1, 'raw DEL')
  const text = captured.toString('utf8')
  // The terminal turns each LF written into CR LF (onlcr); any other CR came from the server.
  assert.doesNotMatch(text, /\r(?!\n)/, 'a raw CR')
  const lines = text.split('\r\n')
  assert.equal(lines.pop(), '', 'the capture ends with a line break')
  return {
    stdout: lines.filter((line) => !line.startsWith('fetch-eventsource: ')),
    messages: lines.filter((line) => line.startsWith('fetch-eventsource: ')),
  }
}

describe('under a pseudo-terminal: nothing the server sent reaches it raw', { skip: noScript }, () => {
  test('plain: data shown with its controls escaped, the LFs between data lines kept; the id in the notice escaped', async () => {
    const { stdout, messages } = terminalLines((await runHostile([], true)).stdout)
    assert.deepEqual(stdout, [
      String.raw`title \x1b]0;pwned\x07`,
      String.raw`clipboard \x1b]52;c;cHduZWQ=\x07`,
      String.raw`clear \x1b[2J csi \u009b31m del \x7f nul \x00`,
      'over',
    ])
    assert.deepEqual(messages, HOSTILE_NOTICES)
  })

  test('--json: type, data and id escaped, C1 and DEL included', async () => {
    const { stdout, messages } = terminalLines((await runHostile(['--json'], true)).stdout)
    assert.deepEqual(stdout, [HOSTILE_JSON])
    assert.deepEqual(messages, HOSTILE_NOTICES)
  })

  test('a refused status: the status text and the start of the body escaped in the message', async () => {
    const run = await runCli([rawUrl], { terminal: true })
    assert.equal(run.code, 1, run.stdout.toString())
    assert.deepEqual(terminalLines(run.stdout), { stdout: [], messages: [REFUSED_MESSAGE] })
  })

  test('a wrong content type: the header value and the body escaped in the message', async () => {
    // node:http sends U+009B in a header as UTF-8 (C2 9B) and fetch reads header bytes as Latin-1: "Â" and U+009B.
    const { url } = await script([{ headers: { 'content-type': `text/html${CSI}` }, body: [`<b>${OSC_CLIPBOARD}</b>`] }])
    const run = await runCli([url], { terminal: true })
    assert.equal(run.code, 1, run.stdout.toString())
    assert.deepEqual(terminalLines(run.stdout), {
      stdout: [],
      messages: [String.raw`fetch-eventsource: Expected Content-Type text/event-stream, got "text/htmlÂ\u009b": <b>\x1b]52;c;cHduZWQ=\x07</b>`],
    })
  })

  test('bidirectional formatting characters: escaped in the data, in --json and in the notices', async () => {
    const plain = terminalLines((await runHostile([], true, BIDI_STREAM)).stdout)
    assert.deepEqual(plain, { stdout: [BIDI_ESCAPED], messages: BIDI_NOTICES })
    const json = terminalLines((await runHostile(['--json'], true, BIDI_STREAM)).stdout)
    assert.deepEqual(json, { stdout: [BIDI_JSON], messages: BIDI_NOTICES })
    for (const char of BIDI) assert.ok(!json.stdout[0]?.includes(char) && !plain.stdout[0]?.includes(char), `raw U+${char.charCodeAt(0).toString(16)}`)
  })

  test('--raw stays byte-exact, even on a terminal (documented)', async () => {
    const run = await runHostile(['--raw', '-s'], true)
    // The terminal's own onlcr adds a CR before every LF it is given; the bytes are otherwise the server's.
    assert.equal(run.stdout.toString('utf8'), HOSTILE.join('').replaceAll('\n', '\r\n'))
  })
})

describe('through pipes: data is passed on as sent, messages are still escaped', () => {
  test('plain: stdout byte for byte the data; stderr escaped', async () => {
    const run = await runHostile([], false)
    assert.equal(run.stdout.toString('utf8'), `${HOSTILE_DATA}\n`)
    assert.equal(run.stderr.toString('utf8'), HOSTILE_NOTICES.map((line) => `${line}\n`).join(''))
  })

  test('--json: the same escapes as on a terminal', async () => {
    const run = await runHostile(['--json'], false)
    assert.equal(run.stdout.toString('utf8'), `${HOSTILE_JSON}\n`)
    assert.deepEqual(JSON.parse(run.stdout.toString('utf8')), { type: `tick${OSC_TITLE}`, data: HOSTILE_DATA, id: `7${CLEAR}${CSI}` })
  })

  test('bidirectional formatting characters: data as sent, escaped in --json and on stderr', async () => {
    const plain = await runHostile([], false, BIDI_STREAM)
    assert.equal(plain.stdout.toString('utf8'), `${BIDI_DATA}\n`)
    assert.equal(plain.stderr.toString('utf8'), BIDI_NOTICES.map((line) => `${line}\n`).join(''))
    const json = await runHostile(['--json'], false, BIDI_STREAM)
    assert.equal(json.stdout.toString('utf8'), `${BIDI_JSON}\n`)
    assert.deepEqual(JSON.parse(json.stdout.toString('utf8')), { type: 't\u2066x\u2069', data: BIDI_DATA, id: '1\u202eevil' })
  })

  test('a refused status: the message on stderr is escaped all the same', async () => {
    const run = await runCli([rawUrl], { terminal: false })
    assert.equal(run.code, 1, run.stderr.toString())
    assert.equal(run.stdout.length, 0)
    assert.equal(run.stderr.toString('utf8'), `${REFUSED_MESSAGE}\n`)
  })
})

describe('a stdout nobody reads: the CLI stops reading the stream instead of queueing it', () => {
  // 12,000 events of 4 KiB (47 MiB). While the CLI's stdout is not read, the server must stall far below that (the
  // pipe, the socket buffers and a chunk's events are all that may be in flight); once it is read, every event
  // arrives, in order, and the CLI ends with the stream (--no-reconnect).
  const EVENTS = 12_000
  const line = (i) => `${String(i).padStart(6, '0')} ${'x'.repeat(4089)}`

  for (const mode of [[], ['--json'], ['--raw']]) {
    test(`${mode[0] ?? 'plain data'}: the server stalls while stdout is full, then every event arrives`, async () => {
      let sent = 0
      let ended = false
      const app = http.createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        let i = 0
        const pump = () => {
          while (i < EVENTS) {
            const event = `data: ${line(i++)}\n\n`
            sent += event.length
            if (!res.write(event)) return void res.once('drain', pump)
          }
          ended = true
          res.end()
        }
        pump()
      })
      await new Promise((resolve) => app.listen(0, '127.0.0.1', () => resolve(undefined)))
      const url = `http://127.0.0.1:${/** @type {net.AddressInfo} */ (app.address()).port}/`
      const child = spawn(process.execPath, [CLI, '--no-reconnect', '-s', ...mode, url], { stdio: ['ignore', 'pipe', 'pipe'] })
      /** @type {Buffer[]} */ const err = []
      child.stderr.on('data', (chunk) => err.push(chunk))
      try {
        // Not read yet: wait until the server has written nothing new for 1 s (stalled) or has written it all.
        const deadline = Date.now() + 20_000
        let last = -1
        let still = 0
        while (!ended && still < 10 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          // Nothing sent yet is the CLI still starting, not a stall.
          still = sent > 0 && sent === last ? still + 1 : 0
          last = sent
        }
        assert.ok(sent > 0, 'the CLI never connected')
        assert.ok(!ended, `the server wrote all ${(sent / 2 ** 20).toFixed(0)} MiB while the CLI's stdout was not read`)
        assert.ok(sent < 16 * 2 ** 20, `the server wrote ${(sent / 2 ** 20).toFixed(1)} MiB before stalling`)
        // Now read it: everything arrives, and the CLI ends with the stream.
        /** @type {Buffer[]} */ const out = []
        child.stdout.on('data', (chunk) => out.push(chunk))
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
        const [code, signal] = await once(child, 'close')
        clearTimeout(timer)
        assert.equal(signal, null, 'the CLI did not finish within 30 s once read')
        assert.equal(code, 0, Buffer.concat(err).toString())
        const text = Buffer.concat(out).toString('utf8')
        const expected = Array.from({ length: EVENTS }, (_, i) => line(i))
        if (mode[0] === '--raw') assert.equal(text, expected.map((data) => `data: ${data}\n\n`).join(''))
        else if (mode[0] === '--json') assert.equal(text, expected.map((data) => `${JSON.stringify({ type: 'message', data, id: '' })}\n`).join(''))
        else assert.equal(text, expected.map((data) => `${data}\n`).join(''))
      } finally {
        child.kill('SIGKILL')
        app.closeAllConnections()
        await new Promise((resolve) => app.close(() => resolve(undefined)))
      }
    })
  }
})
