// 电子票: one of my sign-ups (found in GET /me/activity-signups, which has no single-item
// route) with its QR code from GET /me/activity-signups/{id}/ticket (a PNG, base64, shown as
// a data: URL) to show at the entrance. A waitlisted sign-up has no ticket yet: its place in
// the queue is shown instead. 取消报名 (POST /me/activity-signups/{id}/cancel) after a
// confirmation, while the activity has not started.

const { get, post } = require('../../utils/request')
const { newIdempotencyKey } = require('../../utils/idempotency')
const { formatDateTime, signupTheme } = require('../../utils/activity')
const { confirmModal } = require('../../utils/ui')

const CANCELLABLE = ['confirmed', 'waitlisted']

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    /** @type {any} SignupOut */
    record: null,
    theme: 'default',
    qrSrc: '',
    qrError: '',
    ticketCode: '',
    checkedInText: '',
    canCancel: false,
    cancelling: false,
  },

  signupId: 0,
  /** @type {string} the cancel intent's Idempotency-Key, kept for retries until it succeeds */
  cancelKey: '',

  /** @param {Record<string, string>} query */
  onLoad(query) {
    this.signupId = Number(query && query.id)
    this.load()
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load the sign-up and, if it has one, its ticket; never rejects. */
  async load() {
    if (!(this.signupId > 0)) {
      this.setData({ status: 'error', errorMessage: '未找到该报名记录' })
      return
    }
    this.setData({ status: 'loading', errorMessage: '' })
    let record
    try {
      const body = await get('/me/activity-signups')
      record = (body.items || []).find((/** @type {any} */ item) => item.signup && item.signup.id === this.signupId)
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
      return
    }
    if (!record) {
      // Not mine, or cancelled (cancelled sign-ups are not listed).
      this.setData({ status: 'error', errorMessage: '未找到该报名记录，可能已取消' })
      return
    }
    this.showRecord(record)
    if (record.signup.ticket_code) await this.loadTicket()
  },

  /** @param {any} record SignupOut */
  showRecord(record) {
    const signup = record.signup
    const started = Date.parse(record.activity.starts_at) <= Date.now()
    this.setData({
      status: 'content',
      record,
      theme: signupTheme(signup.status),
      ticketCode: signup.ticket_code || '',
      checkedInText: signup.checked_in_at ? formatDateTime(signup.checked_in_at) : '',
      canCancel: CANCELLABLE.includes(signup.status) && record.activity.status === 'published' && !started,
      qrSrc: signup.ticket_code ? this.data.qrSrc : '',
      qrError: '',
    })
  },

  /** The QR code; a failure is shown in place of the code, with retry. Never rejects. */
  async loadTicket() {
    this.setData({ qrError: '' })
    try {
      const ticket = await get(`/me/activity-signups/${this.signupId}/ticket`)
      this.setData({
        qrSrc: `data:image/png;base64,${ticket.qr_png_base64}`,
        ticketCode: ticket.ticket_code,
        checkedInText: ticket.checked_in_at ? formatDateTime(ticket.checked_in_at) : '',
      })
    } catch (err) {
      this.setData({ qrSrc: '', qrError: err.message })
    }
  },

  copyCode() {
    if (this.data.ticketCode) wx.setClipboardData({ data: this.data.ticketCode })
  },

  openActivity() {
    const record = this.data.record
    if (record) wx.navigateTo({ url: `/pages/activity-detail/activity-detail?id=${record.activity.id}` })
  },

  /** 取消报名: confirm, then cancel once; the backend's message on refusal. */
  async cancel() {
    const record = this.data.record
    if (this.data.cancelling || !record || !this.data.canCancel) return
    this.setData({ cancelling: true })
    const waitlisted = record.signup.status === 'waitlisted'
    const ok = await confirmModal({
      title: '取消报名',
      content: waitlisted ? '确定放弃候补吗？取消后需重新报名并排在候补最后。' : '确定取消报名吗？取消后名额将递补给候补的人，电子票作废。',
      confirmText: '确认取消',
      cancelText: '再想想',
    })
    if (!ok) {
      this.setData({ cancelling: false })
      return
    }
    if (!this.cancelKey) this.cancelKey = newIdempotencyKey()
    try {
      const result = await post(`/me/activity-signups/${this.signupId}/cancel`, {}, {
        header: { 'Idempotency-Key': this.cancelKey },
        loading: '正在取消',
      })
      this.cancelKey = ''
      this.showRecord(result)
      this.setData({ cancelling: false, qrSrc: '', qrError: '' })
      wx.showToast({ title: '已取消报名', icon: 'success' })
    } catch (err) {
      this.setData({ cancelling: false })
      wx.showToast({ title: err.message, icon: 'none' })
    }
  },
})
