// pages/activity-detail: one activity, and signing up for it (reminder asked at the tap,
// Idempotency-Key, the backend's refusals shown), then on to the ticket.
const { apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')
const { settle, installSignedInWx, activityDetail, mySignup, signupOut, pathOf } = require('../helpers/activity')

const PAGE = 'pages/activity-detail/activity-detail'
const TEMPLATES = {
  items: [
    { name: 'activity_reminder', title: '活动开始提醒', template_id: 'TPL_REMIND', long_term: false },
    { name: 'appeal_accepted', title: '诉求受理通知', template_id: 'TPL_APPEAL', long_term: true },
  ],
}
const BINDINGS = {
  items: [
    { id: 5, role: 'legal_rep', role_label: '法定代表人', bound_at: '2030-01-01T00:00:00Z', enterprise: { id: 11, name: '启云科技有限公司', credit_code: 'X', district: '', district_label: '' } },
    { id: 4, role: 'staff', role_label: '员工', bound_at: '2029-01-01T00:00:00Z', enterprise: { id: 12, name: '云帆贸易有限公司', credit_code: 'Y', district: '', district_label: '' } },
  ],
  next_cursor: null,
}

/**
 * A backend with the activity, templates and bindings; `signup` answers the sign-up POST.
 * Returns the list of requests seen.
 */
function backend(wx, { detail = activityDetail(), signup = () => ({ statusCode: 201, data: signupOut({ message: '报名成功！请凭电子票二维码入场。' }) }) } = {}) {
  const seen = []
  wx.server((options) => {
    const path = pathOf(options)
    seen.push({ method: options.method, path, data: options.data, header: options.header })
    if (path === '/subscribe-templates') return { statusCode: 200, data: TEMPLATES }
    if (path === '/me/subscribe-grants') return { statusCode: 200, data: { items: [] } }
    if (path.startsWith('/me/enterprises')) return { statusCode: 200, data: BINDINGS }
    if (path === '/activities/7' && options.method === 'GET') return { statusCode: 200, data: detail }
    if (path === '/activities/7/signups' && options.method === 'POST') return signup(options)
    return apiError(404, 'not_found', '请求的资源不存在')
  })
  return seen
}

async function openedForm(wx, options) {
  const seen = backend(wx, options)
  const page = loadPage(PAGE)
  page.onLoad({ id: '7' })
  await settle()
  page.openForm()
  await settle()
  return { page, seen }
}

const signupPosts = (seen) => seen.filter((r) => r.path === '/activities/7/signups')

describe('pages/activity-detail', () => {
  test('shows the activity with its seats, deadline and description, and offers 立即报名', async () => {
    const wx = installSignedInWx()
    const seen = backend(wx)
    const page = loadPage(PAGE)
    page.onLoad({ id: '7' })
    await settle()
    expect(seen.map((r) => r.path)).toEqual(expect.arrayContaining(['/activities/7', '/subscribe-templates']))
    expect(page.data.status).toBe('content')
    expect(page.data.activity).toMatchObject({ title: '专精特新企业申报辅导', description: '讲解申报条件与材料准备。', my_signup: null })
    expect(page.data.seats).toBe('剩余 12 / 40 个名额')
    expect(page.data.deadlineText).toBe('2030年5月19日 18:00') // another year than today's
  })

  test("shows the backend's message when the activity does not exist, and a bad id without asking", async () => {
    const wx = installSignedInWx()
    wx.server(() => apiError(404, 'activity_not_found', '未找到该活动'))
    const page = loadPage(PAGE)
    page.onLoad({ id: '99' })
    await settle()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '未找到该活动' })

    const other = loadPage(PAGE)
    wx.request.mockClear()
    other.onLoad({})
    await settle()
    expect(other.data).toMatchObject({ status: 'error', errorMessage: '未找到该活动' })
    expect(wx.request.mock.calls.filter((c) => c[0].url.includes('/activities'))).toHaveLength(0)
  })

  test('signs up with name, phone and enterprise, asking for the reminder first, then opens the ticket', async () => {
    const wx = installSignedInWx()
    const { page, seen } = await openedForm(wx)
    expect(page.data.formVisible).toBe(true)
    expect(page.data.enterprises).toEqual([{ label: '启云科技有限公司', value: 11 }, { label: '云帆贸易有限公司', value: 12 }])
    expect(page.data.form.enterpriseId).toBe(11) // the latest binding, as the backend would choose

    page.onNameInput({ detail: { value: ' 张三 ' } })
    page.onPhoneInput({ detail: { value: '13800138000' } })
    page.onEnterpriseChange({ detail: { value: 12 } })
    await page.submit()
    await settle()

    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1)
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['TPL_REMIND'])
    const paths = seen.map((r) => r.path)
    expect(paths.indexOf('/me/subscribe-grants')).toBeLessThan(paths.indexOf('/activities/7/signups'))
    const [post] = signupPosts(seen)
    expect(post.method).toBe('POST')
    expect(post.data).toEqual({ contact_name: '张三', contact_phone: '13800138000', enterprise_id: 12 })
    expect(post.header['Idempotency-Key']).toMatch(/\S{8,}/)
    expect(wx.redirectTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/ticket-detail/ticket-detail?id=31' }))
    expect(wx.showToast).toHaveBeenCalledWith({ title: '报名成功', icon: 'success' })
    expect(wx.storage.get('qiyun.activity.contact')).toEqual({ name: '张三', phone: '13800138000' })
  })

  test('if the ticket page cannot open, the sign-up is shown here', async () => {
    const wx = installSignedInWx()
    wx.redirectTo.mockImplementation((options) => options.fail({ errMsg: 'redirectTo:fail' }))
    const { page } = await openedForm(wx)
    page.onNameInput({ detail: { value: '张三' } })
    await page.submit()
    await settle()
    expect(page.data).toMatchObject({ submitting: false, formVisible: false, signupTheme: 'success' })
    expect(page.data.activity.my_signup).toMatchObject({ id: 31, ticket_code: 'TK8F2A9C' })
  })

  test('a declined reminder does not stop the sign-up', async () => {
    const wx = installSignedInWx()
    wx.subscribeAnswer = 'reject'
    const { page, seen } = await openedForm(wx)
    page.onNameInput({ detail: { value: '李四' } })
    await page.submit()
    await settle()
    expect(signupPosts(seen)).toHaveLength(1)
    expect(signupPosts(seen)[0].data).toEqual({ contact_name: '李四', contact_phone: '', enterprise_id: 11 })
    expect(wx.redirectTo).toHaveBeenCalledTimes(1)
  })

  test('when full, the sign-up is waitlisted and shown here with its place in the queue', async () => {
    const wx = installSignedInWx()
    const message = '名额已满，已为您登记候补（第3位）。有人取消时按顺序递补，递补成功会通知您。'
    const { page } = await openedForm(wx, {
      detail: activityDetail({ places_left: 0, waitlist: 2 }),
      signup: () => ({
        statusCode: 201,
        data: signupOut({
          signup: { status: 'waitlisted', status_label: '候补', waitlist_position: 3, ticket_code: null },
          activity: { places_left: 0, waitlist: 3 },
          message,
        }),
      }),
    })
    page.onNameInput({ detail: { value: '王五' } })
    await page.submit()
    await settle()
    expect(wx.redirectTo).not.toHaveBeenCalled()
    expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '候补', content: message, showCancel: false }))
    expect(page.data).toMatchObject({ formVisible: false, submitting: false, signupTheme: 'warning', seats: '名额已满 · 候补 3 人' })
    expect(page.data.activity.my_signup).toMatchObject({ status: 'waitlisted', waitlist_position: 3 })
    expect(page.data.activity.description).toBe('讲解申报条件与材料准备。')
  })

  test('checks the form in Chinese before sending anything', async () => {
    const wx = installSignedInWx()
    const { page, seen } = await openedForm(wx)
    await page.submit()
    expect(page.data.formErrors.name).toBe('请填写参会人姓名')

    page.onNameInput({ detail: { value: '张'.repeat(51) } })
    page.onPhoneInput({ detail: { value: '1'.repeat(21) } })
    await page.submit()
    expect(page.data.formErrors).toEqual({ name: '姓名最多50个字', phone: '联系电话格式不正确' })
    await settle()
    expect(signupPosts(seen)).toHaveLength(0)
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()
  })

  test("shows the backend's refusal: closed sign-up closes the form and refreshes the activity", async () => {
    const wx = installSignedInWx()
    const { page, seen } = await openedForm(wx, {
      signup: () => apiError(409, 'signup_closed', '报名已截止'),
    })
    page.onNameInput({ detail: { value: '张三' } })
    await page.submit()
    await settle()
    expect(wx.showToast).toHaveBeenCalledWith({ title: '报名已截止', icon: 'none' })
    expect(page.data).toMatchObject({ submitting: false, formVisible: false })
    expect(seen.filter((r) => r.path === '/activities/7')).toHaveLength(2)
  })

  test('a 422 names the field: the message goes under that input', async () => {
    const wx = installSignedInWx()
    const { page } = await openedForm(wx, {
      signup: () => apiError(422, 'validation_failed', '联系电话：最多 20 个字符', {
        fields: [{ field: 'contact_phone', message: '最多 20 个字符', type: 'string_too_long' }],
      }),
    })
    page.onNameInput({ detail: { value: '张三' } })
    await page.submit()
    await settle()
    expect(wx.showToast).toHaveBeenCalledWith({ title: '联系电话：最多 20 个字符', icon: 'none' })
    expect(page.data.formErrors).toEqual({ name: '', phone: '最多 20 个字符' })
    expect(page.data.formVisible).toBe(true)
  })

  test('a retry after a network error reuses the Idempotency-Key; a changed form gets a new one', async () => {
    const wx = installSignedInWx()
    let answer = () => ({ fail: { errMsg: 'request:fail' } })
    const { page, seen } = await openedForm(wx, { signup: () => answer() })
    page.onNameInput({ detail: { value: '张三' } })
    await page.submit()
    await settle()
    expect(wx.showToast).toHaveBeenCalledWith({ title: '网络异常，请检查网络后重试', icon: 'none' })
    expect(page.data.submitting).toBe(false)

    await page.submit()
    await settle()
    page.onNameInput({ detail: { value: '张三丰' } })
    answer = () => ({ statusCode: 201, data: signupOut() })
    await page.submit()
    await settle()

    const keys = signupPosts(seen).map((r) => r.header['Idempotency-Key'])
    expect(keys).toHaveLength(3)
    expect(keys[1]).toBe(keys[0])
    expect(keys[2]).not.toBe(keys[0])
    expect(wx.redirectTo).toHaveBeenCalledTimes(1)
  })

  test('a double tap signs up once', async () => {
    const wx = installSignedInWx()
    const { page, seen } = await openedForm(wx)
    page.onNameInput({ detail: { value: '张三' } })
    const first = page.submit()
    const second = page.submit()
    await Promise.all([first, second])
    await settle()
    expect(signupPosts(seen)).toHaveLength(1)
    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1)
  })

  test('without bound enterprises (or if they fail to load) no enterprise is sent', async () => {
    const wx = installSignedInWx()
    const seen = backend(wx)
    const page = loadPage(PAGE)
    page.onLoad({ id: '7' })
    await settle()
    const original = wx.request.getMockImplementation()
    wx.request.mockImplementation((options) => {
      if (options.url.includes('/me/enterprises')) {
        setTimeout(() => options.fail({ errMsg: 'request:fail' }), 0)
        return { abort: jest.fn() }
      }
      return original(options)
    })
    page.openForm()
    await settle()
    expect(page.data.enterprises).toEqual([])
    page.onNameInput({ detail: { value: '张三' } })
    await page.submit()
    await settle()
    expect(signupPosts(seen)[0].data).toEqual({ contact_name: '张三', contact_phone: '' })
  })

  test('fills the form with the contact used last time', async () => {
    const wx = installSignedInWx()
    wx.storage.set('qiyun.activity.contact', { name: '张三', phone: '13800138000' })
    const { page } = await openedForm(wx)
    expect(page.data.form).toMatchObject({ name: '张三', phone: '13800138000' })
  })

  test('with my sign-up: no form, a link to the ticket; when closed: no form either', async () => {
    const wx = installSignedInWx()
    backend(wx, { detail: activityDetail({ my_signup: mySignup() }) })
    const page = loadPage(PAGE)
    page.onLoad({ id: '7' })
    await settle()
    expect(page.data.signupTheme).toBe('success')
    page.openForm()
    expect(page.data.formVisible).toBe(false)
    page.openMySignup()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/ticket-detail/ticket-detail?id=31' })

    backend(wx, { detail: activityDetail({ signup_open: false, closed_reason: '报名已截止' }) })
    const closed = loadPage(PAGE)
    closed.onLoad({ id: '7' })
    await settle()
    closed.openForm()
    expect(closed.data.formVisible).toBe(false)
  })

  test('coming back to the page refreshes it quietly', async () => {
    const wx = installSignedInWx()
    const seen = backend(wx)
    const page = loadPage(PAGE)
    page.onLoad({ id: '7' })
    page.onShow()
    await settle()
    expect(seen.filter((r) => r.path === '/activities/7')).toHaveLength(1)

    backend(wx, { detail: activityDetail({ places_left: 11 }) })
    page.onShow()
    expect(page.data.status).toBe('content') // no loading flash
    await settle()
    expect(page.data.seats).toBe('剩余 11 / 40 个名额')

    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    page.onShow()
    await settle()
    expect(page.data.status).toBe('content')
  })
})
