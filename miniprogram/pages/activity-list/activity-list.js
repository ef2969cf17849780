// 活动排片: the service centre's upcoming activities, soonest first, grouped by day like a
// schedule, filterable by kind (GET /activities?kind=&cursor=&limit=), paged with the API's
// cursor. Tapping an activity opens its detail (sign-up there); 我的报名 opens my tickets.

const { get } = require('../../utils/request')
const { KINDS, groupByDay } = require('../../utils/activity')
const { createCursorList } = require('../../utils/cursor-list')

const PAGE_SIZE = 20

/** Upcoming activities of the chosen kind, grouped by day as the list grows. */
const list = createCursorList({
  fetch: (page, cursor) => page.fetchPage(cursor),
  derive: (items) => ({ groups: groupByDay(items) }),
})

Page({
  data: {
    ...list.data,
    kinds: KINDS,
    kind: '',
    /** @type {{ key: string, title: string, items: any[] }[]} */
    groups: [],
  },
  // load() (first page), loadMore(), pull-down refresh, reach-bottom: utils/cursor-list.js
  ...list.methods,

  onLoad() {
    this.load()
  },

  /** @param {string | null} cursor */
  fetchPage(cursor) {
    const query = [`limit=${PAGE_SIZE}`]
    if (this.data.kind) query.push(`kind=${encodeURIComponent(this.data.kind)}`)
    if (cursor) query.push(`cursor=${encodeURIComponent(cursor)}`)
    return get(`/activities?${query.join('&')}`)
  },

  /** @param {any} e t-tabs change: detail.value is the kind ('' for all) */
  onKindChange(e) {
    const kind = e.detail.value || ''
    if (kind === this.data.kind) return
    this.setData({ kind })
    this.load()
  },

  /** @param {any} e activity-card select: detail.id */
  onSelect(e) {
    wx.navigateTo({ url: `/pages/activity-detail/activity-detail?id=${e.detail.id}` })
  },

  openTickets() {
    wx.navigateTo({ url: '/pages/ticket-list/ticket-list' })
  },
})
