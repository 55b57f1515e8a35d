const LF = 10;
const SPACE = 32;
const COLON = 58;
class EventStreamParser {
  /** The last event ID string: takes the ID buffer's value at every blank line (rule 34). */
  lastEventId = "";
  #sink;
  #maxBufferSize;
  /** The last event ID buffer: set by `id:` fields, committed to `lastEventId` at each blank line. */
  #idBuffer = "";
  #type = "";
  #data = "";
  /** Whether any `data` field arrived: the spec's "data buffer is not empty" (an empty `data:` still counts). */
  #hasData = false;
  /**
   * Pieces of an incomplete line, kept as fragments so a long line costs one join, not one copy per chunk.
   * Created with the first incomplete line, then reused: a source that only ever got whole lines has none.
   */
  #pending;
  /** Flat blocks of 256 earlier fragments each (see #hold); allocated only for very long lines. */
  #blocks;
  /** Data lines in `#data`; every 256 they move, flattened, to `#dataBlocks` (see #appendData). */
  #dataLines = 0;
  #dataBlocks;
  #dataBlocksLength = 0;
  #pendingLength = 0;
  /** The previous chunk ended with CR: an LF opening this one completes that CRLF, not a new blank line. */
  #skipLF = false;
  #stopped = false;
  constructor(sink, maxBufferSize) {
    this.#sink = sink;
    this.#maxBufferSize = maxBufferSize;
  }
  /**
   * Starts a new stream (a new connection): the ID buffer begins at the source's last event ID, so an `id`
   * inside an event that was cut off before its blank line is forgotten with that event (rule 33).
   */
  reset(lastEventId) {
    this.lastEventId = lastEventId;
    this.#idBuffer = lastEventId;
    this.#type = "";
    this.#clearPending();
    this.#clearData();
    this.#skipLF = false;
    this.#stopped = false;
  }
  /** Stops dispatching at once, even mid-chunk: `close()` from a handler drops the rest of the chunk (rule 19). */
  stop() {
    this.#stopped = true;
    this.#clearPending();
    this.#clearData();
  }
  #clearPending() {
    if (this.#pending !== void 0) this.#pending.length = 0;
    this.#blocks = void 0;
    this.#pendingLength = 0;
  }
  #clearData() {
    this.#data = "";
    this.#hasData = false;
    this.#dataLines = 0;
    this.#dataBlocks = void 0;
    this.#dataBlocksLength = 0;
  }
  feed(chunk) {
    const length = chunk.length;
    if (length === 0 || this.#stopped) return;
    let start = 0;
    if (this.#skipLF) {
      this.#skipLF = false;
      if (chunk.charCodeAt(0) === LF) start = 1;
    }
    let cr = chunk.indexOf("\r", start);
    let lf = chunk.indexOf("\n", start);
    let end = cr === -1 || lf !== -1 && lf < cr ? lf : cr;
    if (this.#pendingLength > 0) {
      if (end === -1) {
        this.#hold(chunk, start, length);
        return;
      }
      const pending = this.#pending;
      pending.push(chunk.slice(start, end));
      const blocks = this.#blocks;
      const line = blocks === void 0 ? pending.join("") : blocks.join("") + pending.join("");
      this.#clearPending();
      this.#line(line, 0, line.length);
      if (this.#stopped) return;
      start = end === cr ? this.#afterCR(chunk, end) : end + 1;
      if (cr !== -1 && cr < start) cr = chunk.indexOf("\r", start);
      if (lf !== -1 && lf < start) lf = chunk.indexOf("\n", start);
      end = cr === -1 || lf !== -1 && lf < cr ? lf : cr;
    }
    while (end !== -1) {
      if (start === end) this.#dispatch();
      else if (
        // The shape of most events: one `data:` line with its blank line right behind. Dispatch it straight from
        // the chunk, skipping the data buffer and a pass of the loop for the blank line.
        !this.#hasData && end !== cr && chunk.charCodeAt(end + 1) === LF && chunk.charCodeAt(start) === 100 && isData(chunk, start) && end - start <= this.#maxBufferSize
      ) {
        this.#emit(chunk.slice(chunk.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5, end));
        end++;
      } else this.#line(chunk, start, end);
      if (this.#stopped) return;
      if (end === cr) {
        start = this.#afterCR(chunk, end);
        cr = chunk.indexOf("\r", start);
        if (lf !== -1 && lf < start) lf = chunk.indexOf("\n", start);
      } else {
        start = end + 1;
        lf = chunk.indexOf("\n", start);
      }
      end = cr === -1 || lf !== -1 && lf < cr ? lf : cr;
    }
    if (start < length) this.#hold(chunk, start, length);
  }
  /** Index after the CR at `end`, past its LF if one follows; a CR that ends the chunk may pair with the next. */
  #afterCR(chunk, end) {
    if (end + 1 === chunk.length) {
      this.#skipLF = true;
      return end + 1;
    }
    return chunk.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
  }
  /** Keeps the incomplete tail of a chunk, failing as soon as the line outgrows the limit. */
  #hold(chunk, start, end) {
    this.#pendingLength += end - start;
    if (this.#pendingLength > this.#maxBufferSize) {
      this.#overflow();
      return;
    }
    const pending = this.#pending ??= [];
    pending.push(start === 0 && end === chunk.length ? chunk : chunk.slice(start, end));
    if (pending.length === 256) {
      ;
      (this.#blocks ??= []).push(pending.join(""));
      pending.length = 0;
    }
  }
  #overflow() {
    this.stop();
    this.#sink.onOverflow();
  }
  /** One complete, non-empty line, `text[start, end)` without its terminator (blank lines dispatch in feed). */
  #line(text, start, end) {
    if (end - start > this.#maxBufferSize) {
      this.#overflow();
      return;
    }
    const first = text.charCodeAt(start);
    if (first === COLON) return;
    if (first === 100 && isData(text, start)) {
      this.#appendData(text.slice(text.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5, end));
      return;
    }
    if (first === 101 && isEvent(text, start)) {
      this.#type = text.slice(text.charCodeAt(start + 6) === SPACE ? start + 7 : start + 6, end);
      return;
    }
    if (first === 105 && text.charCodeAt(start + 1) === 100 && text.charCodeAt(start + 2) === COLON) {
      this.#setId(text.slice(text.charCodeAt(start + 3) === SPACE ? start + 4 : start + 3, end));
      return;
    }
    const line = text.slice(start, end);
    const colon = line.indexOf(":");
    let field;
    let value;
    if (colon === -1) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.slice(line.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
    }
    switch (field) {
      case "data":
        this.#appendData(value);
        break;
      case "event":
        this.#type = value;
        break;
      case "id":
        this.#setId(value);
        break;
      case "retry":
        if (isDigits(value)) this.#sink.onRetry(parseInt(value, 10));
        break;
    }
  }
  #setId(value) {
    if (value.indexOf("\0") === -1) this.#idBuffer = value;
  }
  #appendData(value) {
    const data = this.#hasData ? this.#data + "\n" + value : value;
    if (this.#dataBlocksLength + data.length > this.#maxBufferSize) {
      this.#overflow();
      return;
    }
    this.#hasData = true;
    if (++this.#dataLines === 256) {
      data.charCodeAt(0);
      (this.#dataBlocks ??= []).push(data);
      this.#dataBlocksLength += data.length;
      this.#dataLines = 0;
      this.#data = "";
    } else {
      this.#data = data;
    }
  }
  /** A blank line. */
  #dispatch() {
    if (!this.#hasData) {
      this.lastEventId = this.#idBuffer;
      this.#type = "";
      return;
    }
    const blocks = this.#dataBlocks;
    const data = blocks === void 0 ? this.#data : blocks.join("") + this.#data;
    this.#clearData();
    this.#emit(data);
  }
  /** Commits the last event ID (rule 34), resets the type (rule 37) and hands the event to the sink. */
  #emit(data) {
    this.lastEventId = this.#idBuffer;
    const type = this.#type === "" ? "message" : this.#type;
    this.#type = "";
    this.#sink.onEvent(type, data, this.#idBuffer);
  }
}
function isData(text, i) {
  return text.charCodeAt(i + 1) === 97 && text.charCodeAt(i + 2) === 116 && text.charCodeAt(i + 3) === 97 && text.charCodeAt(i + 4) === COLON;
}
function isEvent(text, i) {
  return text.charCodeAt(i + 1) === 118 && text.charCodeAt(i + 2) === 101 && text.charCodeAt(i + 3) === 110 && text.charCodeAt(i + 4) === 116 && text.charCodeAt(i + 5) === COLON;
}
function isDigits(value) {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
export {
  EventStreamParser
};
