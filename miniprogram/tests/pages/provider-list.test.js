const { apiError } = require('../helpers/wx')
const { setUpBackend, providerSummary, loadPage } = require('../helpers/provider')

const CATEGORIES = {
  items: [
    { code: 'financing', label: '投融资' },
    { code: 'ip', label: '知识产权' },
  ],
  sorts: { score: '综合评分', ratings: '评价数', newest: '最新入驻' },
}

const page = (ids, next = null, total = ids.length) => ({
  statusCode: 200,
  data: { items: ids.map((id) => providerSummary(id)), total, next_cursor: next },
})

/** Open the page (onLoad loads) and wait until that load settled. */
async function open(handler, query = {}) {
  const backend = setUpBackend((req) => {
    if (req.path === '/provider-categories') return { statusCode: 200, data: CATEGORIES }
    return handler(req)
  })
  const p = loadPage('pages/provider-list/provider-list')
  p.onLoad(query)
  for (let i = 0; i < 50 && p.data.status === 'loading'; i += 1) await settle()
  return { ...backend, page: p, lists: () => backend.sent.filter((r) => r.path === '/providers') }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

describe('pages/provider-list', () => {
  test('shows the categories as tabs (全部 first), the sorts, and the first page sorted by score', async () => {
    const { page: p, lists } = await open(() => page([1, 2], 'c2', 25))
    expect(p.data.categories).toEqual([
      { value: '', label: '全部' },
      { value: 'financing', label: '投融资' },
      { value: 'ip', label: '知识产权' },
    ])
    expect(p.data.sorts).toEqual([
      { value: 'score', label: '综合评分' },
      { value: 'ratings', label: '评价数' },
      { value: 'newest', label: '最新入驻' },
    ])
    expect(p.data).toMatchObject({ status: 'content', total: 25, nextCursor: 'c2', noMore: false })
    expect(p.data.items.map((i) => i.id)).toEqual([1, 2])
    expect(lists().at(-1).method).toBe('GET')
    expect(lists().at(-1).data).toEqual({ sort: 'score', limit: 20 })
  })

  test('a category from the query, a tab switch, a sort and a keyword go to GET /providers', async () => {
    const { page: p, lists } = await open(() => page([1]), { category: 'ip' })
    expect(lists().at(-1).data).toEqual({ category: 'ip', sort: 'score', limit: 20 })

    p.onCategoryChange({ detail: { value: 'financing' } })
    await settle()
    expect(lists().at(-1).data).toMatchObject({ category: 'financing' })

    p.onSortChange({ detail: { value: 'ratings' } })
    await settle()
    expect(lists().at(-1).data).toMatchObject({ category: 'financing', sort: 'ratings' })

    p.onSearch({ detail: { value: ' 专利 ' } })
    await settle()
    expect(lists().at(-1).data).toEqual({ category: 'financing', sort: 'ratings', q: '专利', limit: 20 })

    p.onCategoryChange({ detail: { value: '' } })
    await settle()
    expect(lists().at(-1).data).toEqual({ sort: 'ratings', q: '专利', limit: 20 })
  })

  test('pages on with the cursor and says 没有更多了 at the end; a second reach-bottom meanwhile sends nothing', async () => {
    const { page: p, lists } = await open((req) => (req.data.cursor === 'c2' ? page([3]) : page([1, 2], 'c2')))
    await Promise.all([p.loadMore(), p.loadMore()])
    expect(lists()).toHaveLength(2)
    expect(lists()[1].data).toMatchObject({ cursor: 'c2' })
    expect(p.data.items.map((i) => i.id)).toEqual([1, 2, 3])
    expect(p.data).toMatchObject({ nextCursor: null, noMore: true, loadingMore: false })
    await p.loadMore()
    expect(lists()).toHaveLength(2)
  })

  test('a failed next page keeps the loaded items and shows the message under them', async () => {
    const { page: p } = await open((req) => (req.data.cursor ? { fail: { errMsg: 'request:fail' } } : page([1], 'c2')))
    await p.loadMore()
    expect(p.data.items).toHaveLength(1)
    expect(p.data.status).toBe('content')
    expect(p.data).toMatchObject({ moreError: '网络异常，请检查网络后重试', loadingMore: false, nextCursor: 'c2' })
  })

  test('no provider matches: the empty state', async () => {
    const { page: p } = await open(() => page([]))
    expect(p.data).toMatchObject({ status: 'empty', noMore: false })
  })

  test("shows the backend's message on error, and retry loads again", async () => {
    let fail = true
    const { page: p } = await open(() => (fail ? apiError(400, 'invalid_query', '关键词不能超过 30 个字') : page([1])))
    expect(p.data).toMatchObject({ status: 'error', errorMessage: '关键词不能超过 30 个字' })
    fail = false
    await p.load()
    expect(p.data.status).toBe('content')
  })

  test('network error while loading the categories shows the error state', async () => {
    const { wx, page: p } = await open(() => page([1]))
    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    p.setData({ categories: [] })
    await p.load()
    expect(p.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
  })

  test('an answer for an old tab is dropped when another tab was chosen meanwhile', async () => {
    const { page: p } = await open((req) => (req.data.category === 'ip' ? page([9]) : page([1])))
    p.onCategoryChange({ detail: { value: 'financing' } })
    p.onCategoryChange({ detail: { value: 'ip' } })
    await settle()
    expect(p.data.category).toBe('ip')
    expect(p.data.items.map((i) => i.id)).toEqual([9])
  })

  test('pull-down refresh reloads and stops the indicator', async () => {
    const { wx, page: p, lists } = await open(() => page([1]))
    p.onPullDownRefresh()
    await settle()
    expect(lists()).toHaveLength(2)
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('keeps the keyword within the 30 characters the API accepts', async () => {
    const { page: p } = await open(() => page([1]))
    p.onKeywordInput({ detail: { value: '字'.repeat(40) } })
    expect(p.data.keyword).toHaveLength(30)
  })

  test('tapping a provider opens its page', async () => {
    const { wx, page: p } = await open(() => page([1]))
    p.onProviderSelect({ detail: { id: 7 } })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/provider-detail/provider-detail?id=7' })
  })
})
