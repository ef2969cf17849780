// 申请服务 — request a provider's service (POST /engagements): choose one of the provider's
// products (GET /providers/{id}), the bound enterprise the request is made for
// (GET /me/enterprises), and describe the need; on success go to the new engagement's page
// (wx.redirectTo, so 返回 does not come back to the form). Asks for the provider_engagement
// subscribe message at the tap. Query: ?provider_id=<id>[&product_id=<id>].

const { get, post } = require('../../utils/request')
const subscribe = require('../../utils/subscribe')
const { LIMITS, intentKey, forgetIntent } = require('../../utils/provider')

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    emptyText: '该机构暂无可委托的服务产品',
    providerId: 0,
    providerName: '',
    /** @type {{value: number, label: string, priceText: string}[]} */
    productOptions: [],
    productId: 0,
    /** @type {{value: number, label: string}[]} */
    enterpriseOptions: [],
    enterpriseId: 0,
    note: '',
    noteMax: LIMITS.engagementNote,
    formError: '',
    submitting: false,
  },

  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    const q = query || {}
    subscribe.preload()
    this.setData({ providerId: Number(q.provider_id) || 0, productId: Number(q.product_id) || 0 })
    this.load()
  },

  /** The provider's products and my enterprises; never rejects. */
  async load() {
    if (!this.data.providerId) {
      this.setData({ status: 'error', errorMessage: '未找到该服务机构' })
      return
    }
    this.setData({ status: 'loading', errorMessage: '' })
    try {
      const [provider, bindings] = await Promise.all([
        get(`/providers/${this.data.providerId}`),
        get('/me/enterprises', { data: { limit: 100 } }),
      ])
      const productOptions = ((provider && provider.products) || []).map((/** @type {any} */ p) => ({
        value: p.id,
        label: p.price_text ? `${p.name}（${p.price_text}）` : p.name,
        priceText: p.price_text || '',
      }))
      const enterpriseOptions = ((bindings && bindings.items) || []).map((/** @type {any} */ b) => ({
        value: b.enterprise.id,
        label: b.enterprise.name,
      }))
      const keepProduct = productOptions.some((o) => o.value === this.data.productId)
      const keepEnterprise = enterpriseOptions.some((o) => o.value === this.data.enterpriseId)
      this.setData({
        status: productOptions.length ? 'content' : 'empty',
        providerName: provider.name || '',
        productOptions,
        productId: keepProduct ? this.data.productId : productOptions.length === 1 ? productOptions[0].value : 0,
        enterpriseOptions,
        enterpriseId: keepEnterprise
          ? this.data.enterpriseId
          : enterpriseOptions.length === 1
            ? enterpriseOptions[0].value
            : 0,
      })
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /** @param {any} e t-radio-group change */
  onProductChange(e) {
    this.setData({ productId: Number(e.detail.value) || 0, formError: '' })
  },

  /** @param {any} e t-radio-group change */
  onEnterpriseChange(e) {
    this.setData({ enterpriseId: Number(e.detail.value) || 0, formError: '' })
  },

  /** @param {any} e t-textarea change */
  onNoteInput(e) {
    this.setData({ note: e.detail.value || '', formError: '' })
  },

  goBindEnterprise() {
    wx.navigateTo({ url: '/pages/enterprise-bind/enterprise-bind' })
  },

  /** What is missing or too long, in the backend's words; '' when the form can go. */
  problem() {
    if (!this.data.productId) return '请选择服务产品'
    if (!this.data.enterpriseOptions.length) return '请先绑定企业，再委托服务'
    if (!this.data.enterpriseId) return '请选择委托企业'
    if (this.data.note.trim().length > LIMITS.engagementNote) return `需求说明不能超过 ${LIMITS.engagementNote} 字`
    return ''
  },

  /** 提交申请: subscribe at the tap, then POST /engagements with one Idempotency-Key per request. */
  async onSubmit() {
    if (this.data.submitting) return
    const problem = this.problem()
    if (problem) {
      this.setData({ formError: problem })
      wx.showToast({ title: problem, icon: 'none' })
      return
    }
    this.setData({ submitting: true, formError: '' })
    await subscribe.requestAtTap(['provider_engagement'])
    const body = { product_id: this.data.productId, enterprise_id: this.data.enterpriseId, note: this.data.note.trim() }
    const key = intentKey(this, 'engagement', body)
    try {
      const detail = await post('/engagements', body, { header: { 'Idempotency-Key': key }, loading: '提交中' })
      forgetIntent(this, 'engagement')
      wx.showToast({ title: '已提交申请', icon: 'success' })
      // Stay "submitting" (button disabled) while the page is replaced.
      wx.redirectTo({ url: `/pages/engagement-detail/engagement-detail?id=${detail.summary.id}` })
    } catch (err) {
      this.setData({ submitting: false, formError: err.message })
      wx.showToast({ title: err.message, icon: 'none' })
    }
  },
})
