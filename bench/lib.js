// Small helpers shared by the benchmark scripts (Node only).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import os from 'node:os'

export const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url))
export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * Imports a TypeScript module of src/ that the package does not export (the parser, the message event class):
 * esbuild bundles it into a temporary file, which is removed once imported.
 */
export async function importSource(file) {
  const esbuild = await import('esbuild')
  const dir = mkdtempSync(join(os.tmpdir(), 'fes-bench-'))
  const outfile = join(dir, 'module.mjs')
  try {
    await esbuild.build({ entryPoints: [file], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile, logLevel: 'silent' })
    return await import(pathToFileURL(outfile).href)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `--name value` / `--flag` parsing: the repository's one parser. */
export { parseArgs } from '../dist/support.js'

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Starts bench/server.js in its own process; resolves with { url, pid, close() }. */
export function startServer({ staticDir } = {}) {
  const args = [fileURLToPath(new URL('./server.js', import.meta.url))]
  if (staticDir) args.push('--static', staticDir)
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error('bench server did not start in 10 s'))
    }, 10_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`bench server exited (${code})`))
    })
    child.stdout.on('data', (d) => {
      buf += d
      const nl = buf.indexOf('\n')
      if (nl === -1) return
      clearTimeout(timer)
      const { port } = JSON.parse(buf.slice(0, nl))
      resolve({
        url: `http://127.0.0.1:${port}`,
        pid: child.pid,
        close() {
          return new Promise((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGTERM')
          })
        },
      })
    })
  })
}

/**
 * Runs `node [flags] script args` and resolves with the last JSON line it printed on stdout
 * (or { error } on a crash or timeout; the child is killed by PID after `timeoutMs`).
 */
export function runJsonChild(script, args, { nodeFlags = [], timeoutMs = 120_000, env, execPath = process.execPath } = {}) {
  return new Promise((resolve) => {
    const child = spawn(execPath, [...nodeFlags, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ? { ...process.env, ...env } : process.env,
    })
    let out = ''
    let err = ''
    let timedOut = false
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const lines = out.trim().split('\n').filter(Boolean)
      for (let i = lines.length - 1; i >= 0; i--) {
        try {
          const json = JSON.parse(lines[i])
          if (json && typeof json === 'object') return resolve(json)
        } catch {}
      }
      resolve({
        error: timedOut
          ? `timeout: killed after ${Math.round(timeoutMs / 1000)} s`
          : `exit ${code ?? signal}: ${(err || out).trim().split('\n').slice(-6).join(' | ')}`,
        timeout: timedOut,
      })
    })
  })
}

export function machine() {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model?.trim() || 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  }
}

export const fmt = {
  ms: (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '—'),
  ratio: (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—'),
  num: (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—'),
  kib: (x) => (Number.isFinite(x) ? `${(x / 1024).toFixed(2)} KiB` : '—'),
}
