// The same stream for fetch-style servers (Hono, Deno.serve, Bun.serve, route handlers): a Response whose body is a
// ReadableStream. The body's queue plays the socket's part: `publish` resolves once the queue is below its
// high-water mark, i.e. once the server has pulled enough of it towards the reader.

import { type StreamOptions, DEFAULT_MAX_BUFFERED, checkKeepAlive, formatComment, formatEvent, mergeHeaders } from './format.js'
import type { EventStream } from './node-stream.js'

export interface WebStreamOptions extends StreamOptions {
  /** Ends the stream when this aborts: pass the incoming `request.signal`. */
  signal?: AbortSignal | undefined
  /** Bytes the body may queue before `publish` waits (default 64 KiB). */
  highWaterMark?: number | undefined
}

/** An event stream whose `response` you return from a fetch-style handler. */
export interface WebEventStream extends EventStream {
  readonly response: Response
}

const encoder = new TextEncoder()

/** Starts an event stream; return `stream.response` from the handler, then publish to it. */
export function newWebStream({
  status = 200,
  headers,
  maxBuffered = DEFAULT_MAX_BUFFERED,
  keepAlive,
  signal,
  highWaterMark = 64 * 1024,
}: WebStreamOptions = {}): WebEventStream {
  checkKeepAlive(keepAlive)
  const abort = new AbortController()
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let closed = false
  let timer: ReturnType<typeof setInterval> | undefined
  /** Wakes publishers waiting for room; one promise however many wait. */
  let room: { promise: Promise<boolean>; resolve: (open: boolean) => void } | null = null

  const wake = () => {
    room?.resolve(!closed)
    room = null
  }
  const end = () => {
    if (closed) return
    closed = true
    clearInterval(timer)
    abort.abort()
    wake()
  }
  const queued = () => highWaterMark - (controller.desiredSize ?? 0)

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      pull() {
        wake()
      },
      cancel() {
        end()
      },
    },
    { highWaterMark, size: (chunk) => chunk.byteLength },
  )

  const write = (text: string): boolean => {
    if (closed) return false
    controller.enqueue(encoder.encode(text))
    if (queued() > maxBuffered) {
      controller.error(new Error('SSE reader too slow: output buffer limit exceeded'))
      end()
      return false
    }
    return true
  }

  const response = new Response(body, { status, headers: mergeHeaders(headers) as Record<string, string> })
  if (signal?.aborted) end()
  else signal?.addEventListener('abort', () => stream.close(), { once: true })
  if (keepAlive !== undefined && !closed) {
    timer = setInterval(() => {
      if ((controller.desiredSize ?? 0) > 0) write(':\n')
    }, keepAlive)
    // A Response nobody serves (or a server that dropped it without cancelling) must not keep the process alive.
    ;(timer as { unref?: () => void }).unref?.()
  }

  const stream: WebEventStream = {
    response,
    get closed() {
      return closed
    },
    get signal() {
      return abort.signal
    },
    send: (event) => write(formatEvent(event)),
    publish(event) {
      if (!write(formatEvent(event))) return Promise.resolve(false)
      if ((controller.desiredSize ?? 0) > 0) return Promise.resolve(true)
      if (!room) {
        let resolve!: (open: boolean) => void
        const promise = new Promise<boolean>((r) => (resolve = r))
        room = { promise, resolve }
      }
      return room.promise
    },
    comment: (text = '') => write(formatComment(text)),
    close() {
      if (closed) return
      end()
      controller.close()
    },
  }
  return stream
}
