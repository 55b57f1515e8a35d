/**
 * The WHATWG event stream interpretation ("Server-sent events", §9.2.6), fed decoded text chunk by chunk.
 *
 * Why not `eventsource-parser`: 3.1 hides blank lines that dispatch nothing, so an `id:`-only block never updates
 * the last event ID (C34), and holds a CR at the end of a chunk until more bytes arrive (C22–C23). 4.1 fixes both,
 * but what it holds while an event is pending costs far more than the text: it appends each data line to a string
 * (one cons-string node per line) and keeps each small chunk of a long line as its own fragment, so a hostile
 * stream of tiny data lines, or of a long line in 3-byte chunks, holds 32–44 bytes of heap per character of
 * maxBufferSize (measured by test/reliability/hostile.test.js against 4.1.3: about 700 MiB at the default 16 Mi
 * limit). This parser keeps that at 1–2 bytes per character by flattening every 256 lines or fragments.
 */

const LF = 10
const SPACE = 32
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
  // Stryker disable next-line StringLiteral: reset() sets it before the parser is first fed (the source calls it right after construction)
  lastEventId = ''

  readonly #sink: EventStreamSink
  readonly #maxBufferSize: number
  /** The last event ID buffer: set by `id:` fields, committed to `lastEventId` at each blank line. */
  // Stryker disable next-line StringLiteral: reset() sets it before the parser is first fed (the source calls it right after construction)
  #idBuffer = ''
  // Stryker disable next-line StringLiteral: reset() sets it before the parser is first fed (the source calls it right after construction)
  #type = ''
  // Stryker disable next-line StringLiteral: reset() sets it before the parser is first fed (the source calls it right after construction)
  #data = ''
  /** Whether any `data` field arrived: the spec's "data buffer is not empty" (an empty `data:` still counts). */
  // Stryker disable next-line BooleanLiteral: reset() sets it before the parser is first fed (the source calls it right after construction)
  #hasData = false
  /**
   * Pieces of an incomplete line, kept as fragments so a long line costs one join, not one copy per chunk.
   * Created with the first incomplete line, then reused: a source that only ever got whole lines has none.
   */
  #pending: string[] | undefined
  /** Flat blocks of 256 earlier fragments each (see #hold); allocated only for very long lines. */
  #blocks: string[] | undefined
  /** Data lines in `#data`; every 256 they move, flattened, to `#dataBlocks` (see #appendData). */
  #dataLines = 0
  #dataBlocks: string[] | undefined
  #dataBlocksLength = 0
  #pendingLength = 0
  /**
   * The pending line is a comment: only its length is counted (for maxBufferSize), its text is never kept. Keeping
   * it would keep the whole chunk it was sliced from, and at every scavenge that chunk survives.
   */
  // Stryker disable next-line BooleanLiteral: reset() sets it before the parser is first fed (the source calls it right after construction)
  #comment = false
  /** The previous chunk ended with CR: an LF opening this one completes that CRLF, not a new blank line. */
  // Stryker disable next-line BooleanLiteral: reset() sets it before the parser is first fed (the source calls it right after construction)
  #skipLF = false
  // Stryker disable next-line BooleanLiteral: reset() sets it before the parser is first fed (the source calls it right after construction)
  #stopped = false

  constructor(sink: EventStreamSink, maxBufferSize: number) {
    this.#sink = sink
    this.#maxBufferSize = maxBufferSize
  }

  /**
   * Starts a new stream (a new connection): the ID buffer begins at the source's last event ID, so an `id`
   * inside an event that was cut off before its blank line is forgotten with that event (C33).
   */
  reset(lastEventId: string): void {
    this.lastEventId = lastEventId
    this.#idBuffer = lastEventId
    this.#type = ''
    // Stryker disable next-line CallExpression: every attempt ends with stop(), which cleared it, and a stopped parser is fed nothing; a new parser has nothing pending
    this.#clearPending()
    // Stryker disable next-line CallExpression: every attempt ends with stop(), which cleared it, and a stopped parser is fed nothing; a new parser has no data
    this.#clearData()
    // Stryker disable next-line BooleanLiteral: it would only skip an LF opening the stream, a blank line that does nothing there (no data or type, the ID buffer just reset)
    this.#skipLF = false
    this.#stopped = false
  }

  /** Stops dispatching at once, even mid-chunk: `close()` from a handler drops the rest of the chunk (C19). */
  stop(): void {
    this.#stopped = true
    // Stryker disable next-line CallExpression: frees the pending line of a stopped stream (memory only): reset() clears it before the next stream is fed
    this.#clearPending()
    // Stryker disable next-line CallExpression: frees the data of a stopped stream (memory only): reset() clears it before the next stream is fed
    this.#clearData()
  }

  #clearPending(): void {
    if (this.#pending !== undefined) this.#pending.length = 0
    this.#blocks = undefined
    this.#pendingLength = 0
    // Stryker disable next-line BooleanLiteral: #comment is read only while a line is pending, and #hold sets it when it starts holding one
    this.#comment = false
  }

  #clearData(): void {
    // Stryker disable next-line StringLiteral: #data is read only while #hasData is true, and #appendData writes it whenever it sets #hasData
    this.#data = ''
    this.#hasData = false
    this.#dataLines = 0
    this.#dataBlocks = undefined
    this.#dataBlocksLength = 0
  }

  feed(chunk: string): void {
    const length = chunk.length
    if (length === 0 || this.#stopped) return
    let start = 0
    if (this.#skipLF) {
      this.#skipLF = false
      if (chunk.charCodeAt(0) === LF) start = 1
    }

    // Most streams use LF only: with no CR in the chunk, `cr` stays -1 and the loop is a plain LF scan. Both
    // positions are cached and only searched again once passed, so mixed endings stay linear in the chunk.
    let cr = chunk.indexOf('\r', start)
    let lf = chunk.indexOf('\n', start)
    // Stryker disable next-line EqualityOperator: lf === cr only when both are -1, and then cr === -1 has already chosen lf
    let end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr

    if (this.#pendingLength > 0) {
      if (end === -1) {
        this.#hold(chunk, start, length)
        return
      }
      if (this.#comment) {
        // The end of a comment held as a length: nothing to join, only the limit to check (#line's check).
        // Stryker disable next-line ArithmeticOperator: start is 0 here: only a CR ending the previous chunk makes it 1, and that leaves no line pending
        const tooLong = this.#pendingLength + end - start > this.#maxBufferSize
        this.#clearPending()
        if (tooLong) {
          this.#overflow()
          return
        }
      } else {
        const pending = this.#pending!
        pending.push(chunk.slice(start, end))
        const blocks = this.#blocks
        const line = blocks === undefined ? pending.join('') : blocks.join('') + pending.join('')
        this.#clearPending()
        this.#line(line, 0, line.length)
        if (this.#stopped) return
      }
      // Stryker disable next-line ArithmeticOperator: end - 1 only re-reads the completed line's last character as a line of one character (an empty slice at 0), and no field name has one character
      start = end === cr ? this.#afterCR(chunk, end) : end + 1
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: searching again from start finds the same CR (or none) unless the cached one is behind start: only skipping the search is an optimisation
      if (cr !== -1 && cr < start) cr = chunk.indexOf('\r', start)
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: searching again from start finds the same LF (or none) unless the cached one is behind start: only skipping the search is an optimisation
      if (lf !== -1 && lf < start) lf = chunk.indexOf('\n', start)
      // Stryker disable next-line EqualityOperator: lf === cr only when both are -1, and then cr === -1 has already chosen lf
      end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr
    }

    while (end !== -1) {
      if (start === end) this.#dispatch()
      else if (
        // The shape of most events: one `data:` line with its blank line right behind. Dispatch it straight from
        // the chunk, skipping the data buffer and a pass of the loop for the blank line.
        // Stryker disable next-line ConditionalExpression: without the fast path the line goes through #line and #appendData and its blank line through #dispatch, which emit the same event
        !this.#hasData &&
        end !== cr &&
        // Stryker disable next-line ArithmeticOperator: end - 1 is in the line, never an LF, so the fast path is never taken, and #line gives the same event
        chunk.charCodeAt(end + 1) === LF &&
        chunk.charCodeAt(start) === 100 /* d */ &&
        isData(chunk, start) &&
        // Stryker disable next-line ArithmeticOperator,EqualityOperator: end + start (start >= 0), or <, only sends more lines to #line, which gives the same event or the same overflow
        end - start <= this.#maxBufferSize
      ) {
        this.#emit(chunk.slice(chunk.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5, end))
        // Stryker disable next-line UpdateOperator: end-- makes the loop read the line's LF and the blank line as two blank lines, which do nothing right after an event
        end++
      } else this.#line(chunk, start, end)
      if (this.#stopped) return
      if (end === cr) {
        start = this.#afterCR(chunk, end)
        cr = chunk.indexOf('\r', start)
        // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: searching again from start finds the same LF (or none) unless the cached one is behind start: only skipping the search is an optimisation
        if (lf !== -1 && lf < start) lf = chunk.indexOf('\n', start)
      } else {
        start = end + 1
        lf = chunk.indexOf('\n', start)
      }
      // Stryker disable next-line EqualityOperator: lf === cr only when both are -1, and then cr === -1 has already chosen lf
      end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: holding the empty tail of a chunk that ends with a line break adds an empty fragment and no character (memory only)
    if (start < length) this.#hold(chunk, start, length)
  }

  /** Index after the CR at `end`, past its LF if one follows; a CR that ends the chunk may pair with the next. */
  #afterCR(chunk: string, end: number): number {
    if (end + 1 === chunk.length) {
      this.#skipLF = true
      return end + 1
    }
    return chunk.charCodeAt(end + 1) === LF ? end + 2 : end + 1
  }

  /** Keeps the incomplete tail of a chunk, failing as soon as the line outgrows the limit. */
  #hold(chunk: string, start: number, end: number): void {
    // Stryker disable next-line ConditionalExpression: a comment not recognised here is held as text and dropped at its line break by #line, after the same length check (memory only)
    if (this.#pendingLength === 0) this.#comment = chunk.charCodeAt(start) === COLON
    this.#pendingLength += end - start
    if (this.#pendingLength > this.#maxBufferSize) {
      this.#overflow()
      return
    }
    // A comment is dropped at its line break anyway, so its text is not kept. Under a flood of keep-alive comments
    // nearly every chunk ends inside one, and a slice of it (13 characters or more) is a view that keeps its whole
    // chunk alive until the next read: a 64 KiB chunk then survives every scavenge, V8 grows the young generation
    // for it, and the fetch's byte chunks, freed only by a scavenge, pile up in between (5 s of flood measured young
    // generation 16 against 8 MiB, array buffers 18 against 9–14 MiB, heap 11 against 6–7; comment-flood.js).
    // Stryker disable next-line ConditionalExpression: keeping a comment's text changes only memory: feed's comment branch checks the length and drops the fragments
    if (this.#comment) return
    const pending = (this.#pending ??= [])
    // Stryker disable next-line ConditionalExpression,EqualityOperator: #hold always gets the chunk's end, and a slice of a whole chunk equals it: only whether a copy is made differs
    pending.push(start === 0 && end === chunk.length ? chunk : chunk.slice(start, end))
    // Each fragment is a string object of its own (and a slice keeps its whole chunk alive): with tiny chunks that
    // costs tens of bytes per character. Joining every 256 fragments into one flat block keeps a pending line
    // near one or two bytes per character, at the price of copying each character once more.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: when fragments are joined into blocks changes only memory: the line is the blocks then the fragments either way
    if (pending.length === 256) {
      ;(this.#blocks ??= []).push(pending.join(''))
      pending.length = 0
    }
  }

  #overflow(): void {
    // Stryker disable next-line CallExpression: onOverflow fails the source, whose teardown stops this parser before feed reads #stopped
    this.stop()
    this.#sink.onOverflow()
  }

  /** One complete, non-empty line, `text[start, end)` without its terminator (blank lines dispatch in feed). */
  #line(text: string, start: number, end: number): void {
    if (end - start > this.#maxBufferSize) {
      this.#overflow()
      return
    }
    const first = text.charCodeAt(start)
    // Stryker disable next-line ConditionalExpression: a fast path: a comment's field name is '', which the switch below ignores too
    if (first === COLON) return // a comment

    // `data:` and `event:` carry nearly every line of real streams: match them without slicing a field name.
    // Stryker disable next-line ConditionalExpression,BlockStatement: a fast path: without it the general case below reads the same field and value
    if (first === 100 /* d */ && isData(text, start)) {
      this.#appendData(text.slice(text.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5, end))
      return
    }
    // Stryker disable next-line ConditionalExpression,BlockStatement: a fast path: without it the general case below reads the same field and value
    if (first === 101 /* e */ && isEvent(text, start)) {
      this.#type = text.slice(text.charCodeAt(start + 6) === SPACE ? start + 7 : start + 6, end)
      return
    }
    // Stryker disable next-line ConditionalExpression,BlockStatement,ArithmeticOperator: a fast path: without it (or with start - 1, where a line break or nothing stands, never 'd') the general case below sets the same ID
    if (first === 105 /* i */ && text.charCodeAt(start + 1) === 100 /* d */ && text.charCodeAt(start + 2) === COLON) {
      this.#setId(text.slice(text.charCodeAt(start + 3) === SPACE ? start + 4 : start + 3, end))
      return
    }

    // The general case. Slicing the line first bounds the colon search by the line, not the whole chunk.
    const line = text.slice(start, end)
    const colon = line.indexOf(':')
    let field: string
    let value: string
    if (colon === -1) {
      field = line
      value = ''
    } else {
      field = line.slice(0, colon)
      value = line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1)
    }
    switch (field) {
      case 'data':
        this.#appendData(value)
        break
      case 'event':
        this.#type = value
        break
      case 'id':
        this.#setId(value)
        break
      case 'retry':
        if (isDigits(value)) this.#sink.onRetry(parseInt(value, 10))
        break
      // Anything else, including `Data` or ` data`, is ignored (C28).
    }
  }

  #setId(value: string): void {
    // An ID with NUL is ignored whole (C31): it could never be sent back as a header.
    if (value.indexOf('\0') === -1) this.#idBuffer = value
  }

  #appendData(value: string): void {
    // Joining with LF here and never adding the trailing LF is the spec's "remove one trailing LF" (C36).
    const data = this.#hasData ? this.#data + '\n' + value : value
    if (this.#dataBlocksLength + data.length > this.#maxBufferSize) {
      this.#overflow()
      return
    }
    this.#hasData = true
    // Joined data is a rope of small strings, each slice holding its whole chunk: tens of bytes per character for
    // an event of many short lines. Every 256 lines, reading a character flattens the recent rope in place (its
    // pieces are freed) and it moves to a list of flat blocks, so memory tracks the data's length, in linear time.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,UpdateOperator: when data lines move to blocks changes only memory: the data is the blocks then #data either way, and the limit counts both
    if (++this.#dataLines === 256) {
      // Stryker disable next-line CallExpression: flattens the rope in place (memory only): the string is the same
      data.charCodeAt(0)
      ;(this.#dataBlocks ??= []).push(data)
      this.#dataBlocksLength += data.length
      this.#dataLines = 0
      this.#data = ''
    } else {
      this.#data = data
    }
  }

  /** A blank line. */
  #dispatch(): void {
    if (!this.#hasData) {
      this.#type = ''
      // Stryker disable next-line ConditionalExpression: without it a blank line that changes nothing (a keep-alive) only re-sends, from a leader, the ID its followers already hold
      if (this.lastEventId === this.#idBuffer) return
      this.lastEventId = this.#idBuffer
      this.#sink.onLastEventId(this.#idBuffer)
      return
    }
    const blocks = this.#dataBlocks
    const data = blocks === undefined ? this.#data : blocks.join('') + this.#data
    this.#clearData()
    this.#emit(data)
  }

  /** Commits the last event ID (C34), resets the type (C37) and hands the event to the sink. */
  #emit(data: string): void {
    this.lastEventId = this.#idBuffer
    const type = this.#type === '' ? 'message' : this.#type
    this.#type = ''
    this.#sink.onEvent(type, data, this.#idBuffer)
  }
}

// Stryker disable next-line BlockStatement: undefined is falsy: isData's callers then take the general case, which reads the same field and value
function isData(text: string, i: number): boolean {
  return (
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: were it always false (as with i - 1, where a line break or nothing stands, never 'a'), the callers would take the general case, which reads the same field and value
    text.charCodeAt(i + 1) === 97 &&
    text.charCodeAt(i + 2) === 116 &&
    text.charCodeAt(i + 3) === 97 &&
    text.charCodeAt(i + 4) === COLON
  )
}

// Stryker disable next-line BlockStatement: undefined is falsy: isEvent's callers then take the general case, which reads the same field
function isEvent(text: string, i: number): boolean {
  return (
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: were it always false (as with i - 1, where a line break or nothing stands, never 'v'), the callers would take the general case, which reads the same field and value
    text.charCodeAt(i + 1) === 118 &&
    text.charCodeAt(i + 2) === 101 &&
    text.charCodeAt(i + 3) === 110 &&
    text.charCodeAt(i + 4) === 116 &&
    text.charCodeAt(i + 5) === COLON
  )
}

function isDigits(value: string): boolean {
  if (value.length === 0) return false
  // Stryker disable next-line EqualityOperator: one more pass reads charCodeAt(length), NaN, which fails both comparisons below
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}
