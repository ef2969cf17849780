// 政策详情 (?id=): the full policy (GET /policies/{id}): title, 文号, issuers, dates, support
// type, amount, state, whether each bound enterprise qualifies, summary, the text in
// paragraphs, how to apply, contact (tap to call), attachments (link copied); a favourite
// toggle (PUT / DELETE /me/policy-favourites/{id}, optimistic, rolled back on failure) and
// sharing.

const { get, put, del } = require('../../utils/request')
const { stateTheme } = require('../../utils/policy-options')
const { phoneIn, copyLink } = require('../../utils/directory-open')

/** @param {string} text */
function paragraphs(text) {
  return (text || '')
    .split(/\n+/)
    .map((line) => line.trim())
    .filter(Boolean)
}

Page({
  data: {
    id: 0,
    status: 'loading',
    errorMessage: '',
    policy: null,
    paragraphs: [],
    stateTheme: 'default',
    contactPhone: '',
    favourite: false,
    favouriteBusy: false,
  },

  onLoad(/** @type {Record<string, string>} */ query) {
    const id = Number(query && query.id)
    this.setData({ id: Number.isInteger(id) && id > 0 ? id : 0 })
    this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load the policy; never rejects. */
  async load() {
    const { id } = this.data
    if (!id) {
      this.setData({ status: 'error', errorMessage: '该政策不存在或已下线' })
      return
    }
    this.setData({ status: 'loading', errorMessage: '' })
    try {
      const policy = await get(`/policies/${id}`)
      this.setData({
        status: 'content',
        policy,
        paragraphs: paragraphs(policy.body),
        stateTheme: stateTheme(policy.state && policy.state.code),
        contactPhone: phoneIn(policy.contact),
        favourite: !!policy.favourite,
      })
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  /** Star or unstar at once; undo and say why if the backend refuses. Never rejects. */
  async onFavouriteTap() {
    const { id, favourite, favouriteBusy, status } = this.data
    if (favouriteBusy || status !== 'content') return
    const wanted = !favourite
    this.setData({ favourite: wanted, favouriteBusy: true })
    try {
      if (wanted) await put(`/me/policy-favourites/${id}`)
      else await del(`/me/policy-favourites/${id}`)
      this.setData({ favouriteBusy: false })
      markFavouritesChanged()
      wx.showToast({ title: wanted ? '已收藏' : '已取消收藏', icon: 'success' })
    } catch (err) {
      this.setData({ favourite: favourite, favouriteBusy: false })
      wx.showToast({ title: err.message, icon: 'none' })
    }
  },

  onCallTap() {
    const phoneNumber = this.data.contactPhone
    if (phoneNumber) wx.makePhoneCall({ phoneNumber, fail: () => null })
  },

  /** A mini-program opens web pages only on its own business domains: copy the link instead. */
  onAttachmentTap(/** @type {any} */ event) {
    const url = event.currentTarget.dataset.url
    if (url) copyLink(url)
  },

  onShareAppMessage() {
    const policy = /** @type {any} */ (this.data.policy)
    return {
      title: policy ? policy.title : '政策详情',
      path: `/pages/policy-detail/policy-detail?id=${this.data.id}`,
    }
  },
})

/** Tell the favourites page (if open underneath) to reload when shown again. */
function markFavouritesChanged() {
  try {
    const app = getApp()
    if (app && app.globalData) app.globalData.policyFavouritesChanged = true
  } catch (err) {
    // No app (tests without one): nothing to tell.
  }
}
