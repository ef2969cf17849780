// Renders the activity pages' templates (activity-list, activity-detail, ticket-list,
// ticket-detail) with miniprogram-simulate and the real TDesign components: each page is
// loaded as a component (Page mapped to Component), given data as after a load, and its
// text checked. The logic is covered by the per-page tests.
const simulate = require('miniprogram-simulate')
const { renderPage: sharedRender } = require('../helpers/render')
const { activity, activityDetail, mySignup, signupOut } = require('../helpers/activity')
const { groupByDay } = require('../../utils/activity')

const renderPage = (pagePath, data) => sharedRender(pagePath, data).page

describe('activity pages render', () => {
  test('activity-list: day headings, cards and 没有更多了', async () => {
    const items = [activity({ id: 1 }), activity({ id: 2, title: '知识产权讲座', kind_label: '讲座', starts_at: '2030-05-21T06:00:00Z' })]
    const page = renderPage('pages/activity-list/activity-list', { status: 'content', items, groups: groupByDay(items), nextCursor: null, noMore: true })
    await simulate.sleep(0)
    const text = page.dom.textContent
    for (const part of ['我的报名 / 电子票', '政策宣讲', '5月20日 周一', '5月21日 周二', '专精特新企业申报辅导', '知识产权讲座', '没有更多了']) {
      expect(text).toContain(part)
    }
  })

  test('activity-detail: facts, description and the sign-up form', async () => {
    const page = renderPage('pages/activity-detail/activity-detail', {
      status: 'content',
      activity: activityDetail({ places_left: 0, waitlist: 2 }),
      seats: '名额已满 · 候补 2 人',
      deadlineText: '2030年5月19日 18:00',
      formVisible: true,
      enterprises: [{ label: '启云科技有限公司', value: 11 }],
      form: { name: '张三', phone: '', enterpriseId: 11 },
      formErrors: { name: '', phone: '联系电话格式不正确' },
    })
    await simulate.sleep(300)
    const text = page.dom.textContent
    for (const part of ['专精特新企业申报辅导', '区企业服务中心', '名额已满 · 候补 2 人', '讲解申报条件与材料准备。', '名额已满，登记候补',
      '参会人姓名', '联系电话格式不正确', '代表企业', '启云科技有限公司', '确认报名']) {
      expect(text).toContain(part)
    }
  })

  test('activity-detail with my sign-up shows its status and the ticket button', async () => {
    const page = renderPage('pages/activity-detail/activity-detail', {
      status: 'content',
      activity: activityDetail({ my_signup: mySignup() }),
      signupTheme: 'success',
    })
    await simulate.sleep(0)
    expect(page.dom.textContent).toContain('已报名')
    expect(page.dom.textContent).toContain('查看电子票')
    expect(page.dom.textContent).not.toContain('立即报名')
  })

  test('ticket-list: each sign-up with its status and waitlist place', async () => {
    const items = [
      { ...signupOut(), key: 31, theme: 'success' },
      { ...signupOut({ signup: { id: 32, status: 'waitlisted', status_label: '候补', waitlist_position: 2, ticket_code: null } }), key: 32, theme: 'warning' },
    ]
    const page = renderPage('pages/ticket-list/ticket-list', { status: 'content', items })
    await simulate.sleep(0)
    const text = page.dom.textContent
    for (const part of ['已报名', '点击查看电子票二维码', '候补', '候补第 2 位', '没有更多了']) expect(text).toContain(part)
  })

  test('ticket-detail: the QR image, the code and 取消报名', async () => {
    const page = renderPage('pages/ticket-detail/ticket-detail', {
      status: 'content',
      record: signupOut(),
      theme: 'success',
      qrSrc: 'data:image/png;base64,iVBORw0KGgo=',
      ticketCode: 'TK8F2A9C',
      canCancel: true,
    })
    await simulate.sleep(0)
    const text = page.dom.textContent
    for (const part of ['票码 TK8F2A9C', '入场时请出示二维码', '启云科技有限公司', '取消报名']) expect(text).toContain(part)
    expect(page.querySelector('.ticket__qr-image')).toBeTruthy()
    expect(page.querySelector('.ticket__qr-image').data.src).toBe('data:image/png;base64,iVBORw0KGgo=')
  })
})
