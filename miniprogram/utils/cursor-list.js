// The cursor-paged list that the list pages share (the API's pagination: `limit`, `cursor`;
// answers { items, next_cursor, total? }, miniprogram_api/pagination.py):
// - load(page): the first page replaces the list (status 'loading' → 'content' | 'empty' |
//   'error' with errorMessage); never rejects.
// - loadMore(page): the next page is appended (onReachBottom); nothing is asked when there is
//   no next cursor, the list is not shown or a next page is already on its way. A failure keeps
//   the loaded rows and shows `moreError` under them (the page offers 点击重试 → loadMore).
// - An answer to an older load (a filter changed meanwhile) is dropped.
// The helper owns these page data fields: status, errorMessage, items, total, nextCursor,
// noMore (true once the last page is shown: the page shows 没有更多了), loadingMore, moreError;
// and the page instance's `_listSeq`. Spread `list.data` into the page's data, and
// `list.methods` (load, loadMore, onPullDownRefresh, onReachBottom) into the page; a page may
// still define its own (e.g. a load() that sets its view first, then calls list.load(this)).
//
//   const list = createCursorList({
//     fetch: (page, cursor) => get('/engagements', { data: page.query(cursor) }),
//     map: engagementSummaryView,
//   })
//   Page({ data: { ...list.data, filter: '' }, ...list.methods, onLoad() { this.load() } })

/**
 * @typedef {{ items?: any[], next_cursor?: string | null, total?: number } & Record<string, any>} CursorPageBody
 * @typedef {{
 *   fetch: (page: any, cursor: string | null) => Promise<CursorPageBody>,
 *   map?: (item: any) => any,
 *   derive?: (items: any[]) => Record<string, any>,
 *   first?: (body: CursorPageBody, page: any) => Record<string, any>,
 *   hasContent?: (items: any[], body: CursorPageBody, page: any) => boolean,
 * }} CursorListOptions
 * fetch: one page's request (cursor null for the first page); map: an API item as shown;
 * derive: data computed from the whole list whenever it changes (e.g. day groups);
 * first: more data taken from the first page's answer; hasContent: whether the first page
 * shows content (default: it has items).
 */

/** The item's id when it has one (to skip an item a next page repeats). @param {any} item */
const idOf = (item) => (item && item.id !== undefined && item.id !== null ? item.id : undefined)

/** @param {CursorListOptions} options */
function createCursorList({ fetch, map = (item) => item, derive = () => ({}), first = () => ({}), hasContent = (items) => items.length > 0 }) {
  const list = {
    /** Initial page data (fresh arrays for each page that spreads it). */
    get data() {
      return {
        status: 'loading',
        errorMessage: '',
        /** @type {any[]} */
        items: [],
        total: 0,
        /** @type {string | null} */
        nextCursor: null,
        noMore: false,
        loadingMore: false,
        moreError: '',
      }
    },

    /**
     * The first page; never rejects.
     * @param {any} page the page instance
     * @returns {Promise<void>}
     */
    async load(page) {
      page._listSeq = (page._listSeq || 0) + 1
      const seq = page._listSeq
      page.setData({ status: 'loading', errorMessage: '', loadingMore: false, moreError: '' })
      try {
        const body = (await fetch(page, null)) || {}
        if (seq !== page._listSeq) return
        const items = (body.items || []).map(map)
        const nextCursor = body.next_cursor || null
        page.setData({
          items,
          total: typeof body.total === 'number' ? body.total : items.length,
          nextCursor,
          noMore: !nextCursor && items.length > 0,
          ...derive(items),
          ...first(body, page),
          status: hasContent(items, body, page) ? 'content' : 'empty',
        })
      } catch (err) {
        if (seq !== page._listSeq) return
        page.setData({
          status: 'error',
          errorMessage: (err && err.message) || String(err),
          items: [],
          nextCursor: null,
          noMore: false,
          ...derive([]),
        })
      }
    },

    /**
     * The next page, appended; never rejects.
     * @param {any} page the page instance
     * @returns {Promise<void>}
     */
    async loadMore(page) {
      const { nextCursor, loadingMore, status } = page.data
      if (!nextCursor || loadingMore || status !== 'content') return
      const seq = page._listSeq
      page.setData({ loadingMore: true, moreError: '' })
      try {
        const body = (await fetch(page, nextCursor)) || {}
        if (seq !== page._listSeq) return
        const seen = new Set(page.data.items.map(idOf).filter((id) => id !== undefined))
        const more = (body.items || []).filter((item) => !seen.has(idOf(item))).map(map)
        const items = page.data.items.concat(more)
        const next = body.next_cursor || null
        page.setData({
          items,
          total: typeof body.total === 'number' ? body.total : page.data.total,
          nextCursor: next,
          noMore: !next,
          loadingMore: false,
          ...derive(items),
        })
      } catch (err) {
        if (seq !== page._listSeq) return
        page.setData({ loadingMore: false, moreError: (err && err.message) || String(err) })
      }
    },

    /** Page methods: load(), loadMore() (both never reject), pull-down refresh, reach-bottom. */
    get methods() {
      return {
        /** The first page; never rejects. */
        load() {
          return list.load(this)
        },
        /** The next page, appended; a failure shows `moreError` under the list (点击重试). */
        loadMore() {
          return list.loadMore(this)
        },
        /** @returns {Promise<void>} */
        onPullDownRefresh() {
          return this.load().then(() => {
            wx.stopPullDownRefresh()
          })
        },
        /** @returns {Promise<void>} */
        onReachBottom() {
          return this.loadMore()
        },
      }
    },
  }
  return list
}

module.exports = { createCursorList }
