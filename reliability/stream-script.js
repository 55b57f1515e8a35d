// The scripted event stream of the resumable server, as pure functions with no Node imports, so the Chromium page
// checks its deliveries with the very same code (served at /reliability/stream-script.js).
//
// Event i (1..total) is a pure function of i: line endings rotate LF / CRLF / CR per event, data mixes 1-, 2-, 3-
// and 4-byte UTF-8 over two data lines, every fourth event carries a comment, every fifth is a named `tick`.

const ENDINGS = ['\n', '\r\n', '\r']
const PIECES = ['a', 'é', 'ß', '中', '文', '€', '😀', '🚀', 'z', ' ', ':', 'Ω']

/** The data event i carries: two lines of mixed-width UTF-8, so a cut can land inside any sequence. */
export function expectedData(i) {
  const a = PIECES[i % PIECES.length]
  const b = PIECES[(i * 7 + 3) % PIECES.length]
  return `${i}${a}${b}😀\n中${b}${i % 97}`
}

/** Type of event i: mostly `message`, every fifth a named `tick`. */
export const expectedType = (i) => (i % 5 === 0 ? 'tick' : 'message')

/** The event types a client must listen to. */
export const EVENT_TYPES = ['message', 'tick']

/**
 * Wire text of event i.
 * @param {number} i
 */
export function frameEvent(i) {
  const e = ENDINGS[i % 3]
  const [first, second] = expectedData(i).split('\n')
  let out = ''
  if (i % 4 === 0) out += `: comment ${i} ü${e}`
  out += `id: ${i}${e}`
  if (expectedType(i) !== 'message') out += `event: ${expectedType(i)}${e}`
  out += `data: ${first}${e}data: ${second}${e}${e}`
  return out
}

/**
 * Checks what a client received against the script: exactly ids 1..total once each, in order, with the right
 * type and data. Returns null when right, else a description of the first problem.
 * @param {Array<{ id: string, type: string, data: string }>} received
 * @param {number} total
 */
export function verifyDelivery(received, total) {
  if (received.length !== total) {
    const seen = new Set(received.map((e) => e.id))
    const missing = []
    for (let i = 1; i <= total && missing.length < 5; i++) if (!seen.has(String(i))) missing.push(i)
    return `received ${received.length} events, expected ${total}; first missing: ${missing.join(', ') || 'none'}`
  }
  for (let k = 0; k < total; k++) {
    const i = k + 1
    const got = received[k]
    if (got.id !== String(i)) return `event #${i} has id ${JSON.stringify(got.id)} (duplicate or out of order)`
    if (got.type !== expectedType(i)) return `event ${i} has type ${got.type}, expected ${expectedType(i)}`
    if (got.data !== expectedData(i)) return `event ${i} has data ${JSON.stringify(got.data)}, expected ${JSON.stringify(expectedData(i))}`
  }
  return null
}
