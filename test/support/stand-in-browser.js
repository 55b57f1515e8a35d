// A stand-in browser for the `shared` protocol (src/shared-connection.ts) in Node, Deno and Bun: BroadcastChannel,
// Web Locks, and per-tab windows and documents, all driven by the test, so every interleaving a browser may produce
// (a lock granted before the last messages of a crashed tab arrive, an event that outruns the answer to a hello) can
// be produced on purpose and checked exactly.
//
// `shared` is a browser feature: src/shared-connection.ts switches it off wherever `process.versions.node` or `Deno`
// is defined, and checks that on every attach and every sharedStatus(), not only at construction. install() hides
// exactly those two for as long as the stand-in is installed: `process.versions` becomes a copy without `node` (the
// `process` object itself stays, since node:test and Bun's assertion formatting use it), and `Deno` is hidden.
// uninstall() puts back every global it replaced, because Bun runs all test files in one global scope.
//
// A *context* is a tab (or a frame, or a worker): its own window and document, and its own client id at the lock
// manager. Code run through `context.run(fn)` (a source's construction, and the microtask in which it starts) and
// the events a context dispatches (visibility, freeze, pagehide …) see that context as the current one: the
// BroadcastChannels and lock requests they create belong to it, and `globalThis.document` and
// `globalThis.addEventListener` are its own. Outside any run, the current context is `browser.main`.
//
// Delivery is automatic (each message one task, in posting order) unless `channels.manual` is set; lock grants are
// automatic (one task after the lock frees) unless `locks.manual` is set. `crash(context)` is a tab dying: its
// channels go deaf and mute (messages it already posted are still in flight, as in a browser), its locks are freed
// and its queued requests dropped, without any of its code running.

/** @typedef {{ from: Context, to: StandInChannel, name: string, data: any }} InFlight */
/**
 * @typedef {object} LockRequest
 * @property {string} name
 * @property {Context} context
 * @property {(lock: { name: string, mode: 'exclusive' }) => unknown} callback
 * @property {(value: unknown) => void} resolve
 * @property {(reason: unknown) => void} reject
 */
/**
 * What `StandInBrowser#remains()` reports: what is left of `shared` (all empty once every source has closed).
 * @typedef {{ channels: string[], held: string[], pending: string[], grants: number, inFlight: number }} Remains
 */

const encoder = new TextEncoder()

/** An EventTarget that knows which listeners it holds, for leak checks. */
class TrackedTarget extends EventTarget {
  /** @type {Map<string, Set<unknown>>} */
  #listeners = new Map()

  /** @param {string} type @param {any} listener @param {any} [options] */
  addEventListener(type, listener, options) {
    if (listener != null) {
      const set = this.#listeners.get(type) ?? new Set()
      set.add(listener)
      this.#listeners.set(type, set)
    }
    super.addEventListener(type, listener, options)
  }

  /** @param {string} type @param {any} listener @param {any} [options] */
  removeEventListener(type, listener, options) {
    this.#listeners.get(type)?.delete(listener)
    super.removeEventListener(type, listener, options)
  }

  /** @returns {string[]} one entry per live listener: its event type */
  live() {
    return [...this.#listeners].flatMap(([type, set]) => [...set].map(() => type))
  }
}

/** A tab: its own window and document, its own client id at the lock manager. */
export class Context {
  /** @type {StandInBrowser} */
  #browser
  /** @param {StandInBrowser} browser @param {string} label */
  constructor(browser, label) {
    this.#browser = browser
    this.label = label
    this.window = new TrackedTarget()
    /** @type {TrackedTarget & { visibilityState: 'visible' | 'hidden', baseURI: string }} */
    this.document = Object.assign(new TrackedTarget(), { visibilityState: /** @type {'visible' | 'hidden'} */ ('visible'), baseURI: browser.baseURI })
    this.crashed = false
  }

  /**
   * Runs `fn` in this context: synchronously, and in the microtasks it queues (a FetchEventSource starts in a
   * microtask after its constructor: that is where it watches the page and joins the shared connection). Two
   * microtasks bracket `fn`'s, so sources created one after the other in different contexts each get their own.
   * @template T
   * @param {() => T} fn
   * @returns {T}
   */
  run(fn) {
    const browser = this.#browser
    queueMicrotask(() => (browser.current = this))
    browser.current = this
    try {
      return fn()
    } finally {
      browser.current = browser.main
      queueMicrotask(() => (browser.current = browser.main))
    }
  }

  /** The document becomes hidden or visible (`visibilitychange`). @param {'visible' | 'hidden'} state */
  visibility(state) {
    this.document.visibilityState = state
    this.run(() => this.document.dispatchEvent(new Event('visibilitychange')))
  }

  /** Page Lifecycle `freeze` on the document. */
  freeze() {
    this.run(() => this.document.dispatchEvent(new Event('freeze')))
  }

  /** Page Lifecycle `resume` on the document. */
  resume() {
    this.run(() => this.document.dispatchEvent(new Event('resume')))
  }

  /** `pagehide` (with `persisted`: the page enters the back/forward cache). @param {boolean} persisted */
  pagehide(persisted) {
    this.run(() => this.window.dispatchEvent(Object.assign(new Event('pagehide'), { persisted })))
  }

  /** `pageshow` (with `persisted`: the page comes back from the back/forward cache). @param {boolean} persisted */
  pageshow(persisted) {
    this.run(() => this.window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted })))
  }
}

/** @typedef {InstanceType<ReturnType<typeof channelClass>>} StandInChannel */

/** @param {StandInBrowser} browser */
function channelClass(browser) {
  /** BroadcastChannel: delivers structured clones to every other open channel of the same name. */
  return class BroadcastChannel {
    /** @param {string} name */
    constructor(name) {
      if (browser.channels.refuse !== undefined) throw browser.channels.refuse
      this.name = String(name)
      /** @type {((event: { data: any }) => void) | null} */
      this.onmessage = null
      this.context = browser.current
      this.closed = false
      browser.channels.open.add(this)
    }

    /** @param {any} message */
    postMessage(message) {
      if (this.closed) throw new DOMException("Failed to execute 'postMessage' on 'BroadcastChannel': Channel is closed", 'InvalidStateError')
      // A crashed context runs nothing: whatever its code still does in this process reaches no one.
      if (this.context.crashed) return
      const data = structuredClone(message)
      browser.channels.posted.push({ from: this.context.label, name: this.name, data })
      for (const to of browser.channels.open) {
        if (to === this || to.name !== this.name || to.context.crashed) continue
        /** @type {InFlight} */
        const item = { from: this.context, to, name: this.name, data }
        browser.channels.inFlight.push(item)
        if (!browser.channels.manual) setTimeout(() => browser.deliverItem(item), 0)
      }
    }

    close() {
      this.closed = true
      browser.channels.open.delete(this)
    }
  }
}

/**
 * The browser: install() once per test file, uninstall() after it; reset() between tests.
 */
export class StandInBrowser {
  baseURI = 'http://app.test/'
  /** navigator.onLine; change it with network(). */
  onLine = true
  /** @type {Context[]} every context made, in order (for leak checks) */
  contexts = []
  /** The context of code outside any `run`. */
  main = this.context('main')
  /** @type {Context} */
  current = this.main

  channels = {
    /** Messages wait in `inFlight` until deliver() (for messages posted from now on). */
    manual: false,
    /** @type {Set<StandInChannel>} */
    open: new Set(),
    /** @type {InFlight[]} posted and not yet delivered, in posting order */
    inFlight: [],
    /** @type {Array<{ from: string, name: string, data: any }>} every message posted, for assertions */
    posted: [],
    /** @type {unknown} when set, the BroadcastChannel constructor throws it (a sandboxed frame without storage) */
    refuse: undefined,
  }

  locks = {
    /** A freed lock waits for grant() instead of going to the next request by itself. */
    manual: false,
    /** @type {Map<string, LockRequest>} */
    held: new Map(),
    /** @type {Map<string, LockRequest[]>} */
    queues: new Map(),
    /** @type {Array<{ request: LockRequest, run: () => void }>} granted locks whose callbacks wait for grant() */
    grants: [],
    /** @type {unknown} when set, every request rejects with it (an opaque origin, a third-party frame) */
    refuse: undefined,
  }

  /** @type {Array<[object, PropertyKey, PropertyDescriptor | undefined]>} */
  #saved = []

  /** A new context (tab). @param {string} label */
  context(label) {
    const context = new Context(this, label)
    this.contexts.push(context)
    return context
  }

  /** Replaces the globals the library looks at; throws if they were replaced already. */
  install() {
    if (this.#saved.length > 0) throw new Error('the stand-in browser is installed already')
    const browser = this
    const navigator = {
      get onLine() {
        return browser.onLine
      },
      // Each context has its own lock manager, as each window's navigator.locks is its own: a request made later,
      // from a promise callback, still belongs to the context that got the manager.
      get locks() {
        return browser.#lockManager(browser.current)
      },
    }
    const process = /** @type {any} */ (globalThis).process
    if (process?.versions?.node !== undefined) {
      // Node loads its fetch (undici) on first use of any of these globals, and undici reads process.versions.node
      // as it loads: load it now, while the version is still there.
      for (const name of ['fetch', 'Headers', 'Request', 'Response', 'FormData']) void (/** @type {any} */ (globalThis)[name])
      const { node, ...versions } = process.versions
      this.#replace(process, 'versions', Object.freeze(versions))
    }
    if ('Deno' in globalThis) this.#replace(globalThis, 'Deno', undefined)
    this.#replace(globalThis, 'navigator', navigator)
    this.#replace(globalThis, 'BroadcastChannel', channelClass(this))
    this.#replace(globalThis, 'addEventListener', (/** @type {string} */ type, /** @type {any} */ listener, /** @type {any} */ options) =>
      browser.current.window.addEventListener(type, listener, options),
    )
    // A listener is removed wherever it was added, whichever context is current now.
    this.#replace(globalThis, 'removeEventListener', (/** @type {string} */ type, /** @type {any} */ listener, /** @type {any} */ options) => {
      for (const context of browser.contexts) context.window.removeEventListener(type, listener, options)
    })
    this.#save(globalThis, 'document')
    Object.defineProperty(globalThis, 'document', { configurable: true, enumerable: true, get: () => browser.current.document })
    return this
  }

  /** Puts back every global install() replaced. */
  uninstall() {
    for (const [target, key, descriptor] of this.#saved.splice(0).reverse()) {
      if (descriptor === undefined) delete /** @type {any} */ (target)[key]
      else Object.defineProperty(target, key, descriptor)
    }
  }

  /** Back to automatic delivery and grants, nothing refused, nothing in flight, online. */
  reset() {
    this.channels.manual = false
    this.channels.inFlight = []
    this.channels.posted = []
    this.channels.refuse = undefined
    this.locks.manual = false
    this.locks.refuse = undefined
    this.onLine = true
    this.current = this.main
  }

  /** @param {object} target @param {PropertyKey} key */
  #save(target, key) {
    this.#saved.push([target, key, Object.getOwnPropertyDescriptor(target, key)])
  }

  /** @param {object} target @param {PropertyKey} key @param {unknown} value */
  #replace(target, key, value) {
    this.#save(target, key)
    Object.defineProperty(target, key, { configurable: true, enumerable: true, writable: true, value })
  }

  // ---- BroadcastChannel ----------------------------------------------------------------------------------------

  /** Delivers one in-flight message, if it is still in flight and its receiver still listens. @param {InFlight} item */
  deliverItem(item) {
    const index = this.channels.inFlight.indexOf(item)
    if (index === -1) return
    this.channels.inFlight.splice(index, 1)
    if (item.to.closed || item.to.context.crashed) return
    item.to.onmessage?.({ data: item.data })
  }

  /**
   * Delivers the in-flight messages that match `filter`, in posting order, each synchronously; the others stay.
   * @param {(item: InFlight) => boolean} [filter]
   * @returns {number} how many were delivered
   */
  deliver(filter = () => true) {
    const chosen = this.channels.inFlight.filter(filter)
    for (const item of chosen) this.deliverItem(item)
    return chosen.length
  }

  // ---- Web Locks -----------------------------------------------------------------------------------------------

  /** @param {Context} context */
  #lockManager(context) {
    const browser = this
    const state = this.locks
    return {
      /**
       * navigator.locks.request(name, [options,] callback), exclusive mode: the callback runs once the lock is
       * granted; the returned promise settles with its result once it is released. An abort while queued rejects.
       * @param {string} name
       * `ifAvailable`: when the lock is held or others wait for it, the callback runs at once with null.
       * @param {{ signal?: AbortSignal, ifAvailable?: boolean } | ((lock: any) => unknown)} options
       * @param {(lock: any) => unknown} [callback]
       */
      request(name, options, callback) {
        const cb = typeof options === 'function' ? options : /** @type {(lock: any) => unknown} */ (callback)
        const signal = typeof options === 'function' ? undefined : options?.signal
        if (state.refuse !== undefined) return Promise.reject(state.refuse)
        if (typeof options !== 'function' && options?.ifAvailable && (state.held.has(name) || (state.queues.get(name)?.length ?? 0) > 0)) {
          return Promise.resolve().then(() => cb(null))
        }
        return new Promise((resolve, reject) => {
          const aborted = () => signal?.reason ?? new DOMException('The request was aborted.', 'AbortError')
          if (signal?.aborted) return reject(aborted())
          /** @type {LockRequest} */
          const request = { name, context, callback: cb, resolve, reject }
          const queue = state.queues.get(name) ?? []
          state.queues.set(name, queue)
          queue.push(request)
          signal?.addEventListener('abort', () => {
            const index = queue.indexOf(request)
            if (index === -1) return // granted already: an abort changes nothing then
            queue.splice(index, 1)
            reject(aborted())
          })
          browser.#nextHolder(name)
        })
      },
      /** The lock manager's snapshot, with each request's client id (its context's label). */
      async query() {
        const entry = (/** @type {LockRequest} */ r) => ({ name: r.name, mode: 'exclusive', clientId: r.context.label })
        return { held: [...state.held.values()].map(entry), pending: [...state.queues.values()].flat().map(entry) }
      },
    }
  }

  /** Gives a free lock to the first request in its queue (its callback runs now, or at grant() when manual). */
  #nextHolder(/** @type {string} */ name) {
    const state = this.locks
    if (state.held.has(name)) return
    const request = state.queues.get(name)?.shift()
    if (request === undefined) return
    state.held.set(name, request)
    const run = () => {
      /** @type {Promise<unknown>} */
      let result
      try {
        result = Promise.resolve(request.callback({ name, mode: 'exclusive' }))
      } catch (error) {
        result = Promise.reject(error)
      }
      result.then(request.resolve, request.reject).finally(() => {
        // A crashed holder's lock went to the next request already.
        if (state.held.get(name) !== request) return
        state.held.delete(name)
        this.#nextHolder(name)
      })
    }
    if (state.manual) state.grants.push({ request, run })
    else setTimeout(run, 0)
  }

  /**
   * Runs the callbacks of locks granted while `locks.manual` was set, that match `filter`.
   * @param {(request: LockRequest) => boolean} [filter]
   * @returns {number} how many ran
   */
  grant(filter = () => true) {
    const chosen = this.locks.grants.filter((g) => filter(g.request))
    this.locks.grants = this.locks.grants.filter((g) => !chosen.includes(g))
    for (const g of chosen) g.run()
    return chosen.length
  }

  /** Who holds and who waits for which lock, as `name@context`. */
  lockSnapshot() {
    const entry = (/** @type {LockRequest} */ r) => `${r.name}@${r.context.label}`
    return { held: [...this.locks.held.values()].map(entry), pending: [...this.locks.queues.values()].flat().map(entry) }
  }

  // ---- the page's life, and crashes ----------------------------------------------------------------------------

  /** The network goes away or comes back: navigator.onLine, and the event in every context. @param {'online' | 'offline'} type */
  network(type) {
    this.onLine = type === 'online'
    for (const context of this.contexts) context.run(() => context.window.dispatchEvent(new Event(type)))
  }

  /**
   * `context` dies without running another line: its channels hear and say nothing more (what it posted before
   * is still in flight), its locks are freed for the next request, its queued requests vanish.
   * @param {Context} context
   */
  crash(context) {
    context.crashed = true
    const state = this.locks
    for (const queue of state.queues.values()) {
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i].context === context) queue.splice(i, 1)
    }
    state.grants = state.grants.filter((g) => g.request.context !== context)
    for (const [name, request] of [...state.held]) {
      if (request.context !== context) continue
      state.held.delete(name)
      this.#nextHolder(name)
    }
    this.channels.inFlight = this.channels.inFlight.filter((item) => item.to.context !== context)
  }

  // ---- leak checks ---------------------------------------------------------------------------------------------

  /** Every live window and document listener, as `context:window:type`, sorted. */
  listeners() {
    return this.contexts
      .flatMap((c) => [...c.window.live().map((t) => `${c.label}:window:${t}`), ...c.document.live().map((t) => `${c.label}:document:${t}`)])
      .sort()
  }

  /** What is left of `shared`: open channels, held and queued locks, grants not run, messages in flight. @returns {Remains} */
  remains() {
    const { held, pending } = this.lockSnapshot()
    return {
      channels: [...this.channels.open].map((c) => `${c.name}@${c.context.label}`),
      held,
      pending,
      grants: this.locks.grants.length,
      inFlight: this.channels.inFlight.filter((item) => !item.to.closed).length,
    }
  }
}

// ---- a fetch the test drives -----------------------------------------------------------------------------------

/**
 * @typedef {object} DrivenCall
 * @property {string} url
 * @property {string} method
 * @property {Headers} headers
 * @property {unknown} body
 * @property {RequestCredentials | undefined} credentials
 * @property {string | null} lastEventId the Last-Event-ID header it carries
 * @property {AbortSignal} signal
 * @property {(status?: number) => { send: (text: string) => void, end: () => void, error: (reason: unknown) => void }} respond
 *   answers with `status` and `text/event-stream`, and a body the test writes to
 * @property {() => void} fail rejects like a network error
 */

/**
 * A `fetch` option whose calls the test answers: `calls` in order, and `call(n)` to wait for the n-th (1-based).
 * @returns {{ fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>, calls: DrivenCall[], call: (n: number, ms?: number) => Promise<DrivenCall> }}
 */
export function drivenFetch() {
  /** @type {DrivenCall[]} */
  const calls = []
  /** @type {Array<() => void>} */
  const waiting = []
  /** @param {string | URL | Request} input @param {RequestInit} [init] */
  const fetch = (input, init = {}) =>
    new Promise((resolve, reject) => {
      const signal = /** @type {AbortSignal} */ (init.signal)
      signal.addEventListener('abort', () => reject(new DOMException('The operation was aborted.', 'AbortError')), { once: true })
      const headers = new Headers(init.headers)
      calls.push({
        url: String(input),
        method: init.method ?? 'GET',
        headers,
        body: init.body,
        credentials: init.credentials,
        lastEventId: headers.get('last-event-id'),
        signal,
        respond(status = 200) {
          /** @type {ReadableStreamDefaultController<Uint8Array>} */
          let controller
          const body = new ReadableStream({ start: (c) => void (controller = c) })
          resolve(new Response(body, { status, headers: { 'content-type': 'text/event-stream' } }))
          return {
            send: (text) => controller.enqueue(encoder.encode(text)),
            end: () => controller.close(),
            error: (reason) => controller.error(reason),
          }
        },
        fail: () => reject(new TypeError('fetch failed')),
      })
      for (const wake of waiting.splice(0)) wake()
    })
  /** @param {number} n @param {number} [ms] @returns {Promise<DrivenCall>} */
  const call = (n, ms = 2_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fetch call ${n} not made within ${ms} ms (${calls.length} made)`)), ms)
      const check = () => {
        if (calls.length < n) return void waiting.push(check)
        clearTimeout(timer)
        resolve(calls[n - 1])
      }
      check()
    })
  return { fetch, calls, call }
}

// ---- waiting and recording -------------------------------------------------------------------------------------

/** One turn of the event loop: timers due now, and the tasks of delivered messages, run before it resolves. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 0))

/**
 * Waits, a task at a time, until `predicate` holds; fails after `ms`.
 * @param {() => boolean} predicate
 * @param {string} what named in the failure
 * @param {number} [ms]
 */
export async function until(predicate, what, ms = 2_000) {
  const deadline = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await turn()
  }
}

/**
 * What a source dispatches, in order, with its readyState at that moment: ['open', readyState],
 * [type, data, lastEventId, origin, readyState] for messages of each of `types`, ['error', code, readyState].
 * @param {EventTarget & { readyState: number }} source
 * @param {string[]} [types] message event types to record
 * @returns {unknown[][]}
 */
export function record(source, types = ['message']) {
  /** @type {unknown[][]} */
  const log = []
  source.addEventListener('open', () => log.push(['open', source.readyState]))
  for (const type of types) {
    source.addEventListener(type, (/** @type {any} */ event) => log.push([type, event.data, event.lastEventId, event.origin, source.readyState]))
  }
  source.addEventListener('error', (/** @type {any} */ event) => log.push(['error', event.code, source.readyState]))
  return log
}
