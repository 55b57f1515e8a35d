// Classic (non-module) script: if a page's module never ran, its import of the library failed,
// most likely because dist/ has not been built yet. Module scripts run before `load`, so by then
// a working page has set data-ready.
window.addEventListener('load', function () {
  if (document.documentElement.dataset.ready) return
  var banner = document.getElementById('boot-error')
  if (!banner) return
  banner.textContent =
    'Could not load the library from /dist/fetch-eventsource.browser.js. Build it with `npm run build` and reload.'
  banner.hidden = false
})
