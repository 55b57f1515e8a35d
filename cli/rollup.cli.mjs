// Builds the command-line tool: cli/main.ts → dist/cli.js (ESM, with a shebang, executable), the package's `bin`.
//   rollup -c cli/rollup.cli.mjs
// The library is imported by its package name and left external: Node resolves a package's own name through its
// "exports" (self-reference), so the CLI runs the very dist/index.js the suite tests, and the tarball carries one
// copy of the library, not two.
import { chmod } from 'node:fs/promises'
import typescript from '@rollup/plugin-typescript'

export default {
  input: 'cli/main.ts',
  external: (id) => id === 'fetch-eventsource' || id.startsWith('node:'),
  plugins: [
    typescript({ tsconfig: './cli/tsconfig.json', noEmitOnError: true }),
    { name: 'executable', writeBundle: ({ file }) => chmod(file, 0o755) },
  ],
  output: { file: 'dist/cli.js', format: 'es', banner: '#!/usr/bin/env node' },
}
