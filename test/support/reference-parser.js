// The WHATWG event stream interpretation written as literally as the spec reads, with no attention to speed:
// the oracle the property test compares the library against.

/**
 * @param {Uint8Array} body the whole response body
 * @param {string} [initialLastEventId]
 * @returns {{ events: Array<{ type: string, data: string, lastEventId: string }>, lastEventId: string }}
 */
export function referenceParse(body, initialLastEventId = '') {
  const text = new TextDecoder().decode(body) // UTF-8, one leading BOM removed
  const lines = text.split(/\r\n|\r|\n/)
  lines.pop() // the text after the last line break is an incomplete line: discarded at end of stream
  const events = []
  let lastEventId = initialLastEventId
  let idBuffer = initialLastEventId
  let type = ''
  let data = ''
  for (const line of lines) {
    if (line === '') {
      lastEventId = idBuffer
      if (data === '') {
        type = ''
        continue
      }
      if (data.endsWith('\n')) data = data.slice(0, -1)
      events.push({ type: type === '' ? 'message' : type, data, lastEventId })
      type = ''
      data = ''
      continue
    }
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') type = value
    else if (field === 'data') data += value + '\n'
    else if (field === 'id') {
      if (!value.includes('\0')) idBuffer = value
    }
  }
  return { events, lastEventId }
}
