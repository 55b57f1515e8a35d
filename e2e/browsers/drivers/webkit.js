// WebKitGTK (Debian package "webkit2gtk-driver"): `xvfb-run -a WebKitWebDriver --port=P` driving MiniBrowser
// with plain WebDriver HTTP. MiniBrowser has no headless mode, hence the virtual X server.
import { spawn } from 'node:child_process'
import { delay, freePort, isAlive, killGroup, logRing, processTable, requireBinaries, withTimeout } from './common.js'

export const engine = 'webkit'
export const driverPath = process.env.WEBKIT_DRIVER_PATH || '/usr/bin/WebKitWebDriver'
export const miniBrowserPath =
  process.env.WEBKIT_MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'

/**
 * @param {string} base @param {string} method @param {string} path @param {unknown} [body] @param {number} [ms]
 */
async function wd(base, method, path, body, ms = 30_000) {
  const ac = new AbortController()
  const timer = setTimeout(() => ac.abort(), ms)
  try {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ac.signal,
    })
    const json = /** @type {any} */ (await res.json().catch(() => ({})))
    if (!res.ok || json?.value?.error) {
      throw new Error(`WebDriver ${method} ${path}: ${res.status} ${json?.value?.error ?? ''} ${json?.value?.message ?? ''}`)
    }
    return json.value
  } catch (e) {
    if (ac.signal.aborted) throw new Error(`WebDriver ${method} ${path}: no answer within ${ms} ms`)
    throw e
  } finally {
    clearTimeout(timer)
  }
}

/**
 * @param {{ timeoutMs?: number }} [opts]
 * @returns {Promise<import('./index.js').BrowserSession>}
 */
export async function launch({ timeoutMs = 30_000 } = {}) {
  requireBinaries(engine, [
    [driverPath, 'webkit2gtk-driver'],
    [miniBrowserPath, 'webkit2gtk-driver'],
    ['/usr/bin/xvfb-run', 'xvfb'],
    ['/usr/bin/Xvfb', 'xvfb'],
    ['/usr/bin/xauth', 'xauth'],
  ])
  const log = logRing()
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  // detached: xvfb-run becomes the leader of a new process group holding Xvfb, the driver and MiniBrowser.
  const child = spawn('xvfb-run', ['-a', driverPath, `--port=${port}`, '--host=127.0.0.1'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const pgid = /** @type {number} */ (child.pid)
  // Last resort if Node exits without close() (an uncaught error, process.exit in a signal handler).
  const killOnExit = () => killGroup(pgid)
  process.once('exit', killOnExit)
  let exited = false
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = true, { code, signal }))))
  child.on('error', (e) => log.push(`[spawn] ${e.message}`))
  child.stdout.on('data', (d) => log.push(`[driver] ${String(d).trimEnd()}`))
  child.stderr.on('data', (d) => log.push(`[driver] ${String(d).trimEnd()}`))
  /** @type {string | undefined} */
  let sessionId

  const cleanup = async () => {
    if (sessionId) {
      const id = sessionId
      sessionId = undefined
      await wd(base, 'DELETE', `/session/${id}`, undefined, 5_000).catch((e) => log.push(String(e)))
    }
    if (!exited) {
      // SIGTERM the group's members but not xvfb-run itself, so it runs its own clean-up (Xvfb lock, auth file)
      for (const p of processTable()) if (p.pgrp === pgid && p.pid !== pgid) killGroupMember(p.pid)
      await withTimeout(exit, 5_000, 'xvfb-run exit').catch(() => {})
    }
    killGroup(pgid) // whatever is left (nothing, normally)
    process.off('exit', killOnExit)
  }

  try {
    // Wait for the driver to answer /status (bounded).
    const deadline = Date.now() + 15_000
    for (;;) {
      if (exited) throw new Error(`webkit: WebKitWebDriver exited early\n${log.lines.join('\n')}`)
      const ready = await wd(base, 'GET', '/status', undefined, 1_000).then((v) => v?.ready, () => false)
      if (ready) break
      if (Date.now() > deadline) throw new Error('webkit: WebKitWebDriver did not become ready within 15 s')
      await delay(100)
    }
    const session = await wd(
      base,
      'POST',
      '/session',
      {
        capabilities: {
          alwaysMatch: {
            browserName: 'MiniBrowser',
            'webkitgtk:browserOptions': { binary: miniBrowserPath, args: ['--automation'] },
            timeouts: { pageLoad: timeoutMs, script: timeoutMs },
          },
        },
      },
      timeoutMs,
    )
    sessionId = session.sessionId
    const version = session.capabilities?.browserVersion ?? ''
    return {
      engine,
      version,
      logs: log.lines,
      async goto(url, { timeoutMs: navMs = timeoutMs } = {}) {
        await wd(base, 'POST', `/session/${sessionId}/url`, { url }, navMs + 2_000)
      },
      async userAgent() {
        return wd(base, 'POST', `/session/${sessionId}/execute/sync`, { script: 'return navigator.userAgent', args: [] })
      },
      async evaluate(body) {
        const script = `const done = arguments[arguments.length - 1]; (async () => { ${body} })().then(done, (e) => done({ error: String(e) }))`
        return wd(base, 'POST', `/session/${sessionId}/execute/async`, { script, args: [] })
      },
      close: cleanup,
    }
  } catch (e) {
    await cleanup()
    throw e
  }
}

/** @param {number} pid */
function killGroupMember(pid) {
  if (!isAlive(pid)) return
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    // gone
  }
}
