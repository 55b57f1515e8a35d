// The scripted test server (fetch-eventsource/testing) standalone, for manual browser work: serves /dist/, /test/ and
// /e2e/ from the repository and prints its URL.
//
//   node e2e/test-server.js [--port N] [--host H]     (PORT and HOST from the env work too; default a free port)

import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from '../dist/support.js'
import { startTestServer } from '../dist/testing.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = parseArgs(process.argv.slice(2))
const server = await startTestServer({
  port: Number(args.port ?? process.env.PORT ?? 0),
  host: String(args.host ?? process.env.HOST ?? '127.0.0.1'),
  staticRoots: {
    '/dist/': path.join(repo, 'dist'),
    '/test/': path.join(repo, 'test'),
    '/e2e/': path.join(repo, 'e2e'),
  },
})
console.log(`test server listening on ${server.url}`)
const stop = () => server.close().then(() => process.exit(0))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
