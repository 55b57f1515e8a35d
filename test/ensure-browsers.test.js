// scripts/ensure-browsers.js, run by `npm test` first. The browsers are installed where this suite runs, so the
// "missing" paths are reached with a PATH that lacks them; nothing here runs apt-get.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { decide, missingPackages, overridesNotFound } from '../scripts/ensure-browsers.js'

const script = fileURLToPath(new URL('../scripts/ensure-browsers.js', import.meta.url))
const ALL = ['chromium', 'firefox-esr', 'webkit2gtk-driver', 'xvfb', 'xauth']

test('decide: install only when something is missing on Debian, as root, with apt-get; otherwise fail', () => {
  const debianRoot = { isDebian: true, isRoot: true, hasApt: true }
  assert.equal(decide({ missing: [], ...debianRoot }), 'ok')
  assert.equal(decide({ missing: [], isDebian: false, isRoot: false, hasApt: false }), 'ok')
  assert.equal(decide({ missing: ['chromium'], ...debianRoot }), 'install')
  assert.equal(decide({ missing: ['chromium'], ...debianRoot, isDebian: false }), 'fail')
  assert.equal(decide({ missing: ['chromium'], ...debianRoot, isRoot: false }), 'fail')
  assert.equal(decide({ missing: ['chromium'], ...debianRoot, hasApt: false }), 'fail')
})

test('missingPackages looks on PATH, and a driver variable that is set stands in for its command', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fes-ensure-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  for (const name of ['chromium', 'xvfb-run', 'not-executable']) {
    writeFileSync(path.join(dir, name), '#!/bin/sh\n')
    if (name !== 'not-executable') chmodSync(path.join(dir, name), 0o755)
  }
  assert.deepEqual(missingPackages({ PATH: '' }), ALL)
  assert.deepEqual(missingPackages({ PATH: dir }), ['firefox-esr', 'webkit2gtk-driver', 'xauth'])
  assert.deepEqual(missingPackages({ PATH: dir, FIREFOX_PATH: path.join(dir, 'chromium') }), ['webkit2gtk-driver', 'xauth'])
  assert.deepEqual(overridesNotFound({ PATH: dir, FIREFOX_PATH: path.join(dir, 'chromium') }), [])
  assert.deepEqual(overridesNotFound({ FIREFOX_PATH: path.join(dir, 'nothing') }), [`FIREFOX_PATH=${path.join(dir, 'nothing')}`])
})

test('without apt-get on PATH the script fails, naming every missing package and the command to install them', () => {
  const r = spawnSync(process.execPath, [script], { env: { PATH: '' }, encoding: 'utf8', timeout: 10_000 })
  assert.equal(r.status, 1, r.stderr)
  assert.match(r.stderr, new RegExp(`apt-get install -y ${ALL.join(' ')}`))
  assert.doesNotMatch(r.stderr, /installing/)
  assert.equal(r.stdout, '')
})
