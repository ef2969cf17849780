// 消息订阅设置: policy-push preferences (GET / PUT /me/policy-subscriptions: all policy pushes
// on or off, and per support type), which go out through the official account (so they need
// the person to follow it); and the mini-program's subscribe messages (GET
// /subscribe-templates), switched on with 开启通知, which asks WeChat for the long-term ones
// and then the one-time ones and reports the answers (utils/subscribe.js).

const { get, put } = require('../../utils/request')
const subscribe = require('../../utils/subscribe')

const FOLLOW_HINT = '请在微信中关注“企业服务云”公众号，关注后返回本页下拉刷新即可设置。'

Page({
  data: {
    // policy-push preferences
    status: 'loading',
    errorMessage: '',
    settings: null,
    saving: false,
    followHint: FOLLOW_HINT,
    /** The backend's not_following message after a refused change. */
    notFollowingMessage: '',

    // subscribe messages
    templatesStatus: 'loading',
    templatesError: '',
    templates: [],
    asking: false,
  },

  onLoad() {
    subscribe.preload()
    this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Both sections; never rejects. */
  load() {
    return Promise.all([this.loadSettings(), this.loadTemplates()]).then(() => undefined)
  },

  async loadSettings() {
    this.setData({ status: 'loading', errorMessage: '', notFollowingMessage: '' })
    try {
      const settings = await get('/me/policy-subscriptions')
      this.setData({ status: 'content', settings })
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  async loadTemplates() {
    this.setData({ templatesStatus: 'loading', templatesError: '' })
    try {
      const body = await get('/subscribe-templates')
      const templates = (body && body.items) || []
      this.setData({ templates, templatesStatus: templates.length ? 'content' : 'empty' })
    } catch (err) {
      this.setData({ templatesStatus: 'error', templatesError: err.message })
    }
  },

  /**
   * Apply a change at once, send it, take the backend's answer; undo it if refused.
   * @param {any} optimistic the settings as they should look
   * @param {{ receive_all?: boolean, types?: Record<string, boolean> }} body
   */
  async save(optimistic, body) {
    const before = this.data.settings
    if (this.data.saving || !before) return
    this.setData({ settings: optimistic, saving: true, notFollowingMessage: '' })
    try {
      const settings = await put('/me/policy-subscriptions', body)
      this.setData({ settings, saving: false })
      wx.showToast({ title: '已保存', icon: 'success' })
    } catch (err) {
      /** @type {Record<string, any>} */
      const patch = { settings: before, saving: false }
      if (err.code === 'not_following') {
        patch.settings = { ...before, follows_official_account: false }
        patch.notFollowingMessage = err.message
      }
      this.setData(patch)
      wx.showToast({ title: err.message, icon: 'none' })
    }
  },

  onReceiveAllChange(/** @type {any} */ event) {
    const settings = /** @type {any} */ (this.data.settings)
    if (!settings) return
    const receiveAll = !!event.detail.value
    return this.save({ ...settings, all_muted: !receiveAll }, { receive_all: receiveAll })
  },

  onTypeChange(/** @type {any} */ event) {
    const settings = /** @type {any} */ (this.data.settings)
    if (!settings) return
    const supportType = event.currentTarget.dataset.type
    const receiving = !!event.detail.value
    const types = settings.types.map((/** @type {any} */ t) =>
      t.support_type === supportType ? { ...t, receiving } : t,
    )
    return this.save({ ...settings, types }, { types: { [supportType]: receiving } })
  },

  /** 开启通知: the tap WeChat requires; long-term templates first, then one-time ones. */
  async onEnableTap() {
    if (this.data.asking) return
    const templates = /** @type {any[]} */ (this.data.templates)
    const longTerm = templates.filter((t) => t.long_term).map((t) => t.name)
    const oneTime = templates.filter((t) => !t.long_term).map((t) => t.name)
    this.setData({ asking: true })
    /** @type {Record<string, string>} */
    const decisions = {}
    if (longTerm.length) Object.assign(decisions, await subscribe.requestAtTap(longTerm))
    if (oneTime.length) Object.assign(decisions, await subscribe.requestAtTap(oneTime))
    this.setData({ asking: false })
    const answers = Object.values(decisions)
    const accepted = answers.filter((answer) => answer === 'accept').length
    let title = '暂时无法开启通知，请稍后重试'
    if (accepted) title = `已开启 ${accepted} 项通知`
    else if (answers.length) title = '未开启通知，可在右上角“设置”中开启'
    wx.showToast({ title, icon: accepted ? 'success' : 'none' })
  },
})
