// pages/policy-list: search with filters and paging, 为我推荐 with reasons or a bind prompt.
const { loadPage } = require('../helpers/page')
const { signedInWx, route, flush, policy, entry, apiError } = require('../helpers/policy-directory')

const page1 = { items: [policy({ id: 1 }), policy({ id: 2 })], total: 3, next_cursor: 'c2', suggestion: null, services: [] }
const page2 = { items: [policy({ id: 3 })], total: 3, next_cursor: null, suggestion: null, services: [] }

describe('pages/policy-list: search', () => {
  test('loads the first page of all policies on open and shows the cards', async () => {
    const wx = signedInWx()
    const calls = route(wx, { 'GET /policies': page1 })
    const page = loadPage('pages/policy-list/policy-list')
    await page.load()
    expect(calls[0]).toMatchObject({ key: 'GET /policies', data: { limit: 20 } })
    expect(page.data).toMatchObject({ status: 'content', total: 3, nextCursor: 'c2', noMore: false })
    expect(page.data.items.map((p) => p.id)).toEqual([1, 2])
  })

  test('searches by keyword and filters, sending only what is set, with related services', async () => {
    const wx = signedInWx()
    const calls = route(wx, {
      'GET /policies': { ...page2, services: [entry({ id: 9, title: '研发公共服务平台' })] },
    })
    const page = loadPage('pages/policy-list/policy-list')
    await page.load()
    await page.onSupportTypeChange({ detail: { value: 'subsidy' } })
    await page.onDistrictChange({ detail: { value: '310115' } })
    await page.onOpenStateChange({ detail: { value: 'open' } })
    await page.onSearch({ detail: { value: '  研发 ' } })
    expect(calls[calls.length - 1].data).toEqual({
      limit: 20,
      q: '研发',
      support_type: 'subsidy',
      district: '310115',
      open_now: true,
    })
    expect(page.data.keyword).toBe('研发')
    expect(page.data.services[0].title).toBe('研发公共服务平台')

    await page.onClear()
    expect(calls[calls.length - 1].data.q).toBeUndefined()
    await page.onOpenStateChange({ detail: { value: '' } })
    expect(calls[calls.length - 1].data.open_now).toBeUndefined()
  })

  test('pages on reaching the bottom with the cursor and says 没有更多了 at the end', async () => {
    const wx = signedInWx()
    const calls = route(wx, { 'GET /policies': (o) => (o.data.cursor === 'c2' ? page2 : page1) })
    const page = loadPage('pages/policy-list/policy-list')
    await page.load()
    page.onReachBottom()
    page.onReachBottom() // a second scroll event while loading sends nothing more
    await flush()
    expect(calls.filter((c) => c.data.cursor === 'c2')).toHaveLength(1)
    expect(page.data.items.map((p) => p.id)).toEqual([1, 2, 3])
    expect(page.data).toMatchObject({ noMore: true, nextCursor: null, loadingMore: false })
    page.onReachBottom()
    await flush()
    expect(calls).toHaveLength(2)
  })

  test('a failed next page shows its message under the list and keeps the list; tapping it retries', async () => {
    const wx = signedInWx()
    let fail = true
    route(wx, { 'GET /policies': (o) => (o.data.cursor ? (fail ? { fail: { errMsg: 'request:fail' } } : page2) : page1) })
    const page = loadPage('pages/policy-list/policy-list')
    await page.load()
    await page.loadMore()
    expect(page.data.items).toHaveLength(2)
    expect(page.data).toMatchObject({ moreError: '网络异常，请检查网络后重试', loadingMore: false, nextCursor: 'c2' })
    fail = false
    await page.loadMore()
    expect(page.data.items.map((p) => p.id)).toEqual([1, 2, 3])
    expect(page.data).toMatchObject({ moreError: '', noMore: true })
  })

  test('no results: empty state 没有找到相关政策 with the backend suggestion', async () => {
    const wx = signedInWx()
    route(wx, { 'GET /policies': { items: [], total: 0, next_cursor: null, suggestion: '试试“补贴”', services: [] } })
    const page = loadPage('pages/policy-list/policy-list')
    await page.onSearch({ detail: { value: '不存在的政策' } })
    expect(page.data.status).toBe('empty')
    expect(page.data.emptyText).toBe('没有找到相关政策，试试“补贴”')
  })

  test("shows the backend's message on error, and the network message when offline", async () => {
    const wx = signedInWx()
    route(wx, { 'GET /policies': apiError(400, 'invalid_cursor', '分页参数无效，请从第一页重新加载') })
    const page = loadPage('pages/policy-list/policy-list')
    await page.load()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '分页参数无效，请从第一页重新加载' })
    route(wx, { 'GET /policies': { fail: { errMsg: 'request:fail' } } })
    await page.load()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
  })

  test('refuses a keyword over 50 characters without asking the backend', async () => {
    const wx = signedInWx()
    const calls = route(wx, { 'GET /policies': page1 })
    const page = loadPage('pages/policy-list/policy-list')
    await page.onSearch({ detail: { value: '政'.repeat(51) } })
    expect(calls).toHaveLength(0)
    expect(wx.showToast).toHaveBeenCalledWith({ title: '关键词不能超过50个字', icon: 'none' })
  })

  test('an older answer never overwrites a newer search', async () => {
    const wx = signedInWx()
    route(wx, {
      'GET /policies': (o) => ({ ...page2, items: [policy({ id: o.data.q === 'new' ? 20 : 10 })] }),
    })
    const page = loadPage('pages/policy-list/policy-list')
    const first = page.onSearch({ detail: { value: 'old' } })
    const second = page.onSearch({ detail: { value: 'new' } })
    await Promise.all([first, second])
    expect(page.data.items.map((p) => p.id)).toEqual([20])
  })

  test('pull-down refresh reloads and stops the indicator', async () => {
    const wx = signedInWx()
    route(wx, { 'GET /policies': page1 })
    const page = loadPage('pages/policy-list/policy-list')
    await page.onPullDownRefresh()
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
    expect(page.data.status).toBe('content')
  })

  test('tapping a policy opens its detail; a related service opens its entry', () => {
    const wx = signedInWx()
    const page = loadPage('pages/policy-list/policy-list')
    page.onPolicySelect({ detail: { id: 5 } })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/policy-detail/policy-detail?id=5' })
    page.onServiceTap({ currentTarget: { dataset: { id: 9 } } })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/directory-entry/directory-entry?id=9' })
  })
})

describe('pages/policy-list: 为我推荐', () => {
  const matched = {
    bound: true,
    items: [{ policy: policy({ id: 4 }), enterprise_id: 1, enterprise_name: '示例科技', reasons: ['注册区：浦东新区'] }],
  }

  test('switching to the tab loads the matches with their reasons, once', async () => {
    const wx = signedInWx()
    const calls = route(wx, { 'GET /policies': page1, 'GET /me/matched-policies': matched })
    const page = loadPage('pages/policy-list/policy-list')
    page.onTabChange({ detail: { value: 'matched' } })
    await flush()
    expect(page.data).toMatchObject({ tab: 'matched', matchedStatus: 'content', bound: true })
    expect(page.data.matched[0].reasons).toEqual(['注册区：浦东新区'])
    page.onTabChange({ detail: { value: 'search' } })
    page.onTabChange({ detail: { value: 'matched' } })
    await flush()
    expect(calls.filter((c) => c.key === 'GET /me/matched-policies')).toHaveLength(1)
  })

  test('without a bound enterprise it prompts to bind one, and reloads when back', async () => {
    const wx = signedInWx()
    route(wx, { 'GET /me/matched-policies': { bound: false, items: [] } })
    const page = loadPage('pages/policy-list/policy-list')
    page.onTabChange({ detail: { value: 'matched' } })
    await flush()
    expect(page.data).toMatchObject({ matchedStatus: 'content', bound: false })
    page.onBindTap()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/enterprise-bind/enterprise-bind' })

    route(wx, { 'GET /me/matched-policies': matched })
    page.onShow()
    await flush()
    expect(page.data).toMatchObject({ bound: true, matchedStatus: 'content' })
    expect(page.data.matched).toHaveLength(1)
  })

  test('bound but nothing matches: empty; an error shows its message', async () => {
    const wx = signedInWx()
    route(wx, { 'GET /me/matched-policies': { bound: true, items: [] } })
    const page = loadPage('pages/policy-list/policy-list')
    await page.loadMatched()
    expect(page.data.matchedStatus).toBe('empty')
    route(wx, { 'GET /me/matched-policies': apiError(500, 'internal_error', '服务器开小差了，请稍后再试') })
    await page.loadMatched()
    expect(page.data).toMatchObject({ matchedStatus: 'error', matchedError: '服务器开小差了，请稍后再试' })
  })
})
