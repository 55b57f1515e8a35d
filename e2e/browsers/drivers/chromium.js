// Chromium (Debian package "chromium") driven by playwright-core over CDP, with a fresh temporary profile.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS } from '../../../dist/support.js'
import { killByMarker, pageSession, logRing, requireBinaries, withTimeout } from './common.js'

export const engine = 'chromium'
export const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
// The flags every Chromium run of the project uses live in the repository's support module.
const ARGS = CHROMIUM_ARGS

/**
 * @param {{ timeoutMs?: number }} [opts]
 * @returns {Promise<import('./index.js').BrowserSession>}
 */
export async function launch({ timeoutMs = 30_000 } = {}) {
  requireBinaries(engine, [[executablePath, 'chromium']])
  const userDataDir = mkdtempSync(join(tmpdir(), 'fes-chromium-'))
  const log = logRing()
  /** @type {import('playwright-core').BrowserContext | undefined} */
  let context
  const cleanup = async () => {
    if (context) await withTimeout(context.close(), 10_000, 'chromium close').catch((e) => log.push(String(e)))
    killByMarker(userDataDir) // playwright already killed its process group; this is the safety net
    rmSync(userDataDir, { recursive: true, force: true })
  }
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true, // playwright adds --headless too; ARGS keeps it explicit
      args: ARGS,
      timeout: timeoutMs,
      handleSIGINT: true,
      handleSIGTERM: true,
    })
    const page = context.pages()[0] ?? (await context.newPage())
    const version = context.browser()?.version() ?? ''
    return pageSession({ engine, version, page, log, timeoutMs, cleanup })
  } catch (e) {
    await cleanup()
    throw e
  }
}
