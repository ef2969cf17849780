// pages/appeal-detail: timeline, attachments, and only the actions the API offers.
const { installWx, apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')
const { installFiles, parseMultipart, headerOf, flush } = require('../helpers/appeal')

const ACTIONS = {
  supplement: { action: 'supplement', label: '企业补充材料', note_required: true, note_label: '补充内容' },
  confirm: { action: 'confirm', label: '确认并评价', note_required: false, note_label: '' },
  reopen: { action: 'reopen', label: '未解决，申请重办', note_required: true, note_label: '未解决的问题' },
}

function detail(extra = {}) {
  return {
    id: 9, number: 'SQ9', title: '发票问题', category: 'tax', category_label: '税费服务', status: 'replied', status_label: '已答复',
    awaiting: '待您确认并评价', enterprise_name: '云帆科技', channel: 'miniprogram', created_at: '2024-05-01T02:30:00Z',
    updated_at: '2024-05-02T02:30:00Z', accept_due_at: null, resolve_due_at: null, confirm_due_at: '2024-05-09T02:30:00Z', closed_at: null,
    description: '开具发票时系统报错', enterprise_id: 11, contact_name: '张三', contact_phone: '138****8000', contact_preference: 'wechat',
    decline_reason: '', lead_organisation: '市税务局', resolved: null, satisfaction: null, satisfaction_label: '', satisfaction_comment: '',
    close_reason: null, close_reason_label: '', reopen_count: 0, reopens_left: 1, is_submitter: true,
    timeline: [
      { id: 1, action: 'submit', label: '提交', who: '企业', at: '2024-05-01T02:30:00Z', text: '', status: 'submitted', status_label: '已提交', details: [], attachments: [] },
      { id: 2, action: 'reply', label: '答复', who: '市税务局', at: '2024-05-02T02:30:00Z', text: '已修复', status: 'replied', status_label: '已答复', details: ['承办单位：市税务局'], attachments: [] },
    ],
    attachments: [
      { id: 5, filename: 'a.jpg', content_type: 'image/jpeg', size: 10, url: 'https://x/a.jpg?sig', is_image: true },
      { id: 6, filename: 'b.pdf', content_type: 'application/pdf', size: 10, url: 'https://x/b.pdf?sig', is_image: false },
      { id: 7, filename: 'c.png', content_type: 'image/png', size: 10, url: 'https://x/c.png?sig', is_image: true },
    ],
    actions: [ACTIONS.confirm, ACTIONS.reopen],
    ...extra,
  }
}

function setup(handler) {
  const wx = installWx()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  installFiles(wx, { 'wxfile://tmp/s.jpg': Uint8Array.from([0xff, 0xd8, 13, 10, 0xff, 0xd9]) })
  const requests = []
  wx.server((options) => {
    const path = options.url.replace(/^https?:\/\/[^/]+\/mp\/v1/, '')
    requests.push({ ...options, path })
    return handler(path, options)
  })
  const app = { globalData: {} }
  const page = loadPage('pages/appeal-detail/appeal-detail', { app })
  const posts = () => requests.filter((r) => r.method === 'POST')
  return { wx, page, requests, posts, app }
}

describe('pages/appeal-detail', () => {
  test('shows the appeal, its timeline and exactly the offered actions', async () => {
    const { page } = setup(() => ({ statusCode: 200, data: detail() }))
    page.onLoad({ id: '9' })
    await flush()
    expect(page.data.status).toBe('content')
    expect(page.data.detail.timeline.map((e) => [e.label, e.atText])).toEqual([['提交', '2024-05-01 10:30'], ['答复', '2024-05-02 10:30']])
    expect(page.data.confirmAction).toEqual(ACTIONS.confirm)
    expect(page.data.reopenAction).toEqual(ACTIONS.reopen)
    expect(page.data.supplementAction).toBeNull()
  })

  test('no actions for a closed appeal', async () => {
    const { page } = setup(() => ({ statusCode: 200, data: detail({ status: 'closed', status_label: '已办结', actions: [] }) }))
    page.onLoad({ id: '9' })
    await flush()
    expect([page.data.confirmAction, page.data.reopenAction, page.data.supplementAction]).toEqual([null, null, null])
  })

  test("shows the backend's message for an appeal I may not see", async () => {
    const { page } = setup(() => apiError(404, 'appeal_not_found', '诉求不存在或无权查看'))
    page.onLoad({ id: '9' })
    await flush()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '诉求不存在或无权查看' })
  })

  test('previews the image attachments', async () => {
    const { wx, page } = setup(() => ({ statusCode: 200, data: detail() }))
    page.onLoad({ id: '9' })
    await flush()
    page.onAttachmentTap({ currentTarget: { dataset: { url: 'https://x/c.png?sig', image: true } } })
    expect(wx.previewImage).toHaveBeenCalledWith({ urls: ['https://x/a.jpg?sig', 'https://x/c.png?sig'], current: 'https://x/c.png?sig' })
  })

  test('opens a PDF attachment in WeChat, and says why when it cannot', async () => {
    const { wx, page } = setup(() => ({ statusCode: 200, data: detail() }))
    page.onLoad({ id: '9' })
    await flush()
    let download = { statusCode: 200, tempFilePath: 'wxfile://tmp/b.pdf' }
    wx.downloadFile = jest.fn((options) => setTimeout(() => options.success(download), 0))
    wx.openDocument = jest.fn((options) => setTimeout(() => options.success({}), 0))
    const pdf = { currentTarget: { dataset: { url: 'https://x/b.pdf?sig', image: false, type: 'application/pdf' } } }

    await expect(page.onAttachmentTap(pdf)).resolves.toBe('')
    expect(wx.downloadFile.mock.calls[0][0].url).toBe('https://x/b.pdf?sig')
    expect(wx.openDocument.mock.calls[0][0]).toMatchObject({ filePath: 'wxfile://tmp/b.pdf', fileType: 'pdf', showMenu: true })

    download = { statusCode: 403 } // the signed link expired while the page stayed open
    await expect(page.onAttachmentTap(pdf)).resolves.toBe('文件链接已过期，请下拉刷新后再试')
    const other = { currentTarget: { dataset: { url: 'https://x/c.bin', image: false, type: 'application/zip' } } }
    await expect(page.onAttachmentTap(other)).resolves.toBe('该文件请在电脑端查看')
    expect(wx.downloadFile).toHaveBeenCalledTimes(2)
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '该文件请在电脑端查看', icon: 'none' })
  })

  test('confirms and rates on the five-level scale, then reloads', async () => {
    let current = detail()
    const { wx, page, posts, app } = setup((path, options) => {
      if (path === '/appeals/9/confirm') {
        current = detail({ status: 'closed', status_label: '已办结', actions: [], satisfaction: 'satisfied', satisfaction_label: '满意' })
        return { statusCode: 200, data: { id: 9, status: 'closed', status_label: '已办结' } }
      }
      return { statusCode: 200, data: current }
    })
    page.onLoad({ id: '9' })
    await flush()
    page.openPanel({ currentTarget: { dataset: { panel: 'confirm' } } })
    await page.submitVerdict()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '请选择满意度', icon: 'none' })
    expect(posts()).toHaveLength(0)

    page.onRatingChange({ detail: { value: 4 } })
    page.onCommentChange({ detail: { value: ' 很快 ' } })
    await page.submitVerdict()
    expect(posts()).toHaveLength(1)
    expect(JSON.parse(JSON.stringify(posts()[0].data))).toEqual({ resolved: true, satisfaction: 'satisfied', comment: '很快' })
    expect(headerOf(posts()[0], 'Idempotency-Key')).toBeTruthy()
    expect(page.data.detail.satisfaction_label).toBe('满意')
    expect(page.data.panel).toBe('')
    expect(page.data.confirmAction).toBeNull()
    expect(app.globalData.appealsChanged).toBe(true)
  })

  test('reopening needs the note; the backend refusal is shown and the retry reuses the key', async () => {
    let answer = () => apiError(409, 'wrong_state', '诉求当前状态不能进行此操作')
    const { wx, page, posts } = setup((path) => (path === '/appeals/9/confirm' ? answer() : { statusCode: 200, data: detail() }))
    page.onLoad({ id: '9' })
    await flush()
    page.openPanel({ currentTarget: { dataset: { panel: 'reopen' } } })
    page.onRatingChange({ detail: { value: 1 } })
    await page.submitVerdict()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '请填写未解决的问题', icon: 'none' })
    page.onCommentChange({ detail: { value: '发票仍无法开具' } })
    await page.submitVerdict()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '诉求当前状态不能进行此操作', icon: 'none' })
    expect(page.data.busy).toBe(false)
    answer = () => ({ statusCode: 200, data: { id: 9, status: 'accepted', status_label: '已受理' } })
    await page.submitVerdict()
    expect(posts().map((p) => p.data)).toEqual([
      { resolved: false, satisfaction: 'very_dissatisfied', comment: '发票仍无法开具' },
      { resolved: false, satisfaction: 'very_dissatisfied', comment: '发票仍无法开具' },
    ])
    expect(headerOf(posts()[1], 'Idempotency-Key')).toBe(headerOf(posts()[0], 'Idempotency-Key'))
  })

  test('a double tap on 提交 confirms once', async () => {
    const { page, posts } = setup((path) => (path === '/appeals/9/confirm'
      ? { statusCode: 200, data: { id: 9 } } : { statusCode: 200, data: detail() }))
    page.onLoad({ id: '9' })
    await flush()
    page.openPanel({ currentTarget: { dataset: { panel: 'confirm' } } })
    page.onRatingChange({ detail: { value: 5 } })
    await Promise.all([page.submitVerdict(), page.submitVerdict()])
    expect(posts()).toHaveLength(1)
    expect(posts()[0].data.satisfaction).toBe('very_satisfied')
  })

  test('supplements text and photos in one multipart request', async () => {
    const after = detail({ status: 'in_progress', status_label: '办理中', actions: [ACTIONS.supplement], awaiting: '' })
    const { wx, page, posts } = setup((path) => (path === '/appeals/9/supplement'
      ? { statusCode: 200, data: { ...after, timeline: [...after.timeline, { id: 3, action: 'supplement', label: '企业补充材料', who: '企业', at: '2024-05-03T00:00:00Z', text: '补充：见照片', status: null, status_label: '', details: [], attachments: [] }] } }
      : { statusCode: 200, data: after }))
    page.onLoad({ id: '9' })
    await flush()
    expect(page.data.supplementAction).toEqual(ACTIONS.supplement)
    page.openPanel({ currentTarget: { dataset: { panel: 'supplement' } } })
    await page.submitSupplement()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '请填写补充内容', icon: 'none' })

    page.onSupplementText({ detail: { value: '补充：见照片' } })
    await page.onSupplementPhotosAdd({ detail: { files: [{ url: 'wxfile://tmp/s.jpg', size: 6 }] } })
    await page.submitSupplement()
    expect(posts()).toHaveLength(1)
    const form = parseMultipart(posts()[0].data, headerOf(posts()[0], 'content-type'))
    expect(form.fields).toEqual({ text: '补充：见照片' })
    expect(form.files.map((f) => [f.name, Array.from(f.data)])).toEqual([['photos', [0xff, 0xd8, 13, 10, 0xff, 0xd9]]])
    expect(headerOf(posts()[0], 'Idempotency-Key')).toBeTruthy()
    expect(page.data.detail.timeline).toHaveLength(3)
    expect(page.data.panel).toBe('')
    expect(page.data.supplementPhotos).toEqual([])
  })

  test('a supplement that fails on the network keeps the text and photos', async () => {
    const { wx, page } = setup((path) => (path === '/appeals/9/supplement'
      ? { fail: { errMsg: 'request:fail' } } : { statusCode: 200, data: detail({ actions: [ACTIONS.supplement] }) }))
    page.onLoad({ id: '9' })
    await flush()
    page.openPanel({ currentTarget: { dataset: { panel: 'supplement' } } })
    page.onSupplementText({ detail: { value: '补充说明' } })
    await page.submitSupplement()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '网络异常，请检查网络后重试', icon: 'none' })
    expect(page.data.supplementText).toBe('补充说明')
    expect(page.data.panel).toBe('supplement')
  })
})
