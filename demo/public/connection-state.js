// Shows a FetchEventSource's connection state in a badge: connecting, open, reconnecting or closed.
// The state comes from the source itself (readyState at each open/error event), so the badge shows
// what the library decided, e.g. whether an error will be retried (CONNECTING) or was final (CLOSED).

/**
 * @param {HTMLElement} badge   element whose text and data-state are updated
 * @param {HTMLElement} [detail] optional element for the last error's code and message
 */
export function connectionBadge(badge, detail) {
  /**
   * @param {'connecting' | 'open' | 'reconnecting' | 'closed'} state
   * @param {string} [text]
   */
  const set = (state, text = '') => {
    badge.dataset.state = state
    badge.textContent = state
    if (detail) detail.textContent = text
  }
  set('closed')

  return {
    set,
    /**
     * Follows a new source from creation to its end.
     * @param {any} source a FetchEventSource
     */
    watch(source) {
      set('connecting')
      source.addEventListener('open', () => set('open'))
      source.addEventListener('error', (/** @type {any} */ event) => {
        const reason = [event.code, event.message].filter((part) => part !== undefined && part !== '').join(': ')
        set(source.readyState === source.CLOSED ? 'closed' : 'reconnecting', reason)
      })
    },
  }
}
