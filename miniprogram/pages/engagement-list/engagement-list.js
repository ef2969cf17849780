// 我的服务委托 — the service requests of my bound enterprises (GET /engagements, cursor-paged),
// filtered 全部 / 进行中 (open) / 已结束 (closed), each with the backend's status label as a
// tag; tapping one opens pages/engagement-detail. Pull-down refresh; reloads when shown again
// (an action on the detail page may have changed a status). Optional query: ?status=open|closed.

const { get } = require('../../utils/request')
const { cleanQuery, engagementSummaryView } = require('../../utils/provider')
const { createCursorList } = require('../../utils/cursor-list')

const PAGE_SIZE = 20

const list = createCursorList({
  fetch: (page, cursor) => get('/engagements', { data: page.query(cursor) }),
  map: engagementSummaryView,
})

Page({
  data: {
    ...list.data,
    filters: [
      { value: '', label: '全部' },
      { value: 'open', label: '进行中' },
      { value: 'closed', label: '已结束' },
    ],
    filter: '',
  },
  // load() (first page), loadMore(), pull-down refresh, reach-bottom: utils/cursor-list.js
  ...list.methods,

  _shown: false,

  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    const q = query || {}
    if (q.status === 'open' || q.status === 'closed') this.setData({ filter: q.status })
    this.load()
  },

  onShow() {
    // The first show follows onLoad's load; later shows (back from a detail) refresh.
    if (this._shown) this.load()
    this._shown = true
  },

  /** @param {string | null} cursor */
  query(cursor) {
    return cleanQuery({ status: this.data.filter, limit: PAGE_SIZE, cursor })
  },

  /** @param {any} e t-tabs change */
  onFilterChange(e) {
    const filter = e.detail.value || ''
    if (filter === this.data.filter) return
    this.setData({ filter })
    this.load()
  },

  /** @param {any} e row tap: data-id */
  onOpen(e) {
    const id = e.currentTarget.dataset.id
    if (id) wx.navigateTo({ url: `/pages/engagement-detail/engagement-detail?id=${id}` })
  },

  goProviders() {
    wx.navigateTo({ url: '/pages/provider-list/provider-list' })
  },
})
