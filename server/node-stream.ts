// An event stream over a node:http response (also Express's `res` and Fastify's `reply.raw`), after Hertz's
// `sse.NewStream` / `Stream.Publish` and `pkg/protocol/sse`'s `Writer`.
//
// One event is one `res.write()`, so we never split an event across chunks and a client observes exact chunk
// boundaries. `publish` resolves when the socket is below its high-water mark again, so a producer that awaits it
// runs at the reader's pace; `send` writes at once for fan-out, and the `maxBuffered` cap protects the server from a
// reader that never reads either way.

import { type SSEEvent, type StreamOptions, DEFAULT_MAX_BUFFERED, checkKeepAlive, formatComment, formatEvent, mergeHeaders } from './format.js'

/** What both stream flavours offer. Writes after the stream ended are dropped and report `false`. */
export interface EventStream {
  /** True once `close()` was called, the reader went away, or it was cut off for reading too slowly. */
  readonly closed: boolean
  /** Aborted when the stream ends for any reason: hang timers and subscriptions on it. */
  readonly signal: AbortSignal
  /**
   * Writes one event and resolves once the output is below the high-water mark (at once when it already is): `true`,
   * or `false` if the stream ended first. An invalid field throws synchronously, before anything is written.
   */
  publish(event: SSEEvent): Promise<boolean>
  /** Writes one event now, without waiting for the reader (fan-out to many streams). Throws on an invalid field. */
  send(event: SSEEvent): boolean
  /** Writes a comment (`:` alone without text): ignored by clients, keeps idle connections open. */
  comment(text?: string): boolean
  /** Ends the stream normally; a client reconnects unless it closes itself. Idempotent. */
  close(): void
}

/**
 * The response we write to, by the members used: node:http's `ServerResponse` fits, and so do frameworks wrapping
 * it (Express's `res`, Fastify's `reply.raw`). Declared structurally, so the declarations of this module need no
 * `@types/node`: a project on the web-standard half alone (Hono, `Deno.serve`, a worker) compiles without it.
 */
export interface NodeResponse {
  readonly headersSent: boolean
  readonly destroyed: boolean
  readonly writableEnded: boolean
  readonly writableLength: number
  readonly writableNeedDrain: boolean
  writeHead(statusCode: number, headers?: Record<string, string | number | string[]>): unknown
  flushHeaders(): void
  write(chunk: string): boolean
  end(): unknown
  destroy(error?: Error): unknown
  once(event: 'close' | 'finish' | 'drain', listener: () => void): unknown
  off(event: 'drain', listener: () => void): unknown
}

class NodeEventStream implements EventStream {
  readonly #res: NodeResponse
  readonly #maxBuffered: number
  readonly #abort = new AbortController()
  #closed = false
  #drain: Promise<boolean> | null = null
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(res: NodeResponse, { status = 200, headers, maxBuffered = DEFAULT_MAX_BUFFERED, keepAlive }: StreamOptions) {
    if (res.headersSent) throw new Error('newStream: response headers were already sent')
    checkKeepAlive(keepAlive)
    this.#res = res
    this.#maxBuffered = maxBuffered
    res.writeHead(status, mergeHeaders(headers) as Record<string, string | number | string[]>)
    // Send the head now: clients consider the stream open on headers, before any event exists.
    res.flushHeaders()
    if (res.destroyed) this.#end()
    else {
      res.once('close', () => this.#end())
      res.once('finish', () => this.#end())
    }
    if (keepAlive !== undefined && !this.#closed) {
      this.#timer = setInterval(() => {
        // A reader that is behind gets no heartbeat: the pending bytes keep the connection busy already.
        if (!res.writableNeedDrain) this.comment()
      }, keepAlive)
    }
  }

  get closed() {
    return this.#closed
  }

  get signal() {
    return this.#abort.signal
  }

  #end() {
    if (this.#closed && this.#abort.signal.aborted) return
    this.#closed = true
    clearInterval(this.#timer)
    this.#abort.abort()
  }

  #write(chunk: string): boolean {
    if (this.#closed) return false
    // Other code (a timeout middleware, an error handler) may have ended the response; 'close' comes a turn later,
    // and a write in between would be an unhandled 'error' event: the end of the process.
    if (this.#res.writableEnded || this.#res.destroyed) {
      this.#end()
      return false
    }
    this.#res.write(chunk)
    if (this.#res.writableLength > this.#maxBuffered) {
      this.#res.destroy(new Error('SSE reader too slow: output buffer limit exceeded'))
      this.#end()
      return false
    }
    return true
  }

  #drained(): Promise<boolean> {
    // One listener pair however many publishers wait: a fan-out of awaits must not leak listeners.
    this.#drain ??= new Promise<boolean>((resolve) => {
      const done = () => {
        this.#res.off('drain', done)
        this.#abort.signal.removeEventListener('abort', done)
        this.#drain = null
        resolve(!this.#closed)
      }
      this.#res.once('drain', done)
      this.#abort.signal.addEventListener('abort', done, { once: true })
    })
    return this.#drain
  }

  publish(event: SSEEvent): Promise<boolean> {
    if (!this.send(event)) return Promise.resolve(false)
    return this.#res.writableNeedDrain ? this.#drained() : Promise.resolve(true)
  }

  send(event: SSEEvent): boolean {
    return this.#write(formatEvent(event))
  }

  comment(text = ''): boolean {
    return this.#write(formatComment(text))
  }

  close(): void {
    if (this.#closed) return
    this.#res.end()
    this.#end()
  }
}

/**
 * Hertz `NewStream`: writes the event-stream head (status, SSE_HEADERS plus `headers`) at once and returns the
 * stream. Throws when the response has already started.
 */
export function newStream(res: NodeResponse, options: StreamOptions = {}): EventStream {
  return new NodeEventStream(res, options)
}
