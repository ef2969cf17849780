// 服务委托详情 — one engagement (GET /engagements/{id}): status, product, provider, enterprise,
// my need, the provider's delivery note, the timeline (t-steps), and the enterprise's actions
// the API lists in `actions` (confirm 确认完成 / reopen 反馈未完成 / cancel 取消委托:
// POST /engagements/{id}/{action}; the provider's accept/decline/deliver are not offered here).
// Actions that need a reason open a popup; every action is confirmed with wx.showModal.
// When `can_rate`, a rating form (overall + four dimensions with t-rate, a comment) posts
// POST /engagements/{id}/rating; a given rating is shown. 投诉 leads to the provider's page
// with the complaint popup for this engagement. Query: ?id=<engagement id>.

const { get, post } = require('../../utils/request')
const {
  DIMENSIONS,
  LIMITS,
  ENTERPRISE_ACTIONS,
  REASON_PROMPTS,
  engagementSummaryView,
  intentKey,
  forgetIntent,
} = require('../../utils/provider')
const { formatTime } = require('../../utils/format')
const { confirmModal } = require('../../utils/ui')

/** What the confirmation dialog says before each action. */
const CONFIRM_TEXT = {
  confirm: '确认服务机构已完成该服务？确认后订单完成，可以评价。',
  reopen: '确定反馈服务尚未完成？订单将退回服务中。',
  cancel: '确定取消该服务委托？取消后不能恢复。',
}

const SUCCESS_TEXT = {
  confirm: '已确认完成',
  reopen: '已反馈未完成',
  cancel: '已取消委托',
}

/** A blank rating form. */
function blankRating() {
  return {
    overall: 0,
    dims: DIMENSIONS.map((name) => ({ name, value: 0 })),
    comment: '',
  }
}

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    id: 0,
    /** @type {any} engagementSummaryView */
    summary: null,
    /** @type {any} EngagementDetailOut */
    detail: null,
    /** @type {{title: string, content: string}[]} */
    timeline: [],
    /** @type {{action: string, label: string, reasonRequired: boolean, theme: string}[]} */
    actions: [],
    /** the action in flight ('' when none): every action button is disabled meanwhile */
    actionBusy: '',

    // reason popup (reopen / cancel)
    reasonVisible: false,
    reasonAction: '',
    reasonTitle: '',
    reasonText: '',
    reasonError: '',
    reasonMax: LIMITS.reason,

    // rating
    canRate: false,
    /** @type {any} RatingOut */
    rating: null,
    ratingDims: /** @type {{name: string, value: number}[]} */ ([]),
    ratingForm: blankRating(),
    ratingError: '',
    ratingSubmitting: false,
    commentMax: LIMITS.ratingComment,
  },

  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    this.setData({ id: Number((query || {}).id) || 0 })
    this.load()
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load the engagement; never rejects. */
  async load() {
    if (!this.data.id) {
      this.setData({ status: 'error', errorMessage: '未找到该服务订单' })
      return
    }
    this.setData({ status: 'loading', errorMessage: '' })
    try {
      const detail = await get(`/engagements/${this.data.id}`)
      this.show(detail)
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /**
   * Render an EngagementDetailOut (from GET or from an action's answer).
   * @param {any} detail
   */
  show(detail) {
    const actions = (detail.actions || [])
      .filter((/** @type {any} */ a) => ENTERPRISE_ACTIONS.includes(a.action))
      .map((/** @type {any} */ a) => ({
        action: a.action,
        label: a.label,
        reasonRequired: !!a.reason_required,
        theme: a.action === 'confirm' ? 'primary' : a.action === 'cancel' ? 'danger' : 'default',
      }))
    const rating = detail.rating
      ? {
          ...detail.rating,
          time: formatTime(detail.rating.created_at),
          dimsList: DIMENSIONS.filter((name) => typeof (detail.rating.dimensions || {})[name] === 'number').map(
            (name) => ({ name, value: detail.rating.dimensions[name] }),
          ),
        }
      : null
    this.setData({
      status: 'content',
      detail,
      summary: engagementSummaryView(detail.summary),
      timeline: (detail.timeline || []).map((/** @type {any} */ e) => ({
        title: e.label,
        content: [`${e.who ? `${e.who} · ` : ''}${formatTime(e.at)}`, e.text].filter(Boolean).join('\n'),
      })),
      actions,
      canRate: !!detail.can_rate,
      rating,
    })
    if (detail.summary && detail.summary.status_label) {
      wx.setNavigationBarTitle({ title: `服务委托 · ${detail.summary.status_label}` })
    }
  },

  // -- actions ------------------------------------------------------------------------

  /** @param {any} e action button: data-action */
  onAction(e) {
    if (this.data.actionBusy) return
    const name = e.currentTarget.dataset.action
    const action = this.data.actions.find((a) => a.action === name)
    if (!action) return
    if (action.reasonRequired) {
      this.setData({
        reasonVisible: true,
        reasonAction: name,
        reasonTitle: REASON_PROMPTS[name] || '原因',
        reasonText: '',
        reasonError: '',
      })
      return
    }
    this.confirmThenRun(name, {})
  },

  /** @param {any} e t-textarea change */
  onReasonInput(e) {
    this.setData({ reasonText: e.detail.value || '', reasonError: '' })
  },

  closeReason() {
    if (this.data.actionBusy) return
    this.setData({ reasonVisible: false })
  },

  /** @param {any} e t-popup visible-change */
  onReasonVisibleChange(e) {
    if (!e.detail.visible) this.closeReason()
  },

  /**
   * 提交 in the reason popup: check the reason, confirm, run.
   * @returns {Promise<void>}
   */
  submitReason() {
    if (this.data.actionBusy) return Promise.resolve()
    const reason = this.data.reasonText.trim()
    if (!reason) {
      this.setData({ reasonError: `请填写${this.data.reasonTitle}` })
      return Promise.resolve()
    }
    if (reason.length > LIMITS.reason) {
      this.setData({ reasonError: `说明不能超过 ${LIMITS.reason} 字` })
      return Promise.resolve()
    }
    return this.confirmThenRun(this.data.reasonAction, { reason })
  },

  /**
   * Ask with wx.showModal, then run the action.
   * @param {string} action
   * @param {Record<string, any>} body
   * @returns {Promise<void>}
   */
  async confirmThenRun(action, body) {
    const label = (this.data.actions.find((a) => a.action === action) || { label: '' }).label
    const ok = await confirmModal({
      title: label || '请确认',
      content: CONFIRM_TEXT[action] || '确定执行该操作？',
      confirmColor: action === 'cancel' ? '#e34d59' : '#0052d9',
    })
    if (ok) await this.runAction(action, body)
  },

  /**
   * POST /engagements/{id}/{action}; shows the answer's detail, or the backend's message.
   * @param {string} action
   * @param {Record<string, any>} body
   */
  async runAction(action, body) {
    if (this.data.actionBusy) return
    const intent = `action:${action}`
    const key = intentKey(this, intent, body)
    this.setData({ actionBusy: action })
    try {
      const detail = await post(`/engagements/${this.data.id}/${action}`, body, {
        header: { 'Idempotency-Key': key },
        loading: '提交中',
      })
      forgetIntent(this, intent)
      this.setData({ actionBusy: '', reasonVisible: false, reasonText: '' })
      this.show(detail)
      wx.showToast({ title: SUCCESS_TEXT[action] || '操作成功', icon: 'success' })
    } catch (err) {
      this.setData({ actionBusy: '' })
      if (this.data.reasonVisible) this.setData({ reasonError: err.message })
      wx.showToast({ title: err.message, icon: 'none' })
      // Someone else moved the engagement on: show where it stands now.
      if (err.code === 'wrong_state' || err.code === 'engagement_conflict') this.load()
    }
  },

  // -- rating -------------------------------------------------------------------------

  /** @param {any} e t-rate change (overall) */
  onOverallChange(e) {
    this.setData({ ratingForm: { ...this.data.ratingForm, overall: Number(e.detail.value) || 0 }, ratingError: '' })
  },

  /** @param {any} e t-rate change of one dimension: data-name */
  onDimensionChange(e) {
    const name = e.currentTarget.dataset.name
    const value = Number(e.detail.value) || 0
    const dims = this.data.ratingForm.dims.map((d) => (d.name === name ? { name, value } : d))
    this.setData({ ratingForm: { ...this.data.ratingForm, dims }, ratingError: '' })
  },

  /** @param {any} e t-textarea change */
  onCommentInput(e) {
    this.setData({ ratingForm: { ...this.data.ratingForm, comment: e.detail.value || '' }, ratingError: '' })
  },

  /** The backend's words for what is missing; '' when the rating can go. */
  ratingProblem() {
    const form = this.data.ratingForm
    if (!(form.overall >= 1 && form.overall <= 5)) return '总体评价请打 1–5 分'
    const missing = form.dims.filter((d) => !(d.value >= 1 && d.value <= 5)).map((d) => d.name)
    if (missing.length) return `请为${missing.join('、')}打分`
    if (form.comment.trim().length > LIMITS.ratingComment) return `评语不能超过 ${LIMITS.ratingComment} 字`
    return ''
  },

  /** 提交评价: POST /engagements/{id}/rating, then reload the engagement. */
  async submitRating() {
    if (this.data.ratingSubmitting) return
    const problem = this.ratingProblem()
    if (problem) {
      this.setData({ ratingError: problem })
      return
    }
    const form = this.data.ratingForm
    /** @type {Record<string, number>} */
    const dimensions = {}
    for (const d of form.dims) dimensions[d.name] = d.value
    const body = { overall: form.overall, dimensions, comment: form.comment.trim() }
    const key = intentKey(this, 'rating', body)
    this.setData({ ratingSubmitting: true, ratingError: '' })
    try {
      const rating = await post(`/engagements/${this.data.id}/rating`, body, {
        header: { 'Idempotency-Key': key },
        loading: '提交中',
      })
      forgetIntent(this, 'rating')
      this.setData({ ratingSubmitting: false, ratingForm: blankRating() })
      wx.showToast({
        title: rating && rating.counts === false ? '评价已提交，评语审核通过后计入评分' : '感谢您的评价',
        icon: 'none',
      })
      await this.load()
    } catch (err) {
      this.setData({ ratingSubmitting: false, ratingError: err.message })
      wx.showToast({ title: err.message, icon: 'none' })
    }
  },

  // -- links --------------------------------------------------------------------------

  goProvider() {
    const s = this.data.summary
    if (s) wx.navigateTo({ url: `/pages/provider-detail/provider-detail?id=${s.providerId}` })
  },

  /** 投诉该服务机构: the provider page's complaint popup, about this engagement. */
  goComplain() {
    const s = this.data.summary
    if (!s) return
    wx.navigateTo({
      url: `/pages/provider-detail/provider-detail?id=${s.providerId}&engagement_id=${s.id}&enterprise_id=${s.enterpriseId}&complain=1`,
    })
  },
})
