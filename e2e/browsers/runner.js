// In-page runner. Runs either the shared conformance registry (test/cases/) against the library's
// self-contained browser build, or the differential suite (native EventSource vs FetchEventSource),
// and POSTs { engine, userAgent, suite, results, ... } to the test server's results channel.
const params = new URLSearchParams(location.search)
const runId = params.get('run') ?? 'manual'
const engine = params.get('engine') ?? 'unknown'
const suite = params.get('suite') ?? 'cases'
const budgetMs = Number(params.get('budget') ?? 240_000)
const only = (params.get('only') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)
const selfOrigin = location.origin
// A second origin on the same server: swap 127.0.0.1 <-> localhost.
const altOrigin =
  params.get('alt') ??
  (location.hostname === 'localhost' ? `${location.protocol}//127.0.0.1:${location.port}` : `${location.protocol}//localhost:${location.port}`)

const LIB = '/dist/fetch-eventsource.browser.js'
const started = Date.now()
/** @type {string[]} */
const pageErrors = []
addEventListener('error', (e) => pageErrors.push(`error: ${e.message} at ${e.filename}:${e.lineno}`))
addEventListener('unhandledrejection', (e) => pageErrors.push(`unhandledrejection: ${errorText(e.reason)}`))

const logEl = document.getElementById('log')
/** @param {string} line */
function log(line) {
  if (logEl) logEl.textContent += line + '\n'
}

/** @param {unknown} e */
function errorText(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? '\n' + e.stack : ''}`
  try {
    return typeof e === 'string' ? e : JSON.stringify(e)
  } catch {
    return String(e)
  }
}

/** @param {string} id @param {unknown} body */
async function post(id, body) {
  const res = await fetch(`/results/${encodeURIComponent(id)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`POST /results/${id}: ${res.status}`)
}

/** @param {string} what @param {string} url */
async function load(what, url) {
  try {
    return await import(url)
  } catch (e) {
    throw new Error(`cannot import ${what} (${url}): ${errorText(e)}`)
  }
}

/** @param {{ name: string }} c */
const selected = (c) => only.length === 0 || only.some((s) => c.name.toLowerCase().includes(s))

/**
 * @template T @param {Promise<T>} p @param {number} ms @param {string} what @returns {Promise<T>}
 */
function bounded(p, ms, what) {
  /** @type {any} */
  let timer
  return Promise.race([p, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  )
}

async function runCases() {
  const lib = await load('the library', LIB)
  const { cases } = await load('the case registry', '/test/cases/index.js')
  const { createHarness } = await load('the harness', '/test/cases/harness.js')
  const { knownFailures } = await load('the known failures', '/e2e/browsers/known-failures.js')
  // Only this engine's: their assertions record a failure and let the case go on.
  const known = knownFailures.filter((/** @type {any} */ k) => k.engine === engine)
  const harness = createHarness({ serverUrl: selfOrigin, lib, known })
  const deadline = started + budgetMs
  /** @type {any[]} */
  const results = []
  const notInBrowsers = []
  for (const c of cases) {
    if (c.browser === false) {
      notInBrowsers.push(c.name)
      continue
    }
    if (!selected(c)) continue
    if (Date.now() > deadline) {
      results.push({ name: c.name, rule: c.rule, ok: false, error: 'not run: the run budget was exhausted', ms: 0 })
      continue
    }
    await post(`${runId}-progress`, { engine, suite, current: c.name, done: results.length }).catch(() => {})
    const t0 = Date.now()
    let r
    try {
      // runCase bounds each case itself (10 s by default); this outer bound only guards against a harness hang
      r = await bounded(harness.runCase(c), 30_000, `case "${c.name}"`)
    } catch (e) {
      r = { name: c.name, rule: c.rule, ok: false, error: errorText(e), ms: Date.now() - t0 }
    }
    results.push({
      name: r.name ?? c.name,
      rule: r.rule ?? c.rule,
      ok: r.ok === true,
      error: r.ok ? undefined : r.error ?? 'failed',
      ms: r.ms ?? Date.now() - t0,
      known: r.known,
      knownPassed: r.knownPassed,
    })
    log(`${r.ok ? 'ok  ' : 'FAIL'} ${c.name}`)
  }
  return { results, notInBrowsers }
}

async function runDiff() {
  const lib = await load('the library', LIB)
  const { runDifferential, differentialCases } = await load('the differential suite', '/e2e/browsers/differential.js')
  let done = 0
  const differential = await runDifferential({
    lib,
    serverUrl: selfOrigin,
    altOrigin,
    cases: differentialCases.filter(selected),
    budgetMs,
    onCase: (/** @type {any} */ r) => {
      done++
      log(`${r.name}: ${r.ms} ms`)
      post(`${runId}-progress`, { engine, suite, done, last: r.name }).catch(() => {})
    },
  })
  return { differential, altOrigin }
}

async function main() {
  const base = { engine, userAgent: navigator.userAgent, suite, origin: selfOrigin }
  try {
    const out = suite === 'differential' ? await runDiff() : await runCases()
    await post(runId, { ...base, ...out, pageErrors, ms: Date.now() - started })
  } catch (e) {
    log(errorText(e))
    await post(runId, { ...base, fatal: errorText(e), results: [], pageErrors, ms: Date.now() - started })
  }
  log('done')
}

main()
