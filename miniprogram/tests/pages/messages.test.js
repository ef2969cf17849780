const { installWx } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')

const message = (id, extra = {}) => ({
  id,
  title: '诉求答复通知',
  summary: `消息${id}`,
  channel: 'official_account',
  channel_label: '公众号',
  related_type: 'appeal',
  related_id: 7,
  sent_at: '2026-12-03T00:05:00Z', // the API sends UTC; shown in China time
  ...extra,
})

describe('pages/messages', () => {
  test('lists my messages with the page each one opens, and pages on', async () => {
    const wx = installWx()
    wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
    const urls = []
    wx.server((options) => {
      urls.push(options.url)
      return options.url.includes('cursor=')
        ? { statusCode: 200, data: { items: [message(1, { related_type: 'report', related_id: 2 })], next_cursor: null } }
        : { statusCode: 200, data: { items: [message(2)], next_cursor: 'abc' } }
    })
    const page = loadPage('pages/messages/messages')
    await page.load()
    expect(page.data.status).toBe('content')
    expect(page.data.items[0]).toMatchObject({ url: '/pages/appeal-detail/appeal-detail?id=7', time: '2026-12-03 08:05' })

    await page.loadMore()
    expect(urls[1]).toMatch(/\/me\/messages\?limit=20&cursor=abc$/)
    expect(page.data.items.map((m) => m.id)).toEqual([2, 1])
    expect(page.data.items[1].url).toBe('')
    expect(page.data.nextCursor).toBe(null)

    await page.loadMore() // nothing more: no request
    expect(urls).toHaveLength(2)

    page.onOpen({ currentTarget: { dataset: { url: page.data.items[0].url } } })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/appeal-detail/appeal-detail?id=7' })
  })

  test('no messages shows the empty state; a failed next page keeps what was shown', async () => {
    const wx = installWx()
    wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
    wx.server(() => ({ statusCode: 200, data: { items: [], next_cursor: null } }))
    const page = loadPage('pages/messages/messages')
    await page.load()
    expect(page.data.status).toBe('empty')

    wx.server(() => ({ statusCode: 200, data: { items: [message(2)], next_cursor: 'abc' } }))
    await page.load()
    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    await page.loadMore()
    expect(page.data.items).toHaveLength(1)
    expect(page.data.moreError).toBe('网络异常，请检查网络后重试')
    expect(page.data.loadingMore).toBe(false)
  })

  test('marks what it showed as read, once, and clears the badge; nothing to mark sends nothing', async () => {
    const wx = installWx()
    wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
    const sent = []
    let items = [message(9, { unread: true }), message(8, { unread: true }), message(7, { unread: false })]
    wx.server((options) => {
      sent.push(options)
      if (options.url.endsWith('/me/messages/read')) return { statusCode: 200, data: { unread: 0 } }
      return { statusCode: 200, data: { items, next_cursor: null } }
    })
    const page = loadPage('pages/messages/messages')
    await page.load()
    expect(page.data.items.map((m) => m.unread)).toEqual([true, true, false]) // the dots stay for this visit
    const marks = sent.filter((o) => o.url.endsWith('/me/messages/read'))
    expect(marks.map((o) => [o.method, o.data])).toEqual([['POST', { up_to_id: 9 }]])
    expect(wx.removeTabBarBadge).toHaveBeenCalledWith({ index: 3 })

    items = items.map((m) => ({ ...m, unread: false }))
    await page.load()
    expect(sent.filter((o) => o.url.endsWith('/me/messages/read'))).toHaveLength(1)
  })
})
