const { apiError } = require('../helpers/wx')
const { setUpBackend, engagementSummary, loadPage } = require('../helpers/provider')

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

const page = (items, next = null) => ({ statusCode: 200, data: { items, total: items.length, next_cursor: next } })

async function open(handler, query = {}) {
  const backend = setUpBackend(handler)
  const p = loadPage('pages/engagement-list/engagement-list')
  p.onLoad(query)
  p.onShow()
  for (let i = 0; i < 50 && p.data.status === 'loading'; i += 1) await settle()
  return { ...backend, page: p }
}

describe('pages/engagement-list', () => {
  test('lists my service requests with their status labels and paging', async () => {
    const { page: p, sent } = await open((req) =>
      req.data.cursor === 'Mg'
        ? page([engagementSummary(39, { status: 'completed', status_label: '已完成' })])
        : page(
            [
              engagementSummary(41),
              engagementSummary(40, { status: 'delivered', status_label: '已交付', confirm_due_at: '2026-12-10T00:00:00+08:00' }),
            ],
            'Mg',
          ),
    )
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ method: 'GET', path: '/engagements', data: { limit: 20 } })
    expect(p.data.status).toBe('content')
    expect(p.data.items[0]).toMatchObject({
      id: 41,
      statusLabel: '已申请',
      statusTheme: 'primary',
      productName: '产品31',
      providerName: '服务机构7',
      enterpriseName: '企云科技',
      requestedAt: '2026-12-01 10:20',
    })
    expect(p.data.items[1]).toMatchObject({ statusLabel: '已交付', confirmDueAt: '2026-12-10 00:00' })

    p.onReachBottom()
    p.onReachBottom()
    await settle()
    expect(sent).toHaveLength(2)
    expect(sent[1].data).toEqual({ limit: 20, cursor: 'Mg' })
    expect(p.data.items.map((i) => i.id)).toEqual([41, 40, 39])
    expect(p.data.noMore).toBe(true)
  })

  test('filters 进行中 / 已结束 with the API status', async () => {
    const { page: p, sent } = await open(() => page([engagementSummary(41)]), { status: 'open' })
    expect(sent[0].data).toEqual({ status: 'open', limit: 20 })
    p.onFilterChange({ detail: { value: 'closed' } })
    await settle()
    expect(sent.at(-1).data).toEqual({ status: 'closed', limit: 20 })
    p.onFilterChange({ detail: { value: '' } })
    await settle()
    expect(sent.at(-1).data).toEqual({ limit: 20 })
  })

  test('no request yet: empty state with a way to the providers', async () => {
    const { wx, page: p } = await open(() => page([]))
    expect(p.data.status).toBe('empty')
    p.goProviders()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/provider-list/provider-list' })
  })

  test("shows the backend's message or the network error", async () => {
    const { wx, page: p } = await open(() => apiError(400, 'invalid_cursor', '分页参数无效，请刷新后重试'))
    expect(p.data).toMatchObject({ status: 'error', errorMessage: '分页参数无效，请刷新后重试' })
    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    await p.load()
    expect(p.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
  })

  test('opens a request; coming back reloads; pull-down refresh stops the indicator', async () => {
    const { wx, page: p, sent } = await open(() => page([engagementSummary(41)]))
    p.onOpen({ currentTarget: { dataset: { id: 41 } } })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/engagement-detail/engagement-detail?id=41' })
    p.onShow()
    await settle()
    expect(sent).toHaveLength(2)
    p.onPullDownRefresh()
    await settle()
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })
})
