// Bundle size: each client's browser build, bundled and minified by esbuild (ESM, platform browser, all exports
// kept), then gzip -9 and brotli. Ours is measured from dist/fetch-eventsource.browser.js (the self-contained
// browser ESM users load), re-minified by esbuild like the others.
//
//   node bench/bundle-size.js
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync, brotliCompressSync, constants } from 'node:zlib'
import { createRequire } from 'node:module'
import * as esbuild from 'esbuild'
import { ROOT } from './lib.js'

const require = createRequire(import.meta.url)
const ourBrowser = fileURLToPath(new URL('../dist/fetch-eventsource.browser.js', import.meta.url))
const ourIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url))

const ENTRIES = [
  { name: 'ours', label: 'fetch-eventsource (dist/fetch-eventsource.browser.js)', source: JSON.stringify(ourBrowser), file: ourBrowser },
  { name: 'ours-esm', label: 'fetch-eventsource (dist/index.js, bundled)', source: JSON.stringify(ourIndex), file: ourIndex },
  { name: 'eventsource', label: 'eventsource', pkg: 'eventsource' },
  { name: 'eventsource-client', label: 'eventsource-client', pkg: 'eventsource-client' },
  { name: 'microsoft', label: '@microsoft/fetch-event-source', pkg: '@microsoft/fetch-event-source' },
  { name: 'parser', label: 'eventsource-parser (parser alone)', pkg: 'eventsource-parser' },
]

/** How every bundle of the table is made. @type {import('esbuild').BuildOptions} */
const BUNDLE = { bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' }

export async function bundleText(specifier) {
  const result = await esbuild.build({ ...BUNDLE, stdin: { contents: `export * from ${specifier}`, resolveDir: ROOT, loader: 'js' } })
  return result.outputFiles[0].contents
}

export async function runBundleSize() {
  const rows = {}
  for (const e of ENTRIES) {
    if (e.file && !existsSync(e.file)) {
      rows[e.name] = { label: e.label, skipped: `${e.file.slice(ROOT.length)} not built` }
      continue
    }
    try {
      const min = await bundleText(e.source ?? JSON.stringify(e.pkg))
      rows[e.name] = {
        label: e.label,
        version: e.pkg ? require(`${e.pkg}/package.json`).version : undefined,
        min: min.length,
        gzip: gzipSync(min, { level: 9 }).length,
        brotli: brotliCompressSync(min, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
      }
    } catch (err) {
      rows[e.name] = { label: e.label, error: String(err.message || err).split('\n')[0] }
    }
  }
  return {
    title: 'Bundle size (esbuild --bundle --minify, ESM, browser)',
    date: new Date().toISOString(),
    esbuild: esbuild.version,
    clients: rows,
    modules: await moduleSizes(),
    features: await featureCosts(),
  }
}

/**
 * What a feature adds to the bundle: src/ bundled whole, then again with the feature's module replaced by a stub
 * that does nothing (its glue in fetch-event-source.ts stays, so the difference is the module's own share). The
 * last rows stub them all: what is left is the core every source runs (the EventSource contract, the retry policy,
 * the error codes and events), which no subpath export could take out of the default build, and within it the
 * parser alone.
 */
const FEATURES = [
  {
    name: '`shared` (src/shared-connection.ts)',
    module: 'shared-connection',
    stub: `export class SharedConnection {}; export const sharedKey = () => ''; export const sharedStatus = async () => null; export const sharingSupported = () => false`,
  },
  {
    name: 'offline, hidden, frozen (src/page-life.ts)',
    module: 'page-life',
    stub: `export const HIDDEN_GRACE_MS = 30000; export const canWatchPage = () => false; export const isOffline = () => false; export const watchPage = () => () => {}`,
  },
  {
    name: '`for await` (src/message-iterator.ts)',
    module: 'message-iterator',
    stub: `export class MessageIterator {}`,
  },
  {
    name: 'option checks and their messages (src/options.ts, defaults kept)',
    module: 'options',
    stub: `const R = { initialDelay: 3000, maxDelay: 30000, factor: 2, jitter: 0.2, maxAttempts: Infinity }
export function readSettings(o) { o ??= {}; return { withCredentials: !!o.withCredentials, method: o.method ?? 'GET', headers: o.headers, body: o.body, lastEventId: o.lastEventId ?? '', lastEventIdInHeader: true, lastEventIdParam: '', redirect: o.redirect ?? 'follow', onResponse: o.onResponse, maxBufferSize: o.maxBufferSize ?? 16777216, decodeBase64: !!o.decodeBase64, fetch: o.fetch, signal: o.signal, retry: { ...R, ...o.retry }, heartbeatTimeout: o.heartbeatTimeout ?? 0, shared: false, pauseWhenHidden: -1 } }`,
  },
  {
    name: 'header and body functions, `lastEventIdIn: query` (src/request.ts, a plain request kept)',
    module: 'request',
    stub: `export async function buildRequest(s, url, id, signal) { const h = new Headers(s.headers); h.set('accept', 'text/event-stream'); if (id) h.set('last-event-id', id); return { url, init: { method: s.method, headers: h, body: s.body, signal, cache: 'no-store' } } }`,
  },
]
const FEATURE_MODULE = new RegExp(`\\./(${FEATURES.map((f) => f.module).join('|')})\\.js$`)

async function featureCosts() {
  const build = async (stubbed, entry = 'src/index.ts') => {
    /** @type {import('esbuild').Plugin} */
    const stubs = {
      name: 'stub',
      setup(b) {
        b.onResolve({ filter: FEATURE_MODULE }, (args) => {
          // eventsource-parser's own relative imports are not ours
          if (!args.importer.startsWith(join(ROOT, 'src'))) return undefined
          const feature = stubbed.find((f) => args.path === `./${f.module}.js`)
          return feature ? { path: feature.module, namespace: 'stub' } : { path: join(ROOT, 'src', args.path.replace(/\.js$/, '.ts')) }
        })
        b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({ contents: stubbed.find((f) => f.module === args.path)?.stub, loader: 'js' }))
      },
    }
    const result = await esbuild.build({ ...BUNDLE, entryPoints: [join(ROOT, entry)], plugins: [stubs] })
    return gzipSync(result.outputFiles[0].contents, { level: 9 }).length
  }
  const whole = await build([])
  const rows = [{ feature: 'everything (src/ bundled)', gzip: whole }]
  for (const feature of FEATURES) rows.push({ feature: feature.name, gzip: whole - (await build([feature])) })
  rows.push({ feature: 'the core: all of the above stubbed', gzip: await build(FEATURES), core: true })
  rows.push({ feature: 'of which the parser: eventsource-parser and its wrapper (src/event-stream-parser.ts)', gzip: await build([], 'src/event-stream-parser.ts') })
  return rows
}

/**
 * What our bundle is made of: each module of src/ minified and gzipped on its own (so the column adds up to more
 * than the bundle, whose gzip shares one dictionary). Shows which features the bytes pay for.
 */
async function moduleSizes() {
  const dir = join(ROOT, 'src')
  const rows = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort()) {
    const result = await esbuild.build({ entryPoints: [join(dir, file)], bundle: false, minify: true, format: 'esm', target: 'es2022', write: false, logLevel: 'silent' })
    const min = result.outputFiles[0].contents
    rows.push({ module: `src/${file}`, min: min.length, gzip: gzipSync(min, { level: 9 }).length })
  }
  return rows.sort((a, b) => b.gzip - a.gzip)
}

export function bundleTable(b) {
  const kb = (x) => (Number.isFinite(x) ? `${(x / 1024).toFixed(2)} KiB` : '—')
  const lines = [`### ${b.title}, esbuild ${b.esbuild}`, '', '| client | version | min | min+gzip | min+brotli |', '|---|---|---:|---:|---:|']
  for (const row of Object.values(b.clients)) {
    if (row.skipped || row.error) lines.push(`| ${row.label} | | ${row.skipped || row.error} | | |`)
    else lines.push(`| ${row.label} | ${row.version ?? ''} | ${kb(row.min)} | ${kb(row.gzip)} | ${kb(row.brotli)} |`)
  }
  if (b.modules?.length) {
    lines.push('', 'Our modules, each minified and gzipped alone (the bundle compresses them together, so it is smaller than the sum):', '')
    lines.push('| module | min | min+gzip |', '|---|---:|---:|')
    for (const m of b.modules) lines.push(`| ${m.module} | ${m.min} B | ${m.gzip} B |`)
  }
  if (b.features?.length) {
    lines.push('', 'What each feature adds to the min+gzip bundle (the module replaced by a no-op stub; its glue in the class stays), and what is left without them:', '')
    lines.push('| feature | min+gzip |', '|---|---:|')
    for (const f of b.features) lines.push(`| ${f.feature} | ${f.gzip} B |`)
  }
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(bundleTable(await runBundleSize()))
}
