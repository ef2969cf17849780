const { installWx, apiError } = require('./helpers/wx')
const { loadPage } = require('./helpers/page')

describe('pages/home (logic)', () => {
  test('signs in on demand and shows the profile', async () => {
    const wx = installWx()
    wx.server((options) => {
      if (options.url.endsWith('/auth/login')) return { statusCode: 200, data: { token: 't1', expires_at: '' } }
      return options.header.Authorization === 'Bearer t1'
        ? { statusCode: 200, data: { id: 1, phone: '138****1234', has_phone: true, enterprises: [] } }
        : apiError(401, 'unauthenticated', '请先登录')
    })
    const page = loadPage('pages/home/home')
    await page.load()
    expect(page.data.status).toBe('content')
    expect(page.data.profile.phone).toBe('138****1234')
  })

  test("shows the error state with the message, and retry loads again", async () => {
    const wx = installWx()
    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    const page = loadPage('pages/home/home')
    await page.load()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })

    wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
    wx.server(() => ({ statusCode: 200, data: { id: 1, has_phone: false, phone: '', enterprises: [] } }))
    await page.load()
    expect(page.data.status).toBe('content')
  })
})
