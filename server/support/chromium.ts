// The Chromium flags every browser run of the repository uses: the browser suite, the demo smoke tests and the
// reliability runs. Headless, sandbox-free (containers), and nothing that talks to the network on its own.
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
])
