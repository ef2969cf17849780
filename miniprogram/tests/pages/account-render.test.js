// Renders the home, me, messages and enterprise-bind pages with miniprogram-simulate and the
// real TDesign components, given data as after a load: what the user reads on each.
const simulate = require('miniprogram-simulate')
const { renderPage } = require('../helpers/render')

const section = (items) => ({ status: items.length ? 'content' : 'empty', errorMessage: '', items })

describe('account pages render', () => {
  test('home: entrances, the bind prompt, and each section in its own state', async () => {
    const { page } = renderPage('pages/home/home', {
      bound: false,
      matched: section([]),
      appeals: section([{ id: 7, number: 'SQ2026001', title: '办证难', category_label: '政务服务', status_label: '办理中' }]),
      activities: { status: 'error', errorMessage: '服务暂不可用，请稍后再试', items: [] },
    })
    await simulate.sleep(0)
    const text = page.dom.textContent
    for (const part of ['提交诉求', '政务服务', '绑定企业后，为您精准匹配可申报的政策', '绑定企业后查看为您匹配的政策',
      '办证难', 'SQ2026001', '办理中', '服务暂不可用，请稍后再试', '重试']) {
      expect(text).toContain(part)
    }
  })

  test('me: the phone button when no phone is bound, and my enterprises with 解除', async () => {
    const profile = {
      phone: '', has_phone: false, follows_official_account: false,
      enterprises: [{ id: 11, role_label: '联系人', enterprise: { name: '企云科技', credit_code: '91310115K8PBRNYT4X', district_label: '浦东新区' } }],
    }
    const { page } = renderPage('pages/me/me', { status: 'content', profile })
    await simulate.sleep(0)
    const text = page.dom.textContent
    for (const part of ['绑定手机号', '关注公众号', '企云科技', '91310115K8PBRNYT4X · 浦东新区', '联系人', '解除', '绑定企业', '我的消息']) {
      expect(text).toContain(part)
    }
    page.setData({ profile: { ...profile, phone: '138****1234', has_phone: true, follows_official_account: true } })
    await simulate.sleep(0)
    expect(page.dom.textContent).toContain('138****1234')
    expect(page.dom.textContent).not.toContain('绑定手机号')
  })

  test('messages: title, summary, channel and time; the end of the list', async () => {
    const { page } = renderPage('pages/messages/messages', {
      status: 'content',
      items: [{ id: 1, title: '诉求答复通知', summary: '您的诉求已答复', channel_label: '公众号', time: '2026-12-03 08:05', url: '' }],
      nextCursor: null,
      noMore: true,
    })
    await simulate.sleep(0)
    for (const part of ['诉求答复通知', '您的诉求已答复', '公众号', '2026-12-03 08:05', '没有更多了']) {
      expect(page.dom.textContent).toContain(part)
    }
  })

  test('enterprise-bind: field errors and the backend message under the form', async () => {
    const { page } = renderPage('pages/enterprise-bind/enterprise-bind', {
      errors: { credit_code: '统一社会信用代码应为 18 位，当前为 17 位', legal_representative: '' },
      submitError: '法定代表人姓名与企业登记信息不一致，请核对后重新输入（还可尝试4次）',
    })
    await simulate.sleep(0)
    const text = page.dom.textContent
    for (const part of ['统一社会信用代码应为 18 位，当前为 17 位', '还可尝试4次', '我是法定代表人', '核验并绑定']) {
      expect(text).toContain(part)
    }
  })
})
