// Portable assertions for the shared case registry (test/cases/).
// Runs unchanged in Node and in browsers: no node: imports, no Buffer, no util.inspect.
//
//   equal(actual, expected, msg?)        strict equality (NaN equals NaN, +0 !== -0 is not distinguished)
//   deepEqual(actual, expected, msg?)    structural and exact: same kinds, same own keys (a key holding
//                                        `undefined` differs from a missing key), primitives strictly equal
//   ok(value, msg?)                      truthy
//   throws(fn, expected?, msg?)          fn throws; expected is a constructor, a predicate, a RegExp for the
//                                        message, or an object whose every key must equal the error's
//   rejects(promise, expected?, msg?)    the same for a rejected promise (or a function returning one)
//   match(string, regexp, msg?)
//   fail(msg)
// Every failure throws an AssertionError whose message shows both values with escapes made visible
// and, for deepEqual, the paths where they differ.

export class AssertionError extends Error {
  /** @param {string} message @param {{ actual?: unknown, expected?: unknown }} [details] */
  constructor(message, details = {}) {
    super(message)
    this.name = 'AssertionError'
    this.actual = details.actual
    this.expected = details.expected
  }
}

/** Quotes a string with every invisible or ambiguous character escaped. */
export function quote(s) {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0)
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (c === 0) out += '\\0'
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0xfeff || c === 0x2028 || c === 0x2029 || (c >= 0xd800 && c <= 0xdfff)) {
      out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0')
    } else out += ch
  }
  return out + '"'
}

const MAX_STRING = 300

/** A readable, single- or multi-line rendering of any value (strings escaped, long strings shortened). */
export function show(value, indent = '', seen = new Set()) {
  if (typeof value === 'string') {
    if (value.length > MAX_STRING) {
      return quote(value.slice(0, MAX_STRING)) + `… (${value.length} chars)`
    }
    return quote(value)
  }
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value === 'bigint') return value + 'n'
  if (value === undefined || value === null || typeof value === 'boolean' || typeof value === 'symbol') return String(value)
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`
  if (seen.has(value)) return '[Circular]'
  if (value instanceof Error) return `${value.name}: ${value.message}`
  seen.add(value)
  try {
    const inner = indent + '  '
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]'
      const items = value.map((v) => show(v, inner, seen))
      const flat = '[ ' + items.join(', ') + ' ]'
      if (flat.length <= 80 && !flat.includes('\n')) return flat
      return '[\n' + items.map((s) => inner + s).join(',\n') + '\n' + indent + ']'
    }
    if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
      const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : value
      return `${value.constructor.name}(${bytes.length}) [${Array.from(bytes.slice(0, 64)).join(', ')}${bytes.length > 64 ? ', …' : ''}]`
    }
    const proto = Object.getPrototypeOf(value)
    const name = proto && proto !== Object.prototype && proto.constructor && proto.constructor.name ? proto.constructor.name + ' ' : ''
    const keys = Object.keys(value)
    if (keys.length === 0) return name + '{}'
    const items = keys.map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}: ${show(value[k], inner, seen)}`)
    const flat = name + '{ ' + items.join(', ') + ' }'
    if (flat.length <= 100 && !flat.includes('\n')) return flat
    return name + '{\n' + items.map((s) => inner + s).join(',\n') + '\n' + indent + '}'
  } finally {
    seen.delete(value)
  }
}

function samePrimitive(a, b) {
  return a === b || (a !== a && b !== b)
}

function isObject(v) {
  return typeof v === 'object' && v !== null
}

function pathKey(path, key) {
  if (typeof key === 'number') return `${path}[${key}]`
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${quote(key)}]`
}

/**
 * Collects the differences between two values (up to `limit`), each as "path: expected X, got Y".
 * @returns {string[]}
 */
export function diff(actual, expected, path = '', out = [], limit = 12) {
  if (out.length >= limit) return out
  const where = path || '(root)'
  if (!isObject(actual) || !isObject(expected)) {
    if (typeof actual === 'function' || typeof expected === 'function') {
      if (actual !== expected) out.push(`${where}: expected ${show(expected)}, got ${show(actual)}`)
      return out
    }
    if (!samePrimitive(actual, expected)) {
      let line = `${where}: expected ${show(expected)}, got ${show(actual)}`
      if (typeof actual === 'string' && typeof expected === 'string') {
        let i = 0
        while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++
        line += ` (first difference at index ${i})`
      }
      out.push(line)
    }
    return out
  }
  if (Array.isArray(actual) !== Array.isArray(expected)) {
    out.push(`${where}: expected ${Array.isArray(expected) ? 'an array' : 'an object'}, got ${show(actual)}`)
    return out
  }
  if (Array.isArray(actual)) {
    const n = Math.max(actual.length, expected.length)
    for (let i = 0; i < n && out.length < limit; i++) {
      if (i >= actual.length) out.push(`${pathKey(path, i)}: missing, expected ${show(expected[i])}`)
      else if (i >= expected.length) out.push(`${pathKey(path, i)}: unexpected extra ${show(actual[i])}`)
      else diff(actual[i], expected[i], pathKey(path, i), out, limit)
    }
    return out
  }
  if (actual instanceof Uint8Array || expected instanceof Uint8Array) {
    return diff(Array.from(actual), Array.from(expected), path + '(bytes)', out, limit)
  }
  const pa = Object.getPrototypeOf(actual)
  const pe = Object.getPrototypeOf(expected)
  const plain = (p) => p === Object.prototype || p === null
  if (pa !== pe && !(plain(pa) && plain(pe))) {
    const n = (p) => (p && p.constructor && p.constructor.name) || 'null-prototype'
    out.push(`${where}: expected a ${n(pe)}, got a ${n(pa)}`)
    return out
  }
  const ka = Object.keys(actual)
  const ke = Object.keys(expected)
  for (const k of ke) {
    if (out.length >= limit) break
    if (!Object.prototype.hasOwnProperty.call(actual, k)) out.push(`${pathKey(path, k)}: missing, expected ${show(expected[k])}`)
    else diff(actual[k], expected[k], pathKey(path, k), out, limit)
  }
  for (const k of ka) {
    if (out.length >= limit) break
    if (!Object.prototype.hasOwnProperty.call(expected, k)) out.push(`${pathKey(path, k)}: unexpected ${show(actual[k])}`)
  }
  return out
}

function prefix(msg) {
  return msg ? msg + ': ' : ''
}

export function equal(actual, expected, msg) {
  if (!samePrimitive(actual, expected)) {
    const lines = isObject(actual) || isObject(expected) ? [] : diff(actual, expected)
    const detail = lines.length ? lines[0].replace(/^\(root\): /, '') : `expected ${show(expected)}, got ${show(actual)} (not the same object)`
    throw new AssertionError(`${prefix(msg)}${detail}`, { actual, expected })
  }
}

export function notEqual(actual, unexpected, msg) {
  if (samePrimitive(actual, unexpected)) throw new AssertionError(`${prefix(msg)}expected anything but ${show(unexpected)}`, { actual })
}

export function deepEqual(actual, expected, msg) {
  const lines = diff(actual, expected)
  if (lines.length > 0) {
    throw new AssertionError(
      `${prefix(msg)}values differ\n  ${lines.join('\n  ')}\nexpected: ${show(expected, '  ')}\nactual:   ${show(actual, '  ')}`,
      { actual, expected },
    )
  }
}

export function ok(value, msg) {
  if (!value) throw new AssertionError(`${prefix(msg)}expected a truthy value, got ${show(value)}`, { actual: value })
}

export function match(string, regexp, msg) {
  if (typeof string !== 'string' || !regexp.test(string)) {
    throw new AssertionError(`${prefix(msg)}expected ${show(string)} to match ${regexp}`, { actual: string })
  }
}

export function fail(msg) {
  throw new AssertionError(msg || 'failed')
}

function describeError(e) {
  if (e === null || typeof e !== 'object') return show(e)
  return `${e.constructor ? e.constructor.name : 'Object'} name=${show(e.name)} message=${show(e.message)}`
}

/** Checks a caught error against a constructor, predicate, RegExp or property object. */
function checkError(err, expected, msg, what) {
  if (expected === undefined) return
  if (expected instanceof RegExp) {
    const m = err && typeof err === 'object' ? String(err.message) : String(err)
    if (!expected.test(m)) throw new AssertionError(`${prefix(msg)}${what} ${describeError(err)}, whose message does not match ${expected}`, { actual: err })
    return
  }
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && err instanceof expected) return
    // A constructor (class, or a built-in like TypeError/DOMException) that did not match.
    const isCtor = expected.prototype !== undefined && /^[A-Z]/.test(expected.name || '')
    if (isCtor) throw new AssertionError(`${prefix(msg)}${what} ${describeError(err)}, expected an instance of ${expected.name}`, { actual: err })
    let result
    try {
      result = expected(err)
    } catch (e) {
      throw new AssertionError(`${prefix(msg)}${what} ${describeError(err)}; the check threw: ${e && e.message}`, { actual: err })
    }
    if (result !== true && result !== undefined) {
      throw new AssertionError(`${prefix(msg)}${what} ${describeError(err)}, which the check rejected`, { actual: err })
    }
    return
  }
  if (isObject(expected)) {
    for (const k of Object.keys(expected)) {
      const v = err == null ? undefined : err[k]
      if (k === 'instanceOf') {
        if (!(err instanceof expected[k])) {
          throw new AssertionError(`${prefix(msg)}${what} ${describeError(err)}, expected an instance of ${expected[k].name}`, { actual: err })
        }
      } else if (expected[k] instanceof RegExp ? !expected[k].test(String(v)) : !samePrimitive(v, expected[k])) {
        throw new AssertionError(`${prefix(msg)}${what} ${describeError(err)}: .${k} is ${show(v)}, expected ${show(expected[k])}`, { actual: err })
      }
    }
    return
  }
  throw new AssertionError('throws/rejects: unsupported expectation ' + show(expected))
}

/** Asserts that fn() throws synchronously; returns the thrown value. */
export function throws(fn, expected, msg) {
  let threw = false
  let err
  try {
    fn()
  } catch (e) {
    threw = true
    err = e
  }
  if (!threw) throw new AssertionError(`${prefix(msg)}expected the call to throw, it returned normally`)
  checkError(err, expected, msg, 'threw')
  return err
}

/** Asserts that a promise (or a function returning one) rejects; resolves with the reason. */
export async function rejects(promiseOrFn, expected, msg) {
  let rejected = false
  let err
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn)
  } catch (e) {
    rejected = true
    err = e
  }
  if (!rejected) throw new AssertionError(`${prefix(msg)}expected a rejection, the promise resolved`)
  checkError(err, expected, msg, 'rejected with')
  return err
}

export const assert = { equal, notEqual, deepEqual, ok, match, fail, throws, rejects, show, quote, diff, AssertionError }
export default assert
