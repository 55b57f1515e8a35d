// Static file serving: URL prefix → folder, no listings, no escapes.

import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { sendText } from './http.js'

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.cjs': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
}

/**
 * Splits the raw request path below `prefix` into decoded segments, or returns null when it tries to leave the
 * folder. Works on the raw `req.url` on purpose: `new URL()` would already have collapsed `..` and `%2e%2e`, hiding
 * the attempt instead of refusing it.
 */
export function safeSegments(rawPath: string, prefix: string): string[] | null {
  const segments: string[] = []
  for (const raw of rawPath.slice(prefix.length).split('/')) {
    let segment: string
    try {
      segment = decodeURIComponent(raw)
    } catch {
      return null
    }
    if (segment === '' || segment === '.') continue
    if (segment === '..' || /[\\/\0]/.test(segment)) return null
    segments.push(segment)
  }
  return segments
}

/**
 * Serves `req` from the first root whose prefix matches. Returns false when no prefix matches (the caller routes the
 * request elsewhere); otherwise answers 200, 403 (escape attempt), 404 (missing file or directory: no listings) or
 * 405. `index`: the file served for a path ending in '/'.
 */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  roots: Record<string, string>,
  { headers = {}, index }: { headers?: Record<string, string>; index?: string } = {},
): Promise<boolean> {
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/'
  const prefix = Object.keys(roots).find((p) => rawPath.startsWith(p))
  if (prefix === undefined) return false
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' })
    return true
  }
  const segments = safeSegments(rawPath, prefix)
  if (segments === null) {
    sendText(res, 403, 'forbidden\n')
    return true
  }
  if (rawPath.endsWith('/') && index) segments.push(index)
  const root = path.resolve(roots[prefix] as string)
  const file = path.resolve(root, ...segments)
  // Belt and braces: the segment check already rules out escapes, this guards future edits.
  if (file !== root && !file.startsWith(root + path.sep)) {
    sendText(res, 403, 'forbidden\n')
    return true
  }
  const info = await stat(file).catch(() => null)
  if (!info || !info.isFile()) {
    sendText(res, 404, `not found: ${rawPath}\n`)
    return true
  }
  // A symbolic link inside the root may point anywhere: what is served must really lie inside the root.
  const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]).catch(() => [root, ''])
  if (realFile !== realRoot && !realFile.startsWith(realRoot + path.sep)) {
    sendText(res, 403, 'forbidden\n')
    return true
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': info.size,
    // Tests and demos edit and rebuild these files constantly: never serve a stale copy.
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  })
  if (req.method === 'HEAD') {
    res.end()
    return true
  }
  const stream = createReadStream(file)
  stream.on('error', () => res.destroy())
  res.on('close', () => stream.destroy())
  stream.pipe(res)
  return true
}
