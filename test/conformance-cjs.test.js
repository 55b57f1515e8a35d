// The shared conformance registry (test/cases/) against the CommonJS build, dist/index.cjs, loaded with require:
// the README promises `import` and `require`, and a build step can break one and not the other (a default-export
// wrapper, a helper inlined differently, a class field the CJS target lowers). test/conformance.test.js runs the
// same cases against the ESM build on every runtime of the matrix; this file runs once, on the system Node
// (scripts/runtime-matrix.js lists it in NOT_PORTABLE).
//
// To keep from adding the registry's whole time again, the cases run CONCURRENCY at a time, each in its own harness
// context with its own scripted responses on the shared test server. The few cases marked `exclusive` replace
// globalThis.fetch for a while, which every other case's default fetch would then go through: they run first, one
// by one, with nothing else in flight.
import { createRequire } from 'node:module'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as esm from '../dist/index.js'
import { cases } from './cases/index.js'
import { registryRun } from './support/registry.js'

const require = createRequire(import.meta.url)
const lib = require('../dist/index.cjs')
const CONCURRENCY = 4

const registry = registryRun(lib)

test('the CommonJS build is a module of its own, loaded by require, with the same API as the ESM build', () => {
  assert.equal(require.resolve('../dist/index.cjs').endsWith('/dist/index.cjs'), true)
  // A different class: the cases below exercise the CJS file's code, not the ESM build's through some re-export.
  assert.notEqual(lib.FetchEventSource, esm.FetchEventSource)
  assert.deepEqual(Object.keys(lib).sort(), Object.keys(esm).sort())
  assert.equal(lib.EventSource, lib.FetchEventSource)
})

test('every case that replaces a global is marked exclusive (or it would run alongside others here)', () => {
  const unmarked = cases.filter((c) => !c.exclusive && /globalThis\.\w+\s*=[^=]/.test(String(c.run))).map((c) => `${c.rule} ${c.name}`)
  assert.deepEqual(unmarked, [])
})

const inNode = cases.filter((c) => c.node !== false)

/** @param {import('node:test').TestContext} t @param {typeof cases} group */
function subtests(t, group) {
  return group.map((c) => t.test(`${c.rule} ${c.name}`, () => registry.runCase(c)))
}

test('dist/index.cjs: the cases that replace globalThis.fetch, one at a time', { concurrency: 1 }, async (t) => {
  await Promise.all(subtests(t, inNode.filter((c) => c.exclusive)))
})

test(`dist/index.cjs: every other case, ${CONCURRENCY} at a time`, { concurrency: CONCURRENCY }, async (t) => {
  await Promise.all(subtests(t, inNode.filter((c) => !c.exclusive)))
})
