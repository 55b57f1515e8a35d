// The one command-line parser of the repository's scripts (bench, reliability, e2e, demo): `--name=value`,
// `--name value` for options declared as taking a value, `--flag`, and positionals in `_`. Declaring the valued
// options keeps `--verbose chromium` from swallowing the positional.

import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs as parse } from 'node:util'

export interface Args {
  _: string[]
  [name: string]: string | boolean | string[] | undefined
}

export function parseArgs(argv: string[] = process.argv.slice(2), valued: readonly string[] = []): Args {
  const options = Object.fromEntries(valued.map((name) => [name, { type: 'string' as const }]))
  const { values, positionals } = parse({ args: argv, options, strict: false, allowPositionals: true })
  return { ...(values as Record<string, string | boolean | undefined>), _: positionals }
}

/** `node script.js` run directly rather than imported. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1]
  return entry !== undefined && metaUrl === pathToFileURL(path.resolve(entry)).href
}
