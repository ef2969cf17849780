// My surveys (我的问卷): GET /surveys — the surveys my enterprises are invited to, public ones,
// and those already submitted (no paging: the API returns them all). Each shows the survey's
// status (进行中 / 已结束, the backend's label), my state (未作答 / 已答N% / 已提交, the
// backend's state_label), the deadline and the enterprise I answer for. Tapping opens the
// questionnaire; opening one still to answer is the moment to ask for the 问卷调查提醒
// subscribe message (`survey_notice`: the backend reminds through it before the deadline when
// the person does not follow the official account). Reloads when shown again.
//
// Contract: `load()` never rejects; `data.items` are the API's SurveyCardOut objects
// (survey, enterprise, state, state_label, percent), each with display fields added.

const { get } = require('../../utils/request')
const subscribe = require('../../utils/subscribe')
const { formatTime } = require('../../utils/format')

const STATE_THEMES = { new: 'primary', draft: 'warning', submitted: 'success' }

/** @param {any} card */
function decorate(card) {
  const survey = card.survey || {}
  const closed = survey.status !== 'open'
  return {
    ...card,
    // wx:key takes a property name, not a path; a survey may be listed once per enterprise.
    key: `${survey.id}-${card.enterprise ? card.enterprise.id : ''}`,
    stateTheme: closed && card.state !== 'submitted' ? 'default' : STATE_THEMES[card.state] || 'default',
    closed,
    /** Still to answer: opening it asks for the reminder subscription. */
    answerable: !closed && card.state !== 'submitted',
    deadlineText: formatTime(survey.closes_at),
  }
}

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    /** @type {any[]} */
    items: [],
  },

  _shownOnce: false,

  onLoad() {
    subscribe.preload()
    this.load()
  },

  onShow() {
    if (this._shownOnce) this.reloadQuietly()
    this._shownOnce = true
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load the list; never rejects. */
  async load() {
    this.setData({ status: 'loading', errorMessage: '' })
    try {
      const body = await get('/surveys')
      const items = ((body && body.items) || []).map(decorate)
      this.setData({ status: items.length ? 'content' : 'empty', items })
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /** Refresh without the loading state (back from answering); keeps the list on failure. */
  async reloadQuietly() {
    if (this.data.status !== 'content') return this.load()
    try {
      const body = await get('/surveys')
      const items = ((body && body.items) || []).map(decorate)
      this.setData({ status: items.length ? 'content' : 'empty', items })
    } catch (err) {
      // the list shown is still useful
    }
  },

  /** @param {any} e */
  async onItemTap(e) {
    const { id, enterprise, open } = e.currentTarget.dataset
    // Accepting the invitation (opening a survey still to answer) is a tap WeChat allows the ask in.
    if (open) await subscribe.requestAtTap(['survey_notice'])
    const query = enterprise ? `&enterprise_id=${enterprise}` : ''
    wx.navigateTo({ url: `/pages/survey-answer/survey-answer?id=${id}${query}` })
  },
})
