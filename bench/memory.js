// Heap per idle connection: N sources open on a loopback server (its own process) that sent one event and then
// holds the response, measured after GC, minus the same for N bare fetches each with a pending reader.read().
//
//   node bench/memory.js [--quick] [--rounds 3] [--n 1000]                 table for every client
//   node --expose-gc bench/memory.js --client ours --server URL --n 1000    one measurement (what run.js spawns)
import { fileURLToPath } from 'node:url'
import { byName, CLIENTS } from './clients/index.js'
import { parseArgs, median, runJsonChild, startServer, fmt } from './lib.js'

/** The baseline: a plain fetch whose body has delivered its first chunk and has a read() pending. */
export const bareClient = {
  name: 'bare',
  label: 'bare fetch + pending read()',
  available: () => true,
  version: () => process.versions.node,
  async load() {},
  open(url, o) {
    const controller = new AbortController()
    const held = {}
    ;(async () => {
      const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal })
      held.reader = response.body.getReader()
      await held.reader.read()
      o.onEvent('message', 'ready')
      held.pending = held.reader.read().catch(() => {})
    })().catch((err) => {
      if (!controller.signal.aborted) o.onFail(err)
    })
    return () => controller.abort()
  },
}

const settle = () => new Promise((resolve) => setImmediate(resolve))
async function fullGC() {
  for (let i = 0; i < 6; i++) {
    globalThis.gc()
    await settle()
  }
}

/** Opens n sources and resolves once every one has delivered its first event. */
export async function openMany(client, url, n, timeoutMs) {
  const closers = []
  const ready = []
  for (let i = 0; i < n; i++) {
    ready.push(
      new Promise((resolve, reject) => {
        let done = false
        closers.push(
          client.open(url, {
            types: ['message'],
            onEvent() {
              if (!done) {
                done = true
                resolve()
              }
            },
            onEnd: () => reject(new Error('idle stream ended')),
            onFail: reject,
          }),
        )
      }),
    )
  }
  let timer
  await Promise.race([
    Promise.all(ready),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not all ${n} sources opened in ${timeoutMs} ms`)), timeoutMs)
    }),
  ])
  clearTimeout(timer)
  return closers
}

async function worker(args) {
  const name = args.client
  const client = name === 'bare' ? bareClient : byName[name]
  const n = Number(args.n ?? 1000)
  const url = `${args.server}/idle`
  const out = (r) => process.stdout.write(JSON.stringify({ client: name, n, ...r }) + '\n')
  if (!client) return out({ error: `unknown client ${name}` })
  const available = client.available()
  if (available !== true) return out({ skipped: available })
  try {
    await client.load()
    // Warm up: load every lazily-required module (undici, the client's code paths) before the baseline.
    for (const close of await openMany(client, url, 20, 10_000)) close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    await fullGC()
    const before = process.memoryUsage().heapUsed
    const closers = await openMany(client, url, n, 30_000)
    await fullGC()
    const after = process.memoryUsage().heapUsed
    out({ label: client.label, version: client.version(), perConnection: (after - before) / n, before, after })
    for (const close of closers) close()
  } catch (err) {
    out({ error: String(err?.message || err) })
  }
  process.exit(0)
}

/**
 * Spawns one process per client per round (alternating order) against one shared server process.
 * @returns {Promise<object>} the `memory` section of results.json
 */
export async function runMemory({ quick = false, rounds = quick ? 1 : 3, n = quick ? 200 : 1000, clients, log = console.log } = {}) {
  const names = ['bare', ...(clients ?? CLIENTS.map((c) => c.name)).filter((c) => c !== 'drain' && c !== 'bare' && c !== 'parser-event')]
  const server = await startServer()
  const perRound = Object.fromEntries(names.map((c) => [c, []]))
  const info = {}
  try {
    for (let r = 0; r < rounds; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length])
      for (const name of order) {
        const res = await runJsonChild(
          fileURLToPath(import.meta.url),
          ['--client', name, '--server', server.url, '--n', String(n)],
          { nodeFlags: ['--expose-gc'], timeoutMs: 60_000 },
        )
        info[name] = { ...info[name], ...res }
        if (Number.isFinite(res.perConnection)) perRound[name].push(res.perConnection)
        log(`  memory r${r + 1} ${name}: ${res.perConnection ? fmt.kib(res.perConnection) : res.error || res.skipped}`)
      }
    }
  } finally {
    await server.close()
  }
  const baseline = median(perRound.bare)
  const rows = {}
  for (const name of names) {
    const per = median(perRound[name])
    rows[name] = {
      label: info[name]?.label ?? byName[name]?.label ?? name,
      version: info[name]?.version,
      rounds: perRound[name],
      perConnection: per,
      aboveBare: name === 'bare' ? 0 : per - baseline,
      error: Number.isFinite(per) ? undefined : info[name]?.error,
      skipped: info[name]?.skipped,
    }
  }
  return { title: `Heap per idle connection (${n} open sources, after GC)`, date: new Date().toISOString(), n, rounds, clients: rows }
}

export function memoryTable(m) {
  const lines = [
    `### ${m.title}`,
    '',
    '| client | heap / connection | above bare fetch |',
    '|---|---:|---:|',
  ]
  for (const [name, row] of Object.entries(m.clients)) {
    if (row.skipped) {
      lines.push(`| ${row.label} | skipped: ${row.skipped} | |`)
      continue
    }
    lines.push(`| ${row.label} | ${row.error ? `error: ${row.error}` : fmt.kib(row.perConnection)} | ${name === 'bare' ? '—' : fmt.kib(row.aboveBare)} |`)
  }
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs()
  if (args.client) await worker(args)
  else {
    const m = await runMemory({ quick: !!args.quick, rounds: args.rounds ? Number(args.rounds) : undefined, n: args.n ? Number(args.n) : undefined })
    console.log('\n' + memoryTable(m))
  }
}
