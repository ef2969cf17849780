// Minimal Page() harness: require the page file with a stubbed global Page(),
// then build an instance whose setData merges shallowly (enough for logic tests).
const path = require('path')
const root = path.resolve(__dirname, '../..')

function loadPage(pagePath, { app = { globalData: {} } } = {}) {
  let options
  global.getApp = () => app
  global.Page = (opts) => { options = opts }
  jest.isolateModules(() => { require(path.join(root, pagePath)) })
  if (!options) throw new Error(`${pagePath} did not call Page()`)
  const page = { ...options, data: JSON.parse(JSON.stringify(options.data || {})) }
  page.setData = jest.fn((patch, cb) => { Object.assign(page.data, patch); if (cb) cb() })
  for (const [k, v] of Object.entries(options)) if (typeof v === 'function') page[k] = v.bind(page)
  return page
}
module.exports = { loadPage }
