// pages/survey-list: the surveys I am invited to, with state, status and deadline.
const { installWx, apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')
const { flush } = require('../helpers/appeal')

function card(id, state, extra = {}, survey = {}) {
  const labels = { new: '未作答', draft: '已答40%', submitted: '已提交' }
  return {
    survey: { id, title: `问卷${id}`, kind: 'annual', kind_label: '年度营商环境评估', status: 'open', status_label: '进行中',
      description: '', organiser: '市营商办', closes_at: '2024-06-30T15:59:00Z', estimated_minutes: 8, is_anonymous: false, is_public: false, ...survey },
    enterprise: { id: 11, name: '云帆科技' }, state, state_label: labels[state], percent: state === 'draft' ? 40 : 0, ...extra,
  }
}

function setup(handler) {
  const wx = installWx()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  const urls = []
  wx.server((options) => {
    urls.push(options.url)
    return handler(options)
  })
  return { wx, urls, page: loadPage('pages/survey-list/survey-list') }
}

describe('pages/survey-list', () => {
  test('shows my surveys with their state, status and deadline', async () => {
    const { page } = setup(() => ({ statusCode: 200, data: { items: [
      card(1, 'new'), card(2, 'draft'), card(3, 'submitted', {}, { status: 'closed', status_label: '已结束' }),
      card(4, 'new', { enterprise: null }, { status: 'closed', status_label: '已结束', closes_at: null }),
    ] } }))
    page.onLoad()
    await flush()
    expect(page.data.status).toBe('content')
    expect(page.data.items.map((i) => [i.survey.id, i.state_label, i.stateTheme, i.closed, i.deadlineText])).toEqual([
      [1, '未作答', 'primary', false, '2024-06-30 23:59'],
      [2, '已答40%', 'warning', false, '2024-06-30 23:59'],
      [3, '已提交', 'success', true, '2024-06-30 23:59'],
      [4, '未作答', 'default', true, ''],
    ])
  })

  test('empty, error and retry', async () => {
    let answer = () => ({ fail: { errMsg: 'request:fail' } })
    const { page } = setup(() => answer())
    await expect(page.load()).resolves.toBeUndefined()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
    answer = () => apiError(503, 'maintenance', '系统维护中，请稍后再试')
    await page.load()
    expect(page.data.errorMessage).toBe('系统维护中，请稍后再试')
    answer = () => ({ statusCode: 200, data: { items: [] } })
    await page.load()
    expect(page.data.status).toBe('empty')
  })

  test('opens a survey for the enterprise it is answered for, and refreshes when shown again', async () => {
    const { wx, page, urls } = setup(() => ({ statusCode: 200, data: { items: [card(1, 'new')] } }))
    page.onLoad()
    page.onShow()
    await flush()
    page.onItemTap({ currentTarget: { dataset: { id: 1, enterprise: 11 } } })
    page.onItemTap({ currentTarget: { dataset: { id: 2, enterprise: '' } } })
    expect(wx.navigateTo.mock.calls.map((c) => c[0].url)).toEqual([
      '/pages/survey-answer/survey-answer?id=1&enterprise_id=11',
      '/pages/survey-answer/survey-answer?id=2',
    ])
    page.onShow()
    await flush()
    expect(urls.filter((u) => u.endsWith('/surveys'))).toHaveLength(2)
    page.onPullDownRefresh()
    await flush()
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('opening a survey still to answer first asks for the 问卷调查提醒 subscription, and reports it', async () => {
    const templates = [{ name: 'survey_notice', title: '问卷调查提醒', template_id: 'T-survey', long_term: false }]
    const sent = []
    const { wx, page } = setup((options) => {
      sent.push(options)
      if (options.url.endsWith('/subscribe-templates')) return { statusCode: 200, data: { items: templates } }
      if (options.url.endsWith('/me/subscribe-grants')) return { statusCode: 200, data: { items: [] } }
      return { statusCode: 200, data: { items: [card(1, 'new'), card(3, 'submitted')] } }
    })
    page.onLoad()
    await flush()
    expect(page.data.items.map((i) => i.answerable)).toEqual([true, false])

    await page.onItemTap({ currentTarget: { dataset: { id: 3, enterprise: 11, open: false } } })
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()

    await page.onItemTap({ currentTarget: { dataset: { id: 1, enterprise: 11, open: true } } })
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['T-survey'])
    expect(sent.find((o) => o.url.endsWith('/me/subscribe-grants')).data).toEqual({ results: { 'T-survey': 'accept' } })
    expect(wx.navigateTo.mock.calls.map((c) => c[0].url)).toEqual([
      '/pages/survey-answer/survey-answer?id=3&enterprise_id=11',
      '/pages/survey-answer/survey-answer?id=1&enterprise_id=11',
    ])
  })
})
