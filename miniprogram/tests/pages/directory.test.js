// pages/directory: catalogue by category and district, search, one-stop entrances, parks,
// utility guides.
const { loadPage } = require('../helpers/page')
const { signedInWx, route, flush, entry, apiError } = require('../helpers/policy-directory')

const catalogue = {
  kinds: [{ code: 'resource', label: '公共服务资源' }],
  categories: [{ code: 'ip', label: '知识产权公共服务' }],
  utility_types: [{ code: 'power', label: '用电' }],
  districts: [{ code: '310115', label: '浦东新区' }],
}

function open(wx, routes) {
  const calls = route(wx, {
    'GET /directory/catalogue': catalogue,
    'GET /directory/entries': { items: [entry()], total: 1, next_cursor: null },
    ...routes,
  })
  const page = loadPage('pages/directory/directory')
  page.onLoad()
  return { page, calls }
}

describe('pages/directory', () => {
  test('opens on the catalogue of resources with the filter options from the backend', async () => {
    const wx = signedInWx()
    const { page, calls } = open(wx)
    await flush()
    expect(calls.find((c) => c.key === 'GET /directory/entries').data).toEqual({ kind: 'resource', limit: 20 })
    expect(page.data.categoryOptions).toEqual([
      { value: '', label: '全部类别' },
      { value: 'ip', label: '知识产权公共服务' },
    ])
    expect(page.data.districtOptions[1]).toEqual({ value: '310115', label: '浦东新区' })
    expect(page.data).toMatchObject({ view: 'resource', status: 'content', noMore: true })
  })

  test('filters by category and district and pages with the cursor', async () => {
    const wx = signedInWx()
    const { page, calls } = open(wx, {
      'GET /directory/entries': (o) =>
        o.data.cursor
          ? { items: [entry({ id: 8 })], total: 2, next_cursor: null }
          : { items: [entry({ id: 7 })], total: 2, next_cursor: 'n1' },
    })
    await flush()
    await page.onCategoryChange({ detail: { value: 'ip' } })
    await page.onDistrictChange({ detail: { value: '310115' } })
    expect(calls[calls.length - 1].data).toEqual({ kind: 'resource', category: 'ip', district: '310115', limit: 20 })
    page.onReachBottom()
    page.onReachBottom()
    await flush()
    const more = calls.filter((c) => c.data && c.data.cursor === 'n1')
    expect(more).toHaveLength(1)
    expect(more[0].data).toEqual({ kind: 'resource', category: 'ip', district: '310115', limit: 20, cursor: 'n1' })
    expect(page.data.items.map((e) => e.id)).toEqual([7, 8])
    expect(page.data.noMore).toBe(true)
  })

  test('searches by keyword, and clearing goes back to the tab', async () => {
    const wx = signedInWx()
    const { page, calls } = open(wx, {
      'GET /directory/search': { items: [entry({ id: 9 })], total: 1, next_cursor: null },
    })
    await flush()
    await page.onSearch({ detail: { value: ' 人才公寓 ' } })
    expect(calls[calls.length - 1]).toMatchObject({ key: 'GET /directory/search', data: { q: '人才公寓', limit: 20 } })
    expect(page.data).toMatchObject({ view: 'search', query: '人才公寓', status: 'content' })
    await page.onClear()
    expect(page.data.view).toBe('resource')
    expect(calls[calls.length - 1].key).toBe('GET /directory/entries')
  })

  test('an empty search says so; a too-long keyword is refused locally', async () => {
    const wx = signedInWx()
    const { page, calls } = open(wx, { 'GET /directory/search': { items: [], total: 0, next_cursor: null } })
    await flush()
    await page.onSearch({ detail: { value: '火星' } })
    expect(page.data).toMatchObject({ status: 'empty', emptyText: '没有找到相关公共服务' })
    const count = calls.length
    await page.onSearch({ detail: { value: '字'.repeat(51) } })
    expect(calls).toHaveLength(count)
    expect(wx.showToast).toHaveBeenCalledWith({ title: '关键词不能超过50个字', icon: 'none' })
  })

  test("shows the backend's message on error and the network message offline; a failed catalogue is not fatal", async () => {
    const wx = signedInWx()
    const { page } = open(wx, {
      'GET /directory/catalogue': { fail: { errMsg: 'request:fail' } },
      'GET /directory/entries': apiError(400, 'invalid_cursor', '分页参数无效，请从第一页重新加载'),
    })
    await flush()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '分页参数无效，请从第一页重新加载' })
    expect(page.data.categoryOptions).toEqual([{ value: '', label: '全部类别' }])
    route(wx, { 'GET /directory/entries': { fail: { errMsg: 'request:fail' } } })
    await page.load()
    expect(page.data.errorMessage).toBe('网络异常，请检查网络后重试')
  })

  test('entrances: a mini-program opens with its appid and path, a link is copied, else the entry page', async () => {
    const wx = signedInWx()
    wx.navigateToMiniProgram = jest.fn()
    const items = [
      entry({ id: 1, kind: 'entrance', miniprogram: { appid: 'wx123', path: 'pages/apply/apply' } }),
      entry({ id: 2, kind: 'entrance', url: 'https://zwdt.sh.gov.cn/x' }),
      entry({ id: 3, kind: 'entrance' }),
    ]
    const { page, calls } = open(wx, { 'GET /directory/entrances': { items } })
    await flush()
    await page.onTabChange({ detail: { value: 'entrance' } })
    expect(calls[calls.length - 1]).toMatchObject({ key: 'GET /directory/entrances', data: {} })
    expect(page.data).toMatchObject({ view: 'entrance', status: 'content' })

    page.onEntranceTap({ currentTarget: { dataset: { id: 1 } } })
    expect(wx.navigateToMiniProgram).toHaveBeenCalledWith(
      expect.objectContaining({ appId: 'wx123', path: 'pages/apply/apply' }),
    )
    page.onEntranceTap({ currentTarget: { dataset: { id: 2 } } })
    expect(wx.setClipboardData).toHaveBeenCalledWith(expect.objectContaining({ data: 'https://zwdt.sh.gov.cn/x' }))
    expect(wx.showToast).toHaveBeenCalledWith({ title: '链接已复制，请在浏览器打开', icon: 'none' })
    page.onEntranceTap({ currentTarget: { dataset: { id: 3 } } })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/directory-entry/directory-entry?id=3' })
  })

  test('a refused mini-program jump falls back to copying its link; a cancel says nothing', async () => {
    const wx = signedInWx()
    let failWith = { errMsg: 'navigateToMiniProgram:fail invalid appid' }
    wx.navigateToMiniProgram = jest.fn((o) => o.fail(failWith))
    const items = [entry({ id: 1, kind: 'entrance', url: 'https://x.gov.cn', miniprogram: { appid: 'wx1', path: '' } })]
    const { page } = open(wx, { 'GET /directory/entrances': { items } })
    await flush()
    await page.onTabChange({ detail: { value: 'entrance' } })
    page.onEntranceTap({ currentTarget: { dataset: { id: 1 } } })
    expect(wx.setClipboardData).toHaveBeenCalledWith(expect.objectContaining({ data: 'https://x.gov.cn' }))
    failWith = { errMsg: 'navigateToMiniProgram:fail cancel' }
    wx.setClipboardData.mockClear()
    page.onEntranceTap({ currentTarget: { dataset: { id: 1 } } })
    expect(wx.setClipboardData).not.toHaveBeenCalled()
  })

  test('parks and utility guides load for the chosen district', async () => {
    const wx = signedInWx()
    const guide = { ...entry({ id: 20, kind: 'utility_guide', title: '用电接入指南' }), steps: [], materials: [] }
    const { page, calls } = open(wx, {
      'GET /directory/parks': { items: [entry({ id: 30, kind: 'park', title: '张江科学城' })] },
      'GET /directory/utility-guides': {
        district: '310115',
        district_label: '浦东新区',
        groups: [
          { utility_type: 'power', utility_label: '用电', items: [guide] },
          { utility_type: 'gas', utility_label: '用气', items: [] },
        ],
      },
    })
    await flush()
    await page.onDistrictChange({ detail: { value: '310115' } })
    await page.onTabChange({ detail: { value: 'park' } })
    expect(calls[calls.length - 1]).toMatchObject({ key: 'GET /directory/parks', data: { district: '310115' } })
    expect(page.data.items[0].title).toBe('张江科学城')
    await page.onTabChange({ detail: { value: 'utility' } })
    expect(calls[calls.length - 1]).toMatchObject({ key: 'GET /directory/utility-guides', data: { district: '310115' } })
    expect(page.data.groups.map((g) => g.utility_label)).toEqual(['用电'])
    page.onEntryTap({ currentTarget: { dataset: { id: 20 } } })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/directory-entry/directory-entry?id=20' })

    route(wx, { 'GET /directory/utility-guides': { district: null, district_label: '全市', groups: [] } })
    await page.load()
    expect(page.data).toMatchObject({ status: 'empty', emptyText: '暂无水电气接入指南' })
  })

  test('pull-down refresh reloads and stops the indicator', async () => {
    const wx = signedInWx()
    const { page } = open(wx)
    await page.onPullDownRefresh()
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })
})
