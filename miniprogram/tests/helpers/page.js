// Minimal Page() harness: require the page file with a stubbed global Page(), then build an
// instance whose setData behaves like WeChat's for logic tests: keys may be data paths
// ('form.title', 'items[2].done'), values are copied (setData sends data across threads).
const path = require('path')
const root = path.resolve(__dirname, '../..')

/** Split 'a.b[2].c' into ['a', 'b', 2, 'c']. */
function pathParts(key) {
  const parts = []
  for (const piece of key.split('.')) {
    const match = piece.match(/^([^[\]]*)((?:\[\d+\])*)$/)
    if (!match) throw new Error(`setData: bad data path "${key}"`)
    if (match[1]) parts.push(match[1])
    for (const index of match[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(index[1]))
  }
  return parts
}

/** Set `value` at `key` inside `data`, creating objects/arrays on the way as WeChat does. */
function setPath(data, key, value) {
  const parts = pathParts(key)
  let target = data
  parts.slice(0, -1).forEach((part, i) => {
    if (target[part] === null || typeof target[part] !== 'object') target[part] = typeof parts[i + 1] === 'number' ? [] : {}
    target = target[part]
  })
  target[parts[parts.length - 1]] = value
}

const copy = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)))

function loadPage(pagePath, { app = { globalData: {} } } = {}) {
  let options
  global.getApp = () => app
  global.Page = (opts) => {
    options = opts
  }
  jest.isolateModules(() => {
    require(path.join(root, pagePath))
  })
  if (!options) throw new Error(`${pagePath} did not call Page()`)
  const page = { ...options, data: copy(options.data || {}), route: pagePath }
  page.setData = jest.fn((patch, cb) => {
    for (const [key, value] of Object.entries(patch)) setPath(page.data, key, copy(value))
    if (cb) cb()
  })
  for (const [k, v] of Object.entries(options)) if (typeof v === 'function') page[k] = v.bind(page)
  return page
}

module.exports = { loadPage, setPath }
