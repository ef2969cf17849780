// Home (首页, a tab): what needs the user now — policies matched to their enterprises, the
// state of their appeals, upcoming activities — and the entrances to everything else.
// Each section loads on its own and shows its own loading / empty / error state, so one
// slow or failing API never blanks the page.

const { get } = require('../../utils/request')
const { go } = require('../../utils/nav')
const { refreshUnread } = require('../../utils/unread')

const PREVIEW = 3

/** Quick entrances (宫格). */
const ENTRANCES = [
  { text: '提交诉求', icon: 'edit-1', url: '/pages/appeal-new/appeal-new' },
  { text: '政策查询', icon: 'search', url: '/pages/policy-list/policy-list' },
  { text: '服务机构', icon: 'shop', url: '/pages/provider-list/provider-list' },
  { text: '活动排片', icon: 'calendar', url: '/pages/activity-list/activity-list' },
  { text: '问卷调查', icon: 'chart-bar', url: '/pages/survey-list/survey-list' },
  { text: '政务服务', icon: 'city-10', url: '/pages/directory/directory' },
  { text: '服务申请', icon: 'service', url: '/pages/engagement-list/engagement-list' },
  { text: '我的消息', icon: 'notification', url: '/pages/messages/messages' },
]

/** @typedef {{ status: string, errorMessage: string, items: any[] }} Section */

/** @returns {Section} */
const loadingSection = () => ({ status: 'loading', errorMessage: '', items: [] })

Page({
  data: {
    entrances: ENTRANCES,
    bound: true,
    matched: loadingSection(),
    appeals: loadingSection(),
    activities: loadingSection(),
  },

  /** Shown once already: onShow after that is a return to the page, which reloads. */
  shownOnce: false,

  onLoad() {
    this.load()
  },

  onShow() {
    // Back from filing an appeal or binding an enterprise: show the new state.
    if (this.shownOnce) this.load()
    this.shownOnce = true
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load every section at once; never rejects. */
  async load() {
    await Promise.all([this.loadMatched(), this.loadAppeals(), this.loadActivities(), refreshUnread()])
  },

  async loadMatched() {
    await this.loadSection('matched', async () => {
      const body = await get('/me/matched-policies')
      this.setData({ bound: Boolean(body.bound) })
      return (body.items || []).slice(0, PREVIEW).map((/** @type {any} */ m) => ({ ...m, key: `${m.policy.id}-${m.enterprise_id}` }))
    })
  },

  async loadAppeals() {
    await this.loadSection('appeals', async () => (await get(`/appeals?limit=${PREVIEW}`)).items || [])
  },

  async loadActivities() {
    await this.loadSection('activities', async () => (await get(`/activities?limit=${PREVIEW}`)).items || [])
  },

  /**
   * Run one section's loader into data[name]; never rejects.
   * @param {'matched' | 'appeals' | 'activities'} name
   * @param {() => Promise<any[]>} loader
   */
  async loadSection(name, loader) {
    this.setData({ [name]: loadingSection() })
    try {
      const items = await loader()
      this.setData({ [name]: { status: items.length ? 'content' : 'empty', errorMessage: '', items } })
    } catch (err) {
      this.setData({ [name]: { status: 'error', errorMessage: err.message, items: [] } })
    }
  },

  /** @param {any} e */
  onOpen(e) {
    go(e.currentTarget.dataset.url)
  },
})
