// Shared helpers for the browser drivers: binary checks, free ports, bounded waits and process-group cleanup.
// Linux only (the project's CI and the Debian images these drivers target).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** Thrown when a browser (or its helper) is not installed. `run-browsers.js` turns it into a failure, never a skip. */
export class MissingBrowserError extends Error {
  /** @param {string} engine @param {string} path @param {string} pkg */
  constructor(engine, path, pkg) {
    super(`${engine}: ${path} not found. Install the Debian package "${pkg}" (apt-get install -y ${pkg}).`)
    this.name = 'MissingBrowserError'
    this.engine = engine
    this.package = pkg
  }
}

/** @param {string} engine @param {Array<[string, string]>} pathsAndPackages */
export function requireBinaries(engine, pathsAndPackages) {
  for (const [path, pkg] of pathsAndPackages) {
    if (!existsSync(path)) throw new MissingBrowserError(engine, path, pkg)
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address())
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Rejects after `ms` with a message naming `what`; the timer never keeps the process alive.
 * @template T @param {Promise<T>} promise @param {number} ms @param {string} what @returns {Promise<T>}
 */
export function withTimeout(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)
      timer.unref?.()
    }),
  ]).finally(() => clearTimeout(timer))
}

/** @param {number} ms */
export const delay = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * Processes on this machine: pid, parent pid, process group and command line (from /proc).
 * @returns {Array<{ pid: number, ppid: number, pgrp: number, cmdline: string }>}
 */
export function processTable() {
  const out = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // state ppid pgrp ...
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
      out.push({ pid: Number(name), ppid: Number(rest[1]), pgrp: Number(rest[2]), cmdline })
    } catch {
      // the process went away while we looked
    }
  }
  return out
}

/** @param {number} pid */
export function isAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * SIGKILLs the process group `pgid` (a detached child's pid) if anything in it is still alive.
 * @param {number | undefined} pgid
 */
export function killGroup(pgid, signal = 'SIGKILL') {
  if (!pgid) return
  try {
    process.kill(-pgid, signal)
  } catch {
    // already gone
  }
}

/**
 * Safety net for launchers that manage their own processes (playwright, puppeteer): kills the process
 * groups of every process whose command line contains `marker` (a temp directory unique to this launch).
 * @param {string} marker
 * @returns {number[]} the pids that were still alive
 */
export function killByMarker(marker) {
  const left = processTable().filter((p) => p.pid !== process.pid && p.cmdline.includes(marker))
  for (const p of left) {
    killGroup(p.pgrp > 1 && p.pgrp !== process.pid && p.pgrp !== getPgrp() ? p.pgrp : undefined)
    try {
      process.kill(p.pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  return left.map((p) => p.pid)
}

let ownPgrp = 0
function getPgrp() {
  if (!ownPgrp) {
    const me = processTable().find((p) => p.pid === process.pid)
    ownPgrp = me ? me.pgrp : -1
  }
  return ownPgrp
}

/**
 * Collects log lines in a bounded ring so a long run cannot grow memory without limit.
 * @param {number} max
 */
export function logRing(max = 400) {
  /** @type {string[]} */
  const lines = []
  return {
    lines,
    /** @param {string} line */
    push(line) {
      lines.push(line)
      if (lines.length > max) lines.splice(0, lines.length - max)
    },
  }
}

/**
 * The session a driver returns for a Playwright or Puppeteer page: both have the same `goto` and `evaluate`, so
 * the two drivers differ only in how they launch and clean up. Page console output and errors go to `log`.
 * @param {{ engine: string, version: string, page: any, log: ReturnType<typeof logRing>, timeoutMs: number, cleanup: () => Promise<void> }} o
 * @returns {import('./index.js').BrowserSession}
 */
export function pageSession({ engine, version, page, log, timeoutMs, cleanup }) {
  page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`))
  page.on('pageerror', (e) => log.push(`[pageerror] ${e instanceof Error ? e.message : String(e)}`))
  return {
    engine,
    version,
    logs: log.lines,
    async goto(url, { timeoutMs: navMs = timeoutMs } = {}) {
      await page.goto(url, { waitUntil: 'load', timeout: navMs })
    },
    async userAgent() {
      return page.evaluate(() => navigator.userAgent)
    },
    async evaluate(body) {
      return page.evaluate(`(async () => { ${body} })()`)
    },
    close: cleanup,
  }
}
