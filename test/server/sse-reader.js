// A minimal event-stream reader for server tests: fetch + a line parser, independent of the library
// under development, so the servers can be tested before (and apart from) the client.
// It handles exactly what our servers write (LF line endings); it is not a conformance-grade parser.

/**
 * @typedef {{ kind: 'event', id?: string, event?: string, data?: string, retry?: number }
 *         | { kind: 'comment', text: string }} Item
 */

/**
 * Opens an event stream. `next()` resolves with the next event or comment, or null at the end of the
 * stream; it rejects after `timeout` ms so a test can never hang.
 * @param {string} url
 * @param {RequestInit & { timeout?: number }} [init]
 */
export async function openStream(url, { timeout = 2000, ...init } = {}) {
  const controller = new AbortController()
  const response = await fetch(url, { ...init, signal: controller.signal })
  const reader = /** @type {ReadableStream<Uint8Array>} */ (response.body).getReader()
  const decoder = new TextDecoder()
  /** @type {Item[]} */
  const queue = []
  let buffer = ''
  let ended = false
  /** @type {Item & { kind: 'event' } | null} */
  let pending = null

  /** @param {string} line */
  const parseLine = (line) => {
    if (line === '') {
      if (pending) queue.push(pending)
      pending = null
      return
    }
    if (line.startsWith(':')) {
      queue.push({ kind: 'comment', text: line.slice(1).replace(/^ /, '') })
      return
    }
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    pending ??= { kind: 'event' }
    if (field === 'data') pending.data = pending.data === undefined ? value : `${pending.data}\n${value}`
    else if (field === 'id') pending.id = value
    else if (field === 'event') pending.event = value
    else if (field === 'retry') pending.retry = Number(value)
  }

  const pump = async () => {
    const { value, done } = await reader.read()
    if (done) {
      ended = true
      return
    }
    buffer += decoder.decode(value, { stream: true })
    let newline
    while ((newline = buffer.indexOf('\n')) !== -1) {
      parseLine(buffer.slice(0, newline))
      buffer = buffer.slice(newline + 1)
    }
  }

  /**
   * @param {number} [ms]
   * @returns {Promise<Item | null>}
   */
  const next = async (ms = timeout) => {
    /** @type {NodeJS.Timeout | undefined} */
    let timer
    const expired = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no SSE item within ${ms} ms from ${url}`)), ms)
    })
    try {
      while (queue.length === 0 && !ended) await Promise.race([pump(), expired])
      return queue.shift() ?? null
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    response,
    next,
    /**
     * The next event, skipping comments (heartbeats). `ms` bounds the whole wait, not each item, so
     * a steady heartbeat cannot keep it waiting forever.
     * @param {number} [ms]
     */
    async nextEvent(ms = timeout) {
      const deadline = Date.now() + ms
      for (;;) {
        const item = await next(Math.max(1, deadline - Date.now()))
        if (item === null || item.kind === 'event') return item
      }
    },
    close() {
      controller.abort()
      reader.cancel().catch(() => {})
    },
  }
}
