// Builds Pitstop's front-end assets into pitstop/web/static/ (served at /static/).
//
//   npm ci && npm run build
//
// The output directory is generated: it is emptied and rebuilt on every run, and never
// committed. Needs nothing but the npm packages in package-lock.json.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

import * as sass from 'sass'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const src = join(root, 'frontend')
const out = join(root, 'pitstop', 'web', 'static')
const require = createRequire(import.meta.url)

function packageDir (name) {
  return dirname(require.resolve(`${name}/package.json`, { paths: [root] }))
}

function packageVersion (name) {
  return JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')).version
}

const govuk = join(packageDir('govuk-frontend'), 'dist', 'govuk')
const moj = join(packageDir('@ministryofjustice/frontend'), 'moj')
const htmx = join(packageDir('htmx.org'), 'dist')

function copy (from, to) {
  mkdirSync(dirname(join(out, to)), { recursive: true })
  copyFileSync(from, join(out, to))
}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

// 1. Stylesheet. Same as
//    sass --pkg-importer=node --load-path=. --style=compressed --no-source-map \
//         frontend/pitstop.scss pitstop/web/static/pitstop.css
//    run from the repository root. Warnings raised inside the packages (MOJ Frontend 11.1 still
//    calls a GOV.UK mixin that v6 deprecates) are counted, not printed.
let dependencyWarnings = 0
const { css } = sass.compile(join(src, 'pitstop.scss'), {
  importers: [new sass.NodePackageImporter(root)],
  loadPaths: [root],
  style: 'compressed',
  sourceMap: false,
  logger: {
    warn (message, { deprecation, span, stack }) {
      const where = span?.url ? fileURLToPath(span.url) : (stack ?? '')
      if (where.includes('node_modules')) {
        dependencyWarnings += 1
        return
      }
      console.warn(`sass ${deprecation ? 'deprecation ' : ''}warning: ${message}\n${stack ?? ''}`)
    }
  }
})
if (/GDS Transport|@font-face/.test(css)) {
  throw new Error('pitstop.css still contains the GDS Transport font face: check $moj-font-family')
}
writeFileSync(join(out, 'pitstop.css'), `${css}\n`)

// 2. Images the stylesheet references, looked up in MOJ Frontend then GOV.UK Frontend.
const imageDirs = [join(moj, 'assets', 'images'), join(govuk, 'assets', 'images')]
const urls = new Set([...css.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((m) => m[1]))
for (const url of urls) {
  if (url.startsWith('data:')) continue
  const match = url.match(/^assets\/images\/([\w.-]+)$/)
  if (!match) throw new Error(`pitstop.css references an unexpected URL: ${url}`)
  const found = imageDirs.map((dir) => join(dir, match[1])).find((file) => existsSync(file))
  if (!found) throw new Error(`pitstop.css references ${url}, which no package provides`)
  copy(found, url)
}

// 3. Scripts. js-enabled.js is a classic script, first thing in <body>; htmx.min.js a classic
//    script at the end of <body>; pitstop.mjs the one ES module, which imports the two
//    libraries' self-contained ES module builds from beside itself.
copy(join(src, 'js-enabled.js'), 'js-enabled.js')
copy(join(htmx, 'htmx.min.js'), 'htmx.min.js')
for (const [dir, file] of [[govuk, 'govuk-frontend.min.js'], [moj, 'moj-frontend.min.js']]) {
  copy(join(dir, file), file)
  copy(join(dir, `${file}.map`), `${file}.map`)
}

let entry = readFileSync(join(src, 'pitstop.mjs'), 'utf8')
for (const [file, pkg] of [['govuk-frontend.min.js', 'govuk-frontend'], ['moj-frontend.min.js', '@ministryofjustice/frontend']]) {
  const specifier = `'./${file}'`
  if (!entry.includes(specifier)) throw new Error(`frontend/pitstop.mjs no longer imports ${specifier}`)
  entry = entry.replaceAll(specifier, `'./${file}?v=${packageVersion(pkg)}'`)
}
writeFileSync(join(out, 'pitstop.mjs'), entry)

// 4. Our own icon (not the GOV.UK crown favicon: Pitstop is not a GOV.UK service).
copy(join(src, 'favicon.svg'), 'favicon.svg')

console.log(`Built ${relative(root, out)}/: pitstop.css (${Buffer.byteLength(css) + 1} bytes, ${urls.size} images), ` +
  'js-enabled.js, pitstop.mjs, govuk-frontend.min.js, moj-frontend.min.js, htmx.min.js, favicon.svg' +
  (dependencyWarnings ? ` (${dependencyWarnings} Sass warning(s) from packages not shown)` : ''))
