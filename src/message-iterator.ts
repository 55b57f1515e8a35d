import type { FetchEventSourceError } from './errors.js'

/**
 * The queue behind `for await (const event of source)`. Events are buffered between `next()` calls so a slow
 * consumer loses nothing; the buffer is unbounded by design (bounding it would mean dropping events), so a
 * consumer that never catches up should use a handler instead.
 */
export class MessageIterator implements AsyncIterableIterator<MessageEvent<string>> {
  #buffer: MessageEvent<string>[] = []
  #head = 0
  /** Calls to `next()` waiting for an event; usually one, but nothing forbids calling it without awaiting. */
  #waiters: Array<{ resolve: (result: IteratorResult<MessageEvent<string>>) => void; reject: (error: unknown) => void }> = []
  #ended = false
  #error: FetchEventSourceError | undefined
  readonly #leave: () => void

  /** `leave` detaches the iterator and closes its source: leaving a `for await` loop ends the stream. */
  constructor(leave: () => void) {
    this.#leave = leave
  }

  push(event: MessageEvent<string>): void {
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) waiter.resolve({ value: event, done: false })
    else this.#buffer.push(event)
  }

  /** The source closed (`error` undefined) or failed for good; buffered events are still yielded first. */
  end(error?: FetchEventSourceError): void {
    // Stryker disable next-line ConditionalExpression: a second end() comes only from return(), on an iterator that queues no waiters once ended and whose buffer and error return() clears anyway: running it again changes nothing
    if (this.#ended) return
    this.#ended = true
    this.#error = error
    const waiters = this.#waiters
    // Stryker disable next-line ArrayDeclaration: an ended iterator never reads its waiters again: end() returns early, next() settles at once, and its source pushes no more events to it
    this.#waiters = []
    for (const waiter of waiters) {
      if (this.#error === undefined) waiter.resolve({ value: undefined, done: true })
      else {
        waiter.reject(this.#error)
        this.#error = undefined
      }
    }
  }

  next(): Promise<IteratorResult<MessageEvent<string>>> {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head++]!
      // Stryker disable next-line ConditionalExpression,BlockStatement: memory only when a drained buffer is not reset: new events go after the consumed slots and next() yields them in order (the compaction below drops the slots later)
      if (this.#head === this.#buffer.length) {
        this.#buffer.length = 0
        this.#head = 0
      }
      // Drop consumed slots now and then, so a long-lagging consumer does not keep them all alive (after a reset the
      // head is 0, so this never follows one).
      // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator,ArithmeticOperator,BlockStatement: memory only: the splice and the head reset go together, so compacting at any other time, or never, yields the same events in the same order
      if (this.#head >= 1024 && this.#head * 2 >= this.#buffer.length) {
        this.#buffer.splice(0, this.#head)
        this.#head = 0
      }
      return Promise.resolve({ value, done: false })
    }
    if (this.#ended) {
      const error = this.#error
      if (error !== undefined) {
        // The failure is reported once; later calls see a finished iterator, as for any thrown generator.
        this.#error = undefined
        return Promise.reject(error)
      }
      return Promise.resolve({ value: undefined, done: true })
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject })
    })
  }

  return(): Promise<IteratorResult<MessageEvent<string>>> {
    this.#buffer.length = 0
    this.#head = 0
    this.end()
    // A failure not yet reported is dropped too: after return() an iterator is done, as a generator is.
    this.#error = undefined
    this.#leave()
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): this {
    return this
  }
}
