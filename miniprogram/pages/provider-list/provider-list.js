// 专业服务 — the provider directory: providers by service category (tabs from
// GET /provider-categories), with keyword search and the sorts the API offers (综合评分 /
// 评价数 / 最新入驻), cursor-paged GET /providers, pull-down refresh. Tapping a provider opens
// pages/provider-detail. Optional query: ?category=<code>&q=<keyword>.

const { get } = require('../../utils/request')
const { LIMITS, cleanQuery } = require('../../utils/provider')
const { createCursorList } = require('../../utils/cursor-list')

const PAGE_SIZE = 20
const ALL = { value: '', label: '全部' }

/** ProviderSummaryOut pages; the first one waits for the category tabs (once). */
const list = createCursorList({
  fetch: async (page, cursor) => {
    if (!cursor) await page.loadCategories()
    return get('/providers', { data: page.query(cursor) })
  },
})

Page({
  data: {
    ...list.data,
    /** @type {{value: string, label: string}[]} */
    categories: [],
    category: '',
    /** @type {{value: string, label: string}[]} */
    sorts: [],
    sort: 'score',
    keyword: '',
    keywordMax: LIMITS.keyword,
  },
  // load() (first page), loadMore(), pull-down refresh, reach-bottom: utils/cursor-list.js
  ...list.methods,

  /** @param {Record<string, string | undefined>} query */
  onLoad(query) {
    const q = query || {}
    this.setData({ category: q.category || '', keyword: (q.q || '').slice(0, LIMITS.keyword) })
    this.load()
  },

  /** Categories and sorts, once (GET /provider-categories). */
  async loadCategories() {
    if (this.data.categories.length) return
    const body = await get('/provider-categories')
    const categories = [ALL, ...((body && body.items) || []).map((c) => ({ value: c.code, label: c.label }))]
    const sorts = Object.entries((body && body.sorts) || {}).map(([value, label]) => ({ value, label: String(label) }))
    this.setData({ categories, sorts })
  },

  /** @param {string | null} cursor */
  query(cursor) {
    return cleanQuery({ category: this.data.category, q: this.data.keyword.trim(), sort: this.data.sort, limit: PAGE_SIZE, cursor })
  },

  /** @param {any} e t-tabs change: detail.value is the category code ('' for 全部) */
  onCategoryChange(e) {
    const category = e.detail.value || ''
    if (category === this.data.category) return
    this.setData({ category })
    this.load()
  },

  /** @param {any} e t-dropdown-item change */
  onSortChange(e) {
    const sort = e.detail.value
    if (!sort || sort === this.data.sort) return
    this.setData({ sort })
    this.load()
  },

  /** @param {any} e t-search change */
  onKeywordInput(e) {
    this.setData({ keyword: String(e.detail.value || '').slice(0, LIMITS.keyword) })
  },

  /** @param {any} e t-search submit */
  onSearch(e) {
    const keyword = String((e && e.detail && e.detail.value) || this.data.keyword || '').slice(0, LIMITS.keyword)
    this.setData({ keyword })
    this.load()
  },

  onSearchClear() {
    this.setData({ keyword: '' })
    this.load()
  },

  /** @param {any} e provider-card select: detail.id */
  onProviderSelect(e) {
    const id = e.detail && e.detail.id
    if (id) wx.navigateTo({ url: `/pages/provider-detail/provider-detail?id=${id}` })
  },
})
