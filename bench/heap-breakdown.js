// What an idle connection keeps on the heap, by object kind: heap snapshots before and after opening N sources
// (as in memory.js), aggregated by constructor / closure name, for the client and for a bare fetch; prints the
// per-connection difference. A tool for finding what to trim, not part of `npm run bench`.
//
//   node bench/heap-breakdown.js [--client ours] [--n 200] [--top 30]
import { getHeapSnapshot } from 'node:v8'
import { fileURLToPath } from 'node:url'
import { parseArgs, runJsonChild, startServer } from './lib.js'

const args = parseArgs()

async function snapshot() {
  for (let i = 0; i < 6; i++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const chunks = []
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk)
  const snap = JSON.parse(chunks.join(''))
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta
  const F = fields.length
  const iType = fields.indexOf('type')
  const iName = fields.indexOf('name')
  const iSize = fields.indexOf('self_size')
  const agg = new Map()
  const nodes = snap.nodes
  for (let i = 0; i < nodes.length; i += F) {
    const type = types[nodes[i + iType]]
    let name = snap.strings[nodes[i + iName]]
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(strings)'
    else if (type === 'number') name = '(heap numbers)'
    else if (type === 'code') name = '(code)'
    else if (name.length > 60) name = name.slice(0, 60) + '…'
    const key = `${type} ${name}`
    const a = agg.get(key) ?? { count: 0, size: 0 }
    a.count++
    a.size += nodes[i + iSize]
    agg.set(key, a)
  }
  return agg
}

async function worker() {
  const { byName } = await import('./clients/index.js')
  const memory = await import('./memory.js')
  const client = args.client === 'bare' ? memory.bareClient : byName[args.client]
  const n = Number(args.n ?? 200)
  const url = `${args.server}/idle`
  await client.load()
  for (const close of await memory.openMany(client, url, 20, 10_000)) close()
  await new Promise((resolve) => setTimeout(resolve, 100))
  const before = await snapshot()
  const closers = await memory.openMany(client, url, n, 30_000)
  const after = await snapshot()
  const diff = {}
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, size: 0 }
    const d = { count: (a.count - b.count) / n, size: (a.size - b.size) / n }
    if (Math.abs(d.size) >= 1) diff[key] = d
  }
  process.stdout.write(JSON.stringify({ diff }) + '\n')
  for (const close of closers) close()
  process.exit(0)
}

async function main() {
  const client = args.client ?? 'ours'
  const n = String(args.n ?? 200)
  const top = Number(args.top ?? 30)
  const server = await startServer()
  try {
    const run = (c) => runJsonChild(fileURLToPath(import.meta.url), ['--worker', '--client', c, '--server', server.url, '--n', n], { nodeFlags: ['--expose-gc'], timeoutMs: 120_000 })
    const bare = await run('bare')
    const mine = await run(client)
    if (bare.error || mine.error) throw new Error(bare.error || mine.error)
    const keys = new Set([...Object.keys(bare.diff), ...Object.keys(mine.diff)])
    const rows = [...keys].map((k) => {
      const b = bare.diff[k] ?? { count: 0, size: 0 }
      const m = mine.diff[k] ?? { count: 0, size: 0 }
      return { k, count: m.count - b.count, size: m.size - b.size, mine: m.size }
    })
    const total = rows.reduce((s, r) => s + r.size, 0)
    const totalMine = Object.values(mine.diff).reduce((s, r) => s + r.size, 0)
    const totalBare = Object.values(bare.diff).reduce((s, r) => s + r.size, 0)
    console.log(`${client}: ${(totalMine / 1024).toFixed(2)} KiB per connection in snapshot, bare fetch ${(totalBare / 1024).toFixed(2)} KiB, difference ${(total / 1024).toFixed(2)} KiB`)
    console.log(`\nper connection, ${client} minus bare fetch (self sizes; objects per connection):`)
    for (const r of rows.sort((a, b) => b.size - a.size).slice(0, top)) {
      console.log(`  ${r.size.toFixed(0).padStart(6)} B  ${r.count.toFixed(2).padStart(6)}×  ${r.k}`)
    }
  } finally {
    await server.close()
  }
}

if (args.worker) await worker()
else await main()
