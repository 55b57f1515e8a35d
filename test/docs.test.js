// The repository explains itself: every rule a file cites is defined in docs/conformance.md, and no file names a
// path that exists only on the machine it was written on.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const RULES_DOC = 'docs/conformance.md'
const SELF = path.relative(ROOT, fileURLToPath(import.meta.url)).split(path.sep).join('/')

/**
 * The files of the repository, relative to it: what git tracks or would add (so a new file counts before its
 * commit, a gitignored build output never does). Without git (an unpacked tarball), a walk that skips what
 * .gitignore lists.
 */
function repoFiles() {
  try {
    const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    return out.split('\0').filter((f) => f && readable(f))
  } catch {
    const skip = new Set(['.git', 'node_modules', 'dist', '.runtimes', 'coverage', 'tmp'])
    /** @param {string} dir @returns {string[]} */
    const walk = (dir) =>
      readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
        skip.has(e.name) ? [] : e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
      )
    return walk('').filter(readable)
  }
}

/** @param {string} f */
function readable(f) {
  try {
    readFileSync(path.join(ROOT, f))
    return true
  } catch {
    return false // listed by git but deleted in the working tree
  }
}

/** @param {string} f the text of a file, or undefined for a binary one (a NUL byte in it) */
function text(f) {
  const s = readFileSync(path.join(ROOT, f), 'utf8')
  return s.includes('\0') ? undefined : s
}

/**
 * The rules a text cites: `C21`, `rule 21`, `rules 14, 15 and 18`, `rules 22–23` (numbers), and `API:<row>` ids.
 * `C0` is never a rule (rules start at C1): it names the ASCII control range. Other `C<n>` that are not rules
 * (C1 controls, a hex byte such as C3) have n < 10, and C1–C9 are defined, so they cannot fail the check.
 * @param {string} s
 */
export function citations(s) {
  const numbers = new Set()
  for (const m of s.matchAll(/\bC(\d+)\b/g)) if (m[1] !== '0') numbers.add(Number(m[1]))
  for (const m of s.matchAll(/\brules? (\d+(?:(?:\s*,\s*|\s+and\s+|\s*[–-]\s*)\d+)*)/g)) {
    for (const n of m[1].match(/\d+/g) ?? []) numbers.add(Number(n))
  }
  // An id may hold dots and slashes (API:retry.maxAttempts, API:onopen/onmessage/onerror); a trailing one is prose.
  const ids = new Set([...s.matchAll(/\bAPI:([A-Za-z][\w./-]*)/g)].map((m) => m[1].replace(/[./-]+$/, '')))
  return { numbers, ids }
}

/**
 * What docs/conformance.md defines: rule numbers (their `<a id="c<n>">` anchors) and the `API:<row>` ids in
 * backticks under "API rows".
 * @param {string} doc
 */
export function definitions(doc) {
  const numbers = new Set([...doc.matchAll(/<a id="c(\d+)"><\/a>\*\*C\1\.\*\*/g)].map((m) => Number(m[1])))
  const apiSection = doc.slice(doc.indexOf('\n## API rows'))
  const ids = new Set([...apiSection.matchAll(/`API:([A-Za-z][^`]*)`/g)].map((m) => m[1]))
  return { numbers, ids }
}

/**
 * Every citation in `files` ({ path: text }) that `defs` does not define, as 'path: C39' or 'path: API:foo'.
 * @param {Record<string, string>} files
 * @param {ReturnType<typeof definitions>} defs
 */
export function undefinedCitations(files, defs) {
  const out = []
  for (const [f, s] of Object.entries(files)) {
    const { numbers, ids } = citations(s)
    for (const n of numbers) if (!defs.numbers.has(n)) out.push(`${f}: C${n}`)
    for (const id of ids) if (!defs.ids.has(id)) out.push(`${f}: API:${id}`)
  }
  return out
}

// Directories a machine's files live under; written without their slashes here so this file does not match itself.
const MACHINE_PATH = new RegExp(`(?<![\\w.-])/(?:${['work', 'root', 'home'].join('|')})/\\S*`, 'g')

/**
 * Every absolute path of a machine named in `files` ({ path: text }), as 'path:line: <the path>'.
 * @param {Record<string, string>} files
 */
export function machinePaths(files) {
  const out = []
  for (const [f, s] of Object.entries(files)) {
    s.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(MACHINE_PATH)) out.push(`${f}:${i + 1}: ${m[0]}`)
    })
  }
  return out
}

/** GitHub's anchor for a heading: lower case, punctuation and backticks dropped, spaces as hyphens. */
export const slug = (/** @type {string} */ heading) =>
  heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')

const files = Object.fromEntries(
  repoFiles()
    .filter((f) => f !== RULES_DOC && f !== 'package-lock.json')
    .map((f) => [f, text(f)])
    .filter(([, s]) => s !== undefined),
)
const doc = readFileSync(path.join(ROOT, RULES_DOC), 'utf8')
const defs = definitions(doc)

test('docs/conformance.md defines C1..C38, each once, in order', () => {
  const anchors = [...doc.matchAll(/<a id="c(\d+)">/g)].map((m) => Number(m[1]))
  assert.deepEqual(anchors, Array.from({ length: 38 }, (_, i) => i + 1))
  assert.equal(defs.numbers.size, 38)
})

test('every rule and API row cited in the repository is defined in docs/conformance.md', () => {
  assert.ok(Object.keys(files).some((f) => f.startsWith('test/cases/')), 'the case registry was scanned')
  // This file's own fixtures cite undefined rules on purpose.
  const { [SELF]: _, ...others } = files
  assert.deepEqual(undefinedCitations(others, defs), [])
})

test('every API row docs/conformance.md defines is cited somewhere (no stale definitions)', () => {
  const cited = new Set(Object.values(files).flatMap((s) => [...citations(s).ids]))
  assert.deepEqual([...defs.ids].filter((id) => !cited.has(id)), [])
})

test("docs/conformance.md's links into the README point at headings that exist", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const anchors = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1])))
  const links = [...doc.matchAll(/\(\.\.\/README\.md#([^)]+)\)/g)].map((m) => m[1])
  assert.ok(links.length > 0)
  assert.deepEqual(links.filter((a) => !anchors.has(a)), [])
})

test('no file names an absolute path of a machine', () => {
  assert.deepEqual(machinePaths(files), [])
})

test('no file points at a document outside the repository (the design notes the rules were first written in)', () => {
  const { [SELF]: _, ...others } = files
  const outside = Object.entries(others).flatMap(([f, s]) =>
    s.split('\n').flatMap((line, i) => (/\b(CONFORMANCE|API|RUNTIMES)\.md\b/.test(line) ? [`${f}:${i + 1}`] : [])),
  )
  assert.deepEqual(outside, [])
})

/**
 * The paths the README's Layout tree names: `src/` at the margin, `index.ts` two spaces in under it → 'src/index.ts'.
 * Lines indented past the name column continue a description.
 * @param {string} readme
 */
export function layoutPaths(readme) {
  const block = readme.slice(readme.indexOf('## Layout')).split('```')[1] ?? ''
  const stack = []
  const out = []
  for (const line of block.split('\n')) {
    const indent = line.length - line.trimStart().length
    if (!line.trim() || indent >= 20) continue
    const depth = indent / 2
    const name = line.trim().split(/\s+/)[0] ?? ''
    stack.length = depth
    out.push(stack.join('') + name)
    stack.push(name.endsWith('/') ? name : `${name}/`)
  }
  return out
}

test("the README's Layout names only paths that exist, every top-level folder and every file of src/", () => {
  const listed = layoutPaths(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))
  assert.ok(listed.includes('src/index.ts'), `parsed: ${listed.join(', ')}`)
  assert.deepEqual(listed.filter((p) => !existsSync(path.join(ROOT, p))), [], 'listed but not in the tree')
  const tracked = Object.keys(files).concat(RULES_DOC)
  const folders = new Set(tracked.filter((f) => f.includes('/')).map((f) => f.slice(0, f.indexOf('/') + 1)))
  const unlisted = [...folders].filter((d) => !listed.some((p) => p.startsWith(d)))
  assert.deepEqual(unlisted, [], 'top-level folders missing from the Layout')
  const srcFiles = tracked.filter((f) => /^src\/[^/]+$/.test(f))
  assert.deepEqual(srcFiles.filter((f) => !listed.includes(f)), [], 'files of src/ missing from the Layout')
})

/**
 * The repository paths a text names (test/pinned.test.js, e2e/browsers/known-failures.js, bench/event-cost.js …):
 * what the README cites as the test or benchmark behind a claim. `dist/` is left out (a build output), and so is a
 * path inside a package name such as fetch-eventsource/server.
 * @param {string} text
 */
export function namedPaths(text) {
  const re = /(?<![\w/.@-])((?:test|e2e|bench|scripts|reliability|docs|server|src|cli|demo)\/[\w./-]*[\w/])/g
  return [...new Set([...text.matchAll(re)].map((m) => m[1]))]
}

test('every test, benchmark or other file the README names next to a claim exists', () => {
  const named = namedPaths(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))
  assert.ok(named.includes('test/pinned.test.js') && named.includes('test/cases/errors.js'), `parsed: ${named.join(', ')}`)
  assert.deepEqual(named.filter((p) => !existsSync(path.join(ROOT, p))), [])
})

// The checks above pass on a clean tree; these show they can fail.
test('the citation check reports undefined rules and API rows, and only those', () => {
  const fake = {
    'a.js': "{ rule: 'C39' } // C21, rules 22–23, rules 14, 15 and 40; C0 controls",
    'b.js': "rule: 'API:retry.maxAttempts', API:nope. API:onopen/onmessage/onerror",
  }
  const d = { numbers: new Set([14, 15, 21, 22, 23]), ids: new Set(['retry.maxAttempts', 'onopen/onmessage/onerror']) }
  assert.deepEqual(undefinedCitations(fake, d), ['a.js: C39', 'a.js: C40', 'b.js: API:nope'])
  assert.deepEqual(definitions('<a id="c1"></a>**C1.** x\n\n## API rows\n\n- `API:url` — y').ids, new Set(['url']))
})

test('the machine-path check finds home, root and work directories, not URLs that contain them', () => {
  const [w, r, h] = ['work', 'root', 'home'].map((d) => `/${d}/`)
  const fake = { 'x.json': `{ "bin": "${w}main/.runtimes/node" }\ncd ${r}x\nfile://${h}u/a\nhttps://example.com${h}page` }
  assert.deepEqual(machinePaths(fake), [`x.json:1: ${w}main/.runtimes/node"`, `x.json:2: ${r}x`, `x.json:3: ${h}u/a`])
})

test('layoutPaths nests by indentation and skips description lines', () => {
  const readme = '## Layout\n\n```\nsrc/   x\n  a.ts   y\n                       more about a.ts\n  sub/   z\n    b.ts\n.ci/run  w\n```\n'
  assert.deepEqual(layoutPaths(readme), ['src/', 'src/a.ts', 'src/sub/', 'src/sub/b.ts', '.ci/run'])
})

test('namedPaths finds repository paths, not package subpaths or build outputs', () => {
  const text = 'see (test/pinned.test.js, test/cases/); fetch-eventsource/server and dist/index.js; e2e/browsers/known-failures.js.'
  assert.deepEqual(namedPaths(text), ['test/pinned.test.js', 'test/cases/', 'e2e/browsers/known-failures.js'])
})
