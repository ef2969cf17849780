// pages/subscriptions: policy-push preferences (PUT /me/policy-subscriptions, not_following)
// and 开启通知 for the mini-program's subscribe messages.
const { loadPage } = require('../helpers/page')
const { signedInWx, route, flush, apiError } = require('../helpers/policy-directory')

const settings = (overrides = {}) => ({
  follows_official_account: true,
  all_muted: false,
  types: [
    { support_type: 'subsidy', label: '资金补贴', receiving: true },
    { support_type: 'tax', label: '税收优惠', receiving: true },
  ],
  ...overrides,
})

const templates = {
  items: [
    { name: 'appeal_accepted', title: '诉求受理通知', template_id: 'T-acc', long_term: true },
    { name: 'appeal_replied', title: '诉求答复通知', template_id: 'T-rep', long_term: true },
    { name: 'activity_reminder', title: '活动提醒', template_id: 'T-act', long_term: false },
  ],
}

function open(wx, routes) {
  const calls = route(wx, {
    'GET /me/policy-subscriptions': settings(),
    'GET /subscribe-templates': templates,
    'POST /me/subscribe-grants': (o) => ({ items: Object.keys(o.data.results).map((id) => ({ template_id: id })) }),
    ...routes,
  })
  const page = loadPage('pages/subscriptions/subscriptions')
  page.onLoad()
  return { page, calls }
}

describe('pages/subscriptions: policy push', () => {
  test('shows the settings and the templates', async () => {
    const wx = signedInWx()
    const { page } = open(wx)
    await flush()
    expect(page.data).toMatchObject({ status: 'content', templatesStatus: 'content' })
    expect(page.data.settings.types).toHaveLength(2)
    expect(page.data.templates.map((t) => t.title)).toEqual(['诉求受理通知', '诉求答复通知', '活动提醒'])
  })

  test('turning everything off sends receive_all false and takes the answer; a second tap meanwhile is ignored', async () => {
    const wx = signedInWx()
    const { page, calls } = open(wx, {
      'PUT /me/policy-subscriptions': (o) => settings({ all_muted: o.data.receive_all === false }),
    })
    await flush()
    const first = page.onReceiveAllChange({ detail: { value: false } })
    expect(page.data.settings.all_muted).toBe(true) // at once
    page.onTypeChange({ currentTarget: { dataset: { type: 'tax' } }, detail: { value: false } })
    await first
    const puts = calls.filter((c) => c.key === 'PUT /me/policy-subscriptions')
    expect(puts).toHaveLength(1)
    expect(puts[0].data).toEqual({ receive_all: false })
    expect(page.data).toMatchObject({ saving: false, settings: { all_muted: true } })
  })

  test('turning one support type off sends only that type', async () => {
    const wx = signedInWx()
    const { page, calls } = open(wx, {
      'PUT /me/policy-subscriptions': (o) =>
        settings({
          types: [
            { support_type: 'subsidy', label: '资金补贴', receiving: o.data.types.subsidy },
            { support_type: 'tax', label: '税收优惠', receiving: true },
          ],
        }),
    })
    await flush()
    await page.onTypeChange({ currentTarget: { dataset: { type: 'subsidy' } }, detail: { value: false } })
    expect(calls[calls.length - 1]).toMatchObject({ key: 'PUT /me/policy-subscriptions', data: { types: { subsidy: false } } })
    expect(page.data.settings.types[0].receiving).toBe(false)
    expect(wx.showToast).toHaveBeenCalledWith({ title: '已保存', icon: 'success' })
  })

  test("not following the official account: the backend's message, the hint, the switch put back", async () => {
    const wx = signedInWx()
    const message = '政策推送通过“企业服务云”公众号发送，请先关注公众号后再设置。'
    const { page } = open(wx, { 'PUT /me/policy-subscriptions': apiError(409, 'not_following', message) })
    await flush()
    await page.onTypeChange({ currentTarget: { dataset: { type: 'subsidy' } }, detail: { value: false } })
    expect(page.data.settings.types[0].receiving).toBe(true)
    expect(page.data.settings.follows_official_account).toBe(false)
    expect(page.data.notFollowingMessage).toBe(message)
    expect(page.data.followHint).toContain('关注')
    expect(wx.showToast).toHaveBeenCalledWith({ title: message, icon: 'none' })
  })

  test('a network failure puts the switch back and says so', async () => {
    const wx = signedInWx()
    const { page } = open(wx, { 'PUT /me/policy-subscriptions': { fail: { errMsg: 'request:fail' } } })
    await flush()
    await page.onReceiveAllChange({ detail: { value: false } })
    expect(page.data.settings.all_muted).toBe(false)
    expect(page.data.notFollowingMessage).toBe('')
    expect(wx.showToast).toHaveBeenCalledWith({ title: '网络异常，请检查网络后重试', icon: 'none' })
  })

  test('errors loading each section show in that section', async () => {
    const wx = signedInWx()
    const { page } = open(wx, {
      'GET /me/policy-subscriptions': apiError(500, 'internal_error', '服务器开小差了，请稍后再试'),
      'GET /subscribe-templates': { items: [] },
    })
    await flush()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '服务器开小差了，请稍后再试' })
    expect(page.data.templatesStatus).toBe('empty')
    route(wx, { 'GET /subscribe-templates': { fail: { errMsg: 'request:fail' } } })
    await page.loadTemplates()
    expect(page.data).toMatchObject({ templatesStatus: 'error', templatesError: '网络异常，请检查网络后重试' })
  })
})

describe('pages/subscriptions: 开启通知', () => {
  test('asks for the long-term templates, then the one-time ones, reports both and says how many', async () => {
    const wx = signedInWx()
    const { page, calls } = open(wx)
    await flush()
    const tap = page.onEnableTap()
    page.onEnableTap() // double tap while asking: ignored
    await tap
    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(2)
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['T-acc', 'T-rep'])
    expect(wx.requestSubscribeMessage.mock.calls[1][0].tmplIds).toEqual(['T-act'])
    const grants = calls.filter((c) => c.key === 'POST /me/subscribe-grants')
    expect(grants.map((g) => g.data.results)).toEqual([{ 'T-acc': 'accept', 'T-rep': 'accept' }, { 'T-act': 'accept' }])
    expect(grants[0].header['Idempotency-Key']).toBeTruthy()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '已开启 3 项通知', icon: 'success' })
    expect(page.data.asking).toBe(false)
  })

  test('all declined: says nothing was switched on', async () => {
    const wx = signedInWx()
    wx.subscribeAnswer = 'reject'
    const { page } = open(wx)
    await flush()
    await page.onEnableTap()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '未开启通知，可在右上角“设置”中开启', icon: 'none' })
  })

  test('WeChat refusing the dialog: a retry-later toast, never a crash', async () => {
    const wx = signedInWx()
    wx.requestSubscribeMessage = jest.fn((o) => o.fail({ errMsg: 'requestSubscribeMessage:fail' }))
    const { page } = open(wx)
    await flush()
    await page.onEnableTap()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '暂时无法开启通知，请稍后重试', icon: 'none' })
    expect(page.data.asking).toBe(false)
  })
})
