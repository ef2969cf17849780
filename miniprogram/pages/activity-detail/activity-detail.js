// 活动详情: one activity (GET /activities/{id}) with its description, organiser, time, place
// and seats, and my sign-up if I have one. 报名 opens a form (参会人姓名, 联系电话, 代表企业
// from GET /me/enterprises); confirming asks for the 活动开始提醒 subscribe message at the tap,
// then POST /activities/{id}/signups with an Idempotency-Key. A confirmed sign-up goes to its
// ticket; a waitlisted one is shown here with its place in the queue.

const { get, post } = require('../../utils/request')
const subscribe = require('../../utils/subscribe')
const { newIdempotencyKey } = require('../../utils/idempotency')
const { formatDateTime, seatsText, signupTheme } = require('../../utils/activity')

/** SignupRequest limits (miniprogram_api/activity_schemas.py, app/activity/service.py). */
const NAME_LIMIT = 50
const PHONE_LIMIT = 20
/** Last contact used, to fill the form next time (this device only). */
const CONTACT_STORAGE_KEY = 'qiyun.activity.contact'

/**
 * Inline messages for the form fields from a RequestError: a domain error names one field
 * (`details.field`), a 422 `validation_failed` lists them (`details.fields`).
 * @param {any} err
 * @returns {{ name: string, phone: string }}
 */
function fieldErrors(err) {
  const found = { name: '', phone: '' }
  const details = (err && err.details) || {}
  const problems = Array.isArray(details.fields)
    ? details.fields.map((/** @type {any} */ f) => ({ field: String(f.field || ''), message: f.message || err.message }))
    : details.field
      ? [{ field: String(details.field), message: err.message }]
      : []
  for (const problem of problems) {
    if (problem.field.endsWith('contact_name') && !found.name) found.name = problem.message
    if (problem.field.endsWith('contact_phone') && !found.phone) found.phone = problem.message
  }
  return found
}

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    /** @type {any} ActivityDetailOut */
    activity: null,
    seats: '',
    deadlineText: '',
    signupTheme: 'default',
    formVisible: false,
    form: { name: '', phone: '', enterpriseId: /** @type {number | null} */ (null) },
    formErrors: { name: '', phone: '' },
    /** @type {{ label: string, value: number }[]} */
    enterprises: [],
    submitting: false,
  },

  activityId: 0,
  loadedOnce: false,
  enterprisesLoaded: false,
  /** @type {{ key: string, body: string } | null} the sign-up intent being retried */
  intent: null,

  /** @param {Record<string, string>} query */
  onLoad(query) {
    this.activityId = Number(query && query.id)
    subscribe.preload()
    this.load()
  },

  onShow() {
    // Back from the ticket (maybe cancelled there): refresh seats and my sign-up quietly.
    if (this.loadedOnce) this.load({ quiet: true })
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /**
   * Load the activity; never rejects. `quiet` keeps what is shown while reloading and
   * ignores failures (used after returning to the page).
   * @param {{ quiet?: boolean }} [options]
   */
  async load({ quiet = false } = {}) {
    if (!(this.activityId > 0)) {
      this.setData({ status: 'error', errorMessage: '未找到该活动' })
      return
    }
    if (!quiet) this.setData({ status: 'loading', errorMessage: '' })
    try {
      const activity = await get(`/activities/${this.activityId}`)
      this.loadedOnce = true
      this.showActivity(activity)
    } catch (err) {
      if (!quiet) this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /** @param {any} activity ActivityDetailOut */
  showActivity(activity) {
    this.setData({
      status: 'content',
      activity,
      seats: seatsText(activity),
      deadlineText: activity.signup_deadline ? formatDateTime(activity.signup_deadline) : '',
      signupTheme: activity.my_signup ? signupTheme(activity.my_signup.status) : 'default',
    })
  },

  copyPlace() {
    const place = this.data.activity && this.data.activity.place
    if (!place) return
    wx.setClipboardData({ data: place })
  },

  openMySignup() {
    const mine = this.data.activity && this.data.activity.my_signup
    if (mine) wx.navigateTo({ url: `/pages/ticket-detail/ticket-detail?id=${mine.id}` })
  },

  openForm() {
    const activity = this.data.activity
    if (!activity || activity.my_signup || !activity.signup_open) return
    /** @type {any} */
    const saved = wx.getStorageSync(CONTACT_STORAGE_KEY) || {}
    const form = { ...this.data.form }
    if (!form.name && typeof saved.name === 'string') form.name = saved.name
    if (!form.phone && typeof saved.phone === 'string') form.phone = saved.phone
    this.setData({ formVisible: true, form, formErrors: { name: '', phone: '' } })
    this.loadEnterprises()
  },

  closeForm() {
    this.setData({ formVisible: false })
  },

  /** @param {any} e t-popup visible-change */
  onFormVisibleChange(e) {
    if (!e.detail.visible) this.closeForm()
  },

  /** The enterprises I may sign up for (my bindings); the first, my latest, is the default. */
  async loadEnterprises() {
    if (this.enterprisesLoaded) return
    try {
      const body = await get('/me/enterprises?limit=100')
      const enterprises = (body.items || []).map((/** @type {any} */ b) => ({ label: b.enterprise.name, value: b.enterprise.id }))
      this.enterprisesLoaded = true
      const current = this.data.form.enterpriseId
      const keep = enterprises.some((/** @type {any} */ o) => o.value === current)
      this.setData({
        enterprises,
        'form.enterpriseId': keep ? current : enterprises.length ? enterprises[0].value : null,
      })
    } catch (err) {
      // Not fatal: without a choice the backend uses my latest binding (or none).
    }
  },

  /** @param {any} e */
  onNameInput(e) {
    this.setData({ 'form.name': e.detail.value, 'formErrors.name': '' })
  },

  /** @param {any} e */
  onPhoneInput(e) {
    this.setData({ 'form.phone': e.detail.value, 'formErrors.phone': '' })
  },

  /** @param {any} e t-radio-group change */
  onEnterpriseChange(e) {
    this.setData({ 'form.enterpriseId': e.detail.value })
  },

  /** The form's problems in Chinese, as the backend would word them; empty when fine. */
  validate() {
    const name = (this.data.form.name || '').trim()
    const phone = (this.data.form.phone || '').trim()
    const errors = { name: '', phone: '' }
    if (!name) errors.name = '请填写参会人姓名'
    else if (name.length > NAME_LIMIT) errors.name = `姓名最多${NAME_LIMIT}个字`
    if (phone.length > PHONE_LIMIT) errors.phone = '联系电话格式不正确'
    return errors
  },

  /**
   * The Idempotency-Key of this sign-up: the same while the same form is retried (a lost
   * answer is then replayed, not signed up twice), a new one when the form changed.
   * @param {object} body
   */
  keyFor(body) {
    const text = JSON.stringify(body)
    if (!this.intent || this.intent.body !== text) this.intent = { key: newIdempotencyKey(), body: text }
    return this.intent.key
  },

  /** 确认报名: validate, ask for the reminder at the tap, sign up once. */
  async submit() {
    if (this.data.submitting) return
    const errors = this.validate()
    if (errors.name || errors.phone) {
      this.setData({ formErrors: errors })
      return
    }
    this.setData({ submitting: true, formErrors: { name: '', phone: '' } })
    // Asked first, inside the tap (WeChat shows the dialog only then); never rejects.
    // subscribe.js reports the answer to the grant ledger the reminder spends, so it is not
    // sent again as `subscribe_results` (that would count the grant twice).
    await subscribe.requestAtTap(['activity_reminder'])

    const form = this.data.form
    /** @type {{ contact_name: string, contact_phone: string, enterprise_id?: number }} */
    const body = { contact_name: form.name.trim(), contact_phone: (form.phone || '').trim() }
    if (form.enterpriseId) body.enterprise_id = form.enterpriseId
    let result
    try {
      result = await post(`/activities/${this.activityId}/signups`, body, {
        header: { 'Idempotency-Key': this.keyFor(body) },
        loading: '报名中',
      })
    } catch (err) {
      this.setData({ submitting: false, formErrors: fieldErrors(err) })
      wx.showToast({ title: err.message, icon: 'none' })
      if (err.code === 'signup_closed' || err.code === 'activity_not_found') {
        this.setData({ formVisible: false })
        this.load({ quiet: true })
      }
      return
    }
    this.intent = null
    try {
      wx.setStorageSync(CONTACT_STORAGE_KEY, { name: body.contact_name, phone: body.contact_phone })
    } catch (err) {
      // Only a convenience.
    }
    this.afterSignup(result)
  },

  /** @param {any} result SignupOut */
  afterSignup(result) {
    const signup = result.signup
    if (signup.ticket_code) {
      wx.showToast({ title: '报名成功', icon: 'success' })
      // Keep `submitting` so the button stays disabled while the ticket opens.
      wx.redirectTo({
        url: `/pages/ticket-detail/ticket-detail?id=${signup.id}`,
        // Should the ticket not open, show the sign-up here instead of a dead button.
        fail: () => {
          this.showActivity({ ...this.data.activity, ...result.activity, my_signup: signup })
          this.setData({ submitting: false, formVisible: false })
        },
      })
      return
    }
    // Waitlisted (or an earlier sign-up answered again): show it here.
    this.showActivity({ ...this.data.activity, ...result.activity, my_signup: signup })
    this.setData({ submitting: false, formVisible: false })
    wx.showModal({ title: signup.status_label || '报名结果', content: result.message, showCancel: false, confirmText: '知道了' })
  },
})
