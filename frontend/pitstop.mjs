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

// ---- Idle timeout warning -----------------------------------------------------------------
// The server ends a session after a period without requests (30 minutes by default). Two
// minutes before that, say so and offer to stay signed in; at the deadline, reload so the
// server shows the sign-in page. Without JavaScript the server still ends the session.
const WARN_BEFORE_MS = 2 * 60 * 1000

function startTimeoutWarning () {
  // The server says how many seconds are left, not when: this computer's clock may be wrong.
  const secondsMeta = document.querySelector('meta[name="pitstop-idle-seconds"]')
  const csrfMeta = document.querySelector('meta[name="pitstop-csrf-token"]')
  if (!secondsMeta || !secondsMeta.content || !csrfMeta) return
  const seconds = Number(secondsMeta.content)
  if (!Number.isFinite(seconds)) return
  let deadline = Date.now() + seconds * 1000
  let warning = null
  let warnTimer = null
  let endTimer = null

  function schedule () {
    clearTimeout(warnTimer)
    clearTimeout(endTimer)
    const now = Date.now()
    warnTimer = setTimeout(showWarning, Math.max(0, deadline - WARN_BEFORE_MS - now))
    endTimer = setTimeout(() => window.location.reload(), Math.max(0, deadline - now + 1000))
  }

  function showWarning () {
    if (warning) return
    warning = document.createElement('div')
    warning.className = 'govuk-notification-banner pitstop-timeout-warning'
    warning.setAttribute('role', 'alertdialog')
    warning.setAttribute('aria-labelledby', 'pitstop-timeout-title')
    warning.innerHTML =
      '<div class="govuk-notification-banner__header">' +
      '<h2 class="govuk-notification-banner__title" id="pitstop-timeout-title">You will be signed out soon</h2></div>' +
      '<div class="govuk-notification-banner__content">' +
      '<p class="govuk-notification-banner__heading">You have not used Pitstop for a while. ' +
      'To protect the information in it, you will be signed out in 2 minutes.</p>' +
      '<button type="button" class="govuk-button govuk-!-margin-bottom-0" data-stay>Stay signed in</button></div>'
    document.body.appendChild(warning)
    const button = warning.querySelector('[data-stay]')
    button.addEventListener('click', staySignedIn)
    button.focus()
  }

  async function staySignedIn () {
    const response = await fetch('/session/keep-alive', {
      method: 'POST',
      headers: { 'X-CSRF-Token': csrfMeta.content },
      credentials: 'same-origin'
    })
    if (!response.ok) {
      window.location.reload()
      return
    }
    const body = await response.json()
    deadline = Date.now() + body.idle_seconds * 1000
    warning.remove()
    warning = null
    schedule()
  }

  schedule()
}

startTimeoutWarning()

// ---- Agenda order: drag and drop ----------------------------------------------------------
// The builder's items can be dragged into a new order. On drop the hidden inputs of the order
// form are rewritten in the new order and htmx posts it; the answer redraws the builder (a 409
// shows the agenda as someone else left it). Without JavaScript, "Move up" and "Move down" do it.
function startAgendaOrdering (scope) {
  for (const list of scope.querySelectorAll('[data-agenda-order]')) {
    if (list.dataset.orderingStarted) continue
    list.dataset.orderingStarted = 'true'
    const form = document.getElementById(list.dataset.agendaOrder)
    if (!form || !window.htmx) continue
    let dragged = null
    let before = ''
    const order = () => [...list.querySelectorAll('[data-item-id]')].map((item) => item.dataset.itemId)

    list.addEventListener('dragstart', (event) => {
      dragged = event.target instanceof Element ? event.target.closest('[data-item-id]') : null
      if (!dragged) return
      before = order().join(',')
      event.dataTransfer.effectAllowed = 'move'
      event.dataTransfer.setData('text/plain', dragged.dataset.itemId)
      dragged.classList.add('pitstop-agenda-builder__item--dragging')
    })
    list.addEventListener('dragover', (event) => {
      if (!dragged) return
      event.preventDefault()
      const over = event.target instanceof Element ? event.target.closest('[data-item-id]') : null
      if (!over || over === dragged) return
      const box = over.getBoundingClientRect()
      const below = event.clientY > box.top + box.height / 2
      list.insertBefore(dragged, below ? over.nextElementSibling : over)
    })
    list.addEventListener('drop', (event) => event.preventDefault())
    list.addEventListener('dragend', () => {
      if (!dragged) return
      dragged.classList.remove('pitstop-agenda-builder__item--dragging')
      dragged = null
      const now = order()
      if (now.join(',') === before) return
      for (const input of form.querySelectorAll('input[name="items"]')) input.remove()
      for (const id of now) {
        const input = document.createElement('input')
        input.type = 'hidden'
        input.name = 'items'
        input.value = id
        form.appendChild(input)
      }
      window.htmx.trigger(form, 'pitstop:reordered')
    })
  }
}

startAgendaOrdering(document)
document.addEventListener('htmx:load', (event) => {
  if (event.target instanceof Element) startAgendaOrdering(event.target.parentElement || event.target)
})

// ---- The live meeting ---------------------------------------------------------------------
// A page with a [data-live-stream] element (the meeting's /live URL) follows the meeting as it
// happens. Each [data-live] element names the kinds of event it cares about; an event of one of
// those kinds (about its data-live-item, when it has one, or about no item in particular) makes
// htmx read the element's hx-get again, as this user, and swap it in. Events carry ids only. The
// forms on the page sit outside those elements, so what someone is typing stays.
//
// The meeting's bar ([data-now-item] inside it) says which item is being discussed. Someone who
// was on that item moves with the meeting when the chair moves on, unless they have started
// typing in a form here: then the bar's link takes them when they are ready. Someone who opened
// another item on purpose stays where they are. Without JavaScript, Refresh.
function formsChanged () {
  for (const field of document.querySelectorAll('form input, form textarea, form select')) {
    if (field.type === 'hidden' || field.type === 'submit') continue
    if (field.type === 'checkbox' || field.type === 'radio') {
      if (field.checked !== field.defaultChecked) return true
    } else if (field.tagName === 'SELECT') {
      // With no option marked selected, a browser shows the first: that is the select untouched.
      const marked = Array.from(field.options).findIndex((option) => option.defaultSelected)
      if (field.selectedIndex !== Math.max(marked, 0)) return true
    } else if (field.value !== field.defaultValue) {
      return true
    }
  }
  return false
}

function discussedItem (bar) {
  const marker = bar.querySelector('[data-now-item]')
  return marker ? marker.getAttribute('data-now-item') : null
}

function startLive () {
  const origin = document.querySelector('[data-live-stream]')
  if (!origin || !window.EventSource || !window.htmx) return
  const targets = Array.from(document.querySelectorAll('[data-live]'))
  const source = new EventSource(origin.getAttribute('data-live-stream'))
  const refresh = (event) => {
    for (const target of targets) {
      const kinds = target.getAttribute('data-live').split(' ')
      const item = target.getAttribute('data-live-item')
      if (!kinds.includes(event.type)) continue
      if (item && event.data && event.data !== item) continue
      window.htmx.trigger(target, 'live-changed')
    }
  }
  for (const kind of ['information', 'decision', 'action', 'item', 'meeting']) {
    source.addEventListener(kind, refresh)
  }

  const bar = document.getElementById('now')
  const pageItem = document.querySelector('[data-live-item]')
  if (!bar || !pageItem) return
  let followed = discussedItem(bar)
  bar.addEventListener('htmx:afterSwap', () => {
    const before = followed
    followed = discussedItem(bar)
    const here = pageItem.getAttribute('data-live-item')
    if (before === here && followed && followed !== here && !formsChanged()) {
      window.location.assign(bar.getAttribute('hx-get').replace(/\/now\/bar\?item=\d+$/, '/items/' + followed))
    }
  })
}

startLive()
