// fetch-eventsource (this project), from its built ESM: dist/index.js.
import { existsSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { openEventTarget } from './_event-target.js'

const entry = new URL('../../dist/index.js', import.meta.url)
let FetchEventSource

export default {
  name: 'ours',
  label: 'fetch-eventsource',
  available() {
    return existsSync(fileURLToPath(entry)) || 'dist/index.js not built (npm run build)'
  },
  /** package version plus a hash of the built file, so results name the exact build they measured */
  version() {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version
    const hash = createHash('sha1').update(readFileSync(entry)).digest('hex').slice(0, 8)
    return `${pkg} (dist ${hash})`
  },
  async load() {
    ;({ FetchEventSource } = await import(entry.href))
  },
  open(url, o) {
    return openEventTarget(FetchEventSource, url, o)
  },
}
