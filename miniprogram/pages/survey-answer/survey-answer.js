// Answer a survey (填写问卷, ?id=&enterprise_id=): GET /surveys/{id} gives the questionnaire by
// sections and the draft saved so far (shared with the 公众号 chat and the H5 page), which is
// restored on open. Every change is saved as a partial draft (PUT /surveys/{id}/answers, only
// the changed questions) after a short pause, and at once when the page is hidden or closed;
// unsaved changes also survive in storage until the server has them. Skip logic (show_if)
// and the progress bar (answered / shown questions, required ones counted) follow
// utils/survey.js. 提交 checks the required questions with Chinese messages, then
// POST /surveys/{id}/submit with the last changes and an Idempotency-Key. A submitted survey,
// or one that is no longer open, is shown read-only.
//
// Contract: `load()` never rejects; `data.answers` are the answers by question key as the API
// stores them; `onAnswer(e)` takes e.detail {key, value}; `save()` and `submit()` never reject.

const { get, put, post } = require('../../utils/request')
const { newIdempotencyKey } = require('../../utils/idempotency')
const { allQuestions, evaluate } = require('../../utils/survey')
const { formatTime } = require('../../utils/format')
const { confirmModal } = require('../../utils/ui')

const SAVE_DELAY_MS = 1000
const STORAGE_PREFIX = 'qiyun.surveyPending.'

/** @param {any} value an answer; empty ones clear it (null) */
function normalise(value) {
  if (value === undefined || value === '') return null
  if (Array.isArray(value) && !value.length) return null
  return value
}

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    id: 0,
    /** @type {any} */
    survey: null,
    /** @type {any} */
    enterprise: null,
    /** Sections with their visible questions, each question with its display `index`. */
    /** @type {any[]} */
    sections: [],
    /** @type {Record<string, any>} */
    answers: {},
    /** @type {Record<string, string>} */
    errors: {},
    progress: { answered: 0, total: 0, required: 0, requiredAnswered: 0, percent: 0 },
    submitted: false,
    declining: false,
    submittedText: '',
    readonly: false,
    readonlyReason: '',
    /** '' | 'saving' | 'saved' | 'failed' */
    saveState: '',
    submitting: false,
  },

  /** Changes not yet saved: {question key: answer or null}. */
  _pending: /** @type {Record<string, any>} */ ({}),
  /** @type {any} */
  _timer: null,
  /** @type {Promise<void> | null} */
  _saving: null,
  /** @type {any[]} */
  _questions: [],
  /** @type {any[]} */
  _sections: [],
  _enterpriseId: /** @type {number | null} */ (null),
  _declineKey: '',
  _submitKey: '',

  /** @param {Record<string, string>} query */
  onLoad(query) {
    this._pending = {}
    this._questions = []
    const id = Number((query && query.id) || 0)
    const enterpriseId = Number((query && query.enterprise_id) || 0)
    this._enterpriseId = enterpriseId || null
    this.setData({ id })
    this.load()
  },

  onHide() {
    this.flush()
  },

  onUnload() {
    this.flush()
  },

  /** Load the questionnaire and my answers; never rejects. */
  async load() {
    if (!this.data.id) {
      this.setData({ status: 'error', errorMessage: '问卷不存在或已下线' })
      return
    }
    this.setData({ status: 'loading', errorMessage: '' })
    try {
      const query = this._enterpriseId ? `?enterprise_id=${this._enterpriseId}` : ''
      const response = await get(`/surveys/${this.data.id}${query}`)
      this.showResponse(response, true)
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /** @param {any} response ResponseOut @param {boolean} [restore] merge unsaved changes from storage */
  showResponse(response, restore = false) {
    this._questions = allQuestions(response.questionnaire)
    this._sections = (response.questionnaire && response.questionnaire.sections) || []
    if (response.enterprise && response.enterprise.id) this._enterpriseId = response.enterprise.id
    const survey = response.survey
    const closed = survey && survey.status !== 'open'
    const readonly = !!response.submitted || !!closed
    const answers = { ...(response.answers || {}) }
    if (restore && !readonly) {
      const stored = this.storedPending()
      for (const [key, value] of Object.entries(stored)) {
        this._pending[key] = value
        if (value === null) delete answers[key]
        else answers[key] = value
      }
    }
    if (readonly) this.clearPending()
    wx.setNavigationBarTitle({ title: (survey && survey.title) || '问卷' })
    this.setData({
      status: this._questions.length ? 'content' : 'empty',
      survey,
      enterprise: response.enterprise || null,
      answers,
      submitted: !!response.submitted,
      submittedText: formatTime(response.submitted_at),
      readonly,
      readonlyReason: response.submitted ? '您已提交本问卷，以下为您的答卷' : closed ? '本问卷已结束，不能再作答' : '',
    })
    this.refresh(answers)
    if (Object.keys(this._pending).length && !readonly) this.scheduleSave()
  },

  /** Recompute the visible questions and the progress for these answers. @param {Record<string, any>} answers */
  refresh(answers) {
    const result = evaluate(this._questions, answers)
    const visible = new Set(result.visible)
    let index = 0
    const sections = []
    for (const section of this._sections) {
      const questions = []
      for (const q of section.questions || []) {
        if (!visible.has(q.key)) continue
        index += 1
        questions.push({ ...q, index })
      }
      if (questions.length) sections.push({ key: section.key, title: section.title, description: section.description, questions })
    }
    this.setData({
      sections,
      progress: {
        answered: result.answered,
        total: result.total,
        required: result.required,
        requiredAnswered: result.requiredAnswered,
        percent: result.percent,
      },
    })
    return result
  },

  /** A question's answer changed (survey-question `change`). @param {any} e */
  onAnswer(e) {
    if (this.data.readonly) return
    const { key, value } = e.detail
    const answer = normalise(value)
    const answers = { ...this.data.answers }
    if (answer === null) delete answers[key]
    else answers[key] = answer
    this._pending[key] = answer
    this.storePending()
    const errors = { ...this.data.errors }
    delete errors[key]
    this.setData({ answers, errors })
    this.refresh(answers)
    this.scheduleSave()
  },

  scheduleSave() {
    if (this._timer) clearTimeout(this._timer)
    this._timer = setTimeout(() => {
      this._timer = null
      this.save()
    }, SAVE_DELAY_MS)
  },

  /** Save now (page hidden or closed). */
  flush() {
    if (this._timer) {
      clearTimeout(this._timer)
      this._timer = null
    }
    return this.save()
  },

  /** PUT the pending changes; never rejects. Saves one at a time. */
  async save() {
    if (this._saving) {
      await this._saving
      if (this._timer) return // a newer change will save itself
    }
    const sent = { ...this._pending }
    if (!Object.keys(sent).length || this.data.readonly || this.data.submitting) return
    const body = { answers: sent }
    if (this._enterpriseId) body.enterprise_id = this._enterpriseId
    this.setData({ saveState: 'saving' })
    this._saving = (async () => {
      try {
        await put(`/surveys/${this.data.id}/answers`, body)
        for (const [key, value] of Object.entries(sent)) {
          if (this._pending[key] === value) delete this._pending[key]
        }
        this.storePending()
        this.setData({ saveState: 'saved' })
      } catch (err) {
        this.setData({ saveState: 'failed' })
        if (err.code === 'answer_invalid') {
          this.setData({ errors: { ...this.data.errors, ...((err.details && err.details.errors) || {}) } })
          wx.showToast({ title: err.message, icon: 'none' })
        } else if (err.code === 'already_submitted') {
          this.clearPending()
          this.load()
        }
      }
    })()
    try {
      await this._saving
    } finally {
      this._saving = null
    }
  },

  /** 提交: required questions first, then POST …/submit with the last changes. Never rejects. */
  async submit() {
    if (this.data.submitting || this.data.readonly) return
    const result = evaluate(this._questions, this.data.answers)
    if (result.missing.length) {
      /** @type {Record<string, string>} */
      const errors = {}
      for (const key of result.missing) errors[key] = '此题为必答题，请作答'
      this.setData({ errors })
      const first = this.data.sections.flatMap((s) => s.questions).find((q) => q.key === result.missing[0])
      wx.showToast({
        title: first ? `第 ${first.index} 题为必答题，还有 ${result.missing.length} 道必答题未回答` : `还有 ${result.missing.length} 道必答题未回答`,
        icon: 'none',
      })
      if (first) {
        try {
          wx.pageScrollTo({ selector: `#question-${first.key}`, duration: 200 })
        } catch (err) {
          // scrolling is a nicety
        }
      }
      return
    }
    this.setData({ submitting: true })
    try {
      const ok = await confirmModal({ title: '提交问卷', content: '提交后不能再修改答案，确认提交吗？' })
      if (!ok) return
      if (this._timer) {
        clearTimeout(this._timer)
        this._timer = null
      }
      if (this._saving) await this._saving
      const body = { answers: { ...this._pending } }
      if (this._enterpriseId) body.enterprise_id = this._enterpriseId
      if (!this._submitKey) this._submitKey = newIdempotencyKey()
      const response = await post(`/surveys/${this.data.id}/submit`, body, {
        header: { 'Idempotency-Key': this._submitKey },
        loading: '提交中',
      })
      this._submitKey = ''
      this.clearPending()
      this.setData({ errors: {} })
      this.showResponse(response)
      wx.showToast({ title: response.already_submitted ? '您已提交过本问卷' : '提交成功，感谢参与', icon: response.already_submitted ? 'none' : 'success' })
    } catch (err) {
      if (err.code === 'answer_invalid') {
        this.setData({ errors: (err.details && err.details.errors) || {} })
      }
      wx.showToast({ title: err.message || '提交失败，请稍后重试', icon: 'none' })
    } finally {
      this.setData({ submitting: false })
    }
  },

  /**
   * 不参加本次调查: after confirmation, POST /surveys/{id}/decline, so the backend stops the
   * reminders (a sampled enterprise's refusal is recorded as such). Never rejects.
   */
  async decline() {
    if (this.data.submitting || this.data.declining) return
    this.setData({ declining: true }) // before the dialog: a second tap must not ask again
    try {
      const ok = await confirmModal({
        title: '不参加本次调查',
        content: '确认后将不再就本次调查提醒您，已填写的内容不会提交。',
        confirmText: '不参加',
        confirmColor: '#d54941',
      })
      if (!ok) return
      /** @type {Record<string, any>} */
      const body = {}
      if (this._enterpriseId) body.enterprise_id = this._enterpriseId
      if (!this._declineKey) this._declineKey = newIdempotencyKey()
      const result = await post(`/surveys/${this.data.id}/decline`, body, {
        header: { 'Idempotency-Key': this._declineKey },
        loading: true,
      })
      this._declineKey = ''
      if (this._timer) {
        clearTimeout(this._timer)
        this._timer = null
      }
      this.clearPending()
      await confirmModal({ title: '已记录', content: result.message, showCancel: false, confirmText: '知道了' })
      wx.navigateBack({ fail: () => wx.redirectTo({ url: '/pages/survey-list/survey-list' }) })
    } catch (err) {
      wx.showToast({ title: err.message || '操作失败，请稍后重试', icon: 'none' })
    } finally {
      this.setData({ declining: false })
    }
  },

  storageKey() {
    return `${STORAGE_PREFIX}${this.data.id}`
  },

  /** @returns {Record<string, any>} */
  storedPending() {
    try {
      const stored = wx.getStorageSync(this.storageKey())
      return stored && typeof stored === 'object' ? stored : {}
    } catch (err) {
      return {}
    }
  },

  storePending() {
    try {
      if (Object.keys(this._pending).length) wx.setStorageSync(this.storageKey(), this._pending)
      else wx.removeStorageSync(this.storageKey())
    } catch (err) {
      // storage full: the server save still happens
    }
  },

  clearPending() {
    this._pending = {}
    this.storePending()
  },
})
