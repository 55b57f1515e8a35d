// Chromium: events per second delivered to a handler by the native EventSource, by `eventsource` 5.x bundled for
// the browser (esbuild), and by ours (dist/fetch-eventsource.browser.js) — one page, the same token stream from
// the bench server (its own process), rounds alternating between clients after one warm-up round.
//
//   node bench/browser.js [--quick] [--rounds N]      prints a table, and a JSON line with --json
import { existsSync, mkdtempSync, copyFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { bundleText } from './bundle-size.js'
import { buildScenario } from './scenarios.js'
import { parseArgs, median, startServer, fmt } from './lib.js'

const require = createRequire(import.meta.url)
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const ourBrowser = fileURLToPath(new URL('../dist/fetch-eventsource.browser.js', import.meta.url))

const PAGE = `<!doctype html><meta charset="utf-8"><title>fetch-eventsource bench</title>
<script type="module">
import { createSink, verify, buildScenario } from './scenarios.js'
const s = buildScenario('tokens', new URL(location.href).searchParams.get('quick') === '1')
const libs = { native: globalThis.EventSource }
try { libs.eventsource = (await import('./eventsource.js')).EventSource } catch (e) { libs.eventsourceError = String(e) }
try { libs.ours = (await import('./ours.js')).FetchEventSource } catch (e) { libs.oursError = String(e) }
window.benchLibs = Object.keys(libs).filter((k) => typeof libs[k] === 'function')
// Warm-up runs verify by checksum, timed runs by exact comparison with the generated events (scenarios.js).
window.benchRun = (name, url, checksum) => new Promise((resolve, reject) => {
  globalThis.gc?.()
  const sink = createSink(s.expected, { checksum })
  const Ctor = libs[name]
  const t0 = performance.now()
  const es = new Ctor(url)
  const handler = (event) => sink.event(event.type, event.data)
  for (const type of s.types) type === 'message' ? (es.onmessage = handler) : es.addEventListener(type, handler)
  es.onerror = () => {
    const ms = performance.now() - t0
    const fatal = es.readyState === 2
    es.close()
    if (fatal) reject(new Error(name + ': error event with readyState CLOSED'))
    else resolve({ ms, count: sink.count, problem: verify(sink, s.expected, { checksum }) })
  }
})
window.benchReady = true
</script>`

export async function runBrowser({ quick = false, rounds = quick ? 1 : 5, log = console.log } = {}) {
  const title = 'Chromium: token stream delivered to a handler (same page, same stream)'
  if (!existsSync(CHROMIUM)) return { title, skipped: `${CHROMIUM} not found` }
  const { chromium } = await import('playwright-core')
  const dir = mkdtempSync(join(tmpdir(), 'fes-bench-'))
  const s = buildScenario('tokens', quick)
  let server
  let browser
  try {
    copyFileSync(fileURLToPath(new URL('./scenarios.js', import.meta.url)), join(dir, 'scenarios.js'))
    writeFileSync(join(dir, 'eventsource.js'), await bundleText(JSON.stringify('eventsource')))
    const clients = ['native', 'eventsource']
    if (existsSync(ourBrowser)) {
      copyFileSync(ourBrowser, join(dir, 'ours.js'))
      clients.unshift('ours')
    }
    writeFileSync(join(dir, 'page.html'), PAGE)
    server = await startServer({ staticDir: dir })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--js-flags=--expose-gc'],
    })
    const page = await browser.newPage()
    const pageErrors = []
    page.on('pageerror', (e) => pageErrors.push(String(e)))
    await page.goto(`${server.url}/static/page.html${quick ? '?quick=1' : ''}`)
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 10_000 })
    const loaded = await page.evaluate(() => window.benchLibs)
    const streamUrl = `${server.url}/stream/tokens${quick ? '?quick=1' : ''}`
    const runs = Object.fromEntries(clients.map((c) => [c, []]))
    const wrong = {}
    const errors = {}
    for (let r = 0; r <= rounds; r++) {
      const order = clients.map((_, i) => clients[(i + r) % clients.length])
      for (const name of order) {
        if (!loaded.includes(name)) {
          errors[name] = 'failed to load in the page'
          continue
        }
        try {
          const res = await page.evaluate(([n, u, c]) => window.benchRun(n, u, c), [name, streamUrl, r === 0])
          if (res.problem) wrong[name] ??= `${r === 0 ? 'checksum run' : 'exact run'}: ${res.problem}`
          if (r > 0) runs[name].push(res.ms) // round 0 warms up
          log(`  chromium ${r === 0 ? 'warm-up' : `r${r}`} ${name}: ${fmt.ms(res.ms)} ms`)
        } catch (err) {
          errors[name] = String(err.message || err).split('\n')[0]
          log(`  chromium ${r === 0 ? 'warm-up' : `r${r}`} ${name}: ${errors[name]}`)
        }
      }
    }
    const version = browser.version()
    const rows = {}
    const labels = { ours: 'fetch-eventsource (browser ESM)', native: 'native EventSource', eventsource: 'eventsource (esbuild bundle)' }
    for (const name of clients) {
      const ms = median(runs[name])
      rows[name] = {
        label: labels[name],
        version: name === 'eventsource' ? require('eventsource/package.json').version : name === 'native' ? version : undefined,
        rounds: runs[name],
        median: ms,
        eventsPerSecond: (s.expected.count / ms) * 1000,
        ok: !wrong[name] && !errors[name],
        wrong: wrong[name],
        error: errors[name],
      }
    }
    return { title, date: new Date().toISOString(), chromium: version, events: s.expected.count, bytes: s.bytes.length, rounds, clients: rows, pageErrors }
  } finally {
    await browser?.close()
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export function browserTable(b) {
  if (b.skipped) return `### ${b.title}\n\nskipped: ${b.skipped}`
  const ref = b.clients.ours
  const lines = [
    `### ${b.title}`,
    '',
    `Chromium ${b.chromium}; ${fmt.num(b.events)} events, ${(b.bytes / 2 ** 20).toFixed(1)} MiB over loopback HTTP; median of ${b.rounds} rounds after a warm-up round.`,
    '',
    '| client | median ms | best ms | events/s (median) | ours ÷ client (events/s) | verified |',
    '|---|---:|---:|---:|---:|---|',
  ]
  for (const row of Object.values(b.clients)) {
    const ratio = ref && Number.isFinite(ref.eventsPerSecond) ? ref.eventsPerSecond / row.eventsPerSecond : NaN
    lines.push(`| ${row.label}${row.version ? ` ${row.version}` : ''} | ${fmt.ms(row.median)} | ${fmt.ms(Math.min(...row.rounds))} | ${fmt.num(row.eventsPerSecond)} | ${fmt.ratio(ratio)} | ${row.error ? `error: ${row.error}` : row.wrong ? `**wrong**: ${row.wrong}` : 'yes'} |`)
  }
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs()
  const b = await runBrowser({ quick: !!args.quick, rounds: args.rounds ? Number(args.rounds) : undefined, log: args.json ? () => {} : console.log })
  if (args.json) process.stdout.write(JSON.stringify(b) + '\n')
  else console.log('\n' + browserTable(b))
}
