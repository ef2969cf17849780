// 我的收藏 (policies): the policies I starred (GET /me/policy-favourites, paged on scroll);
// swipe a card left to remove it (DELETE /me/policy-favourites/{policy id}); tap for details.
// Reloads when shown again after a favourite changed on the detail page.

const { get, del } = require('../../utils/request')
const { createCursorList } = require('../../utils/cursor-list')

const PAGE_SIZE = 20

const list = createCursorList({
  fetch: (page, cursor) => get('/me/policy-favourites', { data: cursor ? { limit: PAGE_SIZE, cursor } : { limit: PAGE_SIZE } }),
})

Page({
  data: {
    ...list.data,
    /** Policy ids being removed (their button is disabled). */
    removing: {},
  },
  // load() (first page), loadMore(), pull-down refresh, reach-bottom: utils/cursor-list.js
  ...list.methods,

  shown: false,

  onLoad() {
    this.load()
  },

  onShow() {
    const app = getApp()
    const changed = app && app.globalData && app.globalData.policyFavouritesChanged
    if (this.shown && changed) this.load()
    if (app && app.globalData) app.globalData.policyFavouritesChanged = false
    this.shown = true
  },

  /** Remove one favourite (the swipe action); never rejects. */
  async onRemove(/** @type {any} */ event) {
    const policyId = Number(event.currentTarget.dataset.id)
    if (!policyId || this.data.removing[policyId]) return
    this.setData({ removing: { ...this.data.removing, [policyId]: true } })
    try {
      await del(`/me/policy-favourites/${policyId}`)
      const items = this.data.items.filter((/** @type {any} */ row) => row.policy.id !== policyId)
      this.setData({ items, status: items.length || this.data.nextCursor ? 'content' : 'empty' })
      wx.showToast({ title: '已取消收藏', icon: 'success' })
    } catch (err) {
      wx.showToast({ title: err.message, icon: 'none' })
    } finally {
      const removing = { ...this.data.removing }
      delete removing[policyId]
      this.setData({ removing })
    }
  },

  onPolicySelect(/** @type {any} */ event) {
    wx.navigateTo({ url: `/pages/policy-detail/policy-detail?id=${event.detail.id}` })
  },

  onBrowseTap() {
    wx.switchTab({ url: '/pages/policy-list/policy-list' })
  },
})
