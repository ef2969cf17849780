// pages/policy-detail: the full policy, favourite toggle (optimistic, rolled back), share.
const { loadPage } = require('../helpers/page')
const { signedInWx, route, flush, policy, apiError } = require('../helpers/policy-directory')

const detail = policy({
  id: 12,
  summary: '支持企业加大研发投入',
  body: '第一条 为鼓励研发……\n\n第二条 补贴标准……\n',
  issuers: ['浦东新区科技和经济委员会'],
  effective_date: '2026-01-01',
  expiry_date: null,
  apply_start: '2026-03-01',
  apply_where: '线上申报',
  contact: '021-12345678（李老师）',
  attachments: [{ filename: '申报指南.pdf', url: 'https://example.gov.cn/guide.pdf' }],
  fits: [{ enterprise_id: 1, enterprise_name: '示例科技', fits: true, reasons: ['注册区：浦东新区'] }],
})

function open(wx, routes, app = { globalData: {} }) {
  const calls = route(wx, { 'GET /policies/12': detail, ...routes })
  const page = loadPage('pages/policy-detail/policy-detail', { app })
  page.onLoad({ id: '12' })
  return { page, calls }
}

describe('pages/policy-detail', () => {
  test('shows the policy with its text in paragraphs and the enterprise fit', async () => {
    const wx = signedInWx()
    const { page } = open(wx)
    await flush()
    expect(page.data.status).toBe('content')
    expect(page.data.policy.issuers).toEqual(['浦东新区科技和经济委员会'])
    expect(page.data.paragraphs).toEqual(['第一条 为鼓励研发……', '第二条 补贴标准……'])
    expect(page.data.contactPhone).toBe('021-12345678')
    expect(page.data.favourite).toBe(false)
  })

  test("an unknown policy shows the backend's message", async () => {
    const wx = signedInWx()
    const { page } = open(wx, { 'GET /policies/12': apiError(404, 'policy_not_found', '该政策不存在或已下线') })
    await flush()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '该政策不存在或已下线' })
  })

  test('a missing id is an error without a request', async () => {
    const wx = signedInWx()
    const calls = route(wx, {})
    const page = loadPage('pages/policy-detail/policy-detail')
    page.onLoad({})
    await flush()
    expect(calls).toHaveLength(0)
    expect(page.data.status).toBe('error')
  })

  test('stars at once (PUT), a double tap sends once, and the favourites list is told', async () => {
    const wx = signedInWx()
    const app = { globalData: {} }
    const { page, calls } = open(wx, { 'PUT /me/policy-favourites/12': { statusCode: 204, data: '' } }, app)
    await flush()
    const first = page.onFavouriteTap()
    expect(page.data).toMatchObject({ favourite: true, favouriteBusy: true })
    page.onFavouriteTap()
    await first
    expect(calls.filter((c) => c.key === 'PUT /me/policy-favourites/12')).toHaveLength(1)
    expect(page.data).toMatchObject({ favourite: true, favouriteBusy: false })
    expect(app.globalData.policyFavouritesChanged).toBe(true)
    expect(wx.showToast).toHaveBeenCalledWith({ title: '已收藏', icon: 'success' })
  })

  test('unstars with DELETE', async () => {
    const wx = signedInWx()
    const { page, calls } = open(wx, {
      'GET /policies/12': { ...detail, favourite: true },
      'DELETE /me/policy-favourites/12': { statusCode: 204, data: '' },
    })
    await flush()
    await page.onFavouriteTap()
    expect(calls.map((c) => c.key)).toContain('DELETE /me/policy-favourites/12')
    expect(page.data.favourite).toBe(false)
  })

  test("rolls the star back and shows the backend's message when refused, or the network message", async () => {
    const wx = signedInWx()
    const { page } = open(wx, {
      'PUT /me/policy-favourites/12': apiError(404, 'policy_not_found', '该政策不存在或已下线'),
    })
    await flush()
    await page.onFavouriteTap()
    expect(page.data).toMatchObject({ favourite: false, favouriteBusy: false })
    expect(wx.showToast).toHaveBeenCalledWith({ title: '该政策不存在或已下线', icon: 'none' })

    route(wx, { 'PUT /me/policy-favourites/12': { fail: { errMsg: 'request:fail' } } })
    await page.onFavouriteTap()
    expect(page.data.favourite).toBe(false)
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '网络异常，请检查网络后重试', icon: 'none' })
  })

  test('calls the contact number, copies an attachment link, and shares with title and path', async () => {
    const wx = signedInWx()
    const { page } = open(wx)
    await flush()
    page.onCallTap()
    expect(wx.makePhoneCall).toHaveBeenCalledWith(expect.objectContaining({ phoneNumber: '021-12345678' }))
    page.onAttachmentTap({ currentTarget: { dataset: { url: 'https://example.gov.cn/guide.pdf' } } })
    expect(wx.setClipboardData).toHaveBeenCalledWith(expect.objectContaining({ data: 'https://example.gov.cn/guide.pdf' }))
    expect(wx.showToast).toHaveBeenCalledWith({ title: '链接已复制，请在浏览器打开', icon: 'none' })
    expect(page.onShareAppMessage()).toEqual({
      title: '研发费用补贴',
      path: '/pages/policy-detail/policy-detail?id=12',
    })
  })
})
