// Pitstop's only ES module: starts GOV.UK Frontend and MOJ Frontend components, and starts
// them again inside content that htmx swaps in.
//
// Both libraries are imported by relative path from copies that frontend/build.mjs places
// beside this file (browsers cannot resolve bare specifiers without an import map, which
// would have to be inline and the Content-Security-Policy forbids inline script). The build
// appends "?v=<package version>" to these two paths so upgrades are not hidden by caches.
import { initAll as initGovukFrontend } from './govuk-frontend.min.js'
import { initAll as initMojFrontend } from './moj-frontend.min.js'

/**
 * Start every component found inside `scope`.
 *
 * @param {Element | Document} scope - where to look for `data-module` elements
 * @param {Function} [onError] - receives errors instead of console.log
 */
function initComponents (scope, onError) {
  initGovukFrontend({ scope, onError })
  initMojFrontend({ scope, onError })
}

// An element that is already running its component is skipped with an InitError: expected
// when a fragment is re-scanned, so it is not worth logging.
function ignoreAlreadyInitialised (error) {
  if (error && error.name === 'InitError') return
  console.error(error)
}

initComponents(document)

// htmx fires htmx:load on each element it adds (and once on <body> when it starts, which the
// call above has covered). The libraries only look at descendants of the scope, so when the
// new element is itself a component, scan from its parent instead.
document.addEventListener('htmx:load', (event) => {
  const element = event.target
  if (!(element instanceof Element) || element === document.body || element === document.documentElement) {
    return
  }
  const scope = element.hasAttribute('data-module') && element.parentElement ? element.parentElement : element
  initComponents(scope, ignoreAlreadyInitialised)
})
