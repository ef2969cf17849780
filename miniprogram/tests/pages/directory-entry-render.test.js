// Renders pages/directory-entry with miniprogram-simulate (Page mapped to Component) against a
// scripted backend: the entry's details, the phone cell and the entrance button as shown.
const simulate = require('miniprogram-simulate')
const { renderPage: sharedRender, withSimulatorApis } = require('../helpers/render')
const { signedInWx, route, flush, entry } = require('../helpers/policy-directory')

const detail = {
  ...entry({ id: 7, url: 'https://ip.example.gov.cn' }),
  body: '提供专利检索。',
  eligibility: '区内企业',
  steps: ['线上预约'],
  materials: ['营业执照'],
  fees: '免费',
  time_limit: '3个工作日',
  contact: '021-87654321',
  address: '浦东新区某路1号',
  hours: '工作日 9:00-17:00',
  updated_at: '2026-11-30T10:00:00+08:00',
}

const renderPage = (pagePath = 'pages/directory-entry/directory-entry') => sharedRender(pagePath)

describe('pages/directory-entry (render)', () => {
  test('renders the entry with its contact and the copy-link entrance', async () => {
    const simulatorWx = global.wx // miniprogram-simulate's own wx: TDesign needs its system info APIs
    const wx = withSimulatorApis(signedInWx(), simulatorWx)
    route(wx, { 'GET /directory/entries/7': detail })
    const { page } = renderPage()
    page.instance.onLoad({ id: '7' })
    await flush()
    await simulate.sleep(0)
    const text = page.dom.textContent
    expect(text).toContain('知识产权公共服务平台')
    expect(text).toContain('工作日 9:00-17:00')
    expect(text).toContain('021-87654321')
    expect(text).toContain('营业执照')
    expect(text).toContain('复制办理网址')
    expect(text).toContain('更新于 2026-11-30')

    page.querySelector('.entry__entrance').querySelector('.t-button').dispatchEvent('tap')
    await simulate.sleep(0)
    expect(wx.setClipboardData).toHaveBeenCalledWith(expect.objectContaining({ data: 'https://ip.example.gov.cn' }))
  })
})
