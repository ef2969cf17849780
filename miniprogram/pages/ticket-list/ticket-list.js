// 我的报名 / 电子票: my activity sign-ups (GET /me/activity-signups: confirmed, waitlisted and
// checked in; cancelled ones are not listed), the next activity first, each with its status
// from the API. Tapping one opens its ticket (or its waitlist state) in ticket-detail.
// The endpoint is not paged (the backend returns up to 50), so the whole list loads at once.

const { get } = require('../../utils/request')
const { signupTheme } = require('../../utils/activity')

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    /** @type {any[]} SignupOut with a `theme` for the status tag */
    items: [],
  },

  loadedOnce: false,

  onLoad() {
    this.load()
  },

  onShow() {
    // Back from a ticket that was cancelled: it must leave the list.
    if (this.loadedOnce) this.load({ quiet: true })
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /**
   * Load my sign-ups; never rejects. `quiet` keeps the list shown while reloading and
   * ignores a failure.
   * @param {{ quiet?: boolean }} [options]
   */
  async load({ quiet = false } = {}) {
    if (!quiet) this.setData({ status: 'loading', errorMessage: '' })
    try {
      const body = await get('/me/activity-signups')
      this.loadedOnce = true
      const items = (body.items || []).map((/** @type {any} */ item) => ({
        ...item,
        key: item.signup.id,
        theme: signupTheme(item.signup.status),
      }))
      this.setData({ status: items.length ? 'content' : 'empty', items })
    } catch (err) {
      if (!quiet) this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /** @param {any} e */
  openTicket(e) {
    const id = e.currentTarget.dataset.id
    wx.navigateTo({ url: `/pages/ticket-detail/ticket-detail?id=${id}` })
  },

  openActivities() {
    wx.navigateTo({ url: '/pages/activity-list/activity-list' })
  },
})
