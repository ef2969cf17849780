// The list pages built on utils/cursor-list.js show under their rows: a failed next page's
// message with 点击重试 (which loads the next page again), and 没有更多了 at the end.
const simulate = require('miniprogram-simulate')
const { renderPage } = require('../helpers/render')

const LISTS = [
  ['pages/engagement-list/engagement-list', { id: 1, productName: '专利申请', providerName: '机构', enterpriseName: '企业', requestedAt: '', statusLabel: '已申请' }],
  ['pages/provider-list/provider-list', { id: 1, name: '知识产权事务所', reputation: { dimensions: [] } }],
  ['pages/policy-favourites/policy-favourites', { id: 1, policy: { id: 1, title: '研发补贴' } }],
  ['pages/policy-list/policy-list', { id: 1, title: '研发补贴' }],
  ['pages/directory/directory', { id: 1, title: '知识产权服务站', summary: '' }],
  ['pages/messages/messages', { id: 1, title: '诉求答复通知', summary: '', channel_label: '公众号', time: '', url: '' }],
  ['pages/appeal-list/appeal-list', { id: 1, title: '诉求1', number: 'SQ1', category_label: '税费服务', createdText: '' }],
]

describe('cursor-list pages: the footer under the rows', () => {
  test.each(LISTS)('%s: a failed next page offers 点击重试', async (pagePath, item) => {
    const { page } = renderPage(pagePath, { status: 'content', items: [item], nextCursor: 'c2', moreError: '网络异常，请检查网络后重试' })
    await simulate.sleep(0)
    expect(page.dom.textContent).toContain('网络异常，请检查网络后重试，点击重试')
    expect(page.dom.textContent).not.toContain('没有更多了')
  })

  test.each(LISTS)('%s: 没有更多了 at the end', async (pagePath, item) => {
    const { page } = renderPage(pagePath, { status: 'content', items: [item], nextCursor: null, noMore: true })
    await simulate.sleep(0)
    expect(page.dom.textContent).toContain('没有更多了')
  })
})
