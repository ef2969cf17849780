// pages/activity-list: the schedule (活动排片) of upcoming activities, by day, filterable by kind,
// paged with the API's cursor.
const { apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')
const { settle, installSignedInWx, activity, pathOf } = require('../helpers/activity')
const { groupByDay, dayTitle, seatsText, formatDateTime } = require('../../utils/activity')

const PAGE = 'pages/activity-list/activity-list'

describe('pages/activity-list', () => {
  test('shows the upcoming activities grouped by their Beijing day, soonest first', async () => {
    const wx = installSignedInWx()
    const requests = []
    wx.server((options) => {
      requests.push(options)
      return {
        statusCode: 200,
        data: {
          items: [
            activity({ id: 1, starts_at: '2030-05-20T01:00:00Z' }),
            activity({ id: 2, starts_at: '2030-05-20T06:00:00Z' }),
            // 17:00 UTC on the 20th is already the 21st in Beijing
            activity({ id: 3, starts_at: '2030-05-20T17:00:00Z', places_left: 0, waitlist: 2 }),
          ],
          total: 3,
          next_cursor: null,
        },
      }
    })
    const page = loadPage(PAGE)
    page.onLoad()
    await settle()

    expect(requests).toHaveLength(1)
    expect(requests[0].method).toBe('GET')
    expect(pathOf(requests[0])).toBe('/activities?limit=20')
    expect(requests[0].header.Authorization).toBe('Bearer t1')
    expect(page.data.status).toBe('content')
    expect(page.data.groups.map((g) => g.items.map((i) => i.id))).toEqual([[1, 2], [3]])
    expect(page.data.groups[0].title).toContain('5月20日 周一')
    expect(page.data.groups[1].title).toContain('5月21日 周二')
    expect(page.data.nextCursor).toBeNull()
  })

  test('shows the empty state when nothing is scheduled', async () => {
    const wx = installSignedInWx()
    wx.server(() => ({ statusCode: 200, data: { items: [], total: 0, next_cursor: null } }))
    const page = loadPage(PAGE)
    await page.load()
    expect(page.data.status).toBe('empty')
  })

  test("shows the backend's message on an error and the network message when offline; retry loads again", async () => {
    const wx = installSignedInWx()
    wx.server(() => apiError(400, 'invalid_cursor', '分页参数无效'))
    const page = loadPage(PAGE)
    await page.load()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '分页参数无效' })

    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    await page.load()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })

    wx.server(() => ({ statusCode: 200, data: { items: [activity()], total: 1, next_cursor: null } }))
    await page.load()
    expect(page.data.status).toBe('content')
  })

  test('pages with next_cursor on reaching the bottom, once at a time, then says 没有更多了', async () => {
    const wx = installSignedInWx()
    const paths = []
    wx.server((options) => {
      paths.push(pathOf(options))
      if (!options.url.includes('cursor=')) {
        return { statusCode: 200, data: { items: [activity({ id: 1 })], total: 2, next_cursor: 'c2' } }
      }
      return { statusCode: 200, data: { items: [activity({ id: 2, starts_at: '2030-05-22T06:00:00Z' })], total: 2, next_cursor: null } }
    })
    const page = loadPage(PAGE)
    await page.load()
    page.onReachBottom()
    page.onReachBottom() // a second scroll event while the page is loading
    await settle()

    expect(paths).toEqual(['/activities?limit=20', '/activities?limit=20&cursor=c2'])
    expect(page.data.items.map((i) => i.id)).toEqual([1, 2])
    expect(page.data.groups).toHaveLength(2)
    expect(page.data.nextCursor).toBeNull()

    page.onReachBottom() // nothing more
    await settle()
    expect(paths).toHaveLength(2)
  })

  test('a failed next page keeps the list and shows the message for a retry', async () => {
    const wx = installSignedInWx()
    wx.server(() => ({ statusCode: 200, data: { items: [activity({ id: 1 })], total: 2, next_cursor: 'c2' } }))
    const page = loadPage(PAGE)
    await page.load()
    wx.server(() => ({ fail: { errMsg: 'request:fail timeout' } }))
    await page.loadMore()
    expect(page.data).toMatchObject({ status: 'content', moreError: '网络请求超时，请检查网络后重试', loadingMore: false })
    expect(page.data.items).toHaveLength(1)
  })

  test('filters by kind and starts over from the first page', async () => {
    const wx = installSignedInWx()
    const paths = []
    wx.server((options) => {
      paths.push(pathOf(options))
      return { statusCode: 200, data: { items: [activity({ kind: 'lecture' })], total: 1, next_cursor: null } }
    })
    const page = loadPage(PAGE)
    await page.load()
    page.onKindChange({ detail: { value: 'lecture' } })
    await settle()
    expect(paths).toEqual(['/activities?limit=20', '/activities?limit=20&kind=lecture'])
    expect(page.data.kind).toBe('lecture')
    expect(page.data.kinds.map((k) => k.label)).toEqual(['全部', '培训', '讲座', '路演', '诊断', '政策宣讲'])
  })

  test('an answer for an old filter does not overwrite the new one', async () => {
    const wx = installSignedInWx()
    const pending = []
    wx.request.mockImplementation((options) => {
      pending.push(options)
      return { abort: jest.fn() }
    })
    const page = loadPage(PAGE)
    const first = page.load()
    await settle()
    page.onKindChange({ detail: { value: 'roadshow' } })
    await settle()
    expect(pending).toHaveLength(2)
    pending[1].success({ statusCode: 200, header: {}, data: { items: [activity({ id: 9 })], total: 1, next_cursor: null } })
    await settle()
    pending[0].success({ statusCode: 200, header: {}, data: { items: [activity({ id: 1 })], total: 1, next_cursor: null } })
    await first
    await settle()
    expect(page.data.items.map((i) => i.id)).toEqual([9])
  })

  test('pull-down refresh reloads and stops the indicator', async () => {
    const wx = installSignedInWx()
    wx.server(() => ({ statusCode: 200, data: { items: [activity()], total: 1, next_cursor: null } }))
    const page = loadPage(PAGE)
    page.onPullDownRefresh()
    await settle()
    expect(page.data.status).toBe('content')
    expect(wx.stopPullDownRefresh).toHaveBeenCalledTimes(1)
  })

  test('opens an activity and my tickets', () => {
    const wx = installSignedInWx()
    const page = loadPage(PAGE)
    page.onSelect({ detail: { id: 7 } })
    page.openTickets()
    expect(wx.navigateTo.mock.calls.map((c) => c[0].url)).toEqual([
      '/pages/activity-detail/activity-detail?id=7',
      '/pages/ticket-list/ticket-list',
    ])
  })
})

describe('utils/activity', () => {
  const now = new Date('2030-05-20T02:00:00Z') // 10:00 on Monday 20 May in Beijing

  test('day titles say 今天 / 明天 and the weekday, in Beijing time', () => {
    expect(dayTitle('2030-05-20T15:59:00Z', now)).toBe('今天 · 5月20日 周一')
    expect(dayTitle('2030-05-20T16:00:00Z', now)).toBe('明天 · 5月21日 周二')
    expect(dayTitle('2030-05-23T06:00:00+08:00', now)).toBe('5月23日 周四')
    expect(dayTitle('2031-01-02T06:00:00Z', now)).toBe('2031年1月2日 周四')
  })

  test('groups keep the API order and a day appears once', () => {
    const groups = groupByDay(
      [{ id: 1, starts_at: '2030-05-20T06:00:00Z' }, { id: 2, starts_at: '2030-05-21T06:00:00Z' }, { id: 3, starts_at: '2030-05-20T09:00:00Z' }],
      now,
    )
    expect(groups.map((g) => [g.key, g.items.map((i) => i.id)])).toEqual([['2030-05-20', [1, 3]], ['2030-05-21', [2]]])
  })

  test('seats and dates in words', () => {
    expect(seatsText({ capacity: 40, places_left: 12, waitlist: 0 })).toBe('剩余 12 / 40 个名额')
    expect(seatsText({ capacity: 40, places_left: 0, waitlist: 3 })).toBe('名额已满 · 候补 3 人')
    expect(seatsText({ capacity: 40, places_left: 0, waitlist: 0 })).toBe('名额已满')
    expect(formatDateTime('2030-05-19T10:00:00Z', now)).toBe('5月19日 18:00')
    expect(formatDateTime(null, now)).toBe('')
  })
})
