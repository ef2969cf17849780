// 服务机构详情 — one provider's public page (GET /providers/{id}): introduction, services on
// offer (each with 申请服务 → pages/engagement-new), qualifications, address, the rating
// summary by dimension and the recent ratings (the API returns the latest 10 with the page;
// it has no separate paged ratings route). 投诉 opens a popup that files
// POST /provider-complaints in the name of one of my bound enterprises.
// Query: ?id=<provider id>[&engagement_id=&enterprise_id=&complain=1] (from an engagement page:
// the complaint then concerns that engagement and opens at once).

const { get, post } = require('../../utils/request')
const {
  LIMITS,
  reputationView,
  ratingView,
  intentKey,
  forgetIntent,
  PROVIDER_TAG_THEMES,
} = require('../../utils/provider')
const { formatDate } = require('../../utils/format')
const { confirmModal } = require('../../utils/ui')

/**
 * A ProductOut with one description line for its cell.
 * @param {any} product
 */
function productView(product) {
  const parts = [product.description || '']
  if (product.audience) parts.push(`服务对象：${product.audience}`)
  if (product.delivery_days) parts.push(`交付周期：${product.delivery_days} 天`)
  return { ...product, detailText: parts.filter(Boolean).join('；') }
}

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    id: 0,
    /** @type {any} ProviderDetailOut */
    provider: null,
    statusTheme: 'default',
    reputation: reputationView(null),
    /** @type {any[]} ProductOut */
    products: [],
    /** @type {{name: string, number: string, expiresOn: string}[]} */
    credentials: [],
    /** @type {any[]} */
    ratings: [],
    admittedAt: '',

    // complaint popup
    complaintVisible: false,
    complaintLoading: false,
    /** @type {{value: number, label: string}[]} */
    enterpriseOptions: [],
    enterpriseId: 0,
    engagementId: 0,
    complaintText: '',
    complaintError: '',
    complaintSubmitting: false,
    complaintMin: LIMITS.complaintMin,
    complaintMax: LIMITS.complaintMax,
  },

  _enterprisesLoaded: false,

  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    const q = query || {}
    this.setData({
      id: Number(q.id) || 0,
      engagementId: Number(q.engagement_id) || 0,
      enterpriseId: Number(q.enterprise_id) || 0,
    })
    this.load().then(() => {
      if (q.complain === '1' && this.data.status === 'content') this.openComplaint()
    })
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load the provider; never rejects. */
  async load() {
    if (!this.data.id) {
      this.setData({ status: 'error', errorMessage: '未找到该服务机构' })
      return
    }
    this.setData({ status: 'loading', errorMessage: '' })
    try {
      const provider = await get(`/providers/${this.data.id}`)
      this.setData({
        status: 'content',
        provider,
        statusTheme: PROVIDER_TAG_THEMES[provider.status] || 'default',
        reputation: reputationView(provider.reputation),
        products: (provider.products || []).map(productView),
        credentials: (provider.credentials || []).map((/** @type {any} */ c) => ({
          name: c.name || '',
          number: c.number || '',
          expiresOn: c.expires_on ? formatDate(c.expires_on) : '长期有效',
        })),
        ratings: (provider.recent_ratings || []).map(ratingView),
        admittedAt: formatDate(provider.admitted_at),
      })
      if (provider.name) wx.setNavigationBarTitle({ title: provider.name })
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /** 申请服务 (the whole provider: the product is chosen on the next page). */
  onApply() {
    wx.navigateTo({ url: `/pages/engagement-new/engagement-new?provider_id=${this.data.id}` })
  },

  /** @param {any} e 申请 on one product: data-id */
  onApplyProduct(e) {
    const productId = e.currentTarget.dataset.id
    wx.navigateTo({ url: `/pages/engagement-new/engagement-new?provider_id=${this.data.id}&product_id=${productId}` })
  },

  // -- complaint ----------------------------------------------------------------------

  /** Open the complaint popup; loads my bound enterprises first (GET /me/enterprises). */
  async openComplaint() {
    if (this.data.complaintLoading) return
    if (!this._enterprisesLoaded) {
      this.setData({ complaintLoading: true })
      try {
        const body = await get('/me/enterprises', { data: { limit: 100 } })
        const enterpriseOptions = ((body && body.items) || []).map((/** @type {any} */ b) => ({
          value: b.enterprise.id,
          label: b.enterprise.name,
        }))
        this._enterprisesLoaded = true
        const preset = enterpriseOptions.find((o) => o.value === this.data.enterpriseId)
        this.setData({
          enterpriseOptions,
          enterpriseId: preset ? preset.value : enterpriseOptions.length === 1 ? enterpriseOptions[0].value : 0,
        })
      } catch (err) {
        this.setData({ complaintLoading: false })
        wx.showToast({ title: err.message, icon: 'none' })
        return
      }
      this.setData({ complaintLoading: false })
    }
    if (!this.data.enterpriseOptions.length) {
      const goBind = await confirmModal({ title: '请先绑定企业', content: '投诉需以您已绑定的企业名义提交。', confirmText: '去绑定' })
      if (goBind) wx.navigateTo({ url: '/pages/enterprise-bind/enterprise-bind' })
      return
    }
    this.setData({ complaintVisible: true, complaintError: '' })
  },

  closeComplaint() {
    if (this.data.complaintSubmitting) return
    this.setData({ complaintVisible: false })
  },

  /** @param {any} e t-popup visible-change */
  onComplaintVisibleChange(e) {
    if (!e.detail.visible) this.closeComplaint()
  },

  /** @param {any} e t-radio-group change */
  onComplaintEnterprise(e) {
    this.setData({ enterpriseId: Number(e.detail.value) || 0, complaintError: '' })
  },

  /** @param {any} e t-textarea change */
  onComplaintText(e) {
    this.setData({ complaintText: e.detail.value || '', complaintError: '' })
  },

  /** Client-side checks with the backend's limits; '' when fine. */
  complaintProblem() {
    const text = this.data.complaintText.trim()
    if (!this.data.enterpriseId) return '请选择投诉企业'
    if (text.length < LIMITS.complaintMin) return `请把投诉事由写清楚（至少 ${LIMITS.complaintMin} 个字）`
    if (text.length > LIMITS.complaintMax) return `投诉内容不能超过 ${LIMITS.complaintMax} 字`
    return ''
  },

  /** 提交投诉: POST /provider-complaints with an Idempotency-Key per complaint. */
  async submitComplaint() {
    if (this.data.complaintSubmitting) return
    const problem = this.complaintProblem()
    if (problem) {
      this.setData({ complaintError: problem })
      return
    }
    /** @type {Record<string, any>} */
    const body = {
      provider_id: this.data.id,
      enterprise_id: this.data.enterpriseId,
      text: this.data.complaintText.trim(),
    }
    if (this.data.engagementId) body.engagement_id = this.data.engagementId
    const key = intentKey(this, 'complaint', body)
    this.setData({ complaintSubmitting: true, complaintError: '' })
    try {
      const complaint = await post('/provider-complaints', body, { header: { 'Idempotency-Key': key }, loading: '提交中' })
      forgetIntent(this, 'complaint')
      this.setData({ complaintSubmitting: false, complaintVisible: false, complaintText: '' })
      wx.showToast({ title: `投诉已提交，${(complaint && complaint.status_label) || '待核实'}`, icon: 'none' })
    } catch (err) {
      this.setData({ complaintSubmitting: false, complaintError: err.message })
    }
  },
})
