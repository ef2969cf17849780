const { installWx, apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')

const MATCHED = {
  bound: true,
  items: [1, 2, 3, 4].map((id) => ({
    policy: { id, title: `政策${id}`, support_type_label: '资金补贴', amount: '最高50万元' },
    enterprise_id: 9,
    enterprise_name: '企云科技',
    reasons: ['所在区：浦东新区'],
  })),
}
const APPEALS = { items: [{ id: 7, number: 'SQ2026001', title: '办证难', category_label: '政务服务', status_label: '办理中' }], total: 1, next_cursor: null }

function signedIn(wx) {
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
}

describe('pages/home', () => {
  test('shows up to three matched policies, my appeals and upcoming activities, each section on its own', async () => {
    const wx = installWx()
    signedIn(wx)
    const asked = []
    wx.server((options) => {
      asked.push(options.url.replace(/^.*\/mp\/v1/, ''))
      if (options.url.includes('/me/matched-policies')) return { statusCode: 200, data: MATCHED }
      if (options.url.includes('/appeals')) return { statusCode: 200, data: APPEALS }
      if (options.url.includes('/activities')) return apiError(503, 'service_unavailable', '服务暂不可用，请稍后再试')
      if (options.url.includes('/me/messages/unread-count')) return { statusCode: 200, data: { unread: 3 } }
      return apiError(404, 'not_found', '请求的资源不存在')
    })
    const page = loadPage('pages/home/home')
    await page.load()

    expect(asked.sort()).toEqual(['/activities?limit=3', '/appeals?limit=3', '/me/matched-policies', '/me/messages/unread-count'])
    expect(wx.setTabBarBadge).toHaveBeenCalledWith({ index: 3, text: '3' })
    expect(page.data.matched.status).toBe('content')
    expect(page.data.matched.items.map((m) => m.policy.id)).toEqual([1, 2, 3])
    expect(page.data.appeals).toMatchObject({ status: 'content', items: APPEALS.items })
    expect(page.data.activities).toEqual({ status: 'error', errorMessage: '服务暂不可用，请稍后再试', items: [] })
  })

  test('without a bound enterprise, asks the user to bind one', async () => {
    const wx = installWx()
    signedIn(wx)
    wx.server((options) => {
      if (options.url.includes('/me/matched-policies')) return { statusCode: 200, data: { bound: false, items: [] } }
      return { statusCode: 200, data: { items: [], total: 0, next_cursor: null } }
    })
    const page = loadPage('pages/home/home')
    await page.load()
    expect(page.data.bound).toBe(false)
    expect(page.data.matched.status).toBe('empty')
    expect(page.data.appeals.status).toBe('empty')
  })

  test('a section that failed loads again on retry', async () => {
    const wx = installWx()
    signedIn(wx)
    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    const page = loadPage('pages/home/home')
    await page.load()
    expect(page.data.appeals).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })

    wx.server(() => ({ statusCode: 200, data: APPEALS }))
    await page.loadAppeals()
    expect(page.data.appeals.status).toBe('content')
  })

  test('entrances open tab pages with switchTab and others with navigateTo', () => {
    const wx = installWx()
    const page = loadPage('pages/home/home')
    page.onOpen({ currentTarget: { dataset: { url: '/pages/policy-list/policy-list' } } })
    page.onOpen({ currentTarget: { dataset: { url: '/pages/appeal-new/appeal-new' } } })
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/policy-list/policy-list' })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/appeal-new/appeal-new' })
    expect(page.data.entrances.map((e) => e.text)).toContain('提交诉求')
  })
})

describe('pages/home on return', () => {
  test('loads once when first shown, and again each time the user comes back', async () => {
    const wx = installWx()
    wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
    let calls = 0
    wx.server(() => {
      calls += 1
      return { statusCode: 200, data: { bound: true, items: [], total: 0, next_cursor: null } }
    })
    const page = loadPage('pages/home/home')
    page.onLoad()
    page.onShow()
    await new Promise((r) => setTimeout(r, 10))
    expect(calls).toBe(4) // one request per section, one for the unread badge
    page.onShow()
    await new Promise((r) => setTimeout(r, 10))
    expect(calls).toBe(8)
  })
})
