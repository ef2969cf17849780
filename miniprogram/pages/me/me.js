// Me (我的, a tab): who I am to the platform — my verified phone (bound through WeChat's
// getPhoneNumber button, never typed), the enterprises I act for (bind, unbind) — and the
// entrances to my things: favourites, service requests, surveys, tickets, messages, settings.

const { get, post, del } = require('../../utils/request')
const { go } = require('../../utils/nav')
const { refreshUnread } = require('../../utils/unread')
const { confirmModal } = require('../../utils/ui')

const LINKS = [
  { title: '我的消息', icon: 'notification', url: '/pages/messages/messages' },
  { title: '政策收藏', icon: 'star', url: '/pages/policy-favourites/policy-favourites' },
  { title: '服务申请', icon: 'service', url: '/pages/engagement-list/engagement-list' },
  { title: '问卷调查', icon: 'chart-bar', url: '/pages/survey-list/survey-list' },
  { title: '活动门票', icon: 'calendar', url: '/pages/ticket-list/ticket-list' },
  { title: '消息订阅设置', icon: 'setting', url: '/pages/subscriptions/subscriptions' },
]

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    profile: null,
    links: LINKS,
    bindingPhone: false,
    /** Unread notifications: the badge on 我的消息. */
    unread: 0,
  },

  /** Shown once already: onShow after that is a return to the page, which reloads. */
  shownOnce: false,

  onLoad() {
    this.load()
  },

  onShow() {
    if (this.shownOnce) this.load()
    this.shownOnce = true // back from binding an enterprise
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load the profile; never rejects. */
  async load() {
    if (!this.data.profile) this.setData({ status: 'loading', errorMessage: '' })
    const unread = refreshUnread().then((count) => {
      if (count !== null) this.setData({ unread: count })
    })
    try {
      const profile = await get('/me')
      this.setData({ status: 'content', errorMessage: '', profile })
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
    await unread
  },

  /**
   * The getPhoneNumber button's callback: WeChat gives a one-time code (no phone number),
   * the backend exchanges it (POST /me/phone). Resolves after the request; never rejects.
   * @param {any} e
   */
  async onGetPhoneNumber(e) {
    const detail = (e && e.detail) || {}
    if (!detail.code) {
      // Refused, or no quota: nothing to send. errMsg says "getPhoneNumber:fail user deny".
      const denied = String(detail.errMsg || '').includes('deny')
      wx.showToast({ title: denied ? '已取消授权' : '暂时无法获取手机号，请稍后再试', icon: 'none' })
      return
    }
    if (this.data.bindingPhone) return
    this.setData({ bindingPhone: true })
    try {
      const user = await post('/me/phone', { code: detail.code }, { loading: '正在绑定' })
      this.setData({ 'profile.phone': user.phone, 'profile.has_phone': user.has_phone })
      wx.showToast({ title: '手机号已绑定', icon: 'success' })
    } catch (err) {
      wx.showToast({ title: err.message, icon: 'none' })
    } finally {
      this.setData({ bindingPhone: false })
    }
  },

  onBindEnterprise() {
    go('/pages/enterprise-bind/enterprise-bind')
  },

  /**
   * Unbind one enterprise after confirmation (DELETE /me/enterprises/{binding_id}).
   * @param {any} e
   */
  async onUnbind(e) {
    const { id, name } = e.currentTarget.dataset
    const confirmed = await confirmModal({
      title: '解除绑定',
      content: `解除与“${name}”的绑定后，将不再为该企业匹配政策，也不能以该企业提交诉求。`,
      confirmText: '解除',
      confirmColor: '#d54941',
    })
    if (!confirmed) return
    try {
      await del(`/me/enterprises/${id}`, { loading: true })
      const enterprises = this.data.profile.enterprises.filter((binding) => binding.id !== id)
      this.setData({ 'profile.enterprises': enterprises })
      wx.showToast({ title: '已解除绑定', icon: 'success' })
    } catch (err) {
      wx.showToast({ title: err.message, icon: 'none' })
    }
  },

  /** @param {any} e */
  onOpen(e) {
    go(e.currentTarget.dataset.url)
  },
})
