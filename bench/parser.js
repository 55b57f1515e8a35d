// Parser-level micro-benchmark: the project's parser (src/event-stream-parser.ts, bundled on the fly by esbuild to a
// temp file: eventsource-parser 4.1.3 inside the wrapper that keeps the source's promises) against eventsource-parser
// alone, the same patched 4.1.3 the build ships (patches/): what the wrapper costs. On the in-memory scenarios'
// chunks already decoded to text: only `feed()` and the event callback are timed. Each parser in its own process,
// rounds alternating.
//
//   node bench/parser.js [--quick] [--rounds N]
//   node --expose-gc bench/parser.js --parser ours --scenario tokens   (one process; what the table spawns)
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { buildScenario, createSink, verify } from './scenarios.js'
import { parseArgs, median, runJsonChild, fmt, importSource, ROOT } from './lib.js'

const require = createRequire(import.meta.url)
export const OUR_PARSER_SOURCES = ['src/parser.ts', 'src/event-stream-parser.ts'].map((p) => join(ROOT, p))
export const ourParserSource = () => OUR_PARSER_SOURCES.find((p) => existsSync(p))
const PARSER_SCENARIOS = ['tokens', 'tokens-irregular', 'long-line', 'big-events']

const PARSERS = {
  ours: {
    label: 'ours (wrapper + eventsource-parser)',
    available: () => !!ourParserSource() || 'no src/parser.ts or src/event-stream-parser.ts',
    version: () => ourParserSource().slice(ROOT.length),
    async make(onEvent) {
      const mod = await importSource(ourParserSource())
      if (mod.EventStreamParser) {
        const sink = { onEvent: (type, data) => onEvent(type, data), onRetry() {}, onOverflow() { throw new Error('overflow') } }
        const p = new mod.EventStreamParser(sink, Infinity)
        p.reset?.('')
        return (chunk) => p.feed(chunk)
      }
      if (mod.createParser) {
        const p = mod.createParser({ onEvent: (e) => onEvent(e.event || e.type || 'message', e.data) })
        return (chunk) => p.feed(chunk)
      }
      throw new Error(`unknown parser API: exports ${Object.keys(mod).join(', ')}`)
    },
  },
  'eventsource-parser': {
    label: 'eventsource-parser (alone)',
    available: () => true,
    version: () => require('eventsource-parser/package.json').version,
    async make(onEvent) {
      const { createParser } = await import('eventsource-parser')
      const p = createParser({ onEvent: (e) => onEvent(e.event || 'message', e.data) })
      return (chunk) => p.feed(chunk)
    },
  },
}

async function worker(args) {
  const name = args.parser
  const out = (r) => process.stdout.write(JSON.stringify({ parser: name, scenario: args.scenario, ...r }) + '\n')
  const def = PARSERS[name]
  if (!def) return out({ error: `unknown parser ${name}` })
  const available = def.available()
  if (available !== true) return out({ skipped: available })
  const s = buildScenario(args.scenario, !!args.quick)
  const decoder = new TextDecoder()
  const chunks = []
  for (let i = 0; i + 1 < s.bounds.length; i++) chunks.push(decoder.decode(s.bytes.subarray(s.bounds[i], s.bounds[i + 1]), { stream: true }))
  const times = []
  let wrong
  const warmup = Number(args.warmup ?? 2)
  const iters = Number(args.iters ?? 5)
  for (let i = 0; i < warmup + iters; i++) {
    const checksum = i < warmup // warm-ups verify by checksum, timed runs by exact comparison
    const sink = createSink(s.expected, { checksum })
    const feed = await def.make(sink.event) // a fresh parser per run, created outside the timed region
    globalThis.gc?.()
    const t0 = performance.now()
    for (let c = 0; c < chunks.length; c++) feed(chunks[c])
    const ms = performance.now() - t0
    wrong ??= verify(sink, s.expected, { checksum }) ?? undefined
    if (i >= warmup) times.push(ms)
  }
  out({ label: def.label, version: def.version(), times, ok: !wrong, wrong })
}

export async function runParser({ quick = false, rounds = quick ? 1 : 5, log = console.log } = {}) {
  const names = Object.keys(PARSERS)
  const result = { title: 'Parser alone: feed() of pre-decoded chunks (no fetch, no streams, no Event objects)', date: new Date().toISOString(), rounds, scenarios: {} }
  const script = fileURLToPath(import.meta.url)
  for (const sc of PARSER_SCENARIOS) result.scenarios[sc] = { title: buildTitle(sc, quick), clients: Object.fromEntries(names.map((n) => [n, { label: PARSERS[n].label, rounds: [] }])) }
  for (let r = 0; r < rounds; r++) {
    for (const sc of PARSER_SCENARIOS) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + r) % names.length]
        const res = await runJsonChild(script, ['--parser', name, '--scenario', sc, ...(quick ? ['--quick'] : [])], { nodeFlags: ['--expose-gc'], timeoutMs: 60_000 })
        const row = result.scenarios[sc].clients[name]
        Object.assign(row, { version: res.version ?? row.version, skipped: res.skipped, error: res.error, wrong: res.wrong ?? row.wrong })
        if (res.times) row.rounds.push(median(res.times))
        log(`  parser r${r + 1} ${sc} ${name}: ${res.times ? `${fmt.ms(median(res.times))} ms` : res.skipped || res.error}${res.wrong ? ' WRONG' : ''}`)
      }
    }
  }
  for (const sc of Object.values(result.scenarios)) for (const row of Object.values(sc.clients)) row.median = median(row.rounds)
  return result
}

function buildTitle(sc, quick) {
  // The title without building the bytes.
  return { tokens: 'token stream, 16 KiB chunks', 'tokens-irregular': 'token stream, 1–64 B chunks', 'long-line': `one ${quick ? 1 : 8} MiB line, 64 B chunks`, 'big-events': `${quick ? 100 : '1,000'} × 64 KiB events` }[sc]
}

export function parserTable(p) {
  const lines = [`### ${p.title}`, '', `Median of ${p.rounds} rounds (each: median of 5 runs after 2 warm-ups). ratio = eventsource-parser time ÷ ours: what the wrapper leaves of the parser's speed.`, '', '| scenario | ours (wrapper + parser) | eventsource-parser alone | ratio |', '|---|---:|---:|---:|']
  const v = (row) => (row.skipped ? 'skipped' : row.error ? 'error' : `${fmt.ms(row.median)} ms${row.wrong ? ' **wrong**' : ''}`)
  for (const sc of Object.values(p.scenarios)) {
    const c = sc.clients
    lines.push(`| ${sc.title} | ${v(c.ours)} | ${v(c['eventsource-parser'])} | ${fmt.ratio(c['eventsource-parser'].median / c.ours.median)} |`)
  }
  const any = Object.values(p.scenarios)[0]?.clients
  if (any) lines.push('', `Versions: ours = ${any.ours.version ?? '—'}, eventsource-parser ${any['eventsource-parser'].version ?? '—'} (patched as the build ships it, in both).`)
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs()
  if (args.parser) await worker(args)
  else console.log('\n' + parserTable(await runParser({ quick: !!args.quick, rounds: args.rounds ? Number(args.rounds) : undefined })))
}
