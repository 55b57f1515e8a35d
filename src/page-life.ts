// The page's life as a source sees it: the network going away and coming back, the document hidden for a while,
// the page frozen or put in the back/forward cache. Each source listens on its own and removes its listeners when
// it closes, so nothing here outlives the source. Where an API is missing (Node, Deno, Bun, a worker has no
// document), its part is simply not watched.

import { clampTimerDelay } from './retry-delay.js'

/** Why a source holds no connection on purpose; a bit set, so a page both hidden and frozen resumes once. */
export const HIDDEN = 1
export const FROZEN = 2

/** The default grace period of `pauseWhenHidden: true`, in milliseconds. */
export const HIDDEN_GRACE_MS = 30_000

export interface PageLifeHooks {
  /** Give up the connection until `resume(reason)`; silent (no `error`), since nothing failed. */
  suspend(reason: number): void
  resume(reason: number): void
  /** The network came back: a source waiting for it, or for a backoff delay, connects now. */
  online(): void
  /** The network went away: a pending backoff delay becomes a wait for `online`. */
  offline(): void
}

interface Scope {
  addEventListener?: (type: string, listener: (event: any) => void) => void
  removeEventListener?: (type: string, listener: (event: any) => void) => void
  navigator?: { onLine?: unknown }
  document?: Document
}

/**
 * Whether the browser has said it went offline: an `offline` event, with no `online` since and `navigator.onLine`
 * still false. `navigator.onLine` alone is not trusted: a machine whose only network is loopback (a container
 * with `--network none`) reports false for good while a local server answers, and a source that believed it
 * would never reconnect. A page that loads while offline therefore retries as usual until `online`, which
 * connects it at once. Node, Deno and Bun have no such events: never offline.
 */
export function isOffline(): boolean {
  // Stryker disable next-line OptionalChaining: wentOffline is set only by listeners installed where canWatchPage() found navigator.onLine
  return wentOffline && (globalThis as Scope).navigator?.onLine === false
}

let wentOffline = false
let trackingNetwork = false

/** One pair of listeners per page, installed with the first source and kept: later sources know the state too. */
function trackNetwork(scope: Required<Pick<Scope, 'addEventListener'>>): void {
  if (trackingNetwork) return
  trackingNetwork = true
  // Installed before any source's own listeners, so those see the new state when they run.
  scope.addEventListener('offline', () => (wentOffline = true))
  scope.addEventListener('online', () => (wentOffline = false))
}

/** Whether there is a page life to watch here: a window or worker with `online`/`offline` events. */
export function canWatchPage(): boolean {
  const scope = globalThis as Scope
  return typeof scope.addEventListener === 'function' && typeof scope.navigator?.onLine === 'boolean'
}

/**
 * Starts watching for `hooks` (only where `canWatchPage()`). `hiddenGraceMs` is how long the document may stay hidden before the source
 * suspends (`pauseWhenHidden`), or -1 not to watch visibility. Returns what stops the watching.
 */
export function watchPage(hooks: PageLifeHooks, hiddenGraceMs: number): () => void {
  const scope = globalThis as Required<Pick<Scope, 'addEventListener' | 'removeEventListener'>> & Scope
  trackNetwork(scope)
  const doc = typeof scope.document === 'object' && scope.document !== null ? scope.document : undefined
  const windowListeners: Array<[string, (event: any) => void]> = [
    ['online', () => hooks.online()],
    // Stryker disable next-line ArrowFunction: a reconnect timer that fires while offline leaves the source waiting for the network all the same (the source's #connectWhenAllowed checks isOffline()), and `online` connects it either way
    ['offline', () => hooks.offline()],
  ]
  const documentListeners: Array<[string, (event: any) => void]> = []
  let hiddenTimer: ReturnType<typeof setTimeout> | undefined

  if (doc !== undefined) {
    // A page entering the back/forward cache (`pagehide` with `persisted`) must not hold a request open: Chromium
    // refuses to cache a page with an outstanding fetch. A page being unloaded (without `persisted`) is closed the
    // same way: its teardown would abort the request anyway, and a source leading a shared connection says bye
    // first, so the next tab takes over without waiting for stragglers. Only a cached page comes back, with
    // `pageshow` and `persisted`. (`unload` is never listened to: its mere listener keeps a page out of the cache.)
    windowListeners.push(
      ['pagehide', () => hooks.suspend(FROZEN)],
      ['pageshow', (event: { persisted?: boolean }) => event.persisted === true && hooks.resume(FROZEN)],
    )
    // Page Lifecycle: a frozen page runs no tasks, so its socket would sit unread until the server or a proxy
    // drops it; closing first and reconnecting on `resume` with Last-Event-ID loses nothing.
    documentListeners.push(['freeze', () => hooks.suspend(FROZEN)], ['resume', () => hooks.resume(FROZEN)])
    if (hiddenGraceMs >= 0) {
      const onVisibility = (): void => {
        if (doc.visibilityState === 'hidden') {
          hiddenTimer ??= setTimeout(() => {
            hiddenTimer = undefined
            hooks.suspend(HIDDEN)
          }, clampTimerDelay(hiddenGraceMs))
        } else {
          // Stryker disable next-line ConditionalExpression: clearTimeout(undefined) does nothing; only `false` (the timer kept) differs, and it is killed
          if (hiddenTimer !== undefined) clearTimeout(hiddenTimer)
          hiddenTimer = undefined
          hooks.resume(HIDDEN)
        }
      }
      documentListeners.push(['visibilitychange', onVisibility])
      // A source created in a background tab starts its grace period at once.
      // Stryker disable next-line ConditionalExpression: for a visible document onVisibility() only resumes HIDDEN, which a source never suspended ignores; only `false` differs, and it is killed
      if (doc.visibilityState === 'hidden') onVisibility()
    }
  }
  for (const [type, listener] of windowListeners) scope.addEventListener(type, listener)
  // Stryker disable next-line OptionalChaining: documentListeners is empty without a document
  for (const [type, listener] of documentListeners) doc?.addEventListener(type, listener)
  return () => {
    // Stryker disable next-line ConditionalExpression,EqualityOperator,CallExpression: a grace timer that fires after this suspends a closed source, which #suspend ignores (and clearTimeout(undefined) does nothing)
    if (hiddenTimer !== undefined) clearTimeout(hiddenTimer)
    for (const [type, listener] of windowListeners) scope.removeEventListener(type, listener)
    // Stryker disable next-line OptionalChaining: documentListeners is empty without a document
    for (const [type, listener] of documentListeners) doc?.removeEventListener(type, listener)
  }
}
