// The one command-line parser of the repository's scripts (bench, reliability, e2e, demo): `--name=value`,
// `--name value`, `--flag`, and positionals in `_`. Options listed in `flags` never take the next word as their value,
// so `--verbose chromium` keeps `chromium` a positional.

import path from 'node:path'
import { pathToFileURL } from 'node:url'

export interface Args {
  _: string[]
  [name: string]: string | boolean | string[] | undefined
}

export function parseArgs(argv: readonly string[] = process.argv.slice(2), { flags = [] }: { flags?: readonly string[] } = {}): Args {
  const out: Args = { _: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('--')) {
      out._.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    const following = argv[i + 1]
    if (eq !== -1) out[name] = arg.slice(eq + 1)
    else if (!flags.includes(name) && following !== undefined && !following.startsWith('--')) out[name] = argv[++i] as string
    else out[name] = true
  }
  return out
}

/** `node script.js` run directly rather than imported. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1]
  return entry !== undefined && metaUrl === pathToFileURL(path.resolve(entry)).href
}
