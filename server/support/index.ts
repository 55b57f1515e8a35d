// Internal support for the repository's own servers and scripts (demo/, reliability/, bench/, e2e/): built to
// dist/support.js and deliberately not a package export.
export * from './http.js'
export * from './static-files.js'
export * from './args.js'
export * from './chromium.js'
