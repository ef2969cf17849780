const { installWx, apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')

const PROFILE = {
  id: 1,
  phone: '',
  has_phone: false,
  follows_official_account: false,
  created_at: '2026-12-01T00:00:00Z',
  enterprises: [
    { id: 11, role: 'contact', role_label: '联系人', enterprise: { id: 5, name: '企云科技', credit_code: '91310115K8PBRNYT4X', district_label: '浦东新区' } },
  ],
}

function setUp(handler) {
  const wx = installWx()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  const sent = []
  wx.server((options) => {
    sent.push(options)
    return handler(options)
  })
  return { wx, sent }
}

describe('pages/me', () => {
  test('shows my profile and bound enterprises', async () => {
    setUp(() => ({ statusCode: 200, data: PROFILE }))
    const page = loadPage('pages/me/me')
    await page.load()
    expect(page.data.status).toBe('content')
    expect(page.data.profile.enterprises[0].enterprise.name).toBe('企云科技')
  })

  test('binds the phone with the code from the getPhoneNumber button', async () => {
    const { wx, sent } = setUp((options) =>
      options.url.endsWith('/me/phone')
        ? { statusCode: 200, data: { id: 1, phone: '138****1234', has_phone: true } }
        : { statusCode: 200, data: PROFILE },
    )
    const page = loadPage('pages/me/me')
    await page.load()
    await page.onGetPhoneNumber({ detail: { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' } })
    const bound = sent.find((o) => o.url.endsWith('/me/phone'))
    expect([bound.method, bound.data]).toEqual(['POST', { code: 'phone-code-1' }])
    expect(page.data.profile).toMatchObject({ phone: '138****1234', has_phone: true })
    expect(wx.showToast).toHaveBeenCalledWith({ title: '手机号已绑定', icon: 'success' })
  })

  test('a refused phone authorisation sends nothing', async () => {
    const { wx, sent } = setUp(() => ({ statusCode: 200, data: PROFILE }))
    const page = loadPage('pages/me/me')
    await page.onGetPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } })
    expect(sent.filter((o) => o.url.endsWith('/me/phone'))).toHaveLength(0)
    expect(wx.showToast).toHaveBeenCalledWith({ title: '已取消授权', icon: 'none' })
  })

  test("the backend's message is shown when the phone code is refused", async () => {
    const { wx } = setUp((options) =>
      options.url.endsWith('/me/phone')
        ? apiError(400, 'phone_code_invalid', '手机号授权已失效，请重新授权')
        : { statusCode: 200, data: PROFILE },
    )
    const page = loadPage('pages/me/me')
    await page.load()
    await page.onGetPhoneNumber({ detail: { code: 'old' } })
    expect(wx.showToast).toHaveBeenCalledWith({ title: '手机号授权已失效，请重新授权', icon: 'none' })
    expect(page.data.profile.has_phone).toBe(false)
    expect(page.data.bindingPhone).toBe(false)
  })

  test('unbinds an enterprise only after confirmation', async () => {
    const { wx, sent } = setUp((options) =>
      options.method === 'DELETE' ? { statusCode: 204, data: '' } : { statusCode: 200, data: PROFILE },
    )
    const page = loadPage('pages/me/me')
    await page.load()
    const tap = { currentTarget: { dataset: { id: 11, name: '企云科技' } } }

    wx.modalAnswer = false
    await page.onUnbind(tap)
    expect(sent.filter((o) => o.method === 'DELETE')).toHaveLength(0)

    wx.modalAnswer = true
    await page.onUnbind(tap)
    expect(sent.filter((o) => o.method === 'DELETE').map((o) => o.url)).toEqual([expect.stringMatching(/\/me\/enterprises\/11$/)])
    expect(page.data.profile.enterprises).toEqual([])
  })

  test('an error loading the profile is shown with its message', async () => {
    setUp(() => ({ fail: { errMsg: 'request:fail timeout' } }))
    const page = loadPage('pages/me/me')
    await page.load()
    expect(page.data.status).toBe('error')
    expect(page.data.errorMessage).toMatch(/网络/)
  })

  test('shows the unread count on 我的消息 and on the tab', async () => {
    const { wx } = setUp((options) =>
      options.url.endsWith('/me/messages/unread-count') ? { statusCode: 200, data: { unread: 120 } } : { statusCode: 200, data: PROFILE },
    )
    const page = loadPage('pages/me/me')
    await page.load()
    expect(page.data.unread).toBe(120)
    expect(wx.setTabBarBadge).toHaveBeenCalledWith({ index: 3, text: '99+' })
  })
})
