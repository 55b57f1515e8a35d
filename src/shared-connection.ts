// One HTTP connection for every source created with the same `shared` key in the tabs, windows and workers of one
// origin. Each source is a participant: all of them queue for one Web Lock, and the holder (the leader) opens the
// connection and passes what it sees to the others through a BroadcastChannel. When the leader goes away (close(),
// a closed or crashed tab, a page entering the back/forward cache) the browser releases its lock and the next
// participant in the queue takes over, resuming from the last event ID it was passed.
//
// The messages, all on one channel, each carrying the term (a random id per leadership) of the leader that sent it:
//   lead   a new leader starts its term; older terms' messages are dropped from then on
//   state  the leader's readyState, lastEventId, origin and reconnection time, in answer to a participant's hello
//   event  one message event: type, data, lastEventId, origin
//   id     an `id:`-only block moved the last event ID without an event
//   retry  a `retry:` field set the reconnection time
//   open   the connection was (re)established
//   error  an error event: code, message, the readyState it leaves behind, lastEventId and origin
//   bye    the leader closed on purpose: whoever leads next need not wait for stragglers
// and from a participant without a term: hello (asks the leader for its state).

import type { Settings } from './options.js'

/**
 * How long a new leader waits, after a leader that vanished without a `bye`, before connecting: the browser may
 * hand over the lock before it delivers the last messages the old leader posted, and the new leader must resume
 * after them, not before (which would replay events to pages that already have them).
 */
const SETTLE_MS = 150
const PREFIX = 'fetch-eventsource:'

export type SharedMessage =
  | { t: 'hello' }
  | { t: 'lead'; term: string }
  | { t: 'bye'; term: string }
  | { t: 'state'; term: string; readyState: number; lastEventId: string; origin: string; retry: number }
  | { t: 'event'; term: string; type: string; data: string; lastEventId: string; origin: string }
  | { t: 'id'; term: string; lastEventId: string }
  | { t: 'retry'; term: string; ms: number }
  | { t: 'open'; term: string; origin: string }
  | { t: 'error'; term: string; code: string | number; message: string; readyState: number; lastEventId: string; origin: string }

/** What a leader passes on (hello, lead and bye are the connection's own business). */
export type ForwardedMessage = Exclude<SharedMessage, { t: 'hello' | 'lead' | 'bye' }>

/** What a participant does with what the leader passes on, and what it does when it becomes the leader. */
export interface SharedParticipant {
  /**
   * This participant now holds the lock: open the connection. `unheard`: another held it before, and this one never
   * heard from it, so it cannot know whether the others are open.
   */
  lead(unheard: boolean): void
  /** A message from the current leader. */
  receive(message: ForwardedMessage): void
  /** Someone asked for the leader's state: answered only by the leader. */
  state(): { readyState: number; lastEventId: string; origin: string; retry: number }
  /**
   * Sharing is refused here after all (a sandboxed or third-party frame without Web Locks or storage): this
   * source must connect on its own, like one that never asked to share.
   */
  alone(): void
}

interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal; ifAvailable?: boolean }, callback: (lock: unknown) => Promise<void> | undefined): Promise<unknown>
  query?(): Promise<{ held?: Array<{ name?: string; clientId?: string }>; pending?: Array<{ name?: string; clientId?: string }> }>
}

function locks(): LockManagerLike | undefined {
  const scope = globalThis as { navigator?: { locks?: LockManagerLike }; process?: { versions?: { node?: string } }; Deno?: unknown }
  // Node 24 and Deno have both APIs, but a server process gains nothing from it and the feature is documented as
  // browser-only: one connection per key per process is the caller's own choice there.
  if (scope.process?.versions?.node !== undefined || scope.Deno !== undefined) return undefined
  const manager = scope.navigator?.locks
  return typeof BroadcastChannel === 'function' && typeof manager?.request === 'function' ? manager : undefined
}

/** Whether `shared` can work here: a browser with both BroadcastChannel and Web Locks. */
export function sharingSupported(): boolean {
  return locks() !== undefined
}

/** How many sources, and in how many tabs or workers, share the connection of `key` right now. */
export interface SharedStatus {
  key: string
  /** This source holds the connection. */
  leader: boolean
  /** Sources sharing the key in this profile, this one included. */
  sources: number
  /** Distinct tabs, windows and workers they live in. */
  contexts: number
}

export async function sharedStatus(key: string, leader: boolean): Promise<SharedStatus | null> {
  let snapshot: Awaited<ReturnType<NonNullable<LockManagerLike['query']>>>
  try {
    snapshot = (await locks()?.query?.()) ?? {}
  } catch {
    // Firefox refuses query() in a third-party frame: nothing to count there.
    return null
  }
  const name = PREFIX + key
  // Stryker disable next-line ArrayDeclaration: a string in place of a missing list has no `name`, so the filter drops it
  const mine = [...(snapshot.held ?? []), ...(snapshot.pending ?? [])].filter((lock) => lock.name === name)
  return { key, leader, sources: mine.length, contexts: new Set(mine.map((lock) => lock.clientId)).size }
}

export class SharedConnection {
  readonly key: string
  readonly #participant: SharedParticipant
  #channel: BroadcastChannel | undefined
  /** Aborts this attachment's lock requests; `#release` ends a lock once granted. */
  #quit: AbortController | undefined
  #release: (() => void) | undefined
  /** The term of the leader this participant listens to; undefined until it hears one. */
  #term: string | undefined
  /** The current term ended with a `bye`: its messages are all delivered. */
  // Stryker disable next-line BooleanLiteral: attach() sets it before anything reads it
  #ended = false
  /** This participant's own term while it leads. */
  #leading: string | undefined
  /** Holding the lock, waiting for a vanished leader's last messages before leading. */
  #settle: { timer: ReturnType<typeof setTimeout>; start: () => void } | undefined

  constructor(key: string, participant: SharedParticipant) {
    this.key = key
    this.#participant = participant
  }

  get leading(): boolean {
    // Stryker disable next-line ConditionalExpression: its readers only spare building a message send() would drop, or guard a state no follower reaches (#connectWhenAllowed); only `false` differs, and it is killed
    return this.#leading !== undefined
  }

  /** Holds the lock: leads, or is about to (waiting for a vanished leader's last messages). */
  get holdsLock(): boolean {
    return this.#release !== undefined
  }

  /** Joins: listens, queues for the lock, and asks a sitting leader for its state. */
  attach(): void {
    const manager = locks()
    // Stryker disable next-line ConditionalExpression,LogicalOperator: locks() answers as sharingSupported() did when the source was made (no runtime changes those globals), and nothing attaches twice (attach follows creation or a detach); the test narrows `manager` for TypeScript; only `true` differs, and it is killed
    if (manager === undefined || this.#channel !== undefined) return
    let channel: BroadcastChannel
    try {
      channel = new BroadcastChannel(PREFIX + this.key)
    } catch {
      // Storage access denied (some sandboxed or third-party frames): no sharing here.
      this.#participant.alone()
      return
    }
    this.#channel = channel
    this.#term = undefined
    this.#ended = false
    channel.onmessage = (event) => this.#onMessage(event.data as SharedMessage)
    const quit = new AbortController()
    this.#quit = quit
    const name = PREFIX + this.key
    const hold = (queued: boolean): Promise<void> =>
      quit.signal.aborted
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#release = resolve
            this.#takeOver(quit.signal, queued)
          })
    // First without queueing: a lock that is free had no holder a moment ago, so nothing of a predecessor can be in
    // flight. Only a lock taken over after waiting for it may follow a leader whose last messages are still coming.
    let free = false
    // Stryker disable ConditionalExpression,LogicalOperator: (a comment inside the chain is not read) in the `.then` below, free adds nothing to quit.signal.aborted (see above), and a request made with an aborted signal rejects at once, into the catch that ignores aborts; only `true` (a follower never queues) differs, and it is killed
    manager
      .request(name, { ifAvailable: true }, (lock) => {
        if (lock === null) return undefined
        // Stryker disable next-line BooleanLiteral: the free lock's request settles only when #release runs, in detach, after quit is aborted, so the test below has its answer from quit.signal.aborted already
        free = true
        return hold(false)
      })
      .then(() => (free || quit.signal.aborted ? undefined : manager.request(name, { signal: quit.signal }, () => hold(true))))
      .catch(() => {
        // Aborted while queued (close, detach): nothing to do. Refused (a sandboxed or third-party frame, where
        // the channel may still hear a leader it could never succeed): leave the group and connect alone.
        // Stryker restore ConditionalExpression,LogicalOperator
        if (quit.signal.aborted) return
        this.detach()
        this.#participant.alone()
      })
    channel.postMessage({ t: 'hello' } satisfies SharedMessage)
  }

  /** Leaves: a leader says bye and releases the lock (the next participant takes over); a follower leaves the queue. */
  detach(): void {
    const channel = this.#channel
    if (channel === undefined) return
    if (this.#leading !== undefined) channel.postMessage({ t: 'bye', term: this.#leading } satisfies SharedMessage)
    this.#channel = undefined
    this.#leading = undefined
    // Stryker disable next-line ConditionalExpression,CallExpression: a settle timer left running calls start(), which returns at once: this attachment's signal is aborted below
    if (this.#settle !== undefined) clearTimeout(this.#settle.timer)
    this.#settle = undefined
    channel.onmessage = null
    channel.close()
    // Stryker disable next-line OptionalChaining: #quit is set whenever #channel is, and detach returned above without a channel
    this.#quit?.abort()
    this.#quit = undefined
    this.#release?.()
    this.#release = undefined
  }

  /** Passes a message on to every other participant, stamped with this leader's term; only the leader speaks. */
  send(message: ForwardedMessage): void {
    if (this.#leading === undefined) return
    message.term = this.#leading
    // Stryker disable next-line OptionalChaining: a leader always has its channel (detach clears both together)
    this.#channel?.postMessage(message)
  }

  #takeOver(signal: AbortSignal, queued: boolean): void {
    const start = (): void => {
      this.#settle = undefined
      // Stryker disable next-line ConditionalExpression,LogicalOperator: never true here (detach clears the settle timer, and hold() calls #takeOver only with a live signal): a guard, and the narrowing of #channel; only `true` (never lead) differs, and it is killed
      if (signal.aborted || this.#channel === undefined) return
      // Took over from a leader it never heard from (its hello unanswered): others may be open on that connection.
      const unheard = queued && this.#term === undefined
      const term = randomTerm()
      this.#leading = term
      this.#term = term
      // Stryker disable next-line BooleanLiteral: #ended is read only by #takeOver, once per attachment, and attach() resets it
      this.#ended = false
      this.#channel.postMessage({ t: 'lead', term } satisfies SharedMessage)
      this.#participant.lead(unheard)
    }
    // A free lock, or a predecessor that said bye, left nothing in flight; otherwise wait for it (a bye that
    // arrives meanwhile ends the wait).
    if (!queued || this.#ended) start()
    else this.#settle = { timer: setTimeout(start, SETTLE_MS), start }
  }

  #onMessage(message: SharedMessage): void {
    // Same-origin contexts only can post here, but a page's other scripts may use the name: check the shape.
    if (typeof message !== 'object' || message === null) return
    if (message.t === 'hello') {
      // Stryker disable next-line StringLiteral: send() replaces the term with this leader's (and drops the message unless it leads); `'state'` differs, and is killed
      this.send({ t: 'state', term: '', ...this.#participant.state() })
      return
    }
    if (typeof message.term !== 'string' || this.#leading !== undefined) return
    if (message.t === 'lead') {
      this.#term = message.term
      this.#ended = false
      return
    }
    this.#term ??= message.term
    if (message.term !== this.#term) return
    if (message.t !== 'bye') this.#participant.receive(message)
    else {
      this.#ended = true
      const settle = this.#settle
      if (settle !== undefined) {
        clearTimeout(settle.timer)
        settle.start()
      }
    }
  }
}

function randomTerm(): string {
  return typeof crypto?.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`
}

/**
 * The key `shared: true` stands for: the request and what the source makes of its response (method, absolute URL,
 * headers, a string body, credentials, where the last event ID goes, redirects, the buffer limit and base64
 * decoding), so two sources share only when each would have received the same events on its own. Hashed: the key
 * names a Web Lock and a channel that any script of the origin can list, and headers may carry a token. Functions
 * for headers or body compute a different request per attempt, so they need a key of the caller's choosing.
 */
export function sharedKey(url: string, settings: Settings): string {
  const { method, headers, body } = settings
  if (typeof headers === 'function' || (body != null && typeof body !== 'string')) {
    throw new TypeError('FetchEventSource: shared: true needs headers and body that are not functions (and a string body); pass shared: "your-key" instead')
  }
  const request = JSON.stringify([
    method.toUpperCase(),
    url,
    // Stryker disable next-line ConditionalExpression: `[...new Headers(undefined)]` is `[]` too; only `true` (headers ignored) differs, and it is killed
    headers === undefined ? [] : [...new Headers(headers)],
    body ?? null,
    settings.withCredentials,
    settings.lastEventIdInHeader,
    settings.lastEventIdParam,
    settings.redirect,
    settings.maxBufferSize,
    settings.decodeBase64,
  ])
  return `request-${hash(request, 0x811c9dc5)}${hash(request, 0x01000193)}`
}

/** FNV-1a over UTF-16 code units, 32 bits as 8 hex digits; two seeds make 64 bits, too wide to collide by chance. */
function hash(text: string, seed: number): string {
  let h = seed
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(16).padStart(8, '0')
}
