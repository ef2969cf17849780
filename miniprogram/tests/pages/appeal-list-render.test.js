// Renders pages/appeal-list and pages/appeal-detail with miniprogram-simulate and the real
// TDesign components (Page mapped to Component), given data as after a load.
const simulate = require('miniprogram-simulate')
const { renderPage: sharedRender } = require('../helpers/render')

const renderPage = (pagePath, data) => sharedRender(pagePath, data).page

const item = (id, extra) => ({ id, number: `SQ${id}`, title: `诉求${id}`, category_label: '税费服务', status: 'accepted',
  status_label: '已受理', statusTheme: 'primary', awaiting: '', enterprise_name: '云帆科技', createdText: '2024-05-01 10:30', ...extra })

describe('appeal pages render', () => {
  test('appeal-list: items with status tags, the awaiting hint, filters and 没有更多了', async () => {
    const page = renderPage('pages/appeal-list/appeal-list', {
      status: 'content',
      items: [item(2, { status: 'replied', status_label: '已答复', statusTheme: 'warning', awaiting: '待您确认并评价' }), item(1)],
      nextCursor: null,
      noMore: true,
    })
    await simulate.sleep(0)
    const text = page.dom.textContent
    for (const part of ['全部', '进行中', '已结束', '提交诉求', '诉求2', '已答复', '待您确认并评价', '诉求1', '已受理',
      '税费服务 · SQ1', '提交于 2024-05-01 10:30', '没有更多了']) {
      expect(text).toContain(part)
    }
    expect(page.querySelectorAll('.appeal-item')).toHaveLength(2)
  })

  test('appeal-list: the empty state invites to file one', async () => {
    const page = renderPage('pages/appeal-list/appeal-list', { status: 'empty', items: [] })
    await simulate.sleep(0)
    expect(page.dom.textContent).toContain('还没有诉求')
  })

  test('appeal-detail: timeline and only the offered actions', async () => {
    const page = renderPage('pages/appeal-detail/appeal-detail', {
      status: 'content',
      detail: { title: '发票问题', status_label: '已答复', statusTheme: 'warning', awaiting: '待您确认并评价', number: 'SQ9',
        category_label: '税费服务', createdText: '2024-05-01 10:30', description: '开具发票时系统报错', attachments: [],
        timeline: [{ id: 1, label: '提交', who: '企业', atText: '2024-05-01 10:30', text: '', status_label: '已提交', details: [] },
          { id: 2, label: '答复', who: '市税务局', atText: '2024-05-02 10:30', text: '已修复', status_label: '已答复', details: ['承办单位：市税务局'] }] },
      actions: [{ action: 'confirm' }],
      confirmAction: { action: 'confirm', label: '确认并评价', note_required: false, note_label: '' },
      reopenAction: null,
      supplementAction: null,
    })
    await simulate.sleep(0)
    const text = page.dom.textContent
    for (const part of ['发票问题', '待您确认并评价', 'SQ9', '开具发票时系统报错', '办理过程', '市税务局', '已修复', '承办单位：市税务局', '确认并评价']) {
      expect(text).toContain(part)
    }
    expect(text).not.toContain('补充材料')
    expect(text).not.toContain('申请重办')
  })
})
