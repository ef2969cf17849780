// pages/directory-entry: one public service with hours, phone, materials and its entrance.
const { loadPage } = require('../helpers/page')
const { signedInWx, route, flush, entry, apiError } = require('../helpers/policy-directory')

const detail = {
  ...entry({ id: 7, url: 'https://ip.example.gov.cn' }),
  body: '提供专利检索。\n\n提供咨询服务。',
  eligibility: '区内企业',
  steps: ['线上预约', '现场办理'],
  materials: ['营业执照', '申请表'],
  fees: '免费',
  time_limit: '3个工作日',
  contact: '021-87654321',
  address: '浦东新区某路1号',
  hours: '工作日 9:00-17:00',
  updated_at: '2026-11-30T10:00:00+08:00',
}

function open(wx, routes) {
  const calls = route(wx, { 'GET /directory/entries/7': detail, ...routes })
  const page = loadPage('pages/directory-entry/directory-entry')
  page.onLoad({ id: '7' })
  return { page, calls }
}

describe('pages/directory-entry', () => {
  test('shows what, where, when, steps and materials', async () => {
    const wx = signedInWx()
    const { page } = open(wx)
    await flush()
    expect(page.data.status).toBe('content')
    expect(page.data.paragraphs).toEqual(['提供专利检索。', '提供咨询服务。'])
    expect(page.data.stepItems).toEqual([
      { title: '第1步', content: '线上预约' },
      { title: '第2步', content: '现场办理' },
    ])
    expect(page.data.entry.materials).toEqual(['营业执照', '申请表'])
    expect(page.data).toMatchObject({ contactPhone: '021-87654321', entranceKind: 'url', updatedDate: '2026-11-30' })
    expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '知识产权公共服务平台' })
  })

  test('tapping the phone calls it; the entrance copies its link', async () => {
    const wx = signedInWx()
    const { page } = open(wx)
    await flush()
    page.onCallTap()
    expect(wx.makePhoneCall).toHaveBeenCalledWith(expect.objectContaining({ phoneNumber: '021-87654321' }))
    page.onEntranceTap()
    expect(wx.setClipboardData).toHaveBeenCalledWith(expect.objectContaining({ data: 'https://ip.example.gov.cn' }))
    expect(wx.showToast).toHaveBeenCalledWith({ title: '链接已复制，请在浏览器打开', icon: 'none' })
  })

  test('a mini-program entrance jumps there; one with only a phone offers the call', async () => {
    const wx = signedInWx()
    wx.navigateToMiniProgram = jest.fn()
    const { page } = open(wx, {
      'GET /directory/entries/7': { ...detail, url: '', miniprogram: { appid: 'wxabc', path: 'pages/a/a' } },
    })
    await flush()
    expect(page.data).toMatchObject({ entranceKind: 'miniprogram', entranceText: '进入办理小程序' })
    page.onEntranceTap()
    expect(wx.navigateToMiniProgram).toHaveBeenCalledWith(expect.objectContaining({ appId: 'wxabc', path: 'pages/a/a' }))

    route(wx, { 'GET /directory/entries/7': { ...detail, url: '' } })
    await page.load()
    expect(page.data).toMatchObject({ entranceKind: 'phone', entranceText: '电话咨询' })
    page.onEntranceTap()
    expect(wx.makePhoneCall).toHaveBeenCalledWith(expect.objectContaining({ phoneNumber: '021-87654321' }))
  })

  test("an entry that is gone shows the backend's message; offline shows the network message", async () => {
    const wx = signedInWx()
    const { page } = open(wx, {
      'GET /directory/entries/7': apiError(404, 'directory_entry_not_found', '该服务不存在或已下线'),
    })
    await flush()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '该服务不存在或已下线' })
    route(wx, { 'GET /directory/entries/7': { fail: { errMsg: 'request:fail' } } })
    await page.load()
    expect(page.data.errorMessage).toBe('网络异常，请检查网络后重试')
  })

  test('shares with its title and path', async () => {
    const wx = signedInWx()
    const { page } = open(wx)
    await flush()
    expect(page.onShareAppMessage()).toEqual({
      title: '知识产权公共服务平台',
      path: '/pages/directory-entry/directory-entry?id=7',
    })
  })
})
