// `fetch-eventsource <url>`: curl for server-sent events, built on the library. Built by cli/rollup.cli.mjs into
// dist/cli.js (the package's `bin`), which imports the library by its package name, so the CLI runs exactly the
// published dist/index.js. Node 20+, Deno (`deno run -A npm:fetch-eventsource <url>`) and Bun (`bunx`).
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
// node:timers everywhere: Deno and Bun then give Node timers too (with unref()).
import { clearTimeout, setTimeout } from 'node:timers'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import {
  FetchEventSource,
  FetchEventSourceError,
  assertEventStream,
  type FetchEventSourceErrorEvent,
  type FetchEventSourceInit,
} from 'fetch-eventsource'

const NAME = 'fetch-eventsource'

/** Exit statuses, also listed in --help. */
const EXIT = { ok: 0, failure: 1, usage: 2, timeout: 28 } as const

const HELP = `Usage: ${NAME} [options] <url>

Connects to a server-sent events stream and prints its events as they arrive.
Reconnects like EventSource (with Last-Event-ID) when an accepted stream drops.

Options:
  -X, --method <method>        HTTP method (default GET, or POST when --data is given)
  -H, --header <name: value>   request header; repeat for more. Accept: text/event-stream is sent
                               unless you set Accept
  -d, --data <data>            request body, sent with every (re)connection; @file reads a file,
                               - (or @-) reads standard input. No Content-Type is added: set one with -H
      --last-event-id <id>     Last-Event-ID for the first request
      --last-event-id-in <header|query|both>
                               how the id travels: the Last-Event-ID header (default), a URL query
                               parameter (for servers that read it there; any id survives), or both
      --last-event-id-param <name>
                               the query parameter's name (default lastEventId); given alone, it
                               implies --last-event-id-in query
      --redirect <follow|error>
                               follow redirects (default), or refuse them: exit 1, and nothing is
                               sent to the redirect's target
      --json                   one JSON object per event and line: {"type","data","id"}
      --raw                    the response bytes exactly as received (comments, fields and all),
                               instead of parsed events: byte-exact, control characters included,
                               even on a terminal
      --max-buffer-size <n>    the most characters one line or event may buffer (default 16777216;
                               Infinity turns the limit off); beyond it: exit 1
      --no-reconnect           exit when the stream ends instead of reconnecting: status 0 if the
                               server finished the response, 1 if the connection was lost
      --timeout <seconds>      give up after this many seconds in all (connecting, streaming and
                               reconnecting included): exit 28
  -s, --silent                 no notices on stderr (reconnects, end of stream); errors still show
  -h, --help                   this help
  -V, --version                the version

Output: by default each event's data followed by a newline (use --json to see types and ids).
On a terminal, control characters in the data (C0 but tab, DEL, C1) and the bidirectional ones
(U+202E and its kin) are shown escaped, as \\x1b, \\u009b or \\u202e; the line breaks between a
multi-line event's lines stay. Piped, data is written as sent. --json escapes them always, U+2028
and U+2029 too. Notices and errors go to stderr, with the same characters always escaped. The
stream is read only as fast as stdout takes the output.

Exit status:
  0   the server ended the stream for good (204 No Content), or the stream ended with
      --no-reconnect, or interrupted (Ctrl-C / SIGINT, SIGTERM)
  1   failure: refused response (status other than 200 or 204, wrong content type), refused redirect
      (--redirect error), no connection on the first attempt, lost connection with --no-reconnect,
      buffer limit exceeded
  2   invalid arguments
  28  --timeout expired

Example:
  ${NAME} -X POST -H 'content-type: application/json' -d '{"prompt":"hi"}' --json http://localhost:8080/llm/stream
`

class UsageError extends Error {}

/**
 * C0 controls, DEL and C1 controls: what a terminal acts on instead of showing. ESC starts the sequences that
 * retitle the window (OSC 0), write the clipboard (OSC 52) or clear the screen (CSI 2J); U+009B is a CSI by itself;
 * a CR lets the next text overwrite the line. Tab is always shown as is, LF where it is a line of the output.
 *
 * And the bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069): invisible
 * themselves, they reorder the text around them, so a server could make "gnp.exe" read "exe.png", or swap two
 * numbers ("Trojan Source", CVE-2021-42574). Other invisible format characters stay: ZWJ joins emoji, and none of
 * them moves text.
 */
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
const CONTROLS_BUT_LF = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
/**
 * What JSON.stringify leaves raw but a reader of JSON lines should not meet: DEL, C1 and the bidirectional
 * characters act on a terminal, and U+2028/U+2029 end a line for readers that break lines there too (Python's
 * splitlines, editors).
 */
const JSON_RAW = /[\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

const hex = (code: number, digits: number): string => code.toString(16).padStart(digits, '0')
const unicodeEscape = (char: string): string => `\\u${hex(char.charCodeAt(0), 4)}`

/** `\x1b` for a C0 control or DEL (one byte), `\u009b` for a C1 control or `\u202e` for a bidi one (a code point). */
function controlEscape(char: string): string {
  const code = char.charCodeAt(0)
  return code < 0x80 ? `\\x${hex(code, 2)}` : unicodeEscape(char)
}

/** `text` with its control characters escaped; with `keepLineFeeds`, LFs stay line breaks. */
function escapeControls(text: string, keepLineFeeds = false): string {
  return text.replace(keepLineFeeds ? CONTROLS_BUT_LF : CONTROLS, controlEscape)
}

/** JSON.stringify, with every character escaped that it leaves raw and that a terminal or a line reader acts on. */
function toJsonLine(value: unknown): string {
  return JSON.stringify(value).replace(JSON_RAW, unicodeEscape)
}

/**
 * Writes a message to stderr, escaped whether or not stderr is a terminal: messages carry what the server sent
 * (status text, the start of a body, ids, header values), and a message is one line of text, never data.
 */
function printMessage(message: string, keepLineFeeds = false): void {
  process.stderr.write(`${NAME}: ${escapeControls(message, keepLineFeeds)}\n`)
}

/**
 * One event as output: its data and a newline, or a JSON line. Plain data goes out as sent when stdout is a pipe
 * (data is data), but to a terminal with its controls escaped: the LFs joining a multi-line event's data lines are
 * the output's own line breaks and stay, anything else (a CR included) is shown as an escape.
 */
function formatEvent(event: MessageEvent<string>, format: 'data' | 'json', terminal: boolean): string {
  if (format === 'json') return `${toJsonLine({ type: event.type, data: event.data, id: event.lastEventId })}\n`
  return `${terminal ? escapeControls(event.data, true) : event.data}\n`
}

type Format = 'data' | 'json' | 'raw'
type LastEventIdIn = NonNullable<FetchEventSourceInit['lastEventIdIn']>
type Redirect = NonNullable<FetchEventSourceInit['redirect']>

const LAST_EVENT_ID_IN: readonly LastEventIdIn[] = ['header', 'query', 'both']
const REDIRECT: readonly Redirect[] = ['follow', 'error']

interface CliOptions {
  url: string
  method: string | undefined
  headers: Array<[string, string]>
  /** `-d` as given: the literal data, `@file`, `-` or `@-`. */
  data: string | undefined
  lastEventId: string | undefined
  /** Left to the library's default ('header') when not given. */
  lastEventIdIn: LastEventIdIn | undefined
  lastEventIdParam: string | undefined
  redirect: Redirect
  format: Format
  maxBufferSize: number | undefined
  reconnect: boolean
  /** Milliseconds, or undefined for no limit. */
  timeout: number | undefined
  silent: boolean
}

const OPTIONS = {
  method: { type: 'string', short: 'X' },
  header: { type: 'string', short: 'H', multiple: true },
  data: { type: 'string', short: 'd' },
  'last-event-id': { type: 'string' },
  'last-event-id-in': { type: 'string' },
  'last-event-id-param': { type: 'string' },
  redirect: { type: 'string' },
  json: { type: 'boolean' },
  raw: { type: 'boolean' },
  'max-buffer-size': { type: 'string' },
  'no-reconnect': { type: 'boolean' },
  timeout: { type: 'string' },
  silent: { type: 'boolean', short: 's' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} satisfies ParseArgsConfig['options']

/** `value` if it is one of `allowed`, for the option named `option`; undefined stays undefined. */
function oneOf<T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined
  throw new UsageError(`--${option} expects ${allowed.join(', ').replace(/, (?=[^,]*$)/, ' or ')}, got ${JSON.stringify(value)}`)
}

/**
 * Where the id goes. A parameter name alone means the query; with `header` only, it would be silently unused, and
 * a user who names a parameter expects it sent.
 */
function lastEventIdPlace(place: string | undefined, param: string | undefined): LastEventIdIn | undefined {
  const checked = oneOf('last-event-id-in', place, LAST_EVENT_ID_IN)
  if (param === undefined) return checked
  if (param === '') throw new UsageError('--last-event-id-param expects a parameter name, got ""')
  if (checked === 'header') throw new UsageError('--last-event-id-param needs --last-event-id-in query or both, not header')
  return checked ?? 'query'
}

/** Parses argv (without the runtime and script). Returns 'help' or 'version' for those requests. */
function parseCommandLine(args: string[]): CliOptions | 'help' | 'version' {
  let parsed
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  if (values.help) return 'help'
  if (values.version) return 'version'
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'a URL is required' : `expected one URL, got ${positionals.length}: ${positionals.join(' ')}`)
  }
  if (values.json && values.raw) throw new UsageError('--json and --raw cannot be combined')

  const headers: Array<[string, string]> = []
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':')
    if (colon <= 0) throw new UsageError(`--header expects "Name: value", got ${JSON.stringify(header)}`)
    headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()])
  }

  let maxBufferSize: number | undefined
  if (values['max-buffer-size'] !== undefined) {
    const text = values['max-buffer-size']
    maxBufferSize = text === 'Infinity' ? Infinity : /^\d+$/.test(text) ? Number(text) : NaN
    if (!(maxBufferSize >= 1)) throw new UsageError(`--max-buffer-size expects a positive whole number or Infinity, got ${JSON.stringify(text)}`)
  }

  let timeout: number | undefined
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout)
    if (values.timeout.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
      throw new UsageError(`--timeout expects a positive number of seconds, got ${JSON.stringify(values.timeout)}`)
    }
    timeout = Math.round(seconds * 1000)
  }

  return {
    url: positionals[0]!,
    method: values.method,
    headers,
    data: values.data,
    lastEventId: values['last-event-id'],
    lastEventIdIn: lastEventIdPlace(values['last-event-id-in'], values['last-event-id-param']),
    lastEventIdParam: values['last-event-id-param'],
    redirect: oneOf('redirect', values.redirect, REDIRECT) ?? 'follow',
    format: values.json ? 'json' : values.raw ? 'raw' : 'data',
    maxBufferSize,
    reconnect: !values['no-reconnect'],
    timeout,
    silent: Boolean(values.silent),
  }
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk)
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/** The body for `-d`: read once, before connecting, and sent again with every reconnection. */
async function readData(data: string): Promise<Uint8Array<ArrayBuffer>> {
  if (data === '-' || data === '@-') return readAll(process.stdin)
  if (data.startsWith('@')) {
    const file = data.slice(1)
    try {
      return new Uint8Array(await readFile(file))
    } catch (error) {
      throw new UsageError(`cannot read --data file ${JSON.stringify(file)}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return new TextEncoder().encode(data)
}

/** Up to `limit` characters of a refused response's body, on one line, for the error message. */
async function bodySnippet(body: ReadableStream<Uint8Array> | null, limit = 200, waitMs = 1000): Promise<string> {
  if (body === null) return ''
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs)
  })
  try {
    while (text.length <= limit) {
      const result = await Promise.race([reader.read(), timeout])
      if (result === undefined || result.done) break
      text += decoder.decode(result.value, { stream: true })
    }
  } catch {
    // The body broke: show what arrived.
  } finally {
    clearTimeout(timer)
    reader.cancel().catch(() => {})
  }
  text = text.replace(/\s+/g, ' ').trim()
  return text.length > limit ? `${text.slice(0, limit)}…` : text
}

/** The library's message names its own option; the CLI's user set --redirect. */
function refusedRedirect(response: Response | undefined): string {
  if (response === undefined) return 'refused a redirect (--redirect error)'
  const location = response.headers.get('location')
  return `refused a ${response.status} redirect${location === null ? '' : ` to ${location}`} (--redirect error)`
}

/** What, once a stream has been open, is worth another attempt: the connection failing, not the server refusing. */
const RETRIED = new Set<FetchEventSourceErrorEvent['code']>(['network', 'connection-lost', 'stream-ended', 'heartbeat-timeout'])

/**
 * What has been handed to stdout and not yet taken by it, counted from each write's callback (which fires once the
 * chunk is written out, or with an error if it never will be). Node's `writableNeedDrain` would say the same, but
 * Bun keeps it false while megabytes wait, so the CLI counts for itself.
 */
let unflushed = 0
const UNFLUSHED_LIMIT = 64 * 1024
const waitingForRoom = new Set<() => void>()

/** Every write of the output goes through here, so that `stdoutRoom` knows what is still queued. */
function writeOut(chunk: string | Uint8Array): void {
  const size = chunk.length
  unflushed += size
  process.stdout.write(chunk, () => {
    unflushed -= size
    if (unflushed <= UNFLUSHED_LIMIT) for (const resume of waitingForRoom) resume()
  })
}

/**
 * Resolves once stdout has taken enough of what it was given, or at once if it has. Also on the request's abort
 * (the source closed while the output stalled: an EPIPE, --timeout, Ctrl-C), so nothing waits for ever.
 */
function stdoutRoom(signal: AbortSignal | null | undefined): Promise<void> | undefined {
  if (unflushed <= UNFLUSHED_LIMIT || signal?.aborted) return undefined
  return new Promise((resolve) => {
    const done = (): void => {
      waitingForRoom.delete(done)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    waitingForRoom.add(done)
    signal?.addEventListener('abort', done)
  })
}

/**
 * The fetch every mode uses: reads each response body one chunk at a time, and only while stdout keeps up. Writes to
 * a pipe nobody reads (`| slow-consumer`, a stalled terminal) queue in this process; without the wait, a fast server
 * would grow that queue without limit. With it, the CLI stops reading, TCP pushes back on the server, and what waits
 * is bounded: the limit, plus the events of the chunk or two read before the writes caught up (the check runs when
 * the next chunk is asked for, which can be before the loop has written the last one's events). For --raw it also
 * copies the body of every response `shouldCopy` accepts (asked per chunk, since the response is accepted only after
 * fetch resolves) to stdout: the bytes as received, before the parser.
 */
function pacedFetch(shouldCopy: ((response: Response) => boolean) | undefined): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init)
    const original = response.body
    if (original === null) return response
    const reader = original.getReader()
    const paced = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            await stdoutRoom(init?.signal)
            const { done, value } = await reader.read()
            if (done) {
              controller.close()
              return
            }
            if (shouldCopy?.(response)) writeOut(value)
            controller.enqueue(value)
          } catch (error) {
            controller.error(error)
          }
        },
        cancel(reason) {
          return reader.cancel(reason)
        },
      },
      { highWaterMark: 0 },
    )
    Object.defineProperty(response, 'body', { value: paced, configurable: true })
    return response
  }
}

/**
 * Streams one URL until it ends. Resolves with the exit status once the source is closed and every event
 * received has been written.
 */
async function run(options: CliOptions): Promise<number> {
  // Asked once: whether stdout is a terminal does not change while the stream runs.
  const terminal = process.stdout.isTTY === true
  const notice = (line: string): void => {
    if (!options.silent) printMessage(line)
  }
  const body = options.data === undefined ? undefined : await readData(options.data)
  const method = options.method ?? (body === undefined ? 'GET' : 'POST')

  /** Responses whose bytes --raw copies to stdout: only accepted ones (not an error page read for its message). */
  const accepted = new WeakSet<Response>()
  let everOpened = false
  let reconnecting = false

  const init: FetchEventSourceInit = {
    method,
    headers: options.headers,
    redirect: options.redirect,
    retry: {
      // Like curl, a first connection that fails is an error, not a reason to wait and retry; once a stream has
      // been open, a lost or ended connection is retried as EventSource does.
      shouldRetry: (error) => options.reconnect && everOpened && RETRIED.has(error.code),
    },
    onResponse: async (response) => {
      try {
        assertEventStream(response)
      } catch (error) {
        if (!(error instanceof FetchEventSourceError) || response.status === 204) throw error
        const snippet = await bodySnippet(response.body)
        throw new FetchEventSourceError({
          code: error.code,
          message: snippet ? `${error.message}: ${snippet}` : error.message,
          response,
          cause: error,
        })
      }
      accepted.add(response)
    },
  }
  init.fetch = pacedFetch(options.format === 'raw' ? (response) => accepted.has(response) : undefined)
  if (body !== undefined) init.body = body
  if (options.lastEventId !== undefined) init.lastEventId = options.lastEventId
  if (options.lastEventIdIn !== undefined) init.lastEventIdIn = options.lastEventIdIn
  if (options.lastEventIdParam !== undefined) init.lastEventIdParam = options.lastEventIdParam
  if (options.maxBufferSize !== undefined) init.maxBufferSize = options.maxBufferSize

  let source: FetchEventSource
  try {
    source = new FetchEventSource(options.url, init)
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }

  let timer: ReturnType<typeof setTimeout> | undefined
  let resolveStatus!: (status: number) => void
  const status = new Promise<number>((resolve) => {
    resolveStatus = resolve
  })
  let finished = false
  const onSignal = (): void => finish(EXIT.ok)
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    // A closed pipe (`| head`) is the reader saying it has seen enough.
    if (error.code === 'EPIPE') finish(EXIT.ok)
    else finish(EXIT.failure, `cannot write to stdout: ${error.message}`)
  }
  function finish(code: number, message?: string, isNotice = false): void {
    if (finished) return
    finished = true
    source.close()
    clearTimeout(timer)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    // The stdout error handler stays: events still buffered are written after this, maybe into a closed pipe.
    if (message !== undefined) {
      if (isNotice) notice(message)
      else printMessage(message)
    }
    resolveStatus(code)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.stdout.on('error', onStdoutError)
  if (options.timeout !== undefined) {
    const seconds = options.timeout / 1000
    timer = setTimeout(() => finish(EXIT.timeout, `timed out after ${seconds} s`), options.timeout)
  }

  source.addEventListener('open', () => {
    everOpened = true
    if (reconnecting) notice('reconnected')
    reconnecting = false
  })
  source.addEventListener('error', (event) => {
    const error = event as FetchEventSourceErrorEvent
    if (source.readyState === FetchEventSource.CLOSED) {
      if (error.code === 204) finish(EXIT.ok, 'the server ended the stream (204 No Content)', true)
      else finish(EXIT.failure, error.code === 'redirect' ? refusedRedirect(error.response) : error.message)
    } else if (source.readyState === FetchEventSource.CONNECTING) {
      if (!options.reconnect) {
        if (error.code === 'stream-ended') finish(EXIT.ok, 'the server ended the response', true)
        else finish(EXIT.failure, error.message)
        return
      }
      reconnecting = true
      const id = source.lastEventId
      notice(`${error.message}; reconnecting${id === '' ? '' : ` with Last-Event-ID ${JSON.stringify(id)}`}`)
    } else {
      notice(error.message)
    }
  })

  // The iterator yields every event type in arrival order and, after close(), whatever was still buffered.
  const printed = (async () => {
    try {
      for await (const event of source) {
        if (options.format !== 'raw') writeOut(formatEvent(event, options.format, terminal))
      }
    } catch {
      // A fatal failure ends the loop; the error listener has reported it.
    }
  })()
  const code = await status
  await printed
  return code
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

async function main(args: string[]): Promise<number> {
  try {
    const options = parseCommandLine(args)
    if (options === 'help') {
      process.stdout.write(HELP)
      return EXIT.ok
    }
    if (options === 'version') {
      process.stdout.write(`${version()}\n`)
      return EXIT.ok
    }
    return await run(options)
  } catch (error) {
    if (error instanceof UsageError) {
      printMessage(error.message)
      process.stderr.write(`Try '${NAME} --help' for more information.\n`)
      return EXIT.usage
    }
    printMessage(error instanceof Error ? (error.stack ?? error.message) : String(error), true)
    return EXIT.failure
  }
}

// The exit status is set, not forced: the process ends by itself once stdout has been flushed, since a closed
// source leaves nothing behind. The unref'd timer is only a backstop should something else linger.
process.exitCode = await main(process.argv.slice(2))
setTimeout(() => process.exit(), 2000).unref()
