// One appeal (诉求详情, ?id=): number, status, description, the timeline of what happened
// (GET /appeals/{id} `timeline`), attachments (tap to preview), and only the actions the API
// offers in `actions` (AppealDetailOut.actions, from app.appeal.workflow plus the reopen
// allowance):
//   supplement → 补充材料: text + photos, multipart POST /appeals/{id}/supplement
//   confirm    → 确认并评价: resolved=true with a 好差评 five-level satisfaction, POST …/confirm
//   reopen     → 未解决，申请重办: resolved=false, satisfaction and the required note, POST …/confirm
// Every action sends an Idempotency-Key (one per intent, reused when the same thing is retried).
//
// Contract: `load()` never rejects; `data.detail` is the API's AppealDetailOut (plus display
// fields); `data.actions` its `actions` as returned.

const { get, post } = require('../../utils/request')
const { newIdempotencyKey } = require('../../utils/idempotency')
const { LIMITS, statusTheme, postForm, markAppealsChanged } = require('../../utils/appeal')
const { formatTime } = require('../../utils/format')
const { confirmModal } = require('../../utils/ui')
const { openDocument } = require('../../utils/documents')
const { MAX_PHOTOS, CHOOSE_CONFIG, preparePhotos, uploadFiles } = require('../../utils/photos')

/** The 好差评 five levels (Satisfaction, app/appeal/models.py), index = t-rate value - 1. */
const SATISFACTION = [
  { value: 'very_dissatisfied', label: '非常不满意' },
  { value: 'dissatisfied', label: '不满意' },
  { value: 'basically_satisfied', label: '基本满意' },
  { value: 'satisfied', label: '满意' },
  { value: 'very_satisfied', label: '非常满意' },
]

/** @param {any} detail */
function decorate(detail) {
  return {
    ...detail,
    statusTheme: statusTheme(detail.status),
    createdText: formatTime(detail.created_at),
    resolveDueText: formatTime(detail.resolve_due_at),
    confirmDueText: formatTime(detail.confirm_due_at),
    imageUrls: (detail.attachments || []).filter((/** @type {any} */ a) => a.is_image).map((/** @type {any} */ a) => a.url),
    timeline: (detail.timeline || []).map((/** @type {any} */ entry) => ({ ...entry, atText: formatTime(entry.at) })),
  }
}

/** @param {any[]} actions @param {string} name */
function findAction(actions, name) {
  return (actions || []).find((a) => a.action === name) || null
}

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    id: 0,
    /** @type {any} */
    detail: null,
    /** @type {any[]} */
    actions: [],
    /** @type {any} */
    supplementAction: null,
    /** @type {any} */
    confirmAction: null,
    /** @type {any} */
    reopenAction: null,
    /** '' | 'supplement' | 'confirm' | 'reopen': the open action panel. */
    panel: '',
    supplementText: '',
    /** @type {{ path: string, size: number }[]} */
    supplementPhotos: [],
    /** @type {any[]} */
    supplementFiles: [],
    /** t-rate value 1-5 (0: not chosen). */
    rating: 0,
    comment: '',
    busy: false,
    satisfactionTexts: SATISFACTION.map((s) => s.label),
    maxPhotos: MAX_PHOTOS,
    chooseConfig: CHOOSE_CONFIG,
    limits: LIMITS,
  },

  _keys: /** @type {Record<string, { key: string, fingerprint: string }>} */ ({}),

  /** @param {Record<string, string>} query */
  onLoad(query) {
    this._keys = {}
    const id = Number((query && query.id) || 0)
    this.setData({ id })
    this.load()
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load the appeal; never rejects. */
  async load() {
    if (!this.data.id) {
      this.setData({ status: 'error', errorMessage: '诉求不存在或已被删除' })
      return
    }
    if (!this.data.detail) this.setData({ status: 'loading', errorMessage: '' })
    try {
      const detail = await get(`/appeals/${this.data.id}`)
      this.show(detail)
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /** @param {any} detail AppealDetailOut */
  show(detail) {
    const actions = detail.actions || []
    this.setData({
      status: 'content',
      detail: decorate(detail),
      actions,
      supplementAction: findAction(actions, 'supplement'),
      confirmAction: findAction(actions, 'confirm'),
      reopenAction: findAction(actions, 'reopen'),
    })
  },

  /** The key for an intent: the same while the same thing is retried. @param {string} intent @param {any} body */
  keyFor(intent, body) {
    const fingerprint = JSON.stringify(body)
    const known = this._keys[intent]
    if (known && known.fingerprint === fingerprint) return known.key
    const key = newIdempotencyKey()
    this._keys[intent] = { key, fingerprint }
    return key
  },

  /** @param {any} e */
  onAttachmentTap(e) {
    const { url, image, type } = e.currentTarget.dataset
    if (!image) return openDocument({ url, contentType: type })
    wx.previewImage({ urls: this.data.detail.imageUrls, current: url })
  },

  /** @param {any} e */
  openPanel(e) {
    const panel = e.currentTarget.dataset.panel
    this.setData({ panel, comment: '', rating: 0 })
  },

  closePanel() {
    if (!this.data.busy) this.setData({ panel: '' })
  },

  /** @param {any} e */
  onPopupVisibleChange(e) {
    if (!e.detail.visible) this.closePanel()
  },

  /** @param {any} e */
  onSupplementText(e) {
    this.setData({ supplementText: String(e.detail.value || '') })
  },

  /** @param {any} e */
  async onSupplementPhotosAdd(e) {
    const { photos: added, notice } = await preparePhotos(e.detail.files || [], this.data.supplementPhotos.length)
    const photos = [...this.data.supplementPhotos, ...added]
    this.setData({ supplementPhotos: photos, supplementFiles: uploadFiles(photos) })
    if (notice) wx.showToast({ title: notice, icon: 'none' })
  },

  /** @param {any} e */
  onSupplementPhotoRemove(e) {
    const photos = this.data.supplementPhotos.filter((_, i) => i !== e.detail.index)
    this.setData({ supplementPhotos: photos, supplementFiles: uploadFiles(photos) })
  },

  /** @param {any} e */
  onRatingChange(e) {
    this.setData({ rating: Number(e.detail.value) || 0 })
  },

  /** @param {any} e */
  onCommentChange(e) {
    this.setData({ comment: String(e.detail.value || '') })
  },

  /** 补充材料 → POST /appeals/{id}/supplement (multipart). Never rejects. */
  async submitSupplement() {
    if (this.data.busy) return
    const text = this.data.supplementText.trim()
    const action = this.data.supplementAction
    const label = (action && action.note_label) || '补充内容'
    if (!text) return toast(`请填写${label}`)
    if (text.length > LIMITS.noteMax) return toast(`${label}不能超过 ${LIMITS.noteMax} 字`)
    this.setData({ busy: true })
    try {
      const photos = this.data.supplementPhotos
      const key = this.keyFor('supplement', { text, photos: photos.map((p) => p.path) })
      const detail = await postForm(`/appeals/${this.data.id}/supplement`, { text }, photos, key)
      delete this._keys.supplement
      this.setData({ panel: '', supplementText: '', supplementPhotos: [], supplementFiles: [] })
      this.show(detail)
      markAppealsChanged()
      wx.showToast({ title: '已提交补充材料', icon: 'success' })
    } catch (err) {
      toast(err.message)
    } finally {
      this.setData({ busy: false })
    }
  },

  /** 确认并评价 (resolved) or 申请重办 (unresolved) → POST /appeals/{id}/confirm. Never rejects. */
  async submitVerdict() {
    if (this.data.busy) return
    const reopen = this.data.panel === 'reopen'
    const action = reopen ? this.data.reopenAction : this.data.confirmAction
    if (!action) return
    const level = SATISFACTION[this.data.rating - 1]
    if (!level) return toast('请选择满意度')
    const comment = this.data.comment.trim()
    if (action.note_required && !comment) return toast(`请填写${action.note_label || '还有哪些问题没有解决'}`)
    if (comment.length > LIMITS.commentMax) return toast(`评价说明不能超过 ${LIMITS.commentMax} 字`)
    this.setData({ busy: true })
    try {
      const ok = await confirmModal({
        title: reopen ? '申请重办' : '确认办结',
        content: reopen ? '提交后诉求将重新受理分派。' : `问题已解决，满意度：${level.label}。提交后诉求办结。`,
      })
      if (!ok) return
      const body = { resolved: !reopen, satisfaction: level.value, comment }
      const key = this.keyFor('confirm', body)
      await post(`/appeals/${this.data.id}/confirm`, body, { header: { 'Idempotency-Key': key }, loading: '提交中' })
      delete this._keys.confirm
      markAppealsChanged()
      this.setData({ panel: '', comment: '', rating: 0 })
      wx.showToast({ title: reopen ? '已申请重办' : '感谢您的评价', icon: 'success' })
      await this.load()
    } catch (err) {
      toast(err.message)
    } finally {
      this.setData({ busy: false })
    }
  },
})

/** @param {string} title */
function toast(title) {
  wx.showToast({ title: title || '操作失败，请稍后重试', icon: 'none' })
}
