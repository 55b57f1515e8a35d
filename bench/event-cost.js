// What one message event costs to create and dispatch, per Node line: the runtime's MessageEvent built from an init
// dictionary (what `eventsource` does), ours (src/message-event.ts), and a bare Event as the floor. Each is
// dispatched on an EventTarget with one listener that reads `type` and `data`, the way a handler does. No stream, no
// parser: the part of the token stream's cost that is the event itself.
//
//   node bench/event-cost.js [--quick]                  a table for every installed Node line (installs 22 and 24)
//   node bench/event-cost.js --worker [--quick]         one line: the Node running it (what the table spawns)
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { nodeLines } from './node-lines.js'
import { parseArgs, median, runJsonChild, fmt, importSource, ROOT } from './lib.js'

const KINDS = {
  native: 'MessageEvent(type, { data, origin, lastEventId })',
  ours: 'ours (src/message-event.ts)',
  event: 'Event(type), the floor',
}

async function worker(quick) {
  const { SourceMessageEvent } = await importSource(join(ROOT, 'src/message-event.ts'))
  const n = quick ? 20_000 : 200_000
  const data = '{"i":1,"choices":[{"delta":{"content":" token"}}]}'
  const origin = 'http://127.0.0.1:8080'
  const make = {
    native: () => new MessageEvent('message', { data, origin, lastEventId: '7' }),
    ours: () => new SourceMessageEvent('message', data, origin, '7'),
    event: () => new Event('message'),
  }
  // One target per kind, so each listener's call site stays monomorphic; the sum keeps the reads alive.
  let sum = 0
  const targets = {}
  for (const kind of Object.keys(make)) {
    targets[kind] = new EventTarget()
    targets[kind].addEventListener('message', (e) => {
      sum += e.type.length + (e.data?.length ?? 0)
    })
  }
  const times = {}
  // Rounds alternate the kinds; the first two are warm-up.
  for (let round = 0; round < 9; round++) {
    for (const [kind, create] of Object.entries(make)) {
      const target = targets[kind]
      const t0 = performance.now()
      for (let i = 0; i < n; i++) target.dispatchEvent(create())
      if (round >= 2) (times[kind] ??= []).push(performance.now() - t0)
    }
  }
  const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]))
  process.stdout.write(JSON.stringify({ node: process.versions.node, events: n, ms, sum }) + '\n')
}

export async function runEventCost({ quick = false, log = console.log } = {}) {
  const lines = []
  for (const line of await nodeLines()) {
    if (line.error) {
      lines.push({ node: line.version, error: line.error })
      continue
    }
    const res = await runJsonChild(fileURLToPath(import.meta.url), ['--worker', ...(quick ? ['--quick'] : [])], { execPath: line.bin, timeoutMs: 120_000 })
    lines.push(res.error ? { node: line.version, error: res.error } : res)
    if (res.ms) log(`  node ${res.node}: ${Object.entries(res.ms).map(([k, v]) => `${k}=${fmt.ms(v)}`).join('  ')}`)
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs()
  if (args.worker) await worker(!!args.quick)
  else console.log('\n' + eventCostTable(await runEventCost({ quick: !!args.quick })))
}
