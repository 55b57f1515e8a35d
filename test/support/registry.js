// What every Node run of the shared case registry (test/cases/) needs: the scripted test server for the file, and
// a harness over the given build whose cases throw with the case's own error text.
import { after, before } from 'node:test'
import { startTestServer } from '../../dist/testing.js'
import { createHarness } from '../cases/harness.js'

/**
 * Starts the server before the file's tests and stops it after them.
 * @param {any} lib the build under test (its module namespace, or what require returned)
 */
export function registryRun(lib) {
  /** @type {Awaited<ReturnType<typeof startTestServer>> | undefined} */
  let server
  /** @type {ReturnType<typeof createHarness> | undefined} */
  let harness
  before(async () => {
    server = await startTestServer({ port: 0, host: '127.0.0.1' })
    harness = createHarness({ serverUrl: server.url, lib })
  })
  after(async () => {
    await server?.close()
  })
  return {
    /** The running server (inside tests only). */
    get server() {
      if (server === undefined) throw new Error('the registry server is not started yet')
      return server
    },
    /** Runs one case; a failure throws with the harness's report as message and stack. @param {any} c */
    async runCase(c) {
      if (harness === undefined) throw new Error('the registry server is not started yet')
      const result = await harness.runCase(c)
      if (result.ok) return
      const e = new Error(result.error)
      e.stack = result.error
      throw e
    },
  }
}
