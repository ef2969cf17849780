// Bind an enterprise (绑定企业): the person proves they act for an enterprise in the register
// with its credit code and the legal representative's name (POST /me/enterprises). Binding
// unlocks matched policies, filing appeals for the enterprise and its surveys. The backend
// allows 5 failed attempts a day and says how many are left (details.remaining_attempts).

const { post } = require('../../utils/request')
const { newIdempotencyKey } = require('../../utils/idempotency')
const { normaliseCreditCode, creditCodeProblem } = require('../../utils/credit-code')

const ROLES = [
  { value: 'legal_representative', label: '我是法定代表人' },
  { value: 'contact', label: '我是企业联系人' },
]

Page({
  data: {
    roles: ROLES,
    form: { credit_code: '', legal_representative: '', role: 'legal_representative' },
    errors: { credit_code: '', legal_representative: '' },
    submitError: '',
    submitting: false,
  },

  /** One key per intent: a retry after a lost answer is replayed, not a second attempt. */
  idempotencyKey: '',

  onLoad() {
    this.idempotencyKey = newIdempotencyKey()
  },

  /** @param {any} e */
  onFieldChange(e) {
    const field = e.currentTarget.dataset.field
    this.setData({ [`form.${field}`]: e.detail.value, [`errors.${field}`]: '', submitError: '' })
    this.idempotencyKey = newIdempotencyKey() // changed input is a new attempt
  },

  /** Client-side checks; returns the normalised form or null (errors shown). */
  validate() {
    const form = this.data.form
    const creditCode = normaliseCreditCode(form.credit_code)
    const name = String(form.legal_representative || '').trim()
    const errors = {
      credit_code: creditCodeProblem(creditCode),
      legal_representative: name ? (name.length > 50 ? '姓名不能超过 50 个字' : '') : '请输入法定代表人姓名',
    }
    this.setData({ errors })
    if (errors.credit_code || errors.legal_representative) return null
    return { credit_code: creditCode, legal_representative: name, role: form.role }
  },

  /** Submit the binding; resolves after the request settled (never rejects). */
  async submit() {
    if (this.data.submitting) return
    const body = this.validate()
    if (!body) return
    this.setData({ submitting: true, submitError: '' })
    try {
      await post('/me/enterprises', body, {
        loading: '正在核验',
        header: { 'Idempotency-Key': this.idempotencyKey },
      })
      wx.showToast({ title: '绑定成功', icon: 'success' })
      this.setData({ submitting: false })
      setTimeout(() => wx.navigateBack({ fail: () => wx.switchTab({ url: '/pages/me/me' }) }), 600)
    } catch (err) {
      // A mismatch's message already counts the attempts left; "not found" does not.
      const left = err.details ? err.details.remaining_attempts : undefined
      const submitError =
        err.code === 'enterprise_not_found' && typeof left === 'number' ? `${err.message}（还可尝试${left}次）` : err.message
      this.setData({ submitting: false, submitError })
      this.idempotencyKey = newIdempotencyKey()
    }
  },
})
