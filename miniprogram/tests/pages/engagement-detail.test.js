const { apiError } = require('../helpers/wx')
const { setUpBackend, engagementDetail, ACTIONS, loadPage, flush } = require('../helpers/provider')

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

async function open(handler) {
  const backend = setUpBackend(handler)
  const p = loadPage('pages/engagement-detail/engagement-detail')
  p.onLoad({ id: '41' })
  for (let i = 0; i < 50 && p.data.status === 'loading'; i += 1) await settle()
  return { ...backend, page: p, posts: () => backend.sent.filter((r) => r.method === 'POST') }
}

const delivered = (extra = {}) =>
  engagementDetail(
    { delivery_note: '已提交专利申请，受理通知书见邮箱', actions: [ACTIONS.confirm, ACTIONS.reopen], ...extra },
    { status: 'delivered', status_label: '已交付', confirm_due_at: '2026-12-10T00:00:00+08:00' },
  )

const completed = (extra = {}) =>
  engagementDetail({ actions: [], can_rate: true, ...extra }, { status: 'completed', status_label: '已完成' })

const tap = (p, action) => p.onAction({ currentTarget: { dataset: { action } } })

describe('pages/engagement-detail', () => {
  test('shows the engagement, its timeline, and only the enterprise actions the API allows', async () => {
    const { wx, page: p, sent } = await open(() => ({
      statusCode: 200,
      data: engagementDetail({ actions: [ACTIONS.accept, ACTIONS.cancel] }),
    }))
    expect(sent[0]).toMatchObject({ method: 'GET', path: '/engagements/41' })
    expect(p.data.status).toBe('content')
    expect(p.data.summary).toMatchObject({ id: 41, statusLabel: '已申请', productName: '产品31', providerName: '服务机构7' })
    expect(p.data.timeline).toEqual([{ title: '提交委托', content: '企业 · 2026-12-01 10:20\n需要申请两项发明专利' }])
    expect(p.data.actions).toEqual([{ action: 'cancel', label: '取消委托', reasonRequired: true, theme: 'danger' }])
    expect(p.data.canRate).toBe(false)
    expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '服务委托 · 已申请' })
  })

  test('确认完成 asks first, then posts confirm once and shows the answer', async () => {
    let detail = delivered()
    const { wx, page: p, posts } = await open((req) => {
      if (req.method === 'POST') detail = completed()
      return { statusCode: 200, data: detail }
    })
    expect(p.data.actions.map((a) => a.action)).toEqual(['confirm', 'reopen'])
    tap(p, 'confirm')
    tap(p, 'confirm')
    await settle()
    await settle()
    expect(wx.showModal).toHaveBeenCalled()
    expect(posts()).toHaveLength(1)
    expect(posts()[0]).toMatchObject({ path: '/engagements/41/confirm', data: {} })
    expect(posts()[0].header['Idempotency-Key']).toBeTruthy()
    expect(p.data.summary.statusLabel).toBe('已完成')
    expect(p.data.actions).toEqual([])
    expect(p.data.canRate).toBe(true)
    expect(p.data.actionBusy).toBe('')
    expect(wx.showToast).toHaveBeenCalledWith({ title: '已确认完成', icon: 'success' })
  })

  test('declining the confirmation dialog sends nothing', async () => {
    const { wx, page: p, posts } = await open(() => ({ statusCode: 200, data: delivered() }))
    wx.modalAnswer = false
    tap(p, 'confirm')
    await settle()
    expect(posts()).toHaveLength(0)
  })

  test('取消委托 needs a reason, confirms, and posts it', async () => {
    const { wx, page: p, posts } = await open((req) =>
      req.method === 'POST'
        ? { statusCode: 200, data: engagementDetail({ actions: [], status_reason: '需求变更' }, { status: 'cancelled', status_label: '已取消' }) }
        : { statusCode: 200, data: engagementDetail() },
    )
    tap(p, 'cancel')
    expect(p.data).toMatchObject({ reasonVisible: true, reasonAction: 'cancel', reasonTitle: '取消的原因' })
    p.submitReason()
    expect(p.data.reasonError).toBe('请填写取消的原因')
    p.onReasonInput({ detail: { value: '长'.repeat(1001) } })
    p.submitReason()
    expect(p.data.reasonError).toBe('说明不能超过 1000 字')
    expect(wx.showModal).not.toHaveBeenCalled()

    p.onReasonInput({ detail: { value: ' 需求变更 ' } })
    await p.submitReason()
    expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '取消委托' }))
    expect(posts()).toHaveLength(1)
    expect(posts()[0]).toMatchObject({ path: '/engagements/41/cancel', data: { reason: '需求变更' } })
    expect(p.data).toMatchObject({ reasonVisible: false })
    expect(p.data.summary.statusLabel).toBe('已取消')
    expect(p.data.detail.status_reason).toBe('需求变更')
  })

  test("反馈未完成: the backend's refusal stays in the popup; a wrong state reloads the engagement", async () => {
    let answer = apiError(422, 'note_too_long', '说明不能超过 1000 字')
    const { wx, page: p, sent, posts } = await open((req) => (req.method === 'POST' ? answer : { statusCode: 200, data: delivered() }))
    tap(p, 'reopen')
    expect(p.data.reasonTitle).toBe('还有哪些没有完成')
    p.onReasonInput({ detail: { value: '缺少受理通知书' } })
    await p.submitReason()
    expect(p.data).toMatchObject({ reasonVisible: true, reasonError: '说明不能超过 1000 字', actionBusy: '' })
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '说明不能超过 1000 字', icon: 'none' })

    answer = apiError(400, 'wrong_state', '服务订单当前状态为「已完成」，不能反馈未完成（只有「已交付」的订单可以反馈未完成）')
    const gets = sent.filter((r) => r.method === 'GET').length
    await p.submitReason()
    await settle()
    expect(sent.filter((r) => r.method === 'GET').length).toBe(gets + 1)
    expect(posts()).toHaveLength(2)
  })

  test('a network failure re-enables the action and keeps its key for the retry', async () => {
    const { page: p, posts } = await open((req) =>
      req.method === 'POST' ? { fail: { errMsg: 'request:fail' } } : { statusCode: 200, data: delivered() },
    )
    await p.confirmThenRun('confirm', {})
    expect(p.data.actionBusy).toBe('')
    await p.confirmThenRun('confirm', {})
    expect(posts()).toHaveLength(2)
    expect(posts()[1].header['Idempotency-Key']).toBe(posts()[0].header['Idempotency-Key'])
  })

  test('rates a completed service: overall and four dimensions with t-rate, a comment; once per tap', async () => {
    let rated = false
    const { wx, page: p, posts } = await open((req) => {
      if (req.method === 'POST') {
        rated = true
        return {
          statusCode: 201,
          data: { overall: 5, dimensions: {}, comment: '很好', comment_state: '已通过', counts: true, created_at: '' },
        }
      }
      return {
        statusCode: 200,
        data: rated
          ? completed({
              can_rate: false,
              rating: {
                overall: 5,
                dimensions: { 专业能力: 5, 响应速度: 4, 服务态度: 5, 收费合理: 4 },
                comment: '很好',
                comment_state: '已通过',
                counts: true,
                created_at: '2026-12-05T08:00:00+08:00',
              },
            })
          : completed(),
      }
    })
    expect(p.data.canRate).toBe(true)
    await p.submitRating()
    expect(p.data.ratingError).toBe('总体评价请打 1–5 分')
    p.onOverallChange({ detail: { value: 5 } })
    p.onDimensionChange({ currentTarget: { dataset: { name: '专业能力' } }, detail: { value: 5 } })
    p.onDimensionChange({ currentTarget: { dataset: { name: '服务态度' } }, detail: { value: 5 } })
    await p.submitRating()
    expect(p.data.ratingError).toBe('请为响应速度、收费合理打分')
    p.onDimensionChange({ currentTarget: { dataset: { name: '响应速度' } }, detail: { value: 4 } })
    p.onDimensionChange({ currentTarget: { dataset: { name: '收费合理' } }, detail: { value: 4 } })
    p.onCommentInput({ detail: { value: '长'.repeat(501) } })
    await p.submitRating()
    expect(p.data.ratingError).toBe('评语不能超过 500 字')
    expect(posts()).toHaveLength(0)

    p.onCommentInput({ detail: { value: ' 很好 ' } })
    await Promise.all([p.submitRating(), p.submitRating()])
    expect(posts()).toHaveLength(1)
    expect(posts()[0]).toMatchObject({
      path: '/engagements/41/rating',
      data: { overall: 5, dimensions: { 专业能力: 5, 响应速度: 4, 服务态度: 5, 收费合理: 4 }, comment: '很好' },
    })
    expect(posts()[0].header['Idempotency-Key']).toBeTruthy()
    expect(wx.showToast).toHaveBeenCalledWith({ title: '感谢您的评价', icon: 'none' })
    expect(p.data.canRate).toBe(false)
    expect(p.data.rating).toMatchObject({ overall: 5, comment: '很好', time: '2026-12-05 08:00' })
    expect(p.data.rating.dimsList).toHaveLength(4)
  })

  test("a rating refused by the backend shows its message", async () => {
    const { page: p } = await open((req) =>
      req.method === 'POST'
        ? apiError(409, 'already_rated', '该服务已评价，每次服务只能评价一次')
        : { statusCode: 200, data: completed() },
    )
    p.onOverallChange({ detail: { value: 4 } })
    for (const name of ['专业能力', '响应速度', '服务态度', '收费合理']) {
      p.onDimensionChange({ currentTarget: { dataset: { name } }, detail: { value: 4 } })
    }
    await p.submitRating()
    expect(p.data).toMatchObject({ ratingSubmitting: false, ratingError: '该服务已评价，每次服务只能评价一次' })
  })

  test("shows the backend's message when the engagement cannot be loaded", async () => {
    const { page: p } = await open(() => apiError(404, 'engagement_not_found', '未找到该服务订单'))
    expect(p.data).toMatchObject({ status: 'error', errorMessage: '未找到该服务订单' })
  })

  test('投诉 leads to the provider page with this engagement and enterprise', async () => {
    const { wx, page: p } = await open(() => ({ statusCode: 200, data: delivered() }))
    p.goComplain()
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({
      url: '/pages/provider-detail/provider-detail?id=7&engagement_id=41&enterprise_id=5&complain=1',
    })
    p.goProvider()
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/provider-detail/provider-detail?id=7' })
  })
})
