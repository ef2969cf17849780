// File an appeal (提交诉求): category, title, description, the enterprise it concerns, contact
// details and up to 9 photos, confirmed in a modal, then sent as ONE multipart/form-data
// POST /appeals (miniprogram_api/endpoints/appeals.py, AppealForm); on success the page is
// replaced by the new appeal's detail.
//
// Contract (driven by tests, including a page-flow test against the real backend):
// - `data.form` holds the AppealForm fields by their API names: category, title, description,
//   enterprise_id (number | null: personal appeal), enterprise_name, contact_name,
//   contact_phone, contact_preference ('wechat' | 'phone' | 'none').
// - `data.photos` is the list of photos to send, each {path, size} (at most 9).
// - `load()` loads the categories (GET /appeal-categories) and my enterprises
//   (GET /me/enterprises); it never rejects (errors go to data.status / data.errorMessage).
// - `onFieldChange(e)` sets form[e.currentTarget.dataset.field] = e.detail.value.
// - `submit()` validates, asks for the appeal subscribe messages, asks to confirm
//   (wx.showModal), POSTs the form with an Idempotency-Key (one per intent, reused when the
//   same form is retried after a failure) and wx.redirectTo's the detail page. Its Promise
//   settles after the request finished and the navigation was called (or it stopped on a
//   validation error / cancel / failure, with a toast); it never rejects. While it runs,
//   `data.submitting` is true and further calls return at once.

const { get } = require('../../utils/request')
const subscribe = require('../../utils/subscribe')
const { newIdempotencyKey } = require('../../utils/idempotency')
const { LIMITS, postForm, markAppealsChanged, navigate } = require('../../utils/appeal')
const { MAX_PHOTOS, CHOOSE_CONFIG, preparePhotos, uploadFiles } = require('../../utils/photos')
const { confirmModal } = require('../../utils/ui')

const SUBSCRIBE_TEMPLATES = ['appeal_accepted', 'appeal_dispatched', 'appeal_replied']

/** ContactPreference (app/appeal/models.py). */
const CONTACT_PREFERENCES = [
  { value: 'wechat', label: '微信消息' },
  { value: 'phone', label: '电话联系' },
  { value: 'none', label: '无需联系' },
]

function emptyForm() {
  return {
    category: '',
    title: '',
    description: '',
    enterprise_id: /** @type {number | null} */ (null),
    enterprise_name: '',
    contact_name: '',
    contact_phone: '',
    contact_preference: 'wechat',
  }
}

/** @param {any} value */
function toText(value) {
  if (value === null || value === undefined) return ''
  return String(value)
}

/**
 * Client-side checks with the appeal service's Chinese messages; {} when fine.
 * @param {ReturnType<typeof emptyForm>} form
 * @param {number} photoCount
 * @returns {Record<string, string>}
 */
function validate(form, photoCount) {
  /** @type {Record<string, string>} */
  const errors = {}
  const description = form.description.trim()
  if (!form.category) errors.category = '请选择诉求类别'
  if (description.length < LIMITS.descriptionMin) errors.description = `请把诉求描述清楚（至少 ${LIMITS.descriptionMin} 个字）`
  else if (description.length > LIMITS.descriptionMax) errors.description = `诉求描述不能超过 ${LIMITS.descriptionMax} 字`
  if (form.title.trim().length > LIMITS.titleMax) errors.title = `诉求标题不能超过 ${LIMITS.titleMax} 字`
  const phone = form.contact_phone.trim().replace(/[-\s]/g, '')
  if (phone && !/^\d{7,15}$/.test(phone)) errors.contact_phone = '联系电话格式不正确'
  if (form.contact_preference === 'phone' && !phone) errors.contact_phone = '选择电话联系时请填写联系电话'
  if (form.contact_name.trim().length > LIMITS.contactNameMax) errors.contact_name = `联系人不能超过 ${LIMITS.contactNameMax} 字`
  if (form.enterprise_name.trim().length > LIMITS.enterpriseNameMax) errors.enterprise_name = `企业名称不能超过 ${LIMITS.enterpriseNameMax} 字`
  if (photoCount > MAX_PHOTOS) errors.photos = `最多上传 ${MAX_PHOTOS} 张图片`
  return errors
}

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    /** @type {{ code: string, label: string, hint: string, resolve_working_days: number }[]} */
    categories: [],
    categoryHint: '',
    /** @type {{ id: number, name: string }[]} */
    enterprises: [],
    /** t-radio-group value for the enterprise: the id as a string, '' for personal. */
    enterpriseChoice: '',
    form: emptyForm(),
    /** @type {{ path: string, size: number }[]} */
    photos: [],
    /** t-upload's files for data.photos. */
    /** @type {{ url: string, type: string, size: number }[]} */
    uploadFiles: [],
    /** @type {Record<string, string>} */
    errors: {},
    submitting: false,
    contactPreferences: CONTACT_PREFERENCES,
    maxPhotos: MAX_PHOTOS,
    chooseConfig: CHOOSE_CONFIG,
    limits: LIMITS,
  },

  /** Idempotency-Key of the last submission that did not succeed, and what it sent. */
  _pendingKey: '',
  _pendingFingerprint: '',

  onLoad() {
    subscribe.preload()
    this.load()
  },

  /** Load categories and my enterprises; never rejects. */
  async load() {
    this.setData({ status: 'loading', errorMessage: '' })
    try {
      const [categories, bindings] = await Promise.all([
        get('/appeal-categories'),
        get('/me/enterprises?limit=100'),
      ])
      const items = (categories && categories.items) || []
      const enterprises = ((bindings && bindings.items) || []).map((/** @type {any} */ b) => ({
        id: b.enterprise.id,
        name: b.enterprise.name,
      }))
      const form = { ...this.data.form }
      // One bound enterprise: the appeal is most likely about it (the person can switch to 个人).
      if (form.enterprise_id === null && enterprises.length === 1) form.enterprise_id = enterprises[0].id
      if (form.enterprise_id !== null && !enterprises.some((e) => e.id === form.enterprise_id)) form.enterprise_id = null
      this.setData({
        status: items.length ? 'content' : 'empty',
        categories: items,
        enterprises,
        form,
        enterpriseChoice: form.enterprise_id === null ? '' : String(form.enterprise_id),
        categoryHint: hintOf(items, form.category),
      })
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /**
   * A form field changed: `data-field` names the AppealForm field, `e.detail.value` is the
   * value (t-input, t-textarea, t-radio-group).
   * @param {any} e
   */
  onFieldChange(e) {
    const field = e.currentTarget.dataset.field
    let value = e.detail ? e.detail.value : undefined
    if (Array.isArray(value)) value = value[0]
    const form = { ...this.data.form }
    /** @type {Record<string, any>} */
    const patch = {}
    if (field === 'enterprise_id') {
      const id = Number(value)
      form.enterprise_id = value === '' || value === null || value === undefined || !id ? null : id
      patch.enterpriseChoice = form.enterprise_id === null ? '' : String(form.enterprise_id)
    } else {
      form[field] = toText(value)
    }
    if (field === 'category') patch.categoryHint = hintOf(this.data.categories, form.category)
    const errors = { ...this.data.errors }
    delete errors[field]
    this.setData({ ...patch, form, errors })
  },

  /** t-upload picked photos (wx.chooseMedia inside it): shrink the large ones, keep ≤ 9. @param {any} e */
  async onPhotosAdd(e) {
    const { photos: added, notice } = await preparePhotos(e.detail.files || [], this.data.photos.length)
    const photos = [...this.data.photos, ...added]
    this.setData({ photos, uploadFiles: uploadFiles(photos) })
    if (notice) wx.showToast({ title: notice, icon: 'none' })
  },

  /** @param {any} e */
  onPhotoRemove(e) {
    const index = e.detail.index
    const photos = this.data.photos.filter((_, i) => i !== index)
    this.setData({ photos, uploadFiles: uploadFiles(photos) })
  },

  /** Tap on 提交. */
  onSubmitTap() {
    return this.submit()
  },

  /** See the contract in the header. Never rejects. */
  async submit() {
    if (this.data.submitting) return
    const form = this.data.form
    const errors = validate(form, this.data.photos.length)
    const first = Object.keys(errors)[0]
    if (first) {
      this.setData({ errors })
      wx.showToast({ title: errors[first], icon: 'none' })
      return
    }
    this.setData({ submitting: true, errors: {} })
    try {
      // Inside the tap, before anything asynchronous of ours: WeChat shows the dialog only then.
      await subscribe.requestAtTap(SUBSCRIBE_TEMPLATES)
      const ok = await confirmModal({ title: '确认提交', content: this.summary(), confirmText: '提交', cancelText: '再改改' })
      if (!ok) return
      const fields = this.fields()
      const fingerprint = JSON.stringify({ fields, photos: this.data.photos.map((p) => p.path) })
      if (!this._pendingKey || this._pendingFingerprint !== fingerprint) {
        this._pendingKey = newIdempotencyKey()
        this._pendingFingerprint = fingerprint
      }
      let appeal
      try {
        appeal = await postForm('/appeals', fields, this.data.photos, this._pendingKey)
      } catch (err) {
        this.showFailure(err)
        return
      }
      this._pendingKey = ''
      this._pendingFingerprint = ''
      markAppealsChanged()
      wx.showToast({ title: '提交成功', icon: 'success' })
      navigate('redirectTo', `/pages/appeal-detail/appeal-detail?id=${appeal.id}`)
    } finally {
      this.setData({ submitting: false })
    }
  },

  /** The text fields as sent (empty optional ones left out). */
  fields() {
    const form = this.data.form
    /** @type {Record<string, string | number>} */
    const fields = {
      category: form.category,
      description: form.description.trim(),
      contact_preference: form.contact_preference,
    }
    const optional = ['title', 'enterprise_name', 'contact_name', 'contact_phone']
    for (const name of optional) {
      const value = toText(form[name]).trim()
      if (value) fields[name] = value
    }
    if (form.enterprise_id !== null) fields.enterprise_id = form.enterprise_id
    return fields
  },

  /** The confirm modal's text. */
  summary() {
    const form = this.data.form
    const category = this.data.categories.find((c) => c.code === form.category)
    const enterprise = this.data.enterprises.find((e) => e.id === form.enterprise_id)
    const who = enterprise ? enterprise.name : form.enterprise_name.trim() || '个人名义'
    const lines = [
      `类别：${category ? category.label : form.category}`,
      `所涉企业：${who}`,
      `图片：${this.data.photos.length} 张`,
      '提交后将由相关部门受理，办理进展会通过消息通知您。',
    ]
    return lines.join('\n')
  },

  /** Show why the submission failed; field errors from a 422 also inline. @param {any} err */
  showFailure(err) {
    const details = (err && err.details) || {}
    const listed = Array.isArray(details.fields) && details.fields[0] ? details.fields[0].field : ''
    const field = details.field || listed
    if (typeof field === 'string' && field in this.data.form) this.setData({ errors: { [field]: err.message } })
    wx.showToast({ title: (err && err.message) || '提交失败，请稍后重试', icon: 'none' })
  },
})

/**
 * @param {{ code: string, hint: string }[]} categories
 * @param {string} code
 */
function hintOf(categories, code) {
  const found = categories.find((c) => c.code === code)
  return found ? found.hint : ''
}
