// One TypeScript compile (with eventsource-parser inlined), four JavaScript shapes and bundled types:
//   dist/index.js                        ESM for Node and bundlers
//   dist/index.cjs                       CommonJS for require()
//   dist/fetch-eventsource.browser.js    minified, self-contained ESM for <script type="module">
//   dist/fetch-eventsource.iife.js       minified IIFE defining the global `fetchEventSource`
//   dist/index.d.ts, dist/index.d.cts    bundled declarations for both module systems
// and, from server/ (Node only, ESM + CommonJS + declarations):
//   dist/server.*                        fetch-eventsource/server
//   dist/testing.*                       fetch-eventsource/testing
//   dist/support.js                      internal helpers for the repository's own servers and scripts (not exported)
import typescript from '@rollup/plugin-typescript'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import { dts } from 'rollup-plugin-dts'

const input = 'src/index.ts'
const compile = () => typescript({ tsconfig: './tsconfig.json', declaration: false, sourceMap: true, inlineSources: true, outDir: 'dist', rootDir: 'src' })
// `module` lets terser treat top-level names as private; the IIFE's top-level `var fetchEventSource` is its whole
// point, so that output is minified as a script.
const minify = (module) =>
  terser({
    ecma: 2022,
    module,
    toplevel: module,
    compress: { passes: 2 },
    // Keep the exported classes' names: `FetchEventSource.name` and stack traces stay readable.
    keep_classnames: /^(FetchEventSource|FetchEventSourceError|FetchEventSourceErrorEvent)$/,
    format: { comments: false },
  })

const serverEntries = { server: 'server/index.ts', testing: 'server/testing/index.ts', support: 'server/support/index.ts' }
const compileServer = () =>
  typescript({ tsconfig: './server/tsconfig.json', declaration: false, sourceMap: true, inlineSources: true, outDir: 'dist', rootDir: '.' })
const nodeBuiltin = (id) => id.startsWith('node:')
// Subpaths ship their declarations bundled, one file per module system, like the main entry.
const serverTypes = ['server', 'testing'].map((name) => ({
  input: serverEntries[name],
  external: nodeBuiltin,
  plugins: [dts({ tsconfig: './server/tsconfig.json' })],
  output: [
    { file: `dist/${name}.d.ts`, format: 'es' },
    { file: `dist/${name}.d.cts`, format: 'es' },
  ],
}))

export default [
  {
    input,
    // eventsource-parser is inlined, so the package has no runtime dependency: it declares Node >= 22.12 and ships
    // ESM only, where this package runs on Node 20.20 and is also required as CommonJS; and what ships is the
    // patched copy (patches/eventsource-parser+4.1.3.patch).
    plugins: [nodeResolve(), compile()],
    output: [
      { file: 'dist/index.js', format: 'es', sourcemap: true },
      { file: 'dist/index.cjs', format: 'cjs', sourcemap: true, exports: 'named' },
      { file: 'dist/fetch-eventsource.browser.js', format: 'es', sourcemap: true, plugins: [minify(true)] },
      { file: 'dist/fetch-eventsource.iife.js', format: 'iife', name: 'fetchEventSource', sourcemap: true, plugins: [minify(false)] },
    ],
  },
  {
    input,
    plugins: [dts()],
    output: [
      { file: 'dist/index.d.ts', format: 'es' },
      { file: 'dist/index.d.cts', format: 'es' },
    ],
  },
  {
    input: serverEntries,
    external: nodeBuiltin,
    plugins: [compileServer()],
    output: [
      { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name].js' },
      { dir: 'dist', format: 'cjs', sourcemap: true, exports: 'named', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name].cjs' },
    ],
  },
  ...serverTypes,
]
