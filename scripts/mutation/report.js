#!/usr/bin/env node
// Writes the results of the last mutation run (reports/mutation/mutation.json, Stryker's JSON report) into
// docs/mutation.md, between its `<!-- mutation-results:start -->` and `<!-- mutation-results:end -->` lines: the
// score per file and every mutant that no test detected (survived, or reached by no test), grouped by file.
// `npm run mutate` runs it after a successful run; by hand: `node scripts/mutation/report.js`.
//
// The status column is kept across runs: a row whose file, mutator, original code and replacement match a row
// already in the document keeps that row's status ("equivalent: <reason>", or a note next to "to kill"), so an
// edit made by hand survives the next run even when the line moved. New rows start as "to kill".
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
// Other paths (for trying it out): node scripts/mutation/report.js [report.json [document.md]]
const REPORT = path.resolve(process.argv[2] ?? path.join(ROOT, 'reports', 'mutation', 'mutation.json'))
const RUN_INFO = path.join(path.dirname(REPORT), 'run.json')
const DOC = path.resolve(process.argv[3] ?? path.join(ROOT, 'docs', 'mutation.md'))
const START = '<!-- mutation-results:start -->'
const END = '<!-- mutation-results:end -->'

const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])

/** Stryker's score: detected / (detected + undetected); errors and ignored mutants do not count. */
function score(counts) {
  const detected = counts.Killed + counts.Timeout
  const valid = detected + counts.Survived + counts.NoCoverage
  return valid === 0 ? 100 : (100 * detected) / valid
}

/** The code a mutant replaces, on one line (locations are 1-based lines and columns). */
function original(source, { start, end }) {
  const lines = source.split('\n')
  const text =
    start.line === end.line
      ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
      : [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join('\n')
  return oneLine(text)
}

/** Collapses whitespace and shortens, for a table cell. */
function oneLine(text, max = 90) {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

/** A table cell: code in backticks, with pipes escaped (a backtick inside is doubled into a longer fence). */
function code(text) {
  const escaped = text.replaceAll('|', '\\|')
  const fence = escaped.includes('`') ? '`` ' : '`'
  return `${fence}${escaped}${fence === '`` ' ? ' ``' : '`'}`
}

/** The reason a `// Stryker disable next-line <mutator>: <reason>` comment gives (Stryker keeps it as the status
 * reason; a comment without one gets Stryker's default text). */
function reason(m) {
  const text = (m.statusReason ?? '').trim()
  return text === '' || text === 'Ignored using a comment' ? 'no reason given' : text
}

/** Rows of the survivor tables already in the document: key -> statuses, in order. */
function previousStatuses(doc) {
  /** @type {Map<string, string[]>} */
  const statuses = new Map()
  let file = ''
  for (const line of doc.split('\n')) {
    const heading = /^#### `([^`]+)`/.exec(line)
    if (heading) file = heading[1]
    const cells = splitRow(line)
    if (!file || cells.length !== 6 || !/^\d+:\d+$/.test(cells[0])) continue
    const [, mutator, was, becomes, , status] = cells
    const key = [file, mutator, was, becomes].join('\u0000')
    statuses.set(key, [...(statuses.get(key) ?? []), status])
  }
  return statuses
}

/** The cells of a Markdown table row, with `\|` kept inside cells. */
function splitRow(line) {
  if (!line.startsWith('|')) return []
  return line
    .slice(1, line.endsWith('|') ? -1 : undefined)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim())
}

if (!existsSync(REPORT)) {
  console.error(`report: ${path.relative(ROOT, REPORT)} is missing: run \`npm run mutate\` first`)
  process.exit(1)
}
const report = JSON.parse(readFileSync(REPORT, 'utf8'))
const run = existsSync(RUN_INFO) ? JSON.parse(readFileSync(RUN_INFO, 'utf8')) : undefined
const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : `# Mutation testing\n\n${START}\n${END}\n`
if (!doc.includes(START) || !doc.includes(END)) throw new Error(`${path.relative(ROOT, DOC)} lacks the ${START} … ${END} lines`)
const kept = previousStatuses(doc)

const zero = () => ({ Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, RuntimeError: 0, CompileError: 0, Ignored: 0, Pending: 0 })
const total = zero()
const perFile = []
const sections = []
const ignoredSections = []
for (const [file, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const counts = zero()
  for (const m of mutants) {
    counts[m.status] = (counts[m.status] ?? 0) + 1
    total[m.status] = (total[m.status] ?? 0) + 1
  }
  perFile.push({ file, counts, mutants: mutants.length })
  const undetected = mutants
    .filter((m) => UNDETECTED.has(m.status))
    .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)
  const ignored = mutants
    .filter((m) => m.status === 'Ignored')
    .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)
  if (ignored.length > 0) {
    const rows = ignored.map(
      (m) =>
        `| ${m.location.start.line}:${m.location.start.column} | ${m.mutatorName} | ${code(original(source, m.location))} | ${code(oneLine(m.replacement ?? m.mutatorName))} | ${oneLine(reason(m), 400).replaceAll('|', '\\|')} |`,
    )
    ignoredSections.push(`#### \`${file}\` (${ignored.length})\n\n| line:col | mutator | original | replacement | why no test can tell |\n|---|---|---|---|---|\n${rows.join('\n')}`)
  }
  if (undetected.length === 0) continue
  const rows = undetected.map((m) => {
    const was = code(original(source, m.location))
    const becomes = code(oneLine(m.replacement ?? m.mutatorName))
    const key = [file, m.mutatorName, was, becomes].join('\u0000')
    const previous = kept.get(key)?.shift()
    const status = previous ?? 'to kill'
    const result = m.status === 'NoCoverage' ? 'no test reaches it' : 'survived'
    return `| ${m.location.start.line}:${m.location.start.column} | ${m.mutatorName} | ${was} | ${becomes} | ${result} | ${status} |`
  })
  sections.push(`#### \`${file}\` (${undetected.length})\n\n| line:col | mutator | original | replacement | result | status |\n|---|---|---|---|---|---|\n${rows.join('\n')}`)
}

const pct = (n) => n.toFixed(2)
const table = [
  '| file | score | mutants | killed | timeout | survived | no coverage | errors | equivalent |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...perFile.map(
    ({ file, counts, mutants }) =>
      `| \`${file}\` | ${pct(score(counts))} % | ${mutants} | ${counts.Killed} | ${counts.Timeout} | ${counts.Survived} | ${counts.NoCoverage} | ${counts.RuntimeError + counts.CompileError} | ${counts.Ignored} |`,
  ),
  `| **all of src/** | **${pct(score(total))} %** | ${perFile.reduce((n, f) => n + f.mutants, 0)} | ${total.Killed} | ${total.Timeout} | ${total.Survived} | ${total.NoCoverage} | ${total.RuntimeError + total.CompileError} | ${total.Ignored} |`,
].join('\n')

const when = run?.date ?? new Date(statSync(REPORT).mtimeMs).toISOString()
const how = run ? ` by \`npm run mutate${run.args.length ? ` ${run.args.join(' ')}` : ''}\` in ${run.duration} on Node ${run.node}` : ''
const undetectedCount = total.Survived + total.NoCoverage
const body = [
  START,
  `<!-- written by scripts/mutation/report.js from the last run; edit the status column only -->`,
  '',
  `**Mutation score: ${pct(score(total))} %** (${total.Killed + total.Timeout} of ${total.Killed + total.Timeout + undetectedCount} mutants detected). Last run: ${when.slice(0, 10)}${how}.`,
  '',
  table,
  '',
  'Score = (killed + timeout) / (killed + timeout + survived + no coverage). Errors (a mutant that crashes a suite',
  'before it reports a test, e.g. by breaking a module at load) are left out of the score, as Stryker does; so are',
  'the equivalent mutants, which a `// Stryker disable next-line <mutator>: <reason>` comment in `src/` marks, and',
  'which are listed with that reason under *Equivalent mutants* below.',
  '',
  `### Survivors (${undetectedCount})`,
  '',
  'Status: *to kill* (a test should detect it) or *equivalent: reason* (no test can: the program behaves the same).',
  '',
  sections.join('\n\n') || 'None.',
  '',
  `### Equivalent mutants (${total.Ignored})`,
  '',
  'Changes no test can observe, because the program behaves the same with them; each is marked where it is, in',
  '`src/`, by a `// Stryker disable next-line` comment that gives the reason quoted here.',
  '',
  ignoredSections.join('\n\n') || 'None.',
  END,
].join('\n')

const updated = doc.slice(0, doc.indexOf(START)) + body + doc.slice(doc.indexOf(END) + END.length)
writeFileSync(DOC, updated)
console.log(`report: ${path.relative(ROOT, DOC)}: score ${pct(score(total))} %, ${undetectedCount} undetected mutants`)
