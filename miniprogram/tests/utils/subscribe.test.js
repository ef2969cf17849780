const { installWx, apiError } = require('../helpers/wx')

const TEMPLATES = [
  { name: 'appeal_accepted', title: '诉求受理通知', template_id: 'T-acc', long_term: true },
  { name: 'appeal_replied', title: '诉求答复通知', template_id: 'T-rep', long_term: true },
  { name: 'activity_reminder', title: '活动开始提醒', template_id: 'T-act', long_term: false },
]

function loadSubscribe() {
  let subscribe
  jest.isolateModules(() => {
    subscribe = require('../../utils/subscribe')
  })
  return subscribe
}

function backend(wx, { grants = () => ({ statusCode: 200, data: { items: [] } }) } = {}) {
  const sent = []
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  wx.server((options) => {
    sent.push(options)
    if (options.url.endsWith('/subscribe-templates')) return { statusCode: 200, data: { items: TEMPLATES } }
    if (options.url.endsWith('/me/subscribe-grants')) return grants(options)
    return apiError(404, 'not_found', '请求的资源不存在')
  })
  return sent
}

describe('utils/subscribe', () => {
  test('asks WeChat for the preloaded ids at the tap and reports the answer with an idempotency key', async () => {
    const wx = installWx()
    const sent = backend(wx)
    const subscribe = loadSubscribe()
    await subscribe.preload()

    const results = await subscribe.requestAtTap(['appeal_accepted', 'appeal_replied'])

    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1)
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['T-acc', 'T-rep'])
    expect(results).toEqual({ 'T-acc': 'accept', 'T-rep': 'accept' })
    const report = sent.find((o) => o.url.endsWith('/me/subscribe-grants'))
    expect(report.method).toBe('POST')
    expect(report.data).toEqual({ results: { 'T-acc': 'accept', 'T-rep': 'accept' } })
    expect(report.header['Idempotency-Key']).toMatch(/^[0-9a-f]+-[0-9a-f]{32}$/)
  })

  test('never mixes one-time and long-term templates in one call, and asks for at most three', async () => {
    const wx = installWx()
    backend(wx)
    const subscribe = loadSubscribe()
    await subscribe.preload()
    expect(subscribe.templateIdsFor(['activity_reminder', 'appeal_accepted'])).toEqual(['T-act'])
    expect(subscribe.templateIdsFor(['unknown', 'appeal_replied'])).toEqual(['T-rep'])
    expect(subscribe.MAX_TEMPLATES_PER_CALL).toBe(3)
  })

  test('before the templates are loaded, a tap asks nothing and starts loading them', async () => {
    const wx = installWx()
    const sent = backend(wx)
    const subscribe = loadSubscribe()
    expect(await subscribe.requestAtTap(['appeal_accepted'])).toEqual({})
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()
    await new Promise((r) => setTimeout(r, 5))
    expect(sent.some((o) => o.url.endsWith('/subscribe-templates'))).toBe(true)
    expect(subscribe.templateIdsFor(['appeal_accepted'])).toEqual(['T-acc'])
  })

  test('a refused dialog or a failed report resolves quietly, so the action goes on', async () => {
    const wx = installWx()
    backend(wx, { grants: () => ({ fail: { errMsg: 'request:fail' } }) })
    const subscribe = loadSubscribe()
    await subscribe.preload()
    expect(await subscribe.requestAtTap(['appeal_accepted'])).toEqual({})

    wx.requestSubscribeMessage = jest.fn((options) => options.fail({ errMsg: 'requestSubscribeMessage:fail cancel' }))
    expect(await subscribe.requestAtTap(['appeal_accepted'])).toEqual({})
  })

  test('a user who rejects is reported as rejecting', async () => {
    const wx = installWx()
    const sent = backend(wx)
    wx.subscribeAnswer = 'reject'
    const subscribe = loadSubscribe()
    await subscribe.preload()
    expect(await subscribe.requestAtTap(['activity_reminder'])).toEqual({ 'T-act': 'reject' })
    expect(sent.find((o) => o.url.endsWith('/me/subscribe-grants')).data).toEqual({ results: { 'T-act': 'reject' } })
  })
})
