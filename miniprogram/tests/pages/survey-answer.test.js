// pages/survey-answer: the questionnaire with my draft, autosave, skip logic, submission.
const { installWx, apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')
const { headerOf, flush } = require('../helpers/appeal')

const QUESTIONS = [
  { key: 'q1', type: 'single', type_label: '单选', title: '是否办理过许可', help: '', required: true,
    options: [{ value: 'yes', label: '是' }, { value: 'no', label: '否' }], min_choices: null, max_choices: null, scale: null, rows: [],
    min: null, max: null, integer: false, unit: '', max_length: 0, show_if: null },
  { key: 'q2', type: 'rating', type_label: '评分', title: '对许可办理的满意度', help: '', required: true, options: [], min_choices: null,
    max_choices: null, scale: { min: 1, max: 5, min_label: '很不满意', max_label: '很满意' }, rows: [], min: null, max: null,
    integer: false, unit: '', max_length: 0, show_if: { question: 'q1', values: ['yes'] } },
  { key: 'q3', type: 'multiple', type_label: '多选', title: '遇到的问题', help: '可多选', required: false,
    options: [{ value: 'slow', label: '慢' }, { value: 'docs', label: '材料多' }], min_choices: null, max_choices: 2, scale: null, rows: [],
    min: null, max: null, integer: false, unit: '', max_length: 0, show_if: null },
  { key: 'q4', type: 'textarea', type_label: '问答', title: '建议', help: '', required: false, options: [], min_choices: null,
    max_choices: null, scale: null, rows: [], min: null, max: null, integer: false, unit: '', max_length: 500, show_if: null },
]

function response(extra = {}) {
  return {
    survey: { id: 5, title: '2024 营商环境调查', kind: 'annual', kind_label: '年度', status: 'open', status_label: '进行中',
      description: '', organiser: '市营商办', closes_at: null, estimated_minutes: 5, is_anonymous: false, is_public: false },
    enterprise: { id: 11, name: '云帆科技' },
    questionnaire: { version: 1, sections: [
      { key: 's1', title: '政务服务', description: '', dimension: 'gov', dimension_label: '政务环境', questions: QUESTIONS.slice(0, 2) },
      { key: 's2', title: '其他', description: '', dimension: 'other', dimension_label: '其他', questions: QUESTIONS.slice(2) },
    ] },
    answers: {}, visible: ['q1', 'q3', 'q4'], progress: { answered: 0, total: 3, percent: 0 }, next_question: 'q1',
    missing_required: ['q1'], submitted: false, submitted_at: null, already_submitted: false,
    ...extra,
  }
}

function setup(handler) {
  jest.useFakeTimers()
  const wx = installWx()
  wx.pageScrollTo = jest.fn()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  const requests = []
  wx.server((options) => {
    const path = options.url.replace(/^https?:\/\/[^/]+\/mp\/v1/, '')
    requests.push({ ...options, path })
    return handler(path, options)
  })
  const page = loadPage('pages/survey-answer/survey-answer')
  const writes = () => requests.filter((r) => r.method !== 'GET')
  return { wx, page, requests, writes }
}

/** Run the wx mock's timers and the promises after them. */
async function settle(ms = 0) {
  for (let i = 0; i < 10; i += 1) {
    await jest.advanceTimersByTimeAsync(ms && i === 0 ? ms : 1)
  }
}

const answer = (page, key, value) => page.onAnswer({ detail: { key, value } })

afterEach(() => jest.useRealTimers())

describe('pages/survey-answer', () => {
  test('restores my draft, applies skip logic and shows the progress', async () => {
    const { page, requests } = setup(() => ({ statusCode: 200, data: response({ answers: { q1: 'yes', q3: ['slow'] } }) }))
    page.onLoad({ id: '5', enterprise_id: '11' })
    await settle()
    expect(requests[0].path).toBe('/surveys/5?enterprise_id=11')
    expect(page.data.status).toBe('content')
    expect(page.data.answers).toEqual({ q1: 'yes', q3: ['slow'] })
    expect(page.data.sections.map((s) => s.questions.map((q) => [q.key, q.index]))).toEqual([[['q1', 1], ['q2', 2]], [['q3', 3], ['q4', 4]]])
    expect(page.data.progress).toEqual({ answered: 2, total: 4, required: 2, requiredAnswered: 1, percent: 50 })
    answer(page, 'q1', 'no')
    expect(page.data.sections[0].questions.map((q) => q.key)).toEqual(['q1'])
    expect(page.data.progress).toMatchObject({ answered: 2, total: 3, required: 1, requiredAnswered: 1 })
  })

  test('saves changes after a pause, only what changed, and at once when hidden', async () => {
    const { page, writes } = setup((path) => (path.endsWith('/answers') ? { statusCode: 200, data: response() } : { statusCode: 200, data: response() }))
    page.onLoad({ id: '5' })
    await settle()
    answer(page, 'q1', 'yes')
    answer(page, 'q2', 4)
    await settle(200)
    expect(writes()).toHaveLength(0) // debounced
    await settle(1000)
    expect(writes()).toHaveLength(1)
    expect(writes()[0]).toMatchObject({ method: 'PUT', path: '/surveys/5/answers', data: { answers: { q1: 'yes', q2: 4 }, enterprise_id: 11 } })
    expect(page.data.saveState).toBe('saved')

    answer(page, 'q4', '希望简化材料')
    answer(page, 'q3', [])
    page.onHide()
    await settle()
    expect(writes()).toHaveLength(2)
    expect(writes()[1].data).toEqual({ answers: { q4: '希望简化材料', q3: null }, enterprise_id: 11 })
    await settle(2000)
    expect(writes()).toHaveLength(2) // nothing left to save
  })

  test('unsaved changes survive a failed save and are restored on the next open', async () => {
    const first = setup((path) => (path.endsWith('/answers') ? { fail: { errMsg: 'request:fail' } } : { statusCode: 200, data: response() }))
    first.page.onLoad({ id: '5' })
    await settle()
    answer(first.page, 'q1', 'no')
    first.page.onUnload()
    await settle()
    expect(first.page.data.saveState).toBe('failed')
    const stored = first.wx.storage.get('qiyun.surveyPending.5')
    expect(stored).toEqual({ q1: 'no' })

    // Reopened: the server draft has nothing yet, the local change is restored and saved.
    const second = setup((path) => ({ statusCode: 200, data: response() }))
    second.wx.storage.set('qiyun.surveyPending.5', stored)
    second.page.onLoad({ id: '5' })
    await settle(1500)
    expect(second.page.data.answers).toEqual({ q1: 'no' })
    expect(second.writes()[0].data.answers).toEqual({ q1: 'no' })
    expect(second.wx.storage.has('qiyun.surveyPending.5')).toBe(false)
  })

  test("a refused answer shows the backend's message on its question", async () => {
    const { wx, page } = setup((path) => (path.endsWith('/answers')
      ? apiError(422, 'answer_invalid', '第 4 题：最多 500 字', { field: 'q4', errors: { q4: '最多 500 字' } })
      : { statusCode: 200, data: response() }))
    page.onLoad({ id: '5' })
    await settle()
    answer(page, 'q4', 'x'.repeat(600))
    await settle(1500)
    expect(page.data.errors).toEqual({ q4: '最多 500 字' })
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '第 4 题：最多 500 字', icon: 'none' })
  })

  test('submitting checks required questions in Chinese first', async () => {
    const { wx, page, writes } = setup(() => ({ statusCode: 200, data: response() }))
    page.onLoad({ id: '5' })
    await settle()
    answer(page, 'q1', 'yes')
    await page.submit()
    expect(writes().filter((w) => w.method === 'POST')).toHaveLength(0)
    expect(page.data.errors).toEqual({ q2: '此题为必答题，请作答' })
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '第 2 题为必答题，还有 1 道必答题未回答', icon: 'none' })
    expect(wx.pageScrollTo).toHaveBeenCalledWith(expect.objectContaining({ selector: '#question-q2' }))
  })

  test('submits once with the last changes, then shows the answers read-only', async () => {
    const { wx, page, writes } = setup((path, options) => (path.endsWith('/submit')
      ? { statusCode: 200, data: response({ answers: options.data.answers, submitted: true, submitted_at: '2024-05-01T10:00:00+08:00' }) }
      : { statusCode: 200, data: response() }))
    page.onLoad({ id: '5' })
    await settle()
    answer(page, 'q1', 'no')
    const done = Promise.all([page.submit(), page.submit()])
    await settle()
    await done
    const posts = writes().filter((w) => w.method === 'POST')
    expect(posts).toHaveLength(1)
    expect(posts[0]).toMatchObject({ path: '/surveys/5/submit', data: { answers: { q1: 'no' }, enterprise_id: 11 } })
    expect(headerOf(posts[0], 'Idempotency-Key')).toBeTruthy()
    expect(page.data).toMatchObject({ submitted: true, readonly: true })
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '提交成功，感谢参与', icon: 'success' })
    await settle(2000)
    expect(writes().filter((w) => w.method === 'PUT')).toHaveLength(0) // the pending change went with the submission
    answer(page, 'q1', 'yes')
    expect(page.data.answers.q1).toBe('no')
  })

  test("a failed submission shows the backend's message and the retry reuses the key", async () => {
    let reply = () => apiError(422, 'answer_invalid', '请回答第 1 题', { field: 'q1', errors: { q1: '请选择一项' } })
    const { wx, page, writes } = setup((path) => (path.endsWith('/submit') ? reply() : { statusCode: 200, data: response() }))
    page.onLoad({ id: '5' })
    await settle()
    answer(page, 'q1', 'no')
    const first = page.submit()
    await settle()
    await first
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '请回答第 1 题', icon: 'none' })
    expect(page.data.errors).toEqual({ q1: '请选择一项' })
    reply = () => ({ statusCode: 200, data: response({ submitted: true }) })
    const second = page.submit()
    await settle()
    await second
    const posts = writes().filter((w) => w.method === 'POST')
    expect(headerOf(posts[1], 'Idempotency-Key')).toBe(headerOf(posts[0], 'Idempotency-Key'))
    expect(page.data.readonly).toBe(true)
  })

  test('a submitted or closed survey is read-only', async () => {
    const { page, writes } = setup(() => ({ statusCode: 200, data: response({ submitted: true, submitted_at: '2024-05-01T02:00:00Z', answers: { q1: 'no' } }) }))
    page.onLoad({ id: '5' })
    await settle()
    expect(page.data).toMatchObject({ readonly: true, readonlyReason: '您已提交本问卷，以下为您的答卷' })
    answer(page, 'q1', 'yes')
    await page.submit()
    await settle(2000)
    expect(writes()).toHaveLength(0)

    const closed = setup(() => ({ statusCode: 200, data: response({ survey: { ...response().survey, status: 'closed', status_label: '已结束' } }) }))
    closed.page.onLoad({ id: '5' })
    await settle()
    expect(closed.page.data).toMatchObject({ readonly: true, readonlyReason: '本问卷已结束，不能再作答' })
  })

  test('a survey I may not open shows the backend message', async () => {
    const { page } = setup(() => apiError(403, 'not_invited', '您的企业未被邀请参加本次调查'))
    page.onLoad({ id: '5' })
    await settle()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '您的企业未被邀请参加本次调查' })
  })

  test('不参加本次调查 asks first, then records the refusal for my enterprise and leaves the page', async () => {
    const { wx, page, writes } = setup((path) =>
      path.endsWith('/decline')
        ? { statusCode: 200, data: { declined: true, message: '已记录您不参加本次调查，今后不会再就本次调查提醒您。感谢您的关注' } }
        : { statusCode: 200, data: response() },
    )
    page.onLoad({ id: '5', enterprise_id: '11' })
    await settle()

    wx.modalAnswer = false
    page.decline()
    await settle()
    expect(writes()).toHaveLength(0)

    wx.modalAnswer = true
    page.decline()
    page.decline() // a second tap while the first is asking sends nothing more
    await settle()
    const sent = writes()
    expect(sent.map((r) => [r.method, r.path, r.data])).toEqual([['POST', '/surveys/5/decline', { enterprise_id: 11 }]])
    expect(sent[0].header['Idempotency-Key']).toBeTruthy()
    expect(wx.showModal.mock.calls.at(-1)[0]).toMatchObject({ content: expect.stringContaining('已记录您不参加本次调查'), showCancel: false })
    expect(wx.navigateBack).toHaveBeenCalled()
  })

  test("a refused decline shows the backend's message and stays", async () => {
    const { wx, page } = setup((path) =>
      path.endsWith('/decline') ? apiError(403, 'not_invited', '您的企业未被邀请参加本次调查') : { statusCode: 200, data: response() },
    )
    page.onLoad({ id: '5' })
    await settle()
    page.decline()
    await settle()
    expect(wx.showToast).toHaveBeenCalledWith({ title: '您的企业未被邀请参加本次调查', icon: 'none' })
    expect(wx.navigateBack).not.toHaveBeenCalled()
    expect(page.data.declining).toBe(false)
  })
})
