// Makes sure the browsers the test suite drives are installed, before anything needs one (`npm test` runs this
// first: test:node already has Chromium tests). The suite uses Debian's browsers, never a browser download of a
// test tool's own, so on a Debian machine where we are root this installs the missing packages with apt-get and
// says so; anywhere else it fails naming the packages to install.
//
//   node scripts/ensure-browsers.js
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * What the browser suite runs, the Debian package that provides it, and the variable a driver in
 * e2e/browsers/drivers/ reads to use another binary (when that variable is set, its path is what must exist).
 */
export const TOOLS = [
  { command: 'chromium', pkg: 'chromium', env: 'CHROMIUM_PATH' },
  { command: 'firefox-esr', pkg: 'firefox-esr', env: 'FIREFOX_PATH' },
  // Also brings MiniBrowser, which the driver runs (package libwebkit2gtk-4.1-0, a dependency).
  { command: 'WebKitWebDriver', pkg: 'webkit2gtk-driver', env: 'WEBKIT_DRIVER_PATH' },
  // MiniBrowser has no headless mode: WebKit runs under a virtual X server, which xvfb-run starts with xauth.
  { command: 'xvfb-run', pkg: 'xvfb' },
  { command: 'xauth', pkg: 'xauth' },
]

/**
 * An executable `command` on `pathVar` (a PATH value), or undefined.
 * @param {string} command @param {string | undefined} pathVar
 */
export function which(command, pathVar) {
  for (const dir of (pathVar ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, command)
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {}
  }
  return undefined
}

/**
 * The packages whose tool is missing from PATH, in TOOLS order, without repeats. A tool whose driver variable is
 * set counts as present: that variable, not PATH, says which binary runs (see overridesNotFound).
 * @param {NodeJS.ProcessEnv} env
 */
export function missingPackages(env) {
  const missing = TOOLS.filter((t) => !(t.env && env[t.env]) && !which(t.command, env.PATH))
  return [...new Set(missing.map((t) => t.pkg))]
}

/**
 * Driver variables set to a path that does not exist, as 'CHROMIUM_PATH=/x': no package can fix those.
 * @param {NodeJS.ProcessEnv} env
 */
export function overridesNotFound(env) {
  return TOOLS.filter((t) => t.env && env[t.env] && !existsSync(env[t.env] ?? '')).map((t) => `${t.env}=${env[t.env]}`)
}

/**
 * What to do about missing packages: nothing, install them (only where apt-get can, as root on Debian), or fail.
 * @param {{ missing: string[], isDebian: boolean, isRoot: boolean, hasApt: boolean }} facts
 * @returns {'ok' | 'install' | 'fail'}
 */
export function decide({ missing, isDebian, isRoot, hasApt }) {
  if (missing.length === 0) return 'ok'
  return isDebian && isRoot && hasApt ? 'install' : 'fail'
}

/** The command that installs `packages`, for messages. @param {string[]} packages */
export const installCommand = (packages) => `apt-get install -y ${packages.join(' ')}`

/** @param {string[]} args */
function apt(args) {
  // Its output goes to stderr with our own messages, leaving stdout to the test reporters.
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${r.error?.message ?? `exit code ${r.status}`})`)
}

/** Checks, installs if it may, and returns the process exit code. */
export function main(env = process.env) {
  const broken = overridesNotFound(env)
  if (broken.length) {
    console.error(`ensure-browsers: ${broken.join(', ')}: no such file. Point the variable at the browser, or unset it to use Debian's.`)
    return 1
  }
  const missing = missingPackages(env)
  const facts = { missing, isDebian: existsSync('/etc/debian_version'), isRoot: process.getuid?.() === 0, hasApt: !!which('apt-get', env.PATH) }
  const action = decide(facts)
  if (action === 'ok') return 0
  if (action === 'fail') {
    const why = !facts.isDebian ? 'this is not Debian' : !facts.isRoot ? 'not running as root' : 'apt-get not found'
    console.error(`ensure-browsers: the browser suite needs the Debian packages ${missing.join(', ')}, which are missing; ` +
      `${why}, so they are not installed automatically. Install them with: ${installCommand(missing)}`)
    return 1
  }
  console.error(`ensure-browsers: installing ${missing.join(' ')} with apt-get (missing; Debian, root)`)
  try {
    apt(['update', '-q'])
    apt(['install', '-y', '-q', ...missing])
  } catch (e) {
    console.error(`ensure-browsers: ${e instanceof Error ? e.message : e}. Install them with: ${installCommand(missing)}`)
    return 1
  }
  const still = missingPackages(env)
  if (still.length) {
    console.error(`ensure-browsers: still missing after apt-get: ${still.join(', ')}`)
    return 1
  }
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) process.exitCode = main()
