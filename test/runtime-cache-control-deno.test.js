// runtime-cache-control.test.js in Node with a stand-in `Deno` global instead of `Bun`: each runtime's name alone
// must make the library send Cache-Control itself.
process.env.CACHE_CONTROL_STAND_IN = 'Deno'
await import('./runtime-cache-control.test.js')
