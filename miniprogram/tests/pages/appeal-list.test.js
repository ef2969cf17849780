// pages/appeal-list: my appeals with filters, paging and reload after filing.
const { installWx, apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')
const { flush } = require('../helpers/appeal')

function appeal(id, status = 'accepted', label = '已受理', extra = {}) {
  return { id, number: `SQ${id}`, title: `诉求${id}`, category: 'tax', category_label: '税费服务', status, status_label: label,
    awaiting: '', enterprise_name: '云帆科技', channel: 'miniprogram', created_at: '2024-05-01T02:30:00+00:00',
    updated_at: '2024-05-01T02:30:00+00:00', accept_due_at: null, resolve_due_at: null, confirm_due_at: null, closed_at: null, ...extra }
}

function setup(handler) {
  const wx = installWx()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  const urls = []
  wx.server((options) => {
    const path = options.url.replace(/^https?:\/\/[^/]+\/mp\/v1/, '')
    urls.push(path)
    return handler(path, options)
  })
  const app = { globalData: {} }
  const page = loadPage('pages/appeal-list/appeal-list', { app })
  return { wx, page, urls, app }
}

describe('pages/appeal-list', () => {
  test('shows my appeals with the backend status labels and pages on reaching the bottom', async () => {
    const { page, urls } = setup((path) => {
      if (path === '/appeals?limit=20') {
        return { statusCode: 200, data: { items: [appeal(3, 'replied', '已答复', { awaiting: '待您确认并评价' }), appeal(2)], total: 3, next_cursor: 'c2' } }
      }
      if (path === '/appeals?limit=20&cursor=c2') return { statusCode: 200, data: { items: [appeal(1, 'closed', '已办结')], total: 3, next_cursor: null } }
      return apiError(404, 'not_found', '不存在')
    })
    page.onLoad()
    await flush()
    expect(page.data.status).toBe('content')
    expect(page.data.items.map((i) => [i.id, i.status, i.status_label, i.statusTheme])).toEqual([
      [3, 'replied', '已答复', 'warning'],
      [2, 'accepted', '已受理', 'primary'],
    ])
    expect(page.data.items[0].awaiting).toBe('待您确认并评价')
    expect(page.data.items[0].createdText).toBe('2024-05-01 10:30')
    await page.onReachBottom()
    expect(page.data.items.map((i) => i.id)).toEqual([3, 2, 1])
    expect(page.data.nextCursor).toBeNull()
    await page.onReachBottom() // no more: nothing requested
    expect(urls).toEqual(['/appeals?limit=20', '/appeals?limit=20&cursor=c2'])
  })

  test('filters by status with the API values', async () => {
    const { page, urls } = setup((path) => ({ statusCode: 200, data: { items: path.includes('closed') ? [appeal(1, 'closed', '已办结')] : [], total: 0, next_cursor: null } }))
    await page.load()
    expect(page.data.status).toBe('empty')
    await page.onFilterChange({ detail: { value: 'closed' } })
    expect(urls[1]).toBe('/appeals?limit=20&status=closed')
    expect(page.data.items[0].status_label).toBe('已办结')
  })

  test('shows the error and retries; a failing next page keeps the list', async () => {
    let fail = true
    const { page } = setup((path) => {
      if (fail) return { fail: { errMsg: 'request:fail' } }
      if (path.includes('cursor')) return apiError(400, 'invalid_cursor', '分页参数无效，请从第一页重新加载')
      return { statusCode: 200, data: { items: [appeal(1)], total: 2, next_cursor: 'c' } }
    })
    await expect(page.load()).resolves.toBeUndefined()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
    fail = false
    await page.load()
    expect(page.data.status).toBe('content')
    await page.loadMore()
    expect(page.data.items).toHaveLength(1)
    expect(page.data.moreError).toBe('分页参数无效，请从第一页重新加载')
    expect(page.data.loadingMore).toBe(false)
  })

  test('pull-down refresh reloads and stops the indicator', async () => {
    const { wx, page, urls } = setup(() => ({ statusCode: 200, data: { items: [appeal(1)], total: 1, next_cursor: null } }))
    page.onPullDownRefresh()
    await flush()
    expect(urls).toHaveLength(1)
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('reloads when shown again after an appeal was filed, not on every show', async () => {
    let items = [appeal(1)]
    const { page, urls, app } = setup(() => ({ statusCode: 200, data: { items, total: items.length, next_cursor: null } }))
    page.onLoad()
    page.onShow()
    await flush()
    page.onShow()
    await flush()
    expect(urls).toHaveLength(1)
    items = [appeal(2, 'submitted', '已提交'), appeal(1)]
    app.globalData.appealsChanged = true
    page.onShow()
    await flush()
    expect(urls).toHaveLength(2)
    expect(page.data.items.map((i) => i.id)).toEqual([2, 1])
  })

  test('opens an appeal and the new-appeal form', () => {
    const { wx, page } = setup(() => ({ statusCode: 200, data: { items: [], total: 0, next_cursor: null } }))
    page.onItemTap({ currentTarget: { dataset: { id: 7 } } })
    page.onNewTap()
    expect(wx.navigateTo.mock.calls.map((c) => c[0].url)).toEqual(['/pages/appeal-detail/appeal-detail?id=7', '/pages/appeal-new/appeal-new'])
  })
})
