// `npm run bench` — the whole benchmark: stream scenarios (one process per client per round, rounds alternating),
// memory, bundle size, Chromium, and the parser micro-benchmark (the wrapper against eventsource-parser alone).
//
//   node bench/run.js                    full run (~6–9 min on 2 cores); writes bench/results.json + bench/RESULTS.md
//   node bench/run.js --quick            smoke test (~2 min): small streams, 1 round; writes bench/results.quick.json
//   node bench/run.js --scenario tokens,memory     only those sections (merged into results.json / RESULTS.md)
//   options: --rounds N  --warmup N  --iters N  --clients a,b  --no-write  --render (RESULTS.md from results.json only)
//   sections: tokens tokens-irregular long-line big-events tokens-http node-lines event-cost memory bundle browser parser
//
// Exit code 1 when our client (or the floor/ceiling) fails verification or crashes; a wrong or crashing peer is
// reported in the table but does not fail the run. Targets are printed as met/missed; they never fail the run.
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SCENARIOS } from './scenarios.js'
import { CLIENTS, byName } from './clients/index.js'
import { parseArgs, median, runJsonChild, startServer, machine, fmt, BENCH_DIR } from './lib.js'
import { runMemory, memoryTable } from './memory.js'
import { runBundleSize, bundleTable } from './bundle-size.js'
import { browserTable } from './browser.js'
import { runParser, parserTable, ourParserSource } from './parser.js'
import { runNodeLines, nodeLinesTable } from './node-lines.js'
import { runEventCost, eventCostTable } from './event-cost.js'

const STREAMS = Object.keys(SCENARIOS)
/** The sections after the streams, each stored under its own key of results.json. */
const RESULT_KEYS = { 'node-lines': 'nodeLines', 'event-cost': 'eventCost', memory: 'memory', bundle: 'bundle', browser: 'browser', parser: 'parser' }
const SECTIONS = [...STREAMS, ...Object.keys(RESULT_KEYS)]

const args = parseArgs()
const quick = !!args.quick
const only = args.scenario ? String(args.scenario).split(',') : SECTIONS
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`unknown --scenario ${s}; one of ${SECTIONS.join(', ')}`)
const clientNames = args.clients ? String(args.clients).split(',') : CLIENTS.map((c) => c.name)
const rounds = Number(args.rounds ?? (quick ? 1 : 5))
const warmup = Number(args.warmup ?? 1)
const iters = Number(args.iters ?? (quick ? 2 : 3))
const timeoutMs = quick ? 20_000 : 30_000
const worker = fileURLToPath(new URL('./worker.js', import.meta.url))
const started = Date.now()

if (args.render) {
  // Re-render RESULTS.md from results.json (after changing the tables), without running anything.
  const saved = JSON.parse(readFileSync(`${BENCH_DIR}results.json`, 'utf8'))
  writeFileSync(`${BENCH_DIR}RESULTS.md`, render(saved))
  console.log(render(saved))
  process.exit(0)
}

const results = {
  machine: machine(),
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  settings: { rounds, warmup, iters, timeoutMs },
  streams: {},
}
const log = (...a) => console.log(...a)
if (quick) log('quick mode: a smoke test (small streams, 1 round): everything runs and is verified, but the timings are not representative')
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`

// ---- stream scenarios ------------------------------------------------------------------------------------------
const streamNames = STREAMS.filter((s) => only.includes(s))
if (streamNames.length) {
  const needsServer = streamNames.some((s) => SCENARIOS[s].transport === 'http')
  const server = needsServer ? await startServer() : null
  try {
    for (const sc of streamNames) {
      results.streams[sc] = { title: null, date: results.date, clients: Object.fromEntries(clientNames.map((c) => [c, { rounds: [], runs: [] }])) }
    }
    for (let r = 0; r < rounds; r++) {
      log(`round ${r + 1}/${rounds} (${elapsed()})`)
      for (const sc of streamNames) {
        const entry = results.streams[sc]
        // Rotate the order every round so no client always runs first (or right after the same neighbour).
        const order = clientNames.map((_, i) => clientNames[(i + r) % clientNames.length])
        const line = []
        for (const name of order) {
          const row = entry.clients[name]
          if (row.skipped || row.dnf) continue
          const res = await runJsonChild(
            worker,
            ['--client', name, '--scenario', sc, '--warmup', String(warmup), '--iters', String(iters), '--timeout', String(timeoutMs),
              ...(quick ? ['--quick'] : []), ...(server ? ['--server', server.url] : [])],
            { nodeFlags: ['--expose-gc', '--max-old-space-size=4096'], timeoutMs: timeoutMs + 5_000 },
          )
          if (res.skipped) {
            row.skipped = res.skipped
            continue
          }
          row.label = res.label ?? row.label
          if (row.version && res.version && res.version !== row.version) row.buildChanged = `${row.version} → ${res.version}`
          row.version = res.version ?? row.version
          if (res.expected) Object.assign(entry, { expected: res.expected, bytes: res.bytes, chunks: res.chunks })
          if (res.timeout) {
            row.dnf = `> ${timeoutMs / 1000} s (killed${res.times?.length ? ` after ${res.times.length} runs` : ''})`
            line.push(`${name}=DNF`)
            continue
          }
          if (res.error) {
            row.error = res.error
            line.push(`${name}=ERROR`)
            continue
          }
          row.runs.push(...res.times)
          row.rounds.push(median(res.times))
          row.cpuRounds = [...(row.cpuRounds ?? []), median(res.cpuTimes)]
          if (!res.ok) row.wrong = res.wrong
          line.push(`${name}=${fmt.ms(median(res.times))}${res.ok ? '' : '(wrong)'}`)
        }
        log(`  ${sc}: ${line.join('  ')}`)
      }
    }
  } finally {
    await server?.close()
  }
  for (const sc of streamNames) {
    const entry = results.streams[sc]
    entry.title = (quick && SCENARIOS[sc].quickTitle) || SCENARIOS[sc].title
    for (const [name, row] of Object.entries(entry.clients)) {
      row.label ??= byName[name]?.label ?? name
      row.median = median(row.rounds)
      row.cpu = median(row.cpuRounds ?? [])
      row.min = Math.min(...row.runs)
    }
  }
}

// ---- Node lines, event cost, memory, bundle, browser, parser ---------------------------------------------------
if (only.includes('node-lines')) {
  log(`token stream on every Node line (${elapsed()})`)
  results.nodeLines = await runNodeLines({ quick, log })
}
if (only.includes('event-cost')) {
  log(`one message event, created and dispatched, on every Node line (${elapsed()})`)
  results.eventCost = await runEventCost({ quick, log })
}
if (only.includes('memory')) {
  log(`memory (${elapsed()})`)
  results.memory = await runMemory({ quick, clients: clientNames, log })
}
if (only.includes('bundle')) {
  log(`bundle size (${elapsed()})`)
  results.bundle = await runBundleSize()
}
if (only.includes('browser')) {
  log(`chromium (${elapsed()})`)
  // Its own process: the Node side of playwright stays out of this one.
  const res = await runJsonChild(fileURLToPath(new URL('./browser.js', import.meta.url)), ['--json', ...(quick ? ['--quick'] : [])], { timeoutMs: 300_000 })
  results.browser = res.error ? { title: 'Chromium', error: res.error } : res
  if (res.clients) for (const [name, row] of Object.entries(res.clients)) log(`  ${name}: ${fmt.ms(row.median)} ms${row.error ? ` ${row.error}` : ''}`)
}
if (only.includes('parser')) {
  if (ourParserSource()) {
    log(`parser micro-benchmark (${elapsed()})`)
    results.parser = await runParser({ quick, rounds: quick ? 1 : 3, log })
  } else results.parser = { skipped: 'no src/parser.ts or src/event-stream-parser.ts' }
}
results.seconds = Math.round((Date.now() - started) / 1000)

// ---- tables and targets ----------------------------------------------------------------------------------------
function streamTable(sc, e) {
  const ref = e.clients.ours && Number.isFinite(e.clients.ours.median) ? 'ours' : 'parser'
  const lines = [
    `### ${e.title}`,
    '',
    e.expected
      ? `${fmt.num(e.expected.count)} event${e.expected.count === 1 ? '' : 's'}, ${(e.bytes / 2 ** 20).toFixed(2)} MiB${SCENARIOS[sc].transport === 'memory' ? ` in ${fmt.num(e.chunks)} chunks` : ''}; ` +
        `median of per-round medians (${e.rounds ?? ''} rounds × ${e.iters ?? ''} runs after ${e.warmup ?? ''} warm-up)`
      : '',
    '',
    `| client | version | median ms | min ms | CPU ms | MB/s | events/s | time ÷ ${ref} | verified |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  ]
  const refMs = e.clients[ref]?.median
  for (const [name, row] of Object.entries(e.clients)) {
    const note = (row.buildChanged ? `build changed during the run (${row.buildChanged}); ` : '') + (row.skipped ? `skipped: ${row.skipped}` : row.dnf ? `DNF ${row.dnf}` : row.error ? `error: ${row.error.slice(0, 120)}` : row.wrong ? `**wrong**: ${row.wrong}` : name === 'drain' ? 'yes (length)' : 'yes')
    const ms = row.median ?? NaN // NaN (did not finish) is stored as null in results.json
    const mbs = e.bytes && ms ? e.bytes / 1e6 / (ms / 1000) : NaN
    const eps = e.expected && ms && name !== 'drain' ? e.expected.count / (ms / 1000) : NaN
    lines.push(`| ${row.label}${name === 'ours' ? ' **(ours)**' : ''} | ${row.version ?? ''} | ${fmt.ms(ms)} | ${fmt.ms(row.min)} | ${fmt.ms(row.cpu)} | ${Number.isFinite(mbs) ? mbs.toFixed(0) : '—'} | ${fmt.num(eps)} | ${fmt.ratio(ms / refMs)} | ${note} |`)
  }
  return lines.join('\n')
}

// Each ratio twice: from medians (the headline) and from each client's best run (noise on a shared machine only ever
// adds time, so the best runs show what the code can do when the machine is quiet).
function evaluateTargets(res) {
  const t = []
  const ratio = (sc, num, den, key) => {
    const c = res.streams?.[sc]?.clients
    if (!c?.[num] || !c?.[den] || c[num].wrong || c[den].wrong) return NaN
    return c[num][key] / c[den][key]
  }
  const add = (target, value, best, pass, unit) =>
    t.push({ target, value, best, unit, pass: Number.isFinite(value) ? pass(value) : null, passBest: Number.isFinite(best) ? pass(best) : null })
  for (const sc of ['tokens', 'tokens-irregular', 'tokens-http']) {
    if (!res.streams?.[sc]) continue
    const note = sc === 'tokens' ? '' : ` (${sc})`
    add(`token stream${note}: ours ≥ 1.0× eventsource-client`, ratio(sc, 'eventsource-client', 'ours', 'median'), ratio(sc, 'eventsource-client', 'ours', 'min'), (v) => v >= 1.0)
    add(`token stream${note}: ours ≥ 2× eventsource`, ratio(sc, 'eventsource', 'ours', 'median'), ratio(sc, 'eventsource', 'ours', 'min'), (v) => v >= 2.0)
  }
  for (const line of res.nodeLines?.lines ?? []) {
    const c = line.clients
    // The run's own Node line already has its rows above, from the (longer) token stream section.
    if (line.error || !c.ours || c.ours.wrong || `v${line.version}` === res.machine?.node) continue
    const r = (peer) => (c[peer]?.wrong ? NaN : c[peer]?.median / c.ours.median)
    add(`token stream on Node ${line.version}: ours ≥ 1.0× eventsource-client`, r('eventsource-client'), NaN, (v) => v >= 1.0)
    add(`token stream on Node ${line.version}: ours ≥ 2× eventsource`, r('eventsource'), NaN, (v) => v >= 2.0)
  }
  // The hot path's limit on each Node line from 22 on: the parser floor (eventsource-parser fed from a reader loop) plus
  // what creating and dispatching one bare `Event` costs on that line (event-cost.js), once per event. A drop-in
  // EventSource cannot do without either; ours should stay within 1.25× their sum. Node 24 also has ratios to peers.
  for (const line of res.nodeLines?.lines ?? []) {
    const c = line.clients
    if (line.error || !c.ours || c.ours.wrong || Number(line.version.split('.')[0]) < 22) continue
    const cost = res.eventCost?.lines?.find((l) => l.node === line.version)
    const events = res.nodeLines.events
    if (cost && events && c.parser && !c.parser.wrong) {
      const limit = c.parser.median + (cost.ms.event / cost.events) * events
      add(`token stream on Node ${line.version}, in memory: ours ≤ 1.25× the limit (floor ${fmt.ms(c.parser.median)} + Event ${fmt.ms((cost.ms.event / cost.events) * events)} ms = ${fmt.ms(limit)} ms)`, c.ours.median / limit, NaN, (v) => v <= 1.25)
    }
    // The same limit measured instead of summed: a bare Event dispatched from the parser's callback, in the same
    // pipeline, costs more than in event-cost.js's tight loop (not profiled apart; presumably GC shared with the
    // parser's garbage, and caches shared with its callbacks).
    const measured = c['parser-event']
    if (measured && !measured.wrong && !measured.error) {
      add(`token stream on Node ${line.version}, in memory: ours ≤ 1.25× the limit measured (floor + bare Event, ${fmt.ms(measured.median)} ms)`, c.ours.median / measured.median, NaN, (v) => v <= 1.25)
    }
    if (line.version.startsWith('24.')) {
      const r = (peer) => (c[peer]?.wrong ? NaN : c[peer]?.median / c.ours.median)
      add(`token stream on Node ${line.version}, in memory: ours ≥ 3× eventsource`, r('eventsource'), NaN, (v) => v >= 3)
      add(`token stream on Node ${line.version}, in memory: ours ≥ 0.6× eventsource-client`, r('eventsource-client'), NaN, (v) => v >= 0.6)
      const h = line.http
      if (h?.ours && !h.ours.wrong && !h.ours.error) {
        const rh = (peer) => (h[peer]?.wrong || h[peer]?.error ? NaN : h[peer]?.median / h.ours.median)
        add(`token stream on Node ${line.version}, over loopback: ours ≥ 2× eventsource`, rh('eventsource'), NaN, (v) => v >= 2)
        add(`token stream on Node ${line.version}, over loopback: ours ≥ 0.75× eventsource-client`, rh('eventsource-client'), NaN, (v) => v >= 0.75)
      }
    }
  }
  if (res.streams?.['long-line']) {
    add(`${res.mode === 'quick' ? '1 MiB (quick)' : '8 MiB'} line: ours time ≤ 1.2× the parser floor's`, ratio('long-line', 'ours', 'parser', 'median'), ratio('long-line', 'ours', 'parser', 'min'), (v) => v <= 1.2)
  }
  if (res.memory) {
    add('heap per idle connection above bare fetch ≤ 2.5 KiB', res.memory.clients.ours?.aboveBare / 1024, NaN, (v) => v <= 2.5, 'KiB')
  }
  if (res.bundle?.clients?.ours?.gzip) {
    const b = res.bundle.clients
    add(`browser ESM min+gzip smaller than eventsource 5.x (${b.ours.gzip} B vs ${b.eventsource.gzip} B)`, b.ours.gzip / b.eventsource.gzip, NaN, (v) => v < 1)
    // The size budget of the issue that brought eventsource-parser 4 in. The core row says why no subpath export can
    // meet it: the build with every separable feature stubbed out is already over it.
    add('browser ESM min+gzip ≤ 5.8 KB', b.ours.gzip / 1000, NaN, (v) => v <= 5.8, 'KB')
    const core = res.bundle.features?.find((f) => f.core)
    if (core) add('the core alone (every separable feature stubbed; bundle-size.js) ≤ 5.8 KB', core.gzip / 1000, NaN, (v) => v <= 5.8, 'KB')
  }
  if (res.browser?.clients?.ours) {
    const c = res.browser.clients
    const best = (row) => Math.min(...(row.rounds ?? []))
    add('Chromium: ours ≥ 5× native EventSource (events/s)', c.native.median / c.ours.median, best(c.native) / best(c.ours), (v) => v >= 5)
    add('Chromium: ours ≥ 1.0× eventsource bundle (events/s)', c.eventsource.median / c.ours.median, best(c.eventsource) / best(c.ours), (v) => v >= 1)
  }
  return t
}

function targetsTable(targets, mode) {
  const lines = [
    mode === 'quick' ? '### Targets (quick mode: small streams, 1 round: NOT representative)' : '### Targets',
    '',
    'Speed ratios are the peer\'s time ÷ ours (> 1: ours is faster), except the floor row (ours ÷ floor). "best runs" uses each client\'s fastest run instead of its median.',
    '',
    '| target | value (medians) | met | value (best runs) | met |',
    '|---|---:|---|---:|---|',
  ]
  const v = (x, val) => (!Number.isFinite(val) ? '—' : x.unit ? `${val.toFixed(2)} ${x.unit}` : fmt.ratio(val))
  const met = (p) => (p === null ? '' : p ? 'yes' : '**no**')
  for (const x of targets) lines.push(`| ${x.target} | ${v(x, x.value)} | ${met(x.pass)} | ${v(x, x.best)} | ${met(x.passBest)} |`)
  return lines.join('\n')
}

for (const e of Object.values(results.streams)) Object.assign(e, { rounds, warmup, iters })

function render(res) {
  const m = res.machine
  const parts = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` (bench/run.js, ${res.mode} mode). Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}. ` +
      `Node ${m.node}. Last full run: ${res.date}${res.seconds ? ` (${res.seconds} s)` : ''}. Sections re-run alone since keep their own date.`,
    '',
    'Every client runs in its own process per round (rounds rotate the client order); a run is timed from constructing the ' +
      'client to its end-of-stream callback, and every run is verified against the generated events: warm-up runs by event count ' +
      'and a checksum of each event\'s type and data, timed runs by event count and exact comparison of every type and data ' +
      '(stricter than the checksum and cheaper, so the handler dilutes differences less). A wrong client keeps its time but is marked. ' +
      'Times are the median over rounds of each process\'s median run; "time ÷ ours" > 1 means that client is slower than ours; ' +
      'CPU ms includes V8\'s GC helper threads. The parser floor is eventsource-parser fed from a reader.read() loop with a streaming ' +
      'TextDecoder; the ceiling only reads and decodes the body. In memory = a custom fetch returning a Response over a ReadableStream ' +
      'that hands out one chunk per pull (no event-loop turn between reads).',
    '',
    targetsTable(evaluateTargets(res), res.mode),
  ]
  for (const [sc, e] of Object.entries(res.streams ?? {})) parts.push('', streamTable(sc, e), '', `<sub>${e.date}</sub>`)
  if (res.nodeLines) parts.push('', nodeLinesTable(res.nodeLines), '', `<sub>${res.nodeLines.date}</sub>`)
  if (res.eventCost) parts.push('', eventCostTable(res.eventCost), '', `<sub>${res.eventCost.date}</sub>`)
  if (res.memory) parts.push('', memoryTable(res.memory), '', `<sub>${res.memory.date}</sub>`)
  if (res.bundle) parts.push('', bundleTable(res.bundle), '', `<sub>${res.bundle.date}</sub>`)
  if (res.browser) parts.push('', res.browser.error ? `### Chromium\n\nerror: ${res.browser.error}` : browserTable(res.browser), '', `<sub>${res.browser.date ?? ''}</sub>`)
  if (res.parser && !res.parser.skipped) parts.push('', parserTable(res.parser), '', `<sub>${res.parser.date}</sub>`)
  return parts.join('\n') + '\n'
}

// ---- output ------------------------------------------------------------------------------------------------------
let merged = results
const jsonPath = `${BENCH_DIR}${quick ? 'results.quick.json' : 'results.json'}`
if (!quick && only !== SECTIONS && existsSync(jsonPath)) {
  // A partial run replaces only its own sections.
  try {
    const prev = JSON.parse(readFileSync(jsonPath, 'utf8'))
    // The header's date and duration stay the full run's: each section re-run alone carries its own date.
    merged = { ...prev, ...results, date: prev.date, seconds: prev.seconds, streams: { ...prev.streams, ...results.streams } }
    for (const [section, key] of Object.entries(RESULT_KEYS)) if (!only.includes(section)) merged[key] = prev[key]
  } catch {}
}
const md = render(merged)
console.log('\n' + render(results))
if (!args['no-write']) {
  writeFileSync(jsonPath, JSON.stringify(merged, null, 1) + '\n')
  if (!quick) writeFileSync(`${BENCH_DIR}RESULTS.md`, md)
  log(`wrote ${jsonPath.slice(BENCH_DIR.length - 6)}${quick ? '' : ' and bench/RESULTS.md'} (${elapsed()})`)
}

const mustPass = ['ours', 'parser', 'parser-event', 'drain']
const failed = Object.entries(results.streams).flatMap(([sc, e]) =>
  mustPass.filter((c) => e.clients[c] && (e.clients[c].wrong || e.clients[c].error)).map((c) => `${sc}/${c}: ${e.clients[c].wrong || e.clients[c].error}`))
if (failed.length) {
  console.error(`verification failed:\n  ${failed.join('\n  ')}`)
  process.exitCode = 1
}
