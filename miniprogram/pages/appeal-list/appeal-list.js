// My appeals (我的诉求, a tab page): GET /appeals filtered by 全部 / 进行中 / 已结束 (the API's
// `status` = open | closed), cursor paging on reaching the bottom, pull-down refresh, the
// backend's status label as a tag and its "awaiting" hint (e.g. 待您确认并评价), and a
// 提交诉求 button. Reloads when shown again after an appeal was filed or changed
// (utils/appeal.js markAppealsChanged).
//
// Contract: `load()` (first page of the current filter) never rejects; `data.items` are the
// API's AppealSummaryOut objects as returned (id, number, title, status, status_label, ...),
// each with `statusTheme` and `createdText` added for display.

const { get } = require('../../utils/request')
const { statusTheme, takeAppealsChanged, navigate } = require('../../utils/appeal')
const { formatTime } = require('../../utils/format')
const { createCursorList } = require('../../utils/cursor-list')

const PAGE_SIZE = 20

/** The API's filter values (AppealListQuery.status); '' = all. */
const FILTERS = [
  { value: '', label: '全部' },
  { value: 'open', label: '进行中' },
  { value: 'closed', label: '已结束' },
]

/** @param {any} item */
function decorate(item) {
  return { ...item, statusTheme: statusTheme(item.status), createdText: formatTime(item.created_at) }
}

/** Appeals of the current filter; an answer for an older filter is dropped. */
const list = createCursorList({
  fetch: (page, cursor) => page.query(page.data.filter, cursor),
  map: decorate,
})

Page({
  data: {
    ...list.data,
    filters: FILTERS,
    filter: '',
  },
  // load() (first page), loadMore(), pull-down refresh, reach-bottom: utils/cursor-list.js
  ...list.methods,

  _shownOnce: false,

  onLoad() {
    this.load()
  },

  onShow() {
    const changed = takeAppealsChanged()
    if (this._shownOnce && changed) this.load()
    this._shownOnce = true
  },

  /** @param {string} filter @param {string | null} cursor */
  query(filter, cursor) {
    const params = [`limit=${PAGE_SIZE}`]
    if (filter) params.push(`status=${filter}`)
    if (cursor) params.push(`cursor=${encodeURIComponent(cursor)}`)
    return get(`/appeals?${params.join('&')}`)
  },

  /** t-tabs change. @param {any} e */
  onFilterChange(e) {
    const filter = e.detail.value
    if (filter === this.data.filter) return
    this.setData({ filter, items: [], nextCursor: null })
    return this.load()
  },

  /** @param {any} e */
  onItemTap(e) {
    navigate('navigateTo', `/pages/appeal-detail/appeal-detail?id=${e.currentTarget.dataset.id}`)
  },

  onNewTap() {
    navigate('navigateTo', '/pages/appeal-new/appeal-new')
  },
})
