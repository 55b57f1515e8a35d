// Runs a server module in its own process so it can be killed (SIGKILL: no goodbye) and started again on the same
// port. The module must print one JSON line with `port` when listening (resumable-server.js and
// fault-servers.js do).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * @param {string} moduleName file name under reliability/
 * @param {object} options passed as JSON argv
 * @param {number} [timeoutMs]
 * @returns {Promise<{ port: number, pid: number, kill: () => Promise<void> }>}
 */
export function spawnServer(moduleName, options, timeoutMs = 10_000) {
  const file = fileURLToPath(new URL(moduleName, import.meta.url))
  const child = spawn(process.execPath, [file, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${moduleName} did not report its port within ${timeoutMs} ms`))
    }, timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${moduleName} exited early (${code ?? signal}): ${out}`))
    })
    child.stdout.on('data', (data) => {
      out += data
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line === undefined || !out.includes('\n')) return
      clearTimeout(timer)
      const { port } = JSON.parse(line)
      resolve({
        port,
        pid: /** @type {number} */ (child.pid),
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
          await exited
        },
      })
    })
  })
}
