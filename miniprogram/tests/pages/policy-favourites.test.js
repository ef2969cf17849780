// pages/policy-favourites: my starred policies, paged, removable, refreshed after a change.
const { loadPage } = require('../helpers/page')
const { signedInWx, route, flush, policy, apiError } = require('../helpers/policy-directory')

const fav = (id) => ({ id: 100 + id, policy: policy({ id, favourite: true }) })

describe('pages/policy-favourites', () => {
  test('lists favourites and pages with the cursor to 没有更多了', async () => {
    const wx = signedInWx()
    const calls = route(wx, {
      'GET /me/policy-favourites': (o) =>
        o.data.cursor ? { items: [fav(3)], next_cursor: null } : { items: [fav(1), fav(2)], next_cursor: 'x' },
    })
    const page = loadPage('pages/policy-favourites/policy-favourites')
    await page.load()
    expect(calls[0].data).toEqual({ limit: 20 })
    expect(page.data.status).toBe('content')
    page.onReachBottom()
    page.onReachBottom()
    await flush()
    expect(calls).toHaveLength(2)
    expect(calls[1].data).toEqual({ limit: 20, cursor: 'x' })
    expect(page.data.items.map((row) => row.policy.id)).toEqual([1, 2, 3])
    expect(page.data.noMore).toBe(true)
  })

  test('empty and error states', async () => {
    const wx = signedInWx()
    route(wx, { 'GET /me/policy-favourites': { items: [], next_cursor: null } })
    const page = loadPage('pages/policy-favourites/policy-favourites')
    await page.load()
    expect(page.data.status).toBe('empty')
    page.onBrowseTap()
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/policy-list/policy-list' })

    route(wx, { 'GET /me/policy-favourites': { fail: { errMsg: 'request:fail' } } })
    await page.load()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
  })

  test('removes one with DELETE by policy id, once however often tapped', async () => {
    const wx = signedInWx()
    const calls = route(wx, {
      'GET /me/policy-favourites': { items: [fav(1), fav(2)], next_cursor: null },
      'DELETE /me/policy-favourites/1': { statusCode: 204, data: '' },
    })
    const page = loadPage('pages/policy-favourites/policy-favourites')
    await page.load()
    const tap = { currentTarget: { dataset: { id: 1 } } }
    const first = page.onRemove(tap)
    page.onRemove(tap)
    await first
    expect(calls.filter((c) => c.key === 'DELETE /me/policy-favourites/1')).toHaveLength(1)
    expect(page.data.items.map((row) => row.policy.id)).toEqual([2])
    expect(page.data.removing).toEqual({})

    route(wx, { 'DELETE /me/policy-favourites/2': { statusCode: 204, data: '' } })
    await page.onRemove({ currentTarget: { dataset: { id: 2 } } })
    expect(page.data.status).toBe('empty')
  })

  test("a refused removal keeps the row and shows the backend's message", async () => {
    const wx = signedInWx()
    route(wx, {
      'GET /me/policy-favourites': { items: [fav(1)], next_cursor: null },
      'DELETE /me/policy-favourites/1': apiError(429, 'rate_limited', '请求过于频繁，请稍后再试'),
    })
    const page = loadPage('pages/policy-favourites/policy-favourites')
    await page.load()
    await page.onRemove({ currentTarget: { dataset: { id: 1 } } })
    expect(page.data.items).toHaveLength(1)
    expect(wx.showToast).toHaveBeenCalledWith({ title: '请求过于频繁，请稍后再试', icon: 'none' })
  })

  test('reloads when shown again after a favourite changed elsewhere, not otherwise', async () => {
    const wx = signedInWx()
    const calls = route(wx, { 'GET /me/policy-favourites': { items: [fav(1)], next_cursor: null } })
    const app = { globalData: {} }
    const page = loadPage('pages/policy-favourites/policy-favourites', { app })
    page.onLoad()
    page.onShow()
    await flush()
    page.onShow()
    await flush()
    expect(calls).toHaveLength(1)
    app.globalData.policyFavouritesChanged = true
    page.onShow()
    await flush()
    expect(calls).toHaveLength(2)
    expect(app.globalData.policyFavouritesChanged).toBe(false)
  })

  test('tapping a card opens the policy', () => {
    const wx = signedInWx()
    const page = loadPage('pages/policy-favourites/policy-favourites')
    page.onPolicySelect({ detail: { id: 3 } })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/policy-detail/policy-detail?id=3' })
  })
})
