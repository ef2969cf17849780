// pages/appeal-new: filing an appeal with photos in one multipart request.
const { installWx, apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')
const { installFiles, parseMultipart, headerOf, flush } = require('../helpers/appeal')

const CATEGORIES = {
  items: [
    { code: 'tax', label: '税费服务', hint: '办税缴费中的问题', resolve_working_days: 10 },
    { code: 'permit', label: '审批许可', hint: '证照办理', resolve_working_days: 15 },
  ],
}
const BINDINGS = {
  items: [{ id: 3, role: 'legal_rep', role_label: '法定代表人', bound_at: '2024-01-01T00:00:00Z',
    enterprise: { id: 11, name: '云帆科技有限公司', credit_code: '91310000MA1K000000', district: '310101', district_label: '黄浦区' } }],
  next_cursor: null,
}
const TEMPLATES = {
  items: [
    { name: 'appeal_accepted', title: '受理', template_id: 'TPL-A', long_term: true },
    { name: 'appeal_dispatched', title: '分派', template_id: 'TPL-D', long_term: true },
    { name: 'appeal_replied', title: '答复', template_id: 'TPL-R', long_term: true },
  ],
}
const PHOTO_1 = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 13, 10, 45, 45, 0xff, 0xd9])
const PHOTO_2 = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 1])

/** A backend: the lists, subscribe grants, and POST /appeals answered by `onSubmit`. */
function setup({ onSubmit, categories = CATEGORIES, bindings = BINDINGS } = {}) {
  const wx = installWx()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  installFiles(wx, { 'wxfile://tmp/1.jpg': PHOTO_1, 'wxfile://tmp/2.png': PHOTO_2 })
  const requests = []
  wx.server((options) => {
    requests.push(options)
    const path = options.url.replace(/^https?:\/\/[^/]+\/mp\/v1/, '')
    if (path === '/appeal-categories') return typeof categories === 'function' ? categories() : { statusCode: 200, data: categories }
    if (path.startsWith('/me/enterprises')) return { statusCode: 200, data: bindings }
    if (path === '/subscribe-templates') return { statusCode: 200, data: TEMPLATES }
    if (path === '/me/subscribe-grants') return { statusCode: 200, data: { recorded: 3 } }
    if (path === '/appeals' && options.method === 'POST') return onSubmit(options)
    return apiError(404, 'not_found', '请求的资源不存在')
  })
  const page = loadPage('pages/appeal-new/appeal-new')
  const posts = () => requests.filter((r) => r.method === 'POST' && /\/appeals$/.test(r.url))
  return { wx, page, requests, posts }
}

const created = () => ({ statusCode: 201, data: { id: 42, number: 'SQ1', status: 'submitted', status_label: '已提交' } })

/** Fill the form the way the wxml does. */
function fill(page, values) {
  for (const [field, value] of Object.entries(values)) {
    page.onFieldChange({ currentTarget: { dataset: { field } }, detail: { value } })
  }
}

describe('pages/appeal-new', () => {
  test('loads categories and my enterprises, choosing my only enterprise', async () => {
    const { page } = setup({ onSubmit: created })
    page.onLoad()
    await flush()
    expect(page.data.status).toBe('content')
    expect(page.data.categories.map((c) => c.code)).toEqual(['tax', 'permit'])
    expect(page.data.enterprises).toEqual([{ id: 11, name: '云帆科技有限公司' }])
    expect(page.data.form.enterprise_id).toBe(11)
    expect(page.data.enterpriseChoice).toBe('11')
  })

  test('a failed load shows the error state and never rejects', async () => {
    const { page } = setup({ onSubmit: created, categories: () => ({ fail: { errMsg: 'request:fail' } }) })
    await expect(page.load()).resolves.toBeUndefined()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
  })

  test('files an appeal with the photos in one multipart request and goes to its detail', async () => {
    const { wx, page, posts } = setup({ onSubmit: created })
    page.onLoad()
    await flush()
    fill(page, {
      category: 'tax', title: '发票问题', description: '开具发票时系统一直报错，\n无法完成。',
      contact_name: '张三', contact_phone: '138-0013-8000', contact_preference: 'phone',
    })
    page.setData({ photos: [{ path: 'wxfile://tmp/1.jpg', size: 11 }, { path: 'wxfile://tmp/2.png', size: 10 }] })

    await page.submit()

    expect(posts()).toHaveLength(1)
    const sent = posts()[0]
    expect(sent.data).toBeInstanceOf(ArrayBuffer)
    expect(headerOf(sent, 'content-type')).toMatch(/^multipart\/form-data; boundary=/)
    expect(headerOf(sent, 'Idempotency-Key')).toBeTruthy()
    expect(headerOf(sent, 'Authorization')).toBe('Bearer t1')
    const form = parseMultipart(sent.data, headerOf(sent, 'content-type'))
    expect(form.fields).toEqual({
      category: 'tax', title: '发票问题', description: '开具发票时系统一直报错，\n无法完成。', enterprise_id: '11',
      contact_name: '张三', contact_phone: '138-0013-8000', contact_preference: 'phone',
    })
    expect(form.files.map((f) => [f.name, f.filename])).toEqual([['photos', '1.jpg'], ['photos', '2.png']])
    expect(Array.from(form.files[0].data)).toEqual(Array.from(PHOTO_1))
    expect(Array.from(form.files[1].data)).toEqual(Array.from(PHOTO_2))

    // Asked for the subscribe messages (before the confirm dialog and the POST), confirmed, then navigated.
    expect(wx.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: ['TPL-A', 'TPL-D', 'TPL-R'] }))
    expect(wx.requestSubscribeMessage.mock.invocationCallOrder[0]).toBeLessThan(wx.showModal.mock.invocationCallOrder[0])
    expect(wx.showModal.mock.calls[0][0].content).toContain('税费服务')
    expect(wx.redirectTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/appeal-detail/appeal-detail?id=42' }))
    expect(page.data.submitting).toBe(false)
  })

  test('a personal appeal leaves enterprise_id out and may name an enterprise', async () => {
    const { page, posts } = setup({ onSubmit: created })
    page.onLoad()
    await flush()
    fill(page, { category: 'permit', description: '营业执照变更办理太慢', enterprise_id: '', enterprise_name: '某某小店' })
    expect(page.data.form.enterprise_id).toBeNull()
    await page.submit()
    const form = parseMultipart(posts()[0].data, headerOf(posts()[0], 'content-type'))
    expect(form.fields).toEqual({ category: 'permit', description: '营业执照变更办理太慢', enterprise_name: '某某小店', contact_preference: 'wechat' })
    expect(form.files).toEqual([])
  })

  test.each([
    [{ description: '开具发票时系统报错' }, 'category', '请选择诉求类别'],
    [{ category: 'tax', description: '太慢了' }, 'description', '请把诉求描述清楚（至少 5 个字）'],
    [{ category: 'tax', description: '开具发票时系统报错', title: '题'.repeat(61) }, 'title', '诉求标题不能超过 60 字'],
    [{ category: 'tax', description: '开具发票时系统报错', contact_phone: '12ab' }, 'contact_phone', '联系电话格式不正确'],
  ])('validates %j before sending (%s)', async (values, field, message) => {
    const { wx, page, posts } = setup({ onSubmit: created })
    page.onLoad()
    await flush()
    fill(page, values)
    await page.submit()
    expect(posts()).toHaveLength(0)
    expect(wx.showModal).not.toHaveBeenCalled()
    expect(page.data.errors[field]).toBe(message)
    expect(wx.showToast).toHaveBeenCalledWith({ title: message, icon: 'none' })
  })

  test("shows the backend's message when it refuses, inline on its field too", async () => {
    const { wx, page } = setup({
      onSubmit: () => apiError(422, 'description_too_short', '请把诉求描述清楚（至少 5 个字）', { field: 'description' }),
    })
    page.onLoad()
    await flush()
    fill(page, { category: 'tax', description: '　　　　　x' })
    await page.submit()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '请把诉求描述清楚（至少 5 个字）', icon: 'none' })
    expect(page.data.errors.description).toBe('请把诉求描述清楚（至少 5 个字）')
    expect(wx.redirectTo).not.toHaveBeenCalled()
    expect(page.data.submitting).toBe(false)
  })

  test('after a network error the retry sends the same Idempotency-Key; a changed form a new one', async () => {
    let answer = () => ({ fail: { errMsg: 'request:fail timeout' } })
    const { wx, page, posts } = setup({ onSubmit: () => answer() })
    page.onLoad()
    await flush()
    fill(page, { category: 'tax', description: '开具发票时系统报错' })
    await page.submit()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '网络请求超时，请检查网络后重试', icon: 'none' })
    answer = created
    await page.submit()
    expect(posts()).toHaveLength(2)
    expect(headerOf(posts()[1], 'Idempotency-Key')).toBe(headerOf(posts()[0], 'Idempotency-Key'))
    expect(wx.redirectTo).toHaveBeenCalledTimes(1)

    answer = () => ({ fail: { errMsg: 'request:fail' } })
    fill(page, { description: '开具发票时系统报错，第二次' })
    await page.submit()
    fill(page, { description: '开具发票时系统报错，第三次' })
    await page.submit()
    expect(headerOf(posts()[3], 'Idempotency-Key')).not.toBe(headerOf(posts()[2], 'Idempotency-Key'))
  })

  test('a double tap sends once', async () => {
    const { page, posts } = setup({ onSubmit: created })
    page.onLoad()
    await flush()
    fill(page, { category: 'tax', description: '开具发票时系统报错' })
    await Promise.all([page.onSubmitTap(), page.onSubmitTap(), page.submit()])
    expect(posts()).toHaveLength(1)
  })

  test('cancelling the confirm dialog sends nothing', async () => {
    const { wx, page, posts } = setup({ onSubmit: created })
    wx.modalAnswer = false
    page.onLoad()
    await flush()
    fill(page, { category: 'tax', description: '开具发票时系统报错' })
    await page.submit()
    expect(posts()).toHaveLength(0)
    expect(page.data.submitting).toBe(false)
  })

  test('an unreadable photo is reported in Chinese and nothing is sent', async () => {
    const { wx, page, posts } = setup({ onSubmit: created })
    page.onLoad()
    await flush()
    fill(page, { category: 'tax', description: '开具发票时系统报错' })
    page.setData({ photos: [{ path: 'wxfile://tmp/gone.jpg', size: 5 }] })
    await page.submit()
    expect(posts()).toHaveLength(0)
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '读取图片失败，请删除后重新选择', icon: 'none' })
  })

  test('picked photos: large ones are compressed, at most 9 are kept, and they can be removed', async () => {
    const { wx, page } = setup({ onSubmit: created })
    await page.onPhotosAdd({ detail: { files: [
      { url: 'wxfile://tmp/big.jpg', size: 3 * 1024 * 1024 },
      { url: 'wxfile://tmp/1.jpg', size: 11 },
    ] } })
    expect(wx.compressImage).toHaveBeenCalledTimes(1)
    expect(page.data.photos).toEqual([{ path: 'wxfile://tmp/big-small.jpg', size: 7 }, { path: 'wxfile://tmp/1.jpg', size: 11 }])
    expect(page.data.uploadFiles[0]).toEqual({ url: 'wxfile://tmp/big-small.jpg', type: 'image', size: 7 })

    const many = Array.from({ length: 9 }, (_, i) => ({ url: `wxfile://tmp/m${i}.jpg`, size: 100 }))
    await page.onPhotosAdd({ detail: { files: many } })
    expect(page.data.photos).toHaveLength(9)
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '最多上传 9 张图片', icon: 'none' })

    page.onPhotoRemove({ detail: { index: 0 } })
    expect(page.data.photos).toHaveLength(8)
    expect(page.data.photos[0].path).toBe('wxfile://tmp/1.jpg')
  })
})
