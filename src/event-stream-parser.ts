/**
 * The WHATWG event stream interpretation ("Server-sent events", §9.2.6; docs/conformance.md C20–C38), fed decoded
 * text chunk by chunk. eventsource-parser 4 parses; this wrapper adds what the source promises beyond it, each for a
 * case the parser alone handles differently (test/parser.test.js compares the whole with a transcription of the
 * spec; test/reliability/hostile.test.js measures the memory):
 *
 * - **The last event ID.** The parser reports an `id:` per block; the spec's ID buffer outlives blocks and
 *   connections (C33, C34), so it lives here, and an `id:`-only block reaches the sink once the chunk is parsed.
 * - **close() mid-chunk (C19).** The parser cannot stop inside a chunk: after stop(), what it still reports is
 *   dropped.
 * - **One BOM, removed by the source (C21).** The parser would also strip a leading "\xEF\xBB\xBF" (U+00EF U+00BB
 *   U+00BF, a BOM read as Latin-1), which in decoded UTF-8 is content: the field name of the first line. Feeding
 *   it a U+FEFF first ends its BOM check.
 * - **maxBufferSize counts every line.** The parser skips comment and unknown-field lines without counting them,
 *   so an endless one would keep a source reading for ever, and dispatches a one-line event without checking its
 *   length. Here any line, complete or pending, longer than the limit ends the stream; the parser counts the data
 *   of an event of several lines.
 * - **Pending text held flat.** The parser keeps each piece of an incomplete line as a string of its own: tens of
 *   bytes of heap per character for a line arriving in 3-byte chunks. It is fed complete lines only; the
 *   incomplete one waits here, its pieces joined every 256. (Its data buffer, one string node per data line, is
 *   flattened by patches/eventsource-parser+4.1.3.patch, which the build ships.)
 * - **No errors built.** With `onError` the parser builds a ParseError, stack trace included, for every unknown
 *   field, whenever it is given `onError`. Without it, an overflow shows as feed('') throwing (documented: once
 *   over its limit, the parser throws until reset).
 */
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser'

const LF = 10
const CR = 13
const COLON = 58

/** Where parsed events go. Implemented by the event source: one monomorphic call site per kind. */
export interface EventStreamSink {
  /** A complete event. `lastEventId` is the last event ID buffer at the blank line that ended it. */
  onEvent(type: string, data: string, lastEventId: string): void
  /** A valid `retry:` field (all ASCII digits). */
  onRetry(ms: number): void
  /** A blank line committed a new last event ID without an event (an `id:`-only block). */
  onLastEventId(lastEventId: string): void
  /** A line or an event's data grew past the buffer limit; parsing has stopped. */
  onOverflow(): void
}

export class EventStreamParser {
  /** The last event ID string: takes the ID buffer's value at every blank line (C34). */
  lastEventId = ''

  readonly #sink: EventStreamSink
  readonly #maxBufferSize: number
  readonly #parser: EventSourceParser
  #stopped = false
  /** An `id:`-only block changed lastEventId and the sink has not been told yet (see #tellId). */
  #idChanged = false
  /** Pieces of the incomplete line that ended the last chunk; created with the first one. */
  #pending: string[] | undefined
  /** Flat blocks of 256 earlier pieces each (see #hold); allocated only for very long lines. */
  #blocks: string[] | undefined
  #pendingLength = 0
  /**
   * The pending line is a comment: only its length is counted (for maxBufferSize), its text is never kept. Keeping
   * it would keep the whole chunk it was sliced from, and at every scavenge that chunk survives.
   */
  // Stryker disable next-line BooleanLiteral: reset() sets it before the parser is first fed (the source calls it right after construction)
  #comment = false
  /** At least the length of the data the parser holds: what was fed since the feed of the last event. */
  #dataBound = 0
  /** An event was dispatched during the current feed. */
  #eventSeen = false

  constructor(sink: EventStreamSink, maxBufferSize: number) {
    this.#sink = sink
    this.#maxBufferSize = maxBufferSize
    this.#parser = createParser({
      maxBufferSize,
      onEvent: (message) => this.#event(message),
      onId: (id) => this.#id(id),
      onRetry: (ms) => this.#retry(ms),
    })
  }

  /**
   * Starts a new stream (a new connection): the ID buffer begins at the source's last event ID, so an `id`
   * inside an event that was cut off before its blank line is forgotten with that event (C33).
   */
  reset(lastEventId: string): void {
    this.lastEventId = lastEventId
    this.#stopped = false
    this.#idChanged = false
    this.#dataBound = 0
    this.#clearPending()
    this.#parser.reset()
    this.#parser.feed('\uFEFF')
  }

  /** Stops dispatching at once, even mid-chunk: `close()` from a handler drops the rest of the chunk (C19). */
  stop(): void {
    this.#stopped = true
    this.#clearPending()
    // Frees an event's pending data; reset() starts the next stream.
    // Stryker disable next-line CallExpression: memory only: a stopped parser is fed nothing, and reset() resets it before the next stream
    this.#parser.reset()
  }

  feed(chunk: string): void {
    const length = chunk.length
    if (length === 0 || this.#stopped) return
    // The complete lines of the chunk end at `end`: after its last CR or LF (0: none).
    let end = length
    const last = chunk.charCodeAt(length - 1)
    if (last !== LF && last !== CR) {
      // Searching backward is slow (a character at a time, where a forward search of one character is a memchr):
      // only the last 256 characters are searched backward, when they hold an LF. A longer tail is found forward.
      let lf = chunk.indexOf('\n', length - 256)
      if (lf !== -1) lf = chunk.lastIndexOf('\n')
      else if (length > 256) for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) lf = i
      end = lf + 1
      // Only the text after the last LF is searched for a CR.
      for (let cr = chunk.indexOf('\r', end); cr !== -1; cr = chunk.indexOf('\r', end)) end = cr + 1
      if (end === 0) {
        this.#hold(chunk, 0)
        return
      }
    }
    // Stryker disable next-line ConditionalExpression: a slice of the whole chunk is the chunk: only whether a slice is made differs
    let text = end === length ? chunk : chunk.slice(0, end)
    if (this.#pendingLength !== 0) {
      if (this.#comment) {
        // A comment ends here: the parser gets an empty one with its line break (a CR may pair with an LF to come).
        const lf = chunk.indexOf('\n')
        const cr = chunk.indexOf('\r')
        // Stryker disable next-line EqualityOperator: cr === lf only when both are -1, and then lf === -1 has already chosen cr
        const lineEnd = lf === -1 || (cr !== -1 && cr < lf) ? cr : lf
        if (this.#pendingLength + lineEnd > this.#maxBufferSize) {
          this.#overflow()
          return
        }
        // Fed apart: prefixed, the rest of the chunk would be copied (under a comment flood, nearly every chunk).
        this.#clearPending()
        // (A comment dispatches nothing and adds no data: the source cannot stop here.)
        this.#parse(':' + chunk.charAt(lineEnd))
        text = text.slice(lineEnd + 1)
      } else {
        const blocks = this.#blocks
        const pending = this.#pending!.join('')
        text = (blocks === undefined ? pending : blocks.join('') + pending) + text
        this.#clearPending()
      }
    }
    this.#parse(text)
    if (end < length && !this.#stopped) this.#hold(chunk, end)
    if (!this.#stopped) this.#tellId()
  }

  /** Complete lines: to the parser, unless one is longer than the limit. */
  #parse(text: string): void {
    // Only text longer than the limit can hold a line longer than it (the default limit, 16 Mi, is never searched).
    if (text.length > this.#maxBufferSize) {
      const long = this.#longLine(text)
      if (long !== -1) {
        if (long > 0) this.#feedParser(text.slice(0, long))
        if (!this.#stopped) this.#overflow()
        return
      }
    }
    this.#feedParser(text)
  }

  #feedParser(text: string): void {
    this.#parser.feed(text)
    // The parser's data can have grown only by what was fed since the last event: below the limit, no need to ask.
    this.#dataBound = this.#eventSeen ? text.length : this.#dataBound + text.length
    this.#eventSeen = false
    if (this.#dataBound <= this.#maxBufferSize || this.#stopped) return
    try {
      this.#parser.feed('')
    } catch {
      // Its data buffer outgrew the limit: the parser stopped at that line.
      this.#overflow()
    }
  }

  /** Where the first line longer than the limit starts in `text` (complete lines), or -1. */
  #longLine(text: string): number {
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c !== LF && c !== CR) continue
      if (i - start > this.#maxBufferSize) return start
      start = i + 1
    }
    return -1
  }

  /** Keeps the incomplete tail of a chunk, from `start`, failing as soon as the line outgrows the limit. */
  #hold(chunk: string, start: number): void {
    if (this.#pendingLength === 0) this.#comment = chunk.charCodeAt(start) === COLON
    this.#pendingLength += chunk.length - start
    if (this.#pendingLength > this.#maxBufferSize) {
      this.#overflow()
      return
    }
    // Under a flood of keep-alive comments nearly every chunk ends inside one, and a slice of it (13 characters or
    // more) is a view that keeps its whole chunk alive until the next read: a 64 KiB chunk then survives every
    // scavenge, V8 grows the young generation for it, and the fetch's byte chunks, freed only by a scavenge, pile up
    // in between (test/reliability/comment-flood.test.js).
    if (this.#comment) return
    const pending = (this.#pending ??= [])
    pending.push(start === 0 ? chunk : chunk.slice(start))
    // Each piece is a string object of its own (and a slice keeps its whole chunk alive): with tiny chunks that
    // costs tens of bytes per character. Joining every 256 pieces into one flat block keeps a pending line near
    // one or two bytes per character, at the price of copying each character once more.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: when pieces are joined into blocks changes only memory: the line is the blocks then the pieces either way
    if (pending.length === 256) {
      ;(this.#blocks ??= []).push(pending.join(''))
      pending.length = 0
    }
  }

  #clearPending(): void {
    if (this.#pending !== undefined) this.#pending.length = 0
    this.#blocks = undefined
    this.#pendingLength = 0
    this.#comment = false
  }

  #overflow(): void {
    this.#tellId()
    this.stop()
    this.#sink.onOverflow()
  }

  /**
   * Tells the sink of an `id:`-only block, before what follows it: an event without an ID of its own, a `retry:`,
   * an overflow, or the end of the chunk. The parser reports a block's ID before its event, if any, so whether a
   * block had an event is known only at the next report. A later ID in the same chunk supersedes it.
   */
  #tellId(): void {
    if (!this.#idChanged) return
    this.#idChanged = false
    this.#sink.onLastEventId(this.lastEventId)
  }

  #event(message: EventSourceMessage): void {
    if (this.#stopped) return
    this.#eventSeen = true
    // An ID of the event's own block comes with it; one pending from an earlier block is told first.
    if (message.id === undefined) this.#tellId()
    else this.#idChanged = false
    this.#sink.onEvent(message.event ?? 'message', message.data, this.lastEventId)
  }

  #id(id: string): void {
    // The parser reports the ID of every block that set one; an ID with U+0000 it has already ignored (C31).
    if (this.#stopped) return
    // A pending ID of an earlier block in this chunk is superseded: a follower needs only the last one.
    // Stryker disable next-line ConditionalExpression: without it an ID-only block that changes nothing (a keep-alive) only re-sends, from a leader, the ID its followers already hold
    if (id === this.lastEventId) return
    this.lastEventId = id
    this.#idChanged = true
  }

  #retry(ms: number): void {
    if (this.#stopped) return
    this.#tellId()
    this.#sink.onRetry(ms)
  }
}
