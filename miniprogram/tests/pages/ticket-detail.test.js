// pages/ticket-detail: one sign-up with its QR code (backend PNG), or its waitlist place;
// cancelling it after a confirmation.
const { apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')
const { settle, installSignedInWx, signupOut, pathOf } = require('../helpers/activity')

const PAGE = 'pages/ticket-detail/ticket-detail'
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUg=='

function ticketOut(overrides = {}) {
  const { activity, signup } = signupOut()
  return {
    ticket_code: signup.ticket_code,
    qr_png_base64: PNG_BASE64,
    status: signup.status,
    status_label: signup.status_label,
    checked_in_at: null,
    activity,
    ...overrides,
  }
}

/** A backend with my sign-ups `items`, the ticket answer and the cancel answer. */
function backend(wx, { items = [signupOut()], ticket = () => ({ statusCode: 200, data: ticketOut() }), cancel } = {}) {
  const seen = []
  wx.server((options) => {
    const path = pathOf(options)
    seen.push({ method: options.method, path, data: options.data, header: options.header })
    if (path === '/me/activity-signups') return { statusCode: 200, data: { items } }
    if (path === '/me/activity-signups/31/ticket') return ticket()
    if (path === '/me/activity-signups/31/cancel' && cancel) return cancel()
    return apiError(404, 'signup_not_found', '未找到该报名记录')
  })
  return seen
}

async function opened(wx, options) {
  const seen = backend(wx, options)
  const page = loadPage(PAGE)
  page.onLoad({ id: '31' })
  await settle()
  return { page, seen }
}

const cancels = (seen) => seen.filter((r) => r.path.endsWith('/cancel'))

describe('pages/ticket-detail', () => {
  test('shows the confirmed sign-up with its QR code as a PNG data URL', async () => {
    const wx = installSignedInWx()
    const { page, seen } = await opened(wx)
    expect(seen.map((r) => r.path)).toEqual(['/me/activity-signups', '/me/activity-signups/31/ticket'])
    expect(page.data).toMatchObject({
      status: 'content',
      qrSrc: `data:image/png;base64,${PNG_BASE64}`,
      ticketCode: 'TK8F2A9C',
      theme: 'success',
      canCancel: true,
      checkedInText: '',
    })
    expect(page.data.record.message).toBe('您已报名该活动，请凭电子票二维码入场。')
  })

  test('a waitlisted sign-up has no ticket: shows the queue place, asks for no QR code', async () => {
    const wx = installSignedInWx()
    const { page, seen } = await opened(wx, {
      items: [signupOut({ signup: { status: 'waitlisted', status_label: '候补', waitlist_position: 2, ticket_code: null } })],
    })
    expect(seen.map((r) => r.path)).toEqual(['/me/activity-signups'])
    expect(page.data).toMatchObject({ status: 'content', qrSrc: '', ticketCode: '', theme: 'warning', canCancel: true })
  })

  test('a checked-in ticket says when, and cannot be cancelled', async () => {
    const wx = installSignedInWx()
    const checkedIn = { status: 'checked_in', status_label: '已签到', checked_in_at: '2030-05-20T06:05:00Z' }
    const { page } = await opened(wx, {
      items: [signupOut({ signup: checkedIn })],
      ticket: () => ({ statusCode: 200, data: ticketOut(checkedIn) }),
    })
    expect(page.data.checkedInText).toBe('2030年5月20日 14:05')
    expect(page.data.canCancel).toBe(false)
  })

  test('a sign-up that is not in my list (cancelled, or not mine) shows an error', async () => {
    const wx = installSignedInWx()
    const { page } = await opened(wx, { items: [] })
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '未找到该报名记录，可能已取消' })
  })

  test("the QR code failing keeps the page and shows the backend's message with a retry", async () => {
    const wx = installSignedInWx()
    let ticket = () => apiError(404, 'signup_not_found', '该报名已取消')
    const { page } = await opened(wx, { ticket: () => ticket() })
    expect(page.data).toMatchObject({ status: 'content', qrSrc: '', qrError: '该报名已取消' })
    ticket = () => ({ statusCode: 200, data: ticketOut() })
    await page.loadTicket()
    expect(page.data).toMatchObject({ qrError: '', qrSrc: `data:image/png;base64,${PNG_BASE64}` })
  })

  test('network errors show the network message', async () => {
    const wx = installSignedInWx()
    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    const page = loadPage(PAGE)
    page.onLoad({ id: '31' })
    await settle()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
  })

  test('cancels after confirmation, once, with an Idempotency-Key, and shows the cancelled state', async () => {
    const wx = installSignedInWx()
    const cancelled = signupOut({
      signup: { status: 'cancelled', status_label: '已取消', ticket_code: null },
      message: '该报名已取消。',
    })
    const { page, seen } = await opened(wx, { cancel: () => ({ statusCode: 200, data: cancelled }) })
    const first = page.cancel()
    const second = page.cancel() // double tap
    await Promise.all([first, second])
    await settle()

    expect(wx.showModal).toHaveBeenCalledTimes(1)
    expect(wx.showModal.mock.calls[0][0].content).toContain('确定取消报名吗')
    expect(cancels(seen)).toHaveLength(1)
    expect(cancels(seen)[0].method).toBe('POST')
    expect(cancels(seen)[0].header['Idempotency-Key']).toMatch(/\S{8,}/)
    expect(page.data).toMatchObject({ qrSrc: '', ticketCode: '', canCancel: false, cancelling: false, theme: 'default' })
    expect(page.data.record.message).toBe('该报名已取消。')
    expect(wx.showToast).toHaveBeenCalledWith({ title: '已取消报名', icon: 'success' })
  })

  test('declining the confirmation cancels nothing', async () => {
    const wx = installSignedInWx()
    wx.modalAnswer = false
    const { page, seen } = await opened(wx, { cancel: () => ({ statusCode: 200, data: signupOut() }) })
    await page.cancel()
    expect(cancels(seen)).toHaveLength(0)
    expect(page.data.cancelling).toBe(false)
  })

  test("a refused cancel shows the backend's message; a retry after a lost answer reuses the key", async () => {
    const wx = installSignedInWx()
    let answer = () => apiError(409, 'already_started', '活动已开始，不能取消报名')
    const { page, seen } = await opened(wx, { cancel: () => answer() })
    await page.cancel()
    expect(wx.showToast).toHaveBeenCalledWith({ title: '活动已开始，不能取消报名', icon: 'none' })
    expect(page.data).toMatchObject({ cancelling: false, canCancel: true, ticketCode: 'TK8F2A9C' })

    answer = () => ({ fail: { errMsg: 'request:fail' } })
    await page.cancel()
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '网络异常，请检查网络后重试', icon: 'none' })
    const keys = cancels(seen).map((r) => r.header['Idempotency-Key'])
    expect(keys).toHaveLength(2)
    expect(keys[1]).toBe(keys[0])
  })

  test('waitlisted: the confirmation talks about giving up the place in the queue', async () => {
    const wx = installSignedInWx()
    const { page } = await opened(wx, {
      items: [signupOut({ signup: { status: 'waitlisted', status_label: '候补', waitlist_position: 2, ticket_code: null } })],
      cancel: () => ({ statusCode: 200, data: signupOut({ signup: { status: 'cancelled', status_label: '已取消', ticket_code: null } }) }),
    })
    await page.cancel()
    expect(wx.showModal.mock.calls[0][0].content).toContain('放弃候补')
  })

  test('links to the activity, copies the ticket code', async () => {
    const wx = installSignedInWx()
    const { page } = await opened(wx)
    page.openActivity()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/activity-detail/activity-detail?id=7' })
    page.copyCode()
    expect(wx.setClipboardData).toHaveBeenCalledWith({ data: 'TK8F2A9C' })
  })
})
