import { FetchEventSourceError, printable } from './errors.js'

/**
 * The default response check (WHATWG: status exactly 200 and a `text/event-stream` MIME essence; parameters such
 * as `charset` are ignored because the body is always UTF-8). Exported so an `onResponse` callback can add its
 * own checks and still call it.
 */
export function assertEventStream(response: Response): void {
  if (response.status !== 200) {
    throw new FetchEventSourceError({
      code: response.status,
      message: `Expected status 200, got ${response.status}${response.statusText ? ` ${printable(response.statusText)}` : ''}`,
      response,
    })
  }
  const contentType = response.headers.get('content-type')
  if (contentType === null || mimeEssence(contentType) !== 'text/event-stream') {
    throw new FetchEventSourceError({
      code: 'invalid-content-type',
      message: `Expected Content-Type text/event-stream, got ${contentType === null ? 'none' : printable(JSON.stringify(contentType))}`,
      response,
    })
  }
}

/** The essence of a MIME type: type/subtype, lower-cased, without parameters or surrounding HTTP whitespace. */
function mimeEssence(value: string): string {
  const semicolon = value.indexOf(';')
  return (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase()
}
