let utf8: TextDecoder | undefined

/**
 * Decodes an event's base64 data to UTF-8 text (Hertz `SetEncodingBase64`). Returns `undefined` when the data is
 * not base64, so the caller can report the event instead of delivering garbage. `atob` follows the forgiving
 * base64 rules: ASCII whitespace (the LF joining several `data:` lines) and missing padding are accepted.
 */
export function decodeBase64Utf8(data: string): string | undefined {
  let binary: string
  try {
    binary = atob(data)
  } catch {
    return undefined
  }
  const bytes = new Uint8Array(binary.length)
  // Stryker disable next-line EqualityOperator: one more turn writes NaN (charCodeAt past the end) at index length, which a Uint8Array ignores: the same bytes are decoded
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  // Invalid UTF-8 becomes U+FFFD, as it does in the stream itself (C21).
  utf8 ??= new TextDecoder()
  return utf8.decode(bytes)
}
