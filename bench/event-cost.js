// What one message event costs to create and dispatch, per Node line: the runtime's MessageEvent built from an init
// dictionary (what `eventsource` does), ours (src/message-event.ts, bundled on the fly by esbuild), and a bare
// Event as the floor. Each is dispatched on an EventTarget with one listener that reads `type` and `data`, the
// way a handler does. No stream, no parser: the part of the token stream's cost that is the event itself.
//
//   node bench/event-cost.js [--quick]                  a table for every installed Node line (installs 22 and 24)
//   node bench/event-cost.js --worker [--quick]         one line: the Node running it (what the table spawns)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { RUNTIMES, ensureRuntime } from '../scripts/runtime-matrix.js'
import { parseArgs, median, runJsonChild, fmt, ROOT } from './lib.js'

const KINDS = {
  native: 'MessageEvent(type, { data, origin, lastEventId })',
  ours: 'ours (src/message-event.ts)',
  event: 'Event(type), the floor',
}

async function worker(quick) {
  const esbuild = await import('esbuild')
  const dir = mkdtempSync(join(tmpdir(), 'fes-event-'))
  const outfile = join(dir, 'message-event.mjs')
  let SourceMessageEvent
  try {
    await esbuild.build({ entryPoints: [join(ROOT, 'src/message-event.ts')], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile, logLevel: 'silent' })
    ;({ SourceMessageEvent } = await import(pathToFileURL(outfile).href))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const n = quick ? 20_000 : 200_000
  const data = '{"i":1,"choices":[{"delta":{"content":" token"}}]}'
  const origin = 'http://127.0.0.1:8080'
  const make = {
    native: () => new MessageEvent('message', { data, origin, lastEventId: '7' }),
    ours: () => new SourceMessageEvent('message', data, origin, '7'),
    event: () => new Event('message'),
  }
  const times = {}
  // Rounds alternate the kinds; each kind gets its own target so its listener's call site stays monomorphic.
  const targets = Object.fromEntries(Object.keys(make).map((k) => {
    const target = new EventTarget()
    let sink = 0
    target.addEventListener('message', (e) => {
      sink += e.type.length + (e.data?.length ?? 0)
    })
    return [k, { target, sink: () => sink }]
  }))
  for (let round = 0; round < 9; round++) {
    for (const kind of Object.keys(make)) {
      const create = make[kind]
      const { target } = targets[kind]
      const t0 = performance.now()
      for (let i = 0; i < n; i++) target.dispatchEvent(create())
      if (round >= 2) (times[kind] ??= []).push(performance.now() - t0)
    }
  }
  const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]))
  process.stdout.write(JSON.stringify({ node: process.versions.node, events: n, ms }) + '\n')
}

export async function runEventCost({ quick = false, log = console.log } = {}) {
  const lines = []
  for (const runtime of RUNTIMES.filter((r) => r.kind === 'node')) {
    try {
      const { bin } = await ensureRuntime(runtime)
      const res = await runJsonChild(fileURLToPath(import.meta.url), ['--worker', ...(quick ? ['--quick'] : [])], { execPath: bin, timeoutMs: 120_000 })
      lines.push(res.error ? { node: runtime.version, error: res.error } : res)
      if (res.ms) log(`  node ${res.node}: ${Object.entries(res.ms).map(([k, v]) => `${k}=${fmt.ms(v)}`).join('  ')}`)
    } catch (error) {
      lines.push({ node: runtime.version, error: String(error.message ?? error).split('\n')[0] })
    }
  }
  return { date: new Date().toISOString(), lines }
}

export function eventCostTable(res) {
  const out = [
    '### One message event: create and dispatch (no stream, no parser)',
    '',
    `ns per event, median of 7 rounds of ${fmt.num(res.lines.find((l) => l.events)?.events)} events, one listener reading \`type\` and \`data\`.`,
    '',
    `| Node | ${Object.values(KINDS).join(' | ')} | native ÷ ours |`,
    `|---|${Object.keys(KINDS).map(() => '---:').join('|')}|---:|`,
  ]
  for (const line of res.lines) {
    if (line.error) {
      out.push(`| ${line.node} | error: ${line.error} |`)
      continue
    }
    const ns = (k) => ((line.ms[k] * 1e6) / line.events).toFixed(0)
    out.push(`| ${line.node} | ${Object.keys(KINDS).map(ns).join(' | ')} | ${fmt.ratio(line.ms.native / line.ms.ours)} |`)
  }
  return out.join('\n')
}

const args = parseArgs()
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (args.worker) await worker(!!args.quick)
  else console.log('\n' + eventCostTable(await runEventCost({ quick: !!args.quick })))
}
