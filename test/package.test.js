// The package as users get it: `npm pack`, installed into a scratch consumer project, then checked the way
// consumers meet it: the file list, publint, Are the Types Wrong, the types under `tsc --strict` (README examples,
// typical usage, misuse that must fail), a rollup and an esbuild bundle of a tiny app, require()/import(), and the
// `fetch-eventsource` command through npx. Needs `npm run build` (library and CLI) first.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startTestServer } from '../dist/testing.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = path.join(ROOT, 'node_modules', '.bin')
const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'))
const run = promisify(execFile)
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

let scratch = ''
let tarball = ''
/** @type {Array<{ path: string, size: number, mode: number }>} */
let packedFiles = []
/** The consumer project: the tarball installed as a dependency. */
let consumer = ''
let installed = ''
/** @type {Awaited<ReturnType<typeof startTestServer>>} */
let server

/**
 * Runs a command; resolves with its output whatever the exit status (asserted by the caller).
 * @param {string} file
 * @param {string[]} args
 * @param {import('node:child_process').ExecFileOptions} [options]
 */
async function exec(file, args, options = {}) {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 120_000, ...options })
    return { code: 0, stdout: String(stdout), stderr: String(stderr) }
  } catch (error) {
    const e = /** @type {any} */ (error)
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? e.message) }
  }
}

before(async () => {
  for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/cli.js', 'dist/server.js', 'dist/testing.js']) {
    assert.ok(existsSync(path.join(ROOT, file)), `${file} is missing: run \`npm run build\` first`)
  }
  scratch = await mkdtemp(path.join(tmpdir(), 'fes-package-'))
  const packed = await exec(NPM, ['pack', '--json', '--pack-destination', scratch])
  assert.equal(packed.code, 0, packed.stderr)
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[')))
  tarball = path.join(scratch, info.filename)
  packedFiles = info.files

  consumer = path.join(scratch, 'consumer')
  await mkdir(consumer)
  await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  // A tarball with no dependencies installs without the registry.
  const install = await exec(NPM, ['install', '--no-audit', '--no-fund', '--no-save', '--offline', tarball], { cwd: consumer })
  assert.equal(install.code, 0, install.stderr)
  installed = path.join(consumer, 'node_modules', 'fetch-eventsource')
  server = await startTestServer({ port: 0, host: '127.0.0.1' })
})

after(async () => {
  await server?.close()
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

describe('the tarball', () => {
  test('holds only what users need: dist/, README.md, LICENSE, package.json (src/ only when source maps need it)', async () => {
    const paths = packedFiles.map((f) => f.path).sort()
    // Source maps that name ../src/*.ts without embedding the sources need src/ to be useful.
    const maps = paths.filter((p) => p.startsWith('dist/') && p.endsWith('.map'))
    let mapsNeedSrc = false
    for (const map of maps) {
      const { sources = [], sourcesContent = [] } = JSON.parse(await readFile(path.join(installed, map), 'utf8'))
      if (sources.some((s, i) => s.startsWith('../src/') && sourcesContent[i] == null)) mapsNeedSrc = true
    }
    const unexpected = paths.filter(
      (p) => !(p === 'package.json' || p === 'README.md' || p === 'LICENSE' || p.startsWith('dist/') || (mapsNeedSrc && p.startsWith('src/'))),
    )
    assert.deepEqual(unexpected, [], `unexpected files in the tarball${mapsNeedSrc ? '' : ' (the source maps embed their sources, so src/ is not needed)'}`)
    const subpaths = ['server', 'testing'].flatMap((name) => ['js', 'cjs', 'd.ts', 'd.cts'].map((ext) => `dist/${name}.${ext}`))
    for (const required of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli.js', 'dist/fetch-eventsource.browser.js', 'dist/fetch-eventsource.iife.js', ...subpaths]) {
      assert.ok(paths.includes(required), `${required} is not in the tarball`)
    }
    // Every path package.json points at is in it.
    const targets = []
    const walk = (value) => {
      if (typeof value === 'string') targets.push(value)
      else if (value && typeof value === 'object') Object.values(value).forEach(walk)
    }
    walk([pkg.main, pkg.module, pkg.types, pkg.unpkg, pkg.jsdelivr, pkg.bin, pkg.exports])
    for (const target of targets.filter(Boolean)) {
      assert.ok(paths.includes(target.replace(/^\.\//, '')), `package.json points at ${target}, which is not in the tarball`)
    }
  })

  test('publint --strict: no errors, warnings or suggestions', async () => {
    const result = await exec(path.join(BIN, 'publint'), ['run', tarball, '--strict', '--level', 'suggestion'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /All good!/, result.stdout)
  })

  test('Are the Types Wrong: no problems for any entry point and resolution mode', async () => {
    const result = await exec(path.join(BIN, 'attw'), [tarball, '--format', 'json'])
    const report = JSON.parse(result.stdout)
    const problems = report.analysis?.problems ?? []
    const human = problems.map((p) => `${p.kind} ${p.entrypoint ?? ''} ${p.resolutionKind ?? ''}`.trim())
    assert.deepEqual(human, [], 'run `npx attw --pack .` for details')
    // Every subpath was analysed, not just the main entry.
    assert.deepEqual(Object.keys(report.analysis?.entrypoints ?? {}).sort(), ['.', './browser', './package.json', './server', './testing'])
    assert.equal(result.code, 0, result.stderr)
  })
})

describe('types', () => {
  /**
   * The README's ts/js code blocks that use the library, each as its own module.
   * @returns {Promise<Array<{ name: string, code: string }>>}
   */
  async function readmeExamples({ node = true, dom = true } = {}) {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8')
    const blocks = []
    for (const m of readme.matchAll(/^```(ts|typescript|js|javascript)\n([\s\S]*?)^```/gm)) {
      const code = m[2]
      if (!/\bFetchEventSource\b|\bEventSource\b|from 'fetch-eventsource(\/server|\/testing)?'/.test(code)) continue
      // The server half is Node (or fetch-server) code: it needs @types/node.
      const serverSide = /from 'fetch-eventsource\/(server|testing)'|from 'node:/.test(code)
      if (!node && serverSide) continue
      if (!dom && !serverSide) continue
      const line = readme.slice(0, m.index).split('\n').length
      const imports = /from ['"]fetch-eventsource(\/server|\/testing)?['"]/.test(code)
        ? ''
        : "import { FetchEventSource, EventSource, assertEventStream, FetchEventSourceError } from 'fetch-eventsource'\n"
      blocks.push({ name: `readme-line-${line}.ts`, code: `// README.md line ${line}\n${imports}${code}\nexport {}\n` })
    }
    return blocks
  }

  /** @type {Record<string, { compilerOptions: object, dom: boolean }>} */
  const configs = {
    'Node ESM (nodenext, DOM lib and @types/node)': {
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: ['node'] },
      dom: true,
    },
    'a bundler app (bundler resolution, DOM lib)': {
      compilerOptions: { module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [] },
      dom: true,
    },
    // The declarations name no DOM-only type (HeadersInit, BodyInit, generic MessageEvent …): see src/event-source.ts.
    'Node without the DOM lib (@types/node only)': {
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: ['node'] },
      dom: false,
    },
  }

  for (const [name, { compilerOptions: options, dom }] of Object.entries(configs)) {
    const what = dom ? 'the README examples, typical usage and the EventSource swap compile' : 'typical usage compiles'
    test(`tsc --strict, ${name}: ${what}, misuse does not`, async () => {
      const dir = path.join(consumer, `types-${Object.keys(configs).indexOf(name)}`)
      await mkdir(dir, { recursive: true })
      const node = options.types.includes('node')
      // The README's browser examples use DOM globals (document, elements), so without the DOM lib only the
      // server-side examples (fetch-eventsource/server and /testing) are compiled.
      const files = ['usage.ts', 'misuse.ts', 'readme-globals.d.ts', ...(dom ? ['dom-drop-in.ts'] : []), ...(node ? ['server.ts'] : ['web-server.ts'])]
      for (const file of files) await cp(path.join(ROOT, 'test', 'types', file), path.join(dir, file))
      const examples = await readmeExamples({ node, dom })
      assert.ok(examples.length >= 2, 'the README should have code examples using the library')
      for (const example of examples) await writeFile(path.join(dir, example.name), example.code)
      await writeFile(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            ...options,
            target: 'ES2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            exactOptionalPropertyTypes: true,
            noUncheckedIndexedAccess: true,
            typeRoots: [path.join(ROOT, 'node_modules', '@types')],
          },
          files: [...files, ...examples.map((e) => e.name)],
        }),
      )
      const result = await exec(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir, '--pretty', 'false'])
      assert.equal(result.code, 0, `tsc failed (a README example with a new free name? declare it in test/types/readme-globals.d.ts):\n${result.stdout}${result.stderr}`)
    })
  }
})

describe('bundlers and module systems', () => {
  const APP = `import { FetchEventSource } from 'fetch-eventsource'
const source = new FetchEventSource(process.argv[2])
const seen = []
source.addEventListener('tick', (event) => seen.push(event.data + '#' + event.lastEventId))
source.onerror = () => {
  if (source.readyState === source.CLOSED) console.log(JSON.stringify(seen))
}
`
  /** Fails on any import or require left in a bundle: it must be self-contained. */
  function assertSelfContained(code, what) {
    assert.doesNotMatch(code, /^\s*import\s*[\w{*'"]/m, `${what} has an import statement`)
    assert.doesNotMatch(code, /\bfrom\s*['"]/, `${what} imports something`)
    assert.doesNotMatch(code, /\brequire\s*\(/, `${what} calls require()`)
  }

  test('rollup + @rollup/plugin-node-resolve: a self-contained bundle that runs against the test server', async () => {
    const dir = path.join(consumer, 'rollup-app')
    await mkdir(dir, { recursive: true })
    await writeFile(path.join(dir, 'app.js'), APP)
    await writeFile(
      path.join(dir, 'rollup.config.mjs'),
      `import { nodeResolve } from ${JSON.stringify(path.join(ROOT, 'node_modules', '@rollup', 'plugin-node-resolve', 'dist', 'es', 'index.js'))}
export default { input: 'app.js', plugins: [nodeResolve({ browser: true })], output: { file: 'bundle.js', format: 'es' } }
`,
    )
    const built = await exec(path.join(BIN, 'rollup'), ['-c', 'rollup.config.mjs', '--silent'], { cwd: dir })
    assert.equal(built.code, 0, built.stderr)
    const bundle = await readFile(path.join(dir, 'bundle.js'), 'utf8')
    assertSelfContained(bundle, 'the rollup bundle')
    assert.match(bundle, /class FetchEventSource extends EventTarget/)
    const { url } = await (await fetch(`${server.url}/script`, {
      method: 'POST',
      body: JSON.stringify({ responses: [{ body: ['retry: 10\nevent: tick\nid: 1\ndata: a\n\n', 'event: tick\nid: 2\ndata: b\n\n'] }, { status: 204 }] }),
    })).json()
    const ran = await exec(process.execPath, [path.join(dir, 'bundle.js'), url], { timeout: 10_000 })
    assert.equal(ran.code, 0, ran.stderr)
    assert.equal(ran.stdout, '["a#1","b#2"]\n')
  })

  test('esbuild for the browser: the package and fetch-eventsource/browser bundle self-contained', async () => {
    const dir = path.join(consumer, 'esbuild-app')
    await mkdir(dir, { recursive: true })
    for (const [entry, specifier] of [['main.js', 'fetch-eventsource'], ['browser.js', 'fetch-eventsource/browser']]) {
      await writeFile(path.join(dir, entry), `import { EventSource } from '${specifier}'\nnew EventSource('/events').onmessage = (e) => document.title = e.data\n`)
      const out = path.join(dir, `out-${entry}`)
      const built = await exec(path.join(BIN, 'esbuild'), [entry, '--bundle', '--format=esm', '--platform=browser', '--minify', `--outfile=${out}`], { cwd: dir })
      assert.equal(built.code, 0, built.stderr)
      assertSelfContained(await readFile(out, 'utf8'), `the esbuild bundle of ${specifier}`)
    }
  })

  test('the self-contained browser ESM in the tarball has no imports', async () => {
    const code = await readFile(path.join(installed, 'dist', 'fetch-eventsource.browser.js'), 'utf8')
    assertSelfContained(code, 'dist/fetch-eventsource.browser.js')
  })

  test('import and require from a consumer project resolve the right builds', async () => {
    const script = `
      import { createRequire } from 'node:module'
      const require = createRequire(import.meta.url)
      const esm = await import('fetch-eventsource')
      const cjs = require('fetch-eventsource')
      console.log(JSON.stringify([
        import.meta.resolve('fetch-eventsource').split('/node_modules/')[1],
        require.resolve('fetch-eventsource').split('/node_modules/')[1],
        import.meta.resolve('fetch-eventsource/browser').split('/node_modules/')[1],
        typeof esm.FetchEventSource, esm.EventSource === esm.FetchEventSource,
        typeof cjs.FetchEventSource, cjs.EventSource === cjs.FetchEventSource,
        ...['server', 'testing'].flatMap((sub) => [
          import.meta.resolve('fetch-eventsource/' + sub).split('/node_modules/')[1],
          require.resolve('fetch-eventsource/' + sub).split('/node_modules/')[1],
        ]),
        typeof (await import('fetch-eventsource/server')).newStream, typeof require('fetch-eventsource/server').newWebStream,
        typeof (await import('fetch-eventsource/testing')).startTestServer, typeof require('fetch-eventsource/testing').startTestServer,
      ]))`
    await writeFile(path.join(consumer, 'resolve.mjs'), script)
    const result = await exec(process.execPath, ['resolve.mjs'], { cwd: consumer })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), [
      'fetch-eventsource/dist/index.js',
      'fetch-eventsource/dist/index.cjs',
      'fetch-eventsource/dist/fetch-eventsource.browser.js',
      'function',
      true,
      'function',
      true,
      'fetch-eventsource/dist/server.js',
      'fetch-eventsource/dist/server.cjs',
      'fetch-eventsource/dist/testing.js',
      'fetch-eventsource/dist/testing.cjs',
      'function',
      'function',
      'function',
      'function',
    ])
  })

  for (const system of ['ESM', 'CommonJS']) {
    test(`${system}: the installed server and testing subpaths stream a scripted response and a published one`, async () => {
      const load = system === 'ESM'
        ? "const { newStream } = await import('fetch-eventsource/server'); const { startTestServer } = await import('fetch-eventsource/testing')"
        : "const { newStream } = require('fetch-eventsource/server'); const { startTestServer } = require('fetch-eventsource/testing')"
      const script = `${system === 'ESM' ? '' : "const http = require('node:http');\n(async () => {"}
        ${system === 'ESM' ? "import http from 'node:http'" : ''}
        ${load}
        const testServer = await startTestServer()
        const url = testServer.script([{ body: ['id: 1\\ndata: scripted\\n\\n'] }])
        const scripted = await (await fetch(url, { headers: { 'x-probe': 'yes' } })).text()
        const recorded = testServer.requests(url).map((r) => r.headers['x-probe'])
        await testServer.close()
        const server = http.createServer((req, res) => {
          const stream = newStream(res)
          stream.publish({ id: 2, event: 'e', data: 'published' }).then(() => stream.close())
        })
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
        const published = await (await fetch('http://127.0.0.1:' + server.address().port)).text()
        server.close()
        console.log(JSON.stringify([scripted, recorded, published]))
      ${system === 'ESM' ? '' : '})()'}`
      const file = path.join(consumer, system === 'ESM' ? 'subpaths.mjs' : 'subpaths.cjs')
      await writeFile(file, script)
      const result = await exec(process.execPath, [file], { cwd: consumer, timeout: 20_000 })
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout), ['id: 1\ndata: scripted\n\n', ['yes'], 'id: 2\nevent: e\ndata: published\n\n'])
    })
  }
})

describe('the command', () => {
  test('`npx fetch-eventsource` from the installed package streams against the test server', async () => {
    const bin = await readdir(path.join(consumer, 'node_modules', '.bin'))
    assert.ok(bin.includes('fetch-eventsource'), `node_modules/.bin has ${bin.join(', ')}`)
    const res = await fetch(`${server.url}/script`, { method: 'POST', body: JSON.stringify({ responses: [{ body: ['retry: 10\nid: 1\ndata: hello\n\n'] }] }) })
    const { url } = await res.json()
    const result = await new Promise((resolve, reject) => {
      const child = spawn(NPM, ['exec', '--offline', '--', 'fetch-eventsource', '--json', url], { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`npx fetch-eventsource did not finish\n${stdout}\n${stderr}`))
      }, 20_000)
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({ code, stdout, stderr })
      })
    })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, '{"type":"message","data":"hello","id":"1"}\n')
  })
})
