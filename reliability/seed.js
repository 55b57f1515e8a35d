// Seeded randomness for every reliability run: one seed decides every cut, chunk size and close stage, so a
// failure is replayed exactly with `SEED=<n>`. The seed is printed on failure by the callers.

/**
 * mulberry32: small, fast, good enough for test scheduling (not for cryptography).
 * @param {number} seed
 * @returns {() => number} uniform in [0, 1)
 */
export function mulberry32(seed) {
  let s = seed | 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The run's seed: `SEED=` from the environment, else the given default (tests) or a fresh one (stress).
 * @param {number} [fallback]
 */
export function runSeed(fallback) {
  const raw = process.env.SEED
  if (raw !== undefined && raw !== '') {
    const seed = Number(raw)
    if (!Number.isInteger(seed)) throw new Error(`SEED must be an integer, got ${JSON.stringify(raw)}`)
    return seed
  }
  return fallback ?? Math.floor(Math.random() * 2 ** 31)
}

/**
 * Derives an independent stream for a named purpose, so adding a draw in one place does not shift another.
 * @param {number} seed
 * @param {string} purpose
 */
export function derive(seed, purpose) {
  let h = seed ^ 0x9e3779b9
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193)
  return mulberry32(h)
}

/** @param {() => number} random @param {number} min @param {number} max inclusive */
export const between = (random, min, max) => min + Math.floor(random() * (max - min + 1))

/**
 * Adds the seed to an assertion failure's message, so every red run says how to replay it.
 * @template T
 * @param {number} seed
 * @param {() => Promise<T>} body
 * @returns {Promise<T>}
 */
export async function withSeed(seed, body) {
  try {
    return await body()
  } catch (error) {
    if (error instanceof Error) error.message = `[SEED=${seed}] ${error.message}`
    throw error
  }
}
