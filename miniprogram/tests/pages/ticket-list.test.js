// pages/ticket-list: my activity sign-ups with their status, each opening its ticket.
const { apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')
const { settle, installSignedInWx, signupOut, pathOf } = require('../helpers/activity')

const PAGE = 'pages/ticket-list/ticket-list'

describe('pages/ticket-list', () => {
  test('lists my sign-ups with the status labels and tag colours', async () => {
    const wx = installSignedInWx()
    const seen = []
    wx.server((options) => {
      seen.push([options.method, pathOf(options)])
      return {
        statusCode: 200,
        data: {
          items: [
            signupOut(),
            signupOut({ signup: { id: 32, status: 'waitlisted', status_label: '候补', waitlist_position: 2, ticket_code: null } }),
            signupOut({ signup: { id: 33, status: 'checked_in', status_label: '已签到', checked_in_at: '2030-05-20T06:05:00Z' } }),
          ],
        },
      }
    })
    const page = loadPage(PAGE)
    page.onLoad()
    await settle()
    expect(seen).toEqual([['GET', '/me/activity-signups']])
    expect(page.data.status).toBe('content')
    expect(page.data.items.map((i) => [i.key, i.signup.status_label, i.theme])).toEqual([
      [31, '已报名', 'success'],
      [32, '候补', 'warning'],
      [33, '已签到', 'primary'],
    ])
  })

  test('empty: says so and offers the schedule', async () => {
    const wx = installSignedInWx()
    wx.server(() => ({ statusCode: 200, data: { items: [] } }))
    const page = loadPage(PAGE)
    await page.load()
    expect(page.data.status).toBe('empty')
    page.openActivities()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/activity-list/activity-list' })
  })

  test("errors show the backend's message or the network message", async () => {
    const wx = installSignedInWx()
    wx.server(() => apiError(503, 'service_unavailable', '服务维护中，请稍后再试'))
    const page = loadPage(PAGE)
    await page.load()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '服务维护中，请稍后再试' })
    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    await page.load()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
  })

  test('opens a ticket; coming back reloads quietly (a cancelled one leaves the list)', async () => {
    const wx = installSignedInWx()
    wx.server(() => ({ statusCode: 200, data: { items: [signupOut()] } }))
    const page = loadPage(PAGE)
    page.onLoad()
    page.onShow()
    await settle()
    page.openTicket({ currentTarget: { dataset: { id: 31 } } })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/ticket-detail/ticket-detail?id=31' })

    wx.server(() => ({ statusCode: 200, data: { items: [] } }))
    page.onShow()
    expect(page.data.status).toBe('content')
    await settle()
    expect(page.data.status).toBe('empty')
  })

  test('pull-down refresh reloads and stops the indicator', async () => {
    const wx = installSignedInWx()
    wx.server(() => ({ statusCode: 200, data: { items: [signupOut()] } }))
    const page = loadPage(PAGE)
    page.onPullDownRefresh()
    await settle()
    expect(page.data.status).toBe('content')
    expect(wx.stopPullDownRefresh).toHaveBeenCalledTimes(1)
  })
})
