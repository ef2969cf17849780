// The mini-program runtime, as much of it as a page flow needs in Node: App() and Page()
// registration, getApp(), page instances whose setData takes data paths like WeChat's, and
// `settled(page)` to wait for a page's loading to finish. Modules are shared across pages, as
// in the real runtime (one signed-in session, one template cache).

const path = require('path')
const { setPath } = require('../helpers/page')

const root = path.resolve(__dirname, '../..')
const app = { globalData: {} }

function launchApp() {
  let options = null
  global.App = (opts) => {
    options = opts
  }
  global.getApp = () => app
  global.getCurrentPages = () => []
  require(path.join(root, 'app.js'))
  Object.assign(app, options)
  if (typeof app.onLaunch === 'function') app.onLaunch({ path: 'pages/home/home', query: {} })
  return app
}

/**
 * Load a page file and make an instance (not yet onLoad-ed).
 * @param {string} pagePath e.g. 'pages/appeal-new/appeal-new'
 */
function openPage(pagePath) {
  let options = null
  global.Page = (opts) => {
    options = opts
  }
  const file = require.resolve(path.join(root, pagePath))
  delete require.cache[file]
  require(file)
  if (!options) throw new Error(`${pagePath} did not call Page()`)
  const page = { ...options, route: pagePath, data: JSON.parse(JSON.stringify(options.data || {})) }
  page.setData = (patch, cb) => {
    for (const [key, value] of Object.entries(patch)) {
      setPath(page.data, key, value === undefined ? undefined : JSON.parse(JSON.stringify(value)))
    }
    if (cb) cb()
  }
  for (const [k, v] of Object.entries(options)) if (typeof v === 'function') page[k] = v.bind(page)
  return page
}

/** Resolve when `page.data.status` is no longer 'loading' (or fail after `ms`). */
async function settled(page, ms = 15000) {
  const deadline = Date.now() + ms
  while (page.data.status === 'loading') {
    if (Date.now() > deadline) throw new Error(`${page.route} still loading after ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return page
}

/** The query of a navigation URL ('/pages/x/x?id=3' -> {id: '3'}). */
function queryOf(url) {
  const query = {}
  const search = url.split('?')[1] || ''
  for (const pair of search.split('&').filter(Boolean)) {
    const [k, v = ''] = pair.split('=')
    query[decodeURIComponent(k)] = decodeURIComponent(v)
  }
  return query
}

module.exports = { launchApp, openPage, settled, queryOf }
