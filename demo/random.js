// Seeded pseudo-randomness, so a demo run (and a test) can be replayed exactly from its seed.

/**
 * mulberry32: tiny, fast, good enough for price walks and typing jitter (not for anything secret).
 * @param {number} seed
 * @returns {() => number} uniform in [0, 1)
 */
export function seededRandom(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Standard normal sample (Box–Muller) from a uniform source.
 * @param {() => number} random
 */
export function gaussian(random) {
  const u = 1 - random() // (0, 1]: log(0) would be -Infinity
  const v = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/**
 * FNV-1a: turns a string (e.g. a prompt) into a seed.
 * @param {string} text
 */
export function hashString(text) {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
