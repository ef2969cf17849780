// utils/cursor-list.js: the cursor-paged list the list pages share (first page, next pages on
// reaching the bottom, stale answers dropped, a failed next page keeping the rows).

const { createCursorList } = require('../../utils/cursor-list')

/** A page instance as far as the helper sees it: data and a merging setData. */
function fakePage(list, extra = {}) {
  const page = {
    data: { ...list.data, ...extra },
    setData(patch) {
      this.data = { ...this.data, ...patch }
    },
  }
  return page
}

/** A fetch whose answers the test gives one by one. */
function scriptedFetch() {
  const calls = []
  const fetch = jest.fn((page, cursor) => new Promise((resolve, reject) => calls.push({ cursor, resolve, reject })))
  return { fetch, calls }
}

const row = (id) => ({ id, name: `第${id}行` })

/** A list and page whose first page (answered with `answer`) is shown; more answers via `calls`. */
async function shownList(answer) {
  const { fetch, calls } = scriptedFetch()
  const list = createCursorList({ fetch })
  const page = fakePage(list)
  const first = list.load(page)
  calls[0].resolve(answer)
  await first
  return { list, page, calls }
}

describe('utils/cursor-list', () => {
  test('gives pages load, loadMore, pull-down refresh (stopped when done) and reach-bottom', async () => {
    const { installWx } = require('../helpers/wx')
    const wx = installWx()
    const fetch = jest.fn(async (page, cursor) => (cursor ? { items: [row(2)], next_cursor: null } : { items: [row(1)], next_cursor: 'c2' }))
    const list = createCursorList({ fetch })
    const page = Object.assign(fakePage(list), list.methods)
    await page.onPullDownRefresh()
    expect(wx.stopPullDownRefresh).toHaveBeenCalledTimes(1)
    await page.onReachBottom()
    expect(fetch.mock.calls.map((c) => c[1])).toEqual([null, 'c2'])
    expect(page.data.items.map((i) => i.id)).toEqual([1, 2])
  })

  test('starts with the fields it owns, in the loading state', () => {
    const list = createCursorList({ fetch: jest.fn() })
    expect(list.data).toEqual({
      status: 'loading', errorMessage: '', items: [], total: 0, nextCursor: null, noMore: false, loadingMore: false, moreError: '',
    })
    expect(list.data.items).not.toBe(list.data.items) // each page gets its own arrays
  })

  test('the first page replaces the list, mapped, with total and next cursor', async () => {
    const fetch = jest.fn(async () => ({ items: [row(1), row(2)], total: 5, next_cursor: 'c2' }))
    const list = createCursorList({ fetch, map: (item) => ({ ...item, label: item.name.toUpperCase() }) })
    const page = fakePage(list)
    page.data.items = [row(9)]
    await list.load(page)
    expect(fetch).toHaveBeenCalledWith(page, null)
    expect(page.data).toMatchObject({ status: 'content', total: 5, nextCursor: 'c2', noMore: false, loadingMore: false })
    expect(page.data.items.map((i) => i.id)).toEqual([1, 2])
    expect(page.data.items[0].label).toBe('第1行')
  })

  test('an empty first page is the empty state; a short last one says 没有更多了', async () => {
    let answer = { items: [], total: 0, next_cursor: null }
    const list = createCursorList({ fetch: async () => answer })
    const page = fakePage(list)
    await list.load(page)
    expect(page.data).toMatchObject({ status: 'empty', noMore: false })
    answer = { items: [row(1)], next_cursor: null }
    await list.load(page)
    expect(page.data).toMatchObject({ status: 'content', noMore: true, total: 1 })
  })

  test('a failed first page is the error state with the message', async () => {
    const list = createCursorList({ fetch: async () => Promise.reject(new Error('服务暂不可用')) })
    const page = fakePage(list)
    await expect(list.load(page)).resolves.toBeUndefined()
    expect(page.data).toMatchObject({ status: 'error', errorMessage: '服务暂不可用', items: [], nextCursor: null })
  })

  test('the next page is appended with the cursor, without repeating a listed id', async () => {
    const fetch = jest.fn(async (page, cursor) =>
      cursor === 'c2' ? { items: [row(2), row(3)], total: 3, next_cursor: null } : { items: [row(1), row(2)], total: 3, next_cursor: 'c2' })
    const derive = jest.fn((items) => ({ count: items.length }))
    const list = createCursorList({ fetch, derive })
    const page = fakePage(list)
    await list.load(page)
    expect(page.data.count).toBe(2)
    await list.loadMore(page)
    expect(fetch).toHaveBeenLastCalledWith(page, 'c2')
    expect(page.data.items.map((i) => i.id)).toEqual([1, 2, 3])
    expect(page.data).toMatchObject({ nextCursor: null, noMore: true, loadingMore: false, count: 3 })
  })

  test('no request when there is no next cursor, the list is not shown, or a next page is in flight', async () => {
    const { fetch, calls } = scriptedFetch()
    const list = createCursorList({ fetch })
    const page = fakePage(list)
    const first = list.load(page)
    await list.loadMore(page) // still loading the first page
    expect(calls).toHaveLength(1)
    calls[0].resolve({ items: [row(1)], next_cursor: 'c2' })
    await first
    const more = list.loadMore(page)
    await list.loadMore(page) // a second reach-bottom meanwhile
    expect(calls).toHaveLength(2)
    calls[1].resolve({ items: [row(2)], next_cursor: null })
    await more
    await list.loadMore(page) // nothing more
    expect(calls).toHaveLength(2)
    expect(page.data.items.map((i) => i.id)).toEqual([1, 2])
  })

  test('a failed next page keeps the loaded rows and shows the message; retrying goes on', async () => {
    const { list, page, calls } = await shownList({ items: [row(1)], next_cursor: 'c2' })
    const failed = list.loadMore(page)
    calls[1].reject(new Error('网络异常，请检查网络后重试'))
    await expect(failed).resolves.toBeUndefined()
    expect(page.data).toMatchObject({ status: 'content', moreError: '网络异常，请检查网络后重试', loadingMore: false, nextCursor: 'c2' })
    expect(page.data.items.map((i) => i.id)).toEqual([1])
    const retry = list.loadMore(page)
    expect(page.data.moreError).toBe('')
    calls[2].resolve({ items: [row(2)], next_cursor: null })
    await retry
    expect(page.data.items.map((i) => i.id)).toEqual([1, 2])
  })

  test('an answer to an older first page is dropped when a newer load started (a filter changed)', async () => {
    const { fetch, calls } = scriptedFetch()
    const list = createCursorList({ fetch })
    const page = fakePage(list)
    const old = list.load(page)
    const fresh = list.load(page)
    calls[1].resolve({ items: [row(9)], next_cursor: null })
    await fresh
    calls[0].resolve({ items: [row(1)], next_cursor: 'c2' })
    await old
    expect(page.data.items.map((i) => i.id)).toEqual([9])
    expect(page.data.nextCursor).toBeNull()

    const oldError = list.load(page)
    const newer = list.load(page)
    calls[3].resolve({ items: [row(5)], next_cursor: null })
    await newer
    calls[2].reject(new Error('旧的错误'))
    await oldError
    expect(page.data).toMatchObject({ status: 'content', errorMessage: '' })
  })

  test('a next page answered after the list was reloaded is dropped', async () => {
    const { list, page, calls } = await shownList({ items: [row(1)], next_cursor: 'c2' })
    const more = list.loadMore(page)
    const reload = list.load(page)
    expect(page.data.loadingMore).toBe(false)
    calls[2].resolve({ items: [row(7)], next_cursor: null })
    await reload
    calls[1].resolve({ items: [row(2)], next_cursor: 'c3' })
    await more
    expect(page.data.items.map((i) => i.id)).toEqual([7])
    expect(page.data).toMatchObject({ nextCursor: null, noMore: true, loadingMore: false })
  })

  test('first() adds data from the first answer and hasContent() decides content vs empty', async () => {
    const list = createCursorList({
      fetch: async () => ({ items: [], next_cursor: null, services: [{ id: 1 }] }),
      first: (body) => ({ services: body.services }),
      hasContent: (items, body) => items.length > 0 || body.services.length > 0,
    })
    const page = fakePage(list)
    await list.load(page)
    expect(page.data).toMatchObject({ status: 'content', services: [{ id: 1 }], noMore: false })
  })
})
