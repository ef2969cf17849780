// 公共服务目录: public services by category and district (GET /directory/entries, paged),
// keyword search (GET /directory/search), one-stop entrances as a grid (GET
// /directory/entrances: a mini-program page opens with wx.navigateToMiniProgram, a web address
// is copied), parks (GET /directory/parks) and water / power / gas connection guides
// (GET /directory/utility-guides). Filter options come from GET /directory/catalogue.

const { get } = require('../../utils/request')
const { openEntrance } = require('../../utils/directory-open')
const { createCursorList } = require('../../utils/cursor-list')

const PAGE_SIZE = 20
const ALL = ''
const KEYWORD_MAX_LENGTH = 50 // DirectorySearchQuery.q

const EMPTY_TEXT = {
  resource: '该类别暂无公共服务',
  search: '没有找到相关公共服务',
  entrance: '暂无一站式入口',
  park: '暂无园区信息',
  utility: '暂无水电气接入指南',
}

/** @param {string} label @param {{ code: string, label: string }[]} options */
const withAll = (label, options) => [{ value: ALL, label }, ...options.map((o) => ({ value: o.code, label: o.label }))]

/** The utility guides' groups that have guides. @param {any} body */
const guideGroups = (body) => (body.groups || []).filter((/** @type {any} */ g) => g.items && g.items.length)

/**
 * The current view (see requestFor): catalogue and search are cursor-paged; entrances and parks
 * come in one answer; utility guides come as groups.
 */
const list = createCursorList({
  fetch: (page, cursor) => {
    const { url, params } = page.requestFor(cursor)
    return get(url, { data: params })
  },
  first: (body, page) => ({ groups: page.data.view === 'utility' ? guideGroups(body) : [] }),
  hasContent: (items, body, page) => (page.data.view === 'utility' ? guideGroups(body).length > 0 : items.length > 0),
})

Page({
  data: {
    tab: 'resource',
    keyword: '',
    /** The submitted keyword: when set, the page shows search results instead of the tab. */
    query: '',
    view: 'resource',
    keywordMax: KEYWORD_MAX_LENGTH,
    category: ALL,
    district: ALL,
    categoryOptions: withAll('全部类别', []),
    districtOptions: withAll('全市', []),

    ...list.data,
    emptyText: EMPTY_TEXT.resource,
    groups: [],
  },
  // loadMore(), pull-down refresh and reach-bottom; load() below sets the view first.
  ...list.methods,

  onLoad() {
    this.loadCatalogue()
    this.load()
  },

  /** Filter options; on failure the menus offer only 全部 (never rejects). */
  async loadCatalogue() {
    try {
      const body = await get('/directory/catalogue')
      this.setData({
        categoryOptions: withAll('全部类别', body.categories || []),
        districtOptions: withAll('全市', body.districts || []),
      })
    } catch (err) {
      // The lists still work unfiltered.
    }
  },

  /** The request for the current view (first page without cursor). @param {string | null} cursor */
  requestFor(cursor) {
    const { view, query, category, district } = this.data
    /** @type {Record<string, any>} */
    const params = {}
    if (district) params.district = district
    if (view === 'entrance') return { url: '/directory/entrances', params }
    if (view === 'park') return { url: '/directory/parks', params }
    if (view === 'utility') return { url: '/directory/utility-guides', params }
    params.limit = PAGE_SIZE
    if (cursor) params.cursor = cursor
    if (view === 'search') return { url: '/directory/search', params: { ...params, q: query } }
    if (category) params.category = category
    return { url: '/directory/entries', params: { ...params, kind: 'resource' } }
  },

  /** Load the current view from the top; never rejects. */
  load() {
    const view = this.data.query ? 'search' : this.data.tab
    this.setData({ view, emptyText: EMPTY_TEXT[view] })
    return list.load(this)
  },

  onTabChange(/** @type {any} */ event) {
    this.setData({ tab: event.detail.value, keyword: '', query: '' })
    return this.load()
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
    this.setData({ keyword, query: keyword })
    return this.load()
  },

  onClear() {
    this.setData({ keyword: '', query: '' })
    return this.load()
  },

  onCategoryChange(/** @type {any} */ event) {
    this.setData({ category: event.detail.value })
    return this.load()
  },

  onDistrictChange(/** @type {any} */ event) {
    this.setData({ district: event.detail.value })
    return this.load()
  },

  /** An entry in a list: its page. */
  onEntryTap(/** @type {any} */ event) {
    wx.navigateTo({ url: `/pages/directory-entry/directory-entry?id=${event.currentTarget.dataset.id}` })
  },

  /** An entrance in the grid: straight to where it is handled, or its page if it has no link. */
  onEntranceTap(/** @type {any} */ event) {
    const id = Number(event.currentTarget.dataset.id)
    const entry = this.data.items.find((/** @type {any} */ item) => item.id === id)
    if (!entry) return
    if (!openEntrance(entry)) wx.navigateTo({ url: `/pages/directory-entry/directory-entry?id=${id}` })
  },
})
