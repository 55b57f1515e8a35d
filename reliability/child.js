// Runs a reliability client script in a child Node process and parses the JSON line it prints.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * @param {string} script path under reliability/
 * @param {string[]} args
 * @param {{ timeoutMs?: number, nodeArgs?: string[] }} [options]
 * @returns {Promise<{ result: any, code: number | null, exitedAfterResultMs: number, stderr: string }>}
 *   exitedAfterResultMs: how long the process lived after printing its result (it must exit by itself)
 */
export function runClient(script, args, { timeoutMs = 60_000, nodeArgs = ['--expose-gc'] } = {}) {
  const file = fileURLToPath(new URL(script, import.meta.url))
  const child = spawn(process.execPath, [...nodeArgs, file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let resultAt = 0
  child.stdout.on('data', (d) => {
    out += d
    if (!resultAt && out.includes('\n')) resultAt = performance.now()
  })
  child.stderr.on('data', (d) => (err += d))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} still running after ${timeoutMs} ms; stdout: ${out.slice(0, 500)} stderr: ${err.slice(0, 2000)}`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line === undefined) return reject(new Error(`${script} printed no result (exit ${code}); stderr: ${err.slice(0, 2000)}`))
      resolve({ result: JSON.parse(line), code, exitedAfterResultMs: Math.round(performance.now() - resultAt), stderr: err })
    })
  })
}
