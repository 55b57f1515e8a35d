// The token stream on every supported Node line (20, 22, 24), in memory and over loopback HTTP (the bench server in
// its own process, on the system Node), same bytes, same worker, same verification.
//
// Why a section of its own: an EventTarget-based client pays for the runtime's Event and MessageEvent, and those
// differ by Node line (from 22 on, MessageEvent is undici's WebIDL class, several times slower to construct than
// Node 20's). A table from one Node version would hide that. The extra lines are installed from the npm registry
// into .runtimes/ by scripts/runtime-matrix.js, as for the test matrix.
//
//   node bench/node-lines.js [--quick] [--rounds 3]
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { RUNTIMES, ensureRuntime } from '../scripts/runtime-matrix.js'
import { parseArgs, median, runJsonChild, startServer, fmt } from './lib.js'

// `parser-event` is the limit measured: the floor plus one bare Event dispatched per message, in the same pipeline.
export const NODE_LINE_CLIENTS = ['ours', 'eventsource-client', 'eventsource', 'parser', 'parser-event']
/** results key → worker scenario */
export const NODE_LINE_SCENARIOS = { clients: 'tokens', http: 'tokens-http' }
const worker = fileURLToPath(new URL('./worker.js', import.meta.url))
const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * How results.json names a runtime binary: relative to the repository (`.runtimes/node22/...`), so the file reads
 * the same on every machine; a binary outside it (the system Node) by its command name.
 * @param {string} bin
 */
function recordedBin(bin) {
  const rel = path.relative(ROOT, bin)
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(bin) : rel.split(path.sep).join('/')
}

/**
 * Every Node line of the runtime matrix with its binary, installing the missing ones: `{ name, version, bin }`, or
 * `{ name, version, error }` for a line that could not be installed.
 */
export async function nodeLines() {
  const lines = []
  for (const runtime of RUNTIMES.filter((r) => r.kind === 'node')) {
    try {
      const { bin, version } = await ensureRuntime(runtime)
      lines.push({ name: runtime.name, version, bin })
    } catch (error) {
      lines.push({ name: runtime.name, version: runtime.version, error: String(error.message ?? error).split('\n')[0] })
    }
  }
  return lines
}

/**
 * Median ms per Node line and client on the token stream, in memory (`clients`) and over loopback (`http`); rounds
 * alternate lines and clients.
 */
export async function runNodeLines({ quick = false, rounds = quick ? 1 : 3, log = console.log } = {}) {
  const empty = () => Object.fromEntries(NODE_LINE_CLIENTS.map((c) => [c, { rounds: [] }]))
  const lines = (await nodeLines()).map((line) => ({ ...line, clients: line.error ? {} : empty(), http: line.error ? {} : empty() }))
  const server = await startServer()
  /** The events of one run, from the worker (every client gets the same stream). */
  let events
  try {
    for (let r = 0; r < rounds; r++) {
      for (const line of lines.filter((l) => !l.error)) {
        const order = NODE_LINE_CLIENTS.map((_, i) => NODE_LINE_CLIENTS[(i + r) % NODE_LINE_CLIENTS.length])
        for (const [key, scenario] of Object.entries(NODE_LINE_SCENARIOS)) {
          const out = []
          for (const name of order) {
            const row = line[key][name]
            const res = await runJsonChild(
              worker,
              ['--client', name, '--scenario', scenario, '--warmup', '1', '--iters', quick ? '2' : '3', '--timeout', '30000', '--server', server.url, ...(quick ? ['--quick'] : [])],
              { nodeFlags: ['--expose-gc', '--max-old-space-size=4096'], timeoutMs: 35_000, execPath: line.bin },
            )
            if (res.error || res.timeout || res.skipped) {
              row.error = res.error ?? res.skipped ?? 'timed out'
              out.push(`${name}=ERROR`)
              continue
            }
            if (!res.ok) row.wrong = res.wrong
            events ??= res.expected?.count
            row.version = res.version
            row.rounds.push(median(res.times))
            out.push(`${name}=${fmt.ms(median(res.times))}${res.ok ? '' : '(wrong)'}`)
          }
          log(`  node ${line.version} ${scenario}: ${out.join('  ')}`)
        }
      }
    }
  } finally {
    await server.close()
  }
  for (const line of lines) for (const row of [...Object.values(line.clients), ...Object.values(line.http)]) row.median = median(row.rounds)
  const recorded = lines.map((line) => (line.bin ? { ...line, bin: recordedBin(line.bin) } : line))
  return { date: new Date().toISOString(), quick, rounds, events, lines: recorded }
}

export function nodeLinesTable(res) {
  const LABELS = { parser: 'parser floor', 'parser-event': 'floor + bare Event (limit, measured)' }
  const head = NODE_LINE_CLIENTS.map((c) => LABELS[c] ?? c)
  const out = []
  for (const [key, title] of [['clients', 'in memory'], ['http', 'over loopback HTTP']]) {
    // Results from before the loopback rows have none.
    if (!res.lines.some((line) => line[key])) continue
    if (out.length) out.push('')
    out.push(
      `### Token stream on every Node line (${title})`,
      '',
      `${fmt.num(res.events)} events in 16 KiB chunks${res.quick ? ' (quick)' : ''}; median ms of ${res.rounds} round(s) × 3 runs; ratios are the peer's time ÷ ours (> 1: ours is faster).`,
      '',
      `| Node | ${head.join(' | ')} | eventsource-client ÷ ours | eventsource ÷ ours |`,
      `|---|${head.map(() => '---:').join('|')}|---:|---:|`,
    )
    for (const line of res.lines) {
      if (line.error) {
        out.push(`| ${line.version} | not installed: ${line.error} |`)
        continue
      }
      const c = line[key]
      // Results from before a client joined the section have no cell for it.
      const cell = (name) => (c[name] === undefined ? '—' : c[name].error ? 'error' : `${fmt.ms(c[name].median)}${c[name].wrong ? ' (wrong)' : ''}`)
      const ratio = (name) => (c[name].wrong || c.ours.wrong ? '—' : fmt.ratio(c[name].median / c.ours.median))
      out.push(`| ${line.version} | ${NODE_LINE_CLIENTS.map(cell).join(' | ')} | ${ratio('eventsource-client')} | ${ratio('eventsource')} |`)
    }
  }
  return out.join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs()
  const res = await runNodeLines({ quick: !!args.quick, rounds: args.rounds ? Number(args.rounds) : undefined })
  console.log('\n' + nodeLinesTable(res))
}
