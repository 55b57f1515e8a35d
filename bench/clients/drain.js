// The ceiling: read the body and decode it to text, nothing else. Verified by the decoded length, not by events.
export default {
  name: 'drain',
  label: 'body drain (ceiling)',
  available: () => true,
  version: () => process.versions.node,
  drain: true,
  async load() {},
  open(url, o) {
    const controller = new AbortController()
    ;(async () => {
      const doFetch = o.fetch || globalThis.fetch
      const response = await doFetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal })
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      let chars = 0
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        chars += decoder.decode(value, { stream: true }).length
      }
      chars += decoder.decode().length
      o.onChars?.(chars)
      o.onEnd()
    })().catch((err) => {
      if (!controller.signal.aborted) o.onFail(err)
    })
    return () => controller.abort()
  },
}
