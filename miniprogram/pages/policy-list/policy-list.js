// 政策 (tab page): search published policies by keyword with filters (支持方式, 适用区, 只看申报中),
// related public services above the first page of a keyword search, paging on scroll; and
// 为我推荐: the policies my bound enterprises qualify for, with the reasons
// (GET /me/matched-policies), or a prompt to bind an enterprise first.

const { get } = require('../../utils/request')
const { SUPPORT_TYPES, DISTRICTS, KEYWORD_MAX_LENGTH } = require('../../utils/policy-options')
const { createCursorList } = require('../../utils/cursor-list')

const PAGE_SIZE = 20
const ALL = ''

/** @param {string} label @param {{ value: string, label: string }[]} options */
const withAll = (label, options) => [{ value: ALL, label }, ...options]

/** The search results; the first page also brings related public services and a suggestion. */
const search = createCursorList({
  fetch: (page, cursor) => get('/policies', { data: cursor ? { ...page.searchQuery(), cursor } : page.searchQuery() }),
  first: (body) => ({
    services: body.services || [],
    emptyText: body.suggestion ? `没有找到相关政策，${body.suggestion}` : '没有找到相关政策',
  }),
  hasContent: (items, body) => items.length > 0 || (body.services || []).length > 0,
})

Page({
  data: {
    tab: 'search',

    // search
    keyword: '',
    keywordMax: KEYWORD_MAX_LENGTH,
    supportType: ALL,
    district: ALL,
    openState: ALL,
    supportTypeOptions: withAll('全部支持方式', SUPPORT_TYPES),
    districtOptions: withAll('全部区', DISTRICTS),
    openStateOptions: [
      { value: ALL, label: '全部状态' },
      { value: 'open', label: '只看申报中' },
    ],
    ...search.data,
    emptyText: '没有找到相关政策',
    services: [],

    // 为我推荐
    matchedStatus: 'loading',
    matchedError: '',
    matchedLoaded: false,
    bound: true,
    matched: [],
  },
  // load() (first page of the search) and loadMore(); the tab decides pull-down and reach-bottom below.
  ...search.methods,

  onLoad() {
    this.load()
  },

  onShow() {
    // Back from binding an enterprise: the recommendations may exist now.
    if (this.data.tab === 'matched' && this.data.matchedLoaded && !this.data.bound) this.loadMatched()
  },

  onPullDownRefresh() {
    const done = this.data.tab === 'matched' ? this.loadMatched() : this.load()
    return done.then(() => wx.stopPullDownRefresh())
  },

  onReachBottom() {
    if (this.data.tab === 'search') this.loadMore()
  },

  /** The query of the current search (only the filters that are set). */
  searchQuery() {
    /** @type {Record<string, any>} */
    const query = { limit: PAGE_SIZE }
    const { keyword, supportType, district, openState } = this.data
    if (keyword) query.q = keyword
    if (supportType) query.support_type = supportType
    if (district) query.district = district
    if (openState === 'open') query.open_now = true
    return query
  },

  /** 为我推荐; never rejects. */
  async loadMatched() {
    this.setData({ matchedStatus: 'loading', matchedError: '' })
    try {
      const body = await get('/me/matched-policies')
      const matched = body.items || []
      const bound = body.bound !== false
      this.setData({
        bound,
        matched,
        matchedLoaded: true,
        // Not bound: the content slot shows the prompt to bind an enterprise.
        matchedStatus: !bound || matched.length ? 'content' : 'empty',
      })
    } catch (err) {
      this.setData({ matchedStatus: 'error', matchedError: err.message, matchedLoaded: true })
    }
  },

  onTabChange(/** @type {any} */ event) {
    const tab = event.detail.value
    this.setData({ tab })
    if (tab === 'matched' && !this.data.matchedLoaded) this.loadMatched()
  },

  onKeywordChange(/** @type {any} */ event) {
    this.setData({ keyword: String(event.detail.value || '') })
  },

  onSearch(/** @type {any} */ event) {
    const keyword = String((event && event.detail && event.detail.value) ?? this.data.keyword).trim()
    if (keyword.length > KEYWORD_MAX_LENGTH) {
      wx.showToast({ title: `关键词不能超过${KEYWORD_MAX_LENGTH}个字`, icon: 'none' })
      return
    }
    this.setData({ keyword })
    return this.load()
  },

  onClear() {
    this.setData({ keyword: '' })
    return this.load()
  },

  onSupportTypeChange(/** @type {any} */ event) {
    this.setData({ supportType: event.detail.value })
    return this.load()
  },

  onDistrictChange(/** @type {any} */ event) {
    this.setData({ district: event.detail.value })
    return this.load()
  },

  onOpenStateChange(/** @type {any} */ event) {
    this.setData({ openState: event.detail.value })
    return this.load()
  },

  onPolicySelect(/** @type {any} */ event) {
    wx.navigateTo({ url: `/pages/policy-detail/policy-detail?id=${event.detail.id}` })
  },

  onServiceTap(/** @type {any} */ event) {
    wx.navigateTo({ url: `/pages/directory-entry/directory-entry?id=${event.currentTarget.dataset.id}` })
  },

  onBindTap() {
    wx.navigateTo({ url: '/pages/enterprise-bind/enterprise-bind' })
  },

  onDirectoryTap() {
    wx.navigateTo({ url: '/pages/directory/directory' })
  },
})
