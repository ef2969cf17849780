// Render a page's template with miniprogram-simulate and the real TDesign components: the page
// is registered as a component (Page() mapped to Component(), as docs/miniprogram-toolchain.md
// explains), attached, and optionally given data as after a load.
//
//   const { page, instance } = renderPage('pages/me/me', { status: 'content', profile })
//   await simulate.sleep(0)
//   expect(page.dom.textContent).toContain('绑定企业')
//
// miniprogram-simulate installs its own `wx` with the system-info APIs TDesign calls on attach;
// a test's mock `wx` (tests/helpers/wx.js) installed afterwards is given those too.
const path = require('path')
const simulate = require('miniprogram-simulate')

const root = path.resolve(__dirname, '../..')

/**
 * @param {string} pagePath e.g. 'pages/me/me'
 * @param {object} [data] setData after attaching
 */
function renderPage(pagePath, data) {
  jest.resetModules()
  const simulatorWx = global.wx
  const realComponent = global.Component
  global.Page = (options) => {
    const { data: initial, ...rest } = options
    const methods = {}
    for (const [key, value] of Object.entries(rest)) if (typeof value === 'function') methods[key] = value
    realComponent({ data: initial, methods })
  }
  try {
    const id = simulate.load(path.join(root, pagePath), { compiler: 'official', rootPath: root })
    const page = simulate.render(id)
    page.attach(document.createElement('parent-wrapper'))
    if (data) page.setData(data)
    return { page, instance: page.instance, simulatorWx }
  } finally {
    delete global.Page
  }
}

/**
 * Render a component inside a host page as the app uses it: `<tag class="card" ... bind:select="onSelect" />`.
 * @param {string} componentPath e.g. 'components/policy-card/policy-card'
 * @param {string} template the host's template using the component by its tag (its folder name)
 * @param {object} data the host's data
 */
function renderInHost(componentPath, template, data) {
  jest.resetModules() // simulate.load re-requires component files; jest ignores require.cache deletes
  const component = simulate.load(path.join(root, componentPath), { compiler: 'official', rootPath: root })
  const onSelect = jest.fn()
  const host = simulate.render(
    simulate.load({
      compiler: 'official',
      rootPath: root,
      usingComponents: { [path.basename(componentPath)]: component },
      template,
      data,
      methods: { onSelect },
    }),
  )
  host.attach(document.createElement('parent-wrapper'))
  return { host, onSelect, card: () => host.querySelector('.card') }
}

/** Give a mock wx the simulator's own APIs it lacks (system info for TDesign). */
function withSimulatorApis(mockWx, simulatorWx) {
  for (const [key, value] of Object.entries(simulatorWx || {})) if (!(key in mockWx)) mockWx[key] = value
  return mockWx
}

module.exports = { renderPage, renderInHost, withSimulatorApis, root }
