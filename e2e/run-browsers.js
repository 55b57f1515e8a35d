#!/usr/bin/env node
// Runs the shared conformance registry (test/cases/) and the differential suite (e2e/browsers/differential.js)
// in Chromium, Firefox ESR and WebKitGTK, one engine after the other, against the scripted test server.
//
//   node e2e/run-browsers.js                         all engines, both suites, writes e2e/browsers/DIFFERENTIAL.md
//   node e2e/run-browsers.js chromium webkit         some engines (DIFFERENTIAL.md is only rewritten with --md)
//   node e2e/run-browsers.js --suite=differential --only=bom,crlf --verbose
// Options: --suite=cases|differential|all  --only=substr[,substr]  --md[=path] / --no-md  --verbose  --json=path (raw results)
// Exit status: 0 when every case passed in every engine and every differential case matched; 1 otherwise
// (a missing browser is a failure naming the Debian package to install, never a skip).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { drivers, engines as allEngines, MissingBrowserError } from './browsers/drivers/index.js'
import { compactAll, compareCase, differentialCases } from './browsers/differential.js'
import { knownFailures } from './browsers/known-failures.js'
import { parseArgs } from '../dist/support.js'
import { startTestServer } from '../dist/testing.js'

process.stdout.on('error', () => {}) // a closed pipe (| head) must not crash the run before clean-up
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// Valued options are written --name=value here, so every bare option is a flag and the engines stay positionals.
const args = parseArgs(process.argv.slice(2), { flags: ['suite', 'only', 'verbose', 'md', 'no-md'] })
const opt = (/** @type {string} */ name) => /** @type {string | boolean | undefined} */ (args[name])
const requested = args._
const engines = requested.length ? requested : (process.env.BROWSERS?.split(',').filter(Boolean) ?? allEngines)
const suiteOpt = String(opt('suite') ?? 'all')
const suites = suiteOpt === 'all' ? ['cases', 'differential'] : [suiteOpt]
const only = typeof opt('only') === 'string' ? String(opt('only')) : ''
const verbose = Boolean(opt('verbose'))
const fullRun = !requested.length && !process.env.BROWSERS && suiteOpt === 'all' && !only
const mdOpt = opt('md')
const mdPath = opt('no-md') ? undefined : typeof mdOpt === 'string' ? mdOpt : mdOpt || fullRun ? join(root, 'e2e/browsers/DIFFERENTIAL.md') : undefined

const BUDGET = { cases: 300_000, differential: 240_000 } // per engine, enforced in the page; Node adds a margin (generous: a loaded 2-core machine runs Firefox's cases in over 150 s)
const LAUNCH_MS = 45_000

for (const e of engines) {
  if (!drivers[e]) {
    console.error(`unknown engine "${e}" (known: ${allEngines.join(', ')})`)
    process.exit(2)
  }
}
for (const s of suites) {
  if (s !== 'cases' && s !== 'differential') {
    console.error(`unknown suite "${s}" (cases, differential or all)`)
    process.exit(2)
  }
}
const needed = [['dist/fetch-eventsource.browser.js', 'run `npm run build` first']]
if (suites.includes('cases')) needed.push(['test/cases/index.js', 'the shared case registry is missing'], ['test/cases/harness.js', 'the shared harness is missing'])
const missing = needed.filter(([f]) => !existsSync(join(root, f)))
if (missing.length) {
  for (const [f, why] of missing) console.error(`${f} not found: ${why}`)
  process.exit(1)
}

const server = await startTestServer({
  port: 0,
  host: '127.0.0.1',
  staticRoots: { '/dist/': join(root, 'dist'), '/test/': join(root, 'test'), '/e2e/': join(root, 'e2e') },
})

/** @type {Array<{ engine: string, version?: string, userAgent?: string, problems: string[], cases?: any, differential?: any[], comparisons?: any[], casesSummary?: any, logs?: string[] }>} */
const reports = []
let failed = false
const stamp = Date.now().toString(36)
const tStart = Date.now()

/** @type {import('./browsers/drivers/index.js').BrowserSession | undefined} */
let current
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(sig, async () => {
    console.error(`\n${sig}: closing the browser and the server`)
    await current?.close().catch(() => {})
    await server.close().catch(() => {})
    process.exit(130)
  })
}

/** @param {string} runId */
async function progressOf(runId) {
  const res = await fetch(`${server.url}/results/${runId}-progress`).catch(() => undefined)
  return res?.ok ? res.json() : undefined
}

try {
  for (const engine of engines) {
    /** @type {(typeof reports)[number]} */
    const report = { engine, problems: [] }
    reports.push(report)
    const t0 = Date.now()
    let session
    try {
      session = current = await drivers[engine].launch({ timeoutMs: LAUNCH_MS })
      report.version = session.version
      for (const suite of suites) {
        const runId = `${engine}-${suite}-${stamp}`
        const q = new URLSearchParams({ suite, run: runId, engine, budget: String(BUDGET[suite]) })
        if (only) q.set('only', only)
        const waiting = server.waitForResults(runId, BUDGET[suite] + 30_000)
        waiting.catch(() => {})
        try {
          await session.goto(`${server.url}/e2e/browsers/runner.html?${q}`)
          const posted = /** @type {any} */ (await waiting)
          report.userAgent = posted.userAgent
          if (posted.fatal) report.problems.push(`${suite}: the page could not run: ${posted.fatal}`)
          if (posted.pageErrors?.length) report.problems.push(`${suite}: page errors:\n    ${posted.pageErrors.join('\n    ')}`)
          if (suite === 'cases') report.cases = posted
          else report.differential = posted.differential
        } catch (e) {
          const progress = await progressOf(runId)
          report.problems.push(
            `${suite}: ${e instanceof Error ? e.message : e}` +
              (progress ? ` (progress: ${progress.done} done, ${progress.current ? `running "${progress.current}"` : `last "${progress.last}"`})` : ''),
          )
        }
      }
    } catch (e) {
      report.problems.push(e instanceof MissingBrowserError ? e.message : `${engine}: ${e instanceof Error ? e.stack ?? e.message : e}`)
    } finally {
      if (session) {
        if (verbose || report.problems.length) report.logs = session.logs.slice(-60)
        await session.close()
        current = undefined
      }
    }
    printEngine(report, Date.now() - t0)
  }
} finally {
  await server.close()
}

const jsonOpt = opt('json')
if (typeof jsonOpt === 'string') {
  writeFileSync(jsonOpt, JSON.stringify(reports, null, 1))
  console.log(`\nwrote ${jsonOpt}`)
}
if (mdPath) {
  writeFileSync(mdPath, markdown())
  console.log(`\nwrote ${relative(process.cwd(), mdPath)}`)
}
console.log(`\n${failed ? 'FAILED' : 'all passed'} (${((Date.now() - tStart) / 1000).toFixed(1)} s)`)
process.exitCode = failed ? 1 : 0

// ---------------------------------------------------------------------------------------------------

/** @param {string} engine @param {string} name @param {string} assertion */
function knownReason(engine, name, assertion) {
  return knownFailures.find((k) => k.engine === engine && k.name === name && k.assertion === assertion)?.reason ?? '(no reason listed)'
}

/** @param {any} report @param {number} ms */
function printEngine(report, ms) {
  const name = report.engine
  const parts = []
  if (report.cases) {
    const results = report.cases.results ?? []
    // A case with a known assertion failing ran to its end otherwise: it counts as known, not as passed. Any other
    // failure in it fails it, known assertions or not.
    for (const r of results) {
      r.knownHits = r.known ?? []
      r.known = r.knownHits.length ? r.knownHits.map((/** @type {any} */ h) => `"${h.assertion}": ${knownReason(name, r.name, h.assertion)}`).join(' ') : undefined
    }
    const pass = results.filter((/** @type {any} */ r) => r.ok && !r.known).length
    const known = results.filter((/** @type {any} */ r) => r.ok && r.known).length
    const fail = results.length - pass - known
    const nodeOnly = report.cases.notInBrowsers?.length ?? 0
    parts.push(`${pass} passed, ${fail} failed${known ? `, ${known} known failure${known > 1 ? 's' : ''}` : ''}${nodeOnly ? ` (${nodeOnly} Node-only skipped)` : ''}`)
    if (fail || results.length === 0) failed = true
    report.casesSummary = { pass, fail, known, notInBrowsers: report.cases.notInBrowsers?.length ?? 0 }
  } else if (suites.includes('cases')) {
    parts.push('cases not run')
    failed = true
  }
  if (report.differential) {
    const cmp = report.differential.map((/** @type {any} */ r) => compareCase(differentialCases.find((c) => c.name === r.name), r, name))
    report.comparisons = cmp
    const match = cmp.filter((/** @type {any} */ c) => c.match).length
    const known = cmp.filter((/** @type {any} */ c) => !c.match && c.known).length
    // A known difference excuses the native side only: ours must still do what the rule (or `ours`) says.
    const broken = cmp.filter((/** @type {any} */ c) => c.oursBroken?.length).length
    parts.push(`differential ${match}/${cmp.length} identical${known ? `, ${known} known difference${known > 1 ? 's' : ''}` : ''}${broken ? `, FetchEventSource off its expectation in ${broken}` : ''}`)
    if (match + known !== cmp.length || cmp.length === 0 || broken) failed = true
  } else if (suites.includes('differential')) {
    parts.push('differential not run')
    failed = true
  }
  if (report.problems.length) failed = true
  console.log(`${name}${report.version ? ` ${report.version}` : ''}: ${parts.join('; ')} (${(ms / 1000).toFixed(1)} s)`)
  for (const p of report.problems) console.log(`  problem: ${p}`)
  for (const r of report.cases?.results ?? []) {
    if (!r.ok) console.log(`  FAIL  [${r.rule}] ${r.name}\n    ${String(r.error).split('\n').slice(0, 8).join('\n    ')}`)
    else if (r.known) {
      console.log(`  known [${r.rule}] ${r.name} (the rest of the case passed)`)
      for (const h of r.knownHits) console.log(`    "${h.assertion}": ${String(h.error).split('\n')[0]}${verbose ? `\n    cause: ${knownReason(name, r.name, h.assertion)}` : ''}`)
    } else if (verbose) console.log(`  ok    [${r.rule}] ${r.name} (${r.ms} ms)`)
    for (const label of r.knownPassed ?? []) console.log(`  note  [${r.rule}] ${r.name}: "${label}" is listed in e2e/browsers/known-failures.js but passed; remove the entry`)
  }
  for (const c of report.comparisons ?? []) {
    if (!c.match) {
      console.log(`  ${c.known ? 'known' : 'DIFF '} [${c.rule}] ${c.name}`)
      for (const d of c.diffs) console.log(`    ${d}`)
      if (c.nativeSpec?.length) console.log(`    native vs rule: ${c.nativeSpec.join('; ')}`)
      if (c.oursSpec?.length) console.log(`    ours vs rule: ${c.oursSpec.join('; ')}`)
      if (c.known && verbose) console.log(`    known: ${c.known}`)
    } else if (verbose) console.log(`  same  [${c.rule}] ${c.name}: ${compactAll(c.native.traces)}`)
    if (c.oursBroken?.length) console.log(`  OURS  [${c.rule}] ${c.name}: ${c.oursBroken.join('; ')}`)
    if (c.match && c.nativeSpec?.length && !c.oursReason) console.log(`  note  [${c.rule}] ${c.name}: both sides differ from the rule: ${c.nativeSpec.join('; ')}`)
    if (c.knownUnseen && verbose) console.log(`  note  [${c.rule}] ${c.name}: known difference not seen this run`)
    if (verbose) for (const h of c.headerNotes) console.log(`  header [${c.rule}] ${c.name}: ${h}`)
  }
  if (report.logs?.length && (verbose || report.problems.length)) console.log(`  browser log (last lines):\n    ${report.logs.join('\n    ')}`)
}

/** Rule texts from docs/conformance.md, the repository's own statement of the rules: { C8: '...' }. */
function ruleTexts() {
  /** @type {Record<string, string>} */
  const rules = {}
  // One list item per rule: `- <a id="c8"></a>**C8.** text`, continued on lines indented by two spaces.
  const doc = readFileSync(join(root, 'docs/conformance.md'), 'utf8')
  for (const m of doc.matchAll(/^- <a id="c(\d+)"><\/a>\*\*C\d+\.\*\* (.+(?:\n {2}\S.*)*)/gm)) rules[`C${m[1]}`] = m[2].replace(/\s*\n\s*/g, ' ')
  return rules
}

function markdown() {
  const rules = ruleTexts()
  const ran = reports.filter((r) => r.comparisons)
  const esc = (/** @type {string} */ x) => x.replace(/\|/g, '\\|')
  /** @param {string[] | undefined} p */
  const verdict = (p) => (p === undefined ? 'has no prescribed outcome here' : p.length ? `differs from it (${p.join('; ')})` : 'follows it')
  const lines = []
  lines.push('# Differential results: native `EventSource` vs `FetchEventSource`', '')
  lines.push(
    `Generated by \`npm run test:browsers\` (e2e/run-browsers.js) on ${new Date().toISOString().slice(0, 10)}. ` +
      'Each case scripts the same bytes twice on the test server (a fresh key per side) and replays them, in the same page, ' +
      "to the browser's own `EventSource` and to `FetchEventSource` (dist/fetch-eventsource.browser.js). " +
      'Compared: every `open`, `error` and message event (type, data, lastEventId, origin, readyState), where each side stopped, ' +
      'and the requests the server received (count, method, `Accept`, `Last-Event-ID`). ' +
      'Cases: e2e/browsers/differential.js; rule numbers refer to [docs/conformance.md](../../docs/conformance.md). ' +
      'A *known* difference is one whose cause was traced (see below); it does not fail the run, but it excuses only the native side: the run fails whenever FetchEventSource breaks the rule, or, in the few cases where it cannot follow the rule in an engine, departs from what the case pins for it (its `ours` field, quoted below).',
    '',
  )
  lines.push('| engine | version | differential cases | identical | known differences | other differences | conformance cases (test/cases) |')
  lines.push('|---|---|---|---|---|---|---|')
  for (const r of reports) {
    const cmp = r.comparisons ?? []
    const match = cmp.filter((/** @type {any} */ c) => c.match).length
    const known = cmp.filter((/** @type {any} */ c) => !c.match && c.known).length
    const cs = r.casesSummary
      ? `${r.casesSummary.pass} passed, ${r.casesSummary.fail} failed${r.casesSummary.known ? `, ${r.casesSummary.known} known` : ''}`
      : 'not run'
    lines.push(`| ${r.engine} | ${r.version ?? '?'} | ${cmp.length} | ${match} | ${known} | ${cmp.length - match - known} | ${cs} |`)
  }
  lines.push('')
  const diffs = ran.flatMap((r) => r.comparisons.filter((/** @type {any} */ c) => !c.match).map((/** @type {any} */ c) => ({ engine: r.engine, ...c })))
  lines.push('## Differences', '')
  if (!diffs.length) lines.push('None: in every engine, both sides produced identical events and requests for every case.', '')
  for (const c of differentialCases) {
    const here = diffs.filter((d) => d.name === c.name)
    if (!here.length) continue
    lines.push(`### ${c.name} (rule ${c.rule})`, '')
    if (rules[c.rule]) lines.push(`> [${c.rule}](../../docs/conformance.md#${c.rule.toLowerCase()}): ${rules[c.rule]}`, '')
    if (c.note) lines.push(`Note: ${c.note}`, '')
    for (const d of here) {
      lines.push(`- **${d.engine}**${d.known ? ' (known)' : ''}: ${d.diffs.join('; ')}.`)
      lines.push(`  The rule: native ${verdict(d.nativeSpec)}; FetchEventSource ${verdict(d.oursSpec)}.`)
      if (d.known) lines.push(`  Cause: ${d.known}`)
      if (d.oursReason) lines.push(`  FetchEventSource here: ${d.oursReason}${d.oursBroken?.length ? ` **Off it: ${d.oursBroken.join('; ')}.**` : ' (as pinned)'}`)
    }
    lines.push('')
  }
  const both = ran.flatMap((r) =>
    r.comparisons.filter((/** @type {any} */ c) => c.match && c.nativeSpec?.length).map((/** @type {any} */ c) => ({ engine: r.engine, ...c })),
  )
  if (both.length) {
    lines.push('## Identical, but not what the rule prescribes', '')
    for (const d of both) lines.push(`- ${d.engine}: ${d.name} (rule ${d.rule}): ${d.nativeSpec.join('; ')}${d.note ? `. ${d.note}` : ''}`)
    lines.push('')
  }
  const headers = ran.flatMap((r) => r.comparisons.filter((/** @type {any} */ c) => c.headerNotes?.length).map((/** @type {any} */ c) => ({ engine: r.engine, ...c })))
  if (headers.length) {
    lines.push('## Cache headers (reported, not compared)', '')
    lines.push('Both sides ask for an uncached response (`cache: no-store`); the `Cache-Control`/`Pragma` headers that the fetch layer adds for that differ here:', '')
    for (const d of headers) lines.push(`- ${d.engine}: ${d.name}: ${d.headerNotes.join('; ')}`)
    lines.push('')
  }
  const caseFailures = reports.flatMap((r) => (r.cases?.results ?? []).filter((/** @type {any} */ x) => !x.ok || x.known).map((/** @type {any} */ x) => ({ engine: r.engine, ...x })))
  if (caseFailures.length) {
    lines.push('## Conformance cases failing in a browser', '')
    for (const f of caseFailures) {
      if (!f.ok) {
        lines.push(`- ${f.engine}: ${f.name} (rule ${f.rule}): ${esc(String(f.error).split('\n')[0])}`)
        continue
      }
      lines.push(`- ${f.engine}: ${f.name} (rule ${f.rule}) — known, one assertion; the rest of the case passed:`)
      for (const h of f.knownHits) lines.push(`  "${h.assertion}": ${esc(String(h.error).split('\n')[0])}. Cause: ${knownReason(f.engine, f.name, h.assertion)}`)
    }
    lines.push('')
  }
  lines.push('## Cases', '')
  lines.push(`| case | rule | ${ran.map((r) => r.engine).join(' | ')} | native events (${ran[0]?.engine ?? '-'}) |`)
  lines.push(`|---|---|${ran.map(() => '---|').join('')}---|`)
  for (const c of differentialCases) {
    const cells = ran.map((r) => {
      const x = r.comparisons.find((/** @type {any} */ y) => y.name === c.name)
      return !x ? '–' : x.match ? 'same' : x.known ? 'known' : '**differs**'
    })
    const first = ran[0]?.comparisons.find((/** @type {any} */ y) => y.name === c.name)
    const ev = first?.native?.traces ? compactAll(first.native.traces) : ''
    lines.push(`| ${esc(c.name)} | ${c.rule} | ${cells.join(' | ')} | ${esc('`' + ev + '`')} |`)
  }
  lines.push('')
  return lines.join('\n')
}
