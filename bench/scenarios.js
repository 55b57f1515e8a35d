// Deterministic event streams and the checksum every client's output is verified against.
//
// Portable ESM (no node: imports, no Buffer): the Chromium page imports this file too, so the page folds events
// with exactly the same function as the Node processes.
//
// A scenario is generated from a seed, never stored: every process (client, server, page) rebuilds the same bytes.
// Its `expected` is computed from the events as *generated* (not by parsing the bytes), so a client is checked
// against the intended stream, not against another parser.

/** FNV-1a-like fold of one string into the running hash. Short strings by char code; long ones as UTF-8 words. */
const encoder = new TextEncoder()
let scratch = new Uint8Array(1 << 16)
let words = new Int32Array(scratch.buffer)

export function foldString(h, s) {
  const n = s.length
  if (n < 128) {
    h = Math.imul(h ^ n, 16777619)
    for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
    return h
  }
  // Long data (64 KiB events, the 8 MiB line): encode once into a scratch buffer and hash 32-bit words in two
  // lanes — about 5x faster than charCodeAt, so the handler stays a small share of the measured time.
  if (scratch.length < n * 3 + 8) {
    scratch = new Uint8Array(n * 3 + 8)
    words = new Int32Array(scratch.buffer)
  }
  const { written } = encoder.encodeInto(s, scratch)
  scratch[written] = scratch[written + 1] = scratch[written + 2] = scratch[written + 3] = 0
  const w = (written + 3) >> 2
  let a = h | 0
  let b = n | 0
  let i = 0
  for (; i + 1 < w; i += 2) {
    a = Math.imul(a ^ words[i], 16777619)
    b = Math.imul(b ^ words[i + 1], 16777619)
  }
  if (i < w) a = Math.imul(a ^ words[i], 16777619)
  return Math.imul(a ^ (b >>> 7) ^ written, -1640531535)
}

export const CHECKSUM_SEED = 0x811c9dc5 | 0

/**
 * What a client adapter's handler calls once per delivered event (from inside the client's public-API handler).
 * Two checks, both against the *generated* events:
 * - `checksum: true`: folds (type, data) into a hash — used on warm-up runs, compared with `expected.checksum`;
 * - otherwise exact comparison with the generated event at the same index — used on timed runs: stricter than a
 *   checksum and about half its cost, so the handler dilutes client differences less.
 * One function for both, so the client's call site stays monomorphic across warm-up and timed runs.
 */
export function createSink(expected, { checksum = false } = {}) {
  const types = expected?.types
  const datas = expected?.datas
  let count = 0
  let h = CHECKSUM_SEED
  let firstMismatch = -1
  let got
  function event(type, data) {
    const i = count++
    if (checksum) h = foldString(foldString(h, type), data)
    else if (type !== types[i] || data !== datas[i]) {
      if (firstMismatch === -1) {
        firstMismatch = i
        got = [type, String(data)]
      }
    }
  }
  return {
    event,
    get count() {
      return count
    },
    get checksum() {
      return h >>> 0
    },
    get firstMismatch() {
      return firstMismatch
    },
    get got() {
      return got
    },
  }
}

/** Compares a finished sink with the scenario; returns null when right, else a one-line reason. */
export function verify(sink, expected, { checksum = false } = {}) {
  const i = sink.firstMismatch
  let first = ''
  if (i !== -1) {
    // Show both strings around their first difference.
    const [type, got] = sink.got
    const want = expected.datas[i]
    let d = 0
    while (d < got.length && d < want.length && got.charCodeAt(d) === want.charCodeAt(d)) d++
    const at = (x) => JSON.stringify((d > 20 ? '…' : '') + x.slice(Math.max(0, d - 20), d + 20) + (x.length > d + 20 ? '…' : ''))
    first = `event ${i} is ${type} ${at(got)} (length ${got.length}), expected ${expected.types[i]} ${at(want)} (length ${want.length})`
  }
  if (sink.count !== expected.count) return `${sink.count} events, expected ${expected.count}${first ? `; ${first}` : ''}`
  if (checksum) {
    return sink.checksum === expected.checksum ? null : `checksum ${sink.checksum.toString(16)}, expected ${expected.checksum.toString(16)}`
  }
  return first || null
}

/** Seeded PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0
  return function next() {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// LLM-ish tokens, some with a leading space (the parser must strip exactly one space after `data:`; a JSON
// payload keeps the token's own space inside quotes), some multi-byte so chunk cuts split UTF-8 sequences.
const VOCAB = [
  ' the', ' of', ' and', ' to', ' a', ' in', ' is', ' that', ' for', ' it', ' as', ' with', ' was', ' on',
  ' model', ' stream', ' token', ' event', ' server', ' client', '.', ',', '\\n', ' café', ' naïve',
  ' 日本語', ' 😀', ' über', ' déjà', ' vu', ' SSE', ' fetch', ' response', ' chunk', ' data', ' JSON',
]

/**
 * The LLM token stream: ~60-byte `data:` events (OpenAI-style JSON deltas) with the features real streams have:
 * an `id:` every 1000 events, a `: keep-alive` comment block every 2000 (must NOT dispatch), a named
 * `event: progress` every 5000, and a final `data: [DONE]`.
 */
export function tokenEvents(n) {
  const next = rng(42)
  const parts = []
  const events = [] // [type, data] as the spec says they must be delivered
  for (let i = 0; i < n - 1; i++) {
    if (i % 1000 === 0) parts.push(`id: ${i}\n`)
    if (i % 2000 === 1) parts.push(': keep-alive\n\n')
    if (i % 5000 === 4999) {
      const data = `{"done":${i},"total":${n}}`
      parts.push(`event: progress\ndata: ${data}\n\n`)
      events.push(['progress', data])
      continue
    }
    const token = VOCAB[(next() * VOCAB.length) | 0]
    const data = `{"i":${i},"choices":[{"delta":{"content":"${token}"}}]}`
    parts.push(`data: ${data}\n\n`)
    events.push(['message', data])
  }
  parts.push('data: [DONE]\n\n')
  events.push(['message', '[DONE]'])
  return { text: parts.join(''), events, types: ['message', 'progress'] }
}

/** One `data:` line of `size` characters (ASCII with a Latin-1 `é` — two UTF-8 bytes — every 997 chars). */
function payload(size, seed) {
  const next = rng(seed)
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const block = []
  for (let i = 0; i < 4096; i++) block.push(i % 997 === 996 ? 'é' : alphabet[(next() * 64) | 0])
  const b = block.join('')
  return b.repeat(Math.ceil(size / b.length)).slice(0, size - 8) + String(seed).padStart(8, '0')
}

export function longLineEvents(size) {
  const data = payload(size, 7)
  return { text: `data: ${data}\n\n`, events: [['message', data]], types: ['message'] }
}

export function bigEvents(count, size) {
  const parts = []
  const events = []
  const base = payload(size, 9)
  for (let i = 0; i < count; i++) {
    // Same length, different content per event (a client returning a stale buffer must not pass).
    const data = String(i).padStart(8, '0') + base.slice(8)
    parts.push(`data: ${data}\n\n`)
    events.push(['message', data])
  }
  return { text: parts.join(''), events, types: ['message'] }
}

/** Chunk boundaries (offsets into the byte array, first 0, last bytes.length). */
export function fixedBounds(length, size) {
  const out = [0]
  for (let p = size; p < length; p += size) out.push(p)
  out.push(length)
  return out
}

export function irregularBounds(length, min, max, seed) {
  const next = rng(seed)
  const out = [0]
  let p = 0
  while (p < length) {
    p = Math.min(length, p + min + ((next() * (max - min + 1)) | 0))
    out.push(p)
  }
  return out
}

/**
 * Stream scenarios. `full` and `quick` sizes; the timed runs per process and rounds are set by the orchestrator.
 * `transport: 'memory'` = custom fetch returning a Response over a ReadableStream; 'http' = loopback server.
 */
export const SCENARIOS = {
  tokens: {
    title: 'Token stream, 16 KiB chunks (in memory)',
    transport: 'memory',
    build: (q) => tokenEvents(q ? 20_000 : 200_000),
    bounds: (len) => fixedBounds(len, 16 * 1024),
  },
  'tokens-irregular': {
    title: 'Token stream, irregular 1–64 B chunks (in memory)',
    transport: 'memory',
    build: (q) => tokenEvents(q ? 20_000 : 200_000),
    bounds: (len) => irregularBounds(len, 1, 64, 1234),
  },
  'long-line': {
    title: 'One 8 MiB data line, 64 B chunks (in memory)',
    quickTitle: 'One 1 MiB data line, 64 B chunks (in memory)',
    transport: 'memory',
    build: (q) => longLineEvents(q ? 1 << 20 : 8 << 20),
    bounds: (len) => fixedBounds(len, 64),
  },
  'big-events': {
    title: '1,000 events of 64 KiB, 16 KiB chunks (in memory)',
    quickTitle: '100 events of 64 KiB, 16 KiB chunks (in memory)',
    transport: 'memory',
    build: (q) => bigEvents(q ? 100 : 1000, 64 * 1024),
    bounds: (len) => fixedBounds(len, 16 * 1024),
  },
  'tokens-http': {
    title: 'Token stream over loopback HTTP (server in its own process)',
    transport: 'http',
    build: (q) => tokenEvents(q ? 20_000 : 200_000),
    // The server writes 16 KiB pieces with backpressure; what a read() returns is up to the TCP stack and undici.
    bounds: (len) => fixedBounds(len, 16 * 1024),
  },
}

/** Builds a scenario: its bytes, chunk bounds and expected count/checksum. */
export function buildScenario(name, quick) {
  const def = SCENARIOS[name]
  if (!def) throw new Error(`unknown scenario ${name}`)
  const { text, events, types } = def.build(quick)
  const bytes = encoder.encode(text)
  let h = CHECKSUM_SEED
  let dataChars = 0
  const eventTypes = new Array(events.length)
  const datas = new Array(events.length)
  for (let i = 0; i < events.length; i++) {
    const [type, data] = events[i]
    eventTypes[i] = type
    datas[i] = data
    h = foldString(foldString(h, type), data)
    dataChars += data.length
  }
  return {
    name,
    title: (quick && def.quickTitle) || def.title,
    transport: def.transport,
    bytes,
    bounds: def.bounds(bytes.length),
    types,
    textLength: text.length,
    expected: { count: events.length, checksum: h >>> 0, dataChars, types: eventTypes, datas },
  }
}
