// Renders components/provider-card (with the real TDesign rate and tag from miniprogram_npm/)
// inside a host, as pages/provider-list uses it.
const simulate = require('miniprogram-simulate')
const { renderInHost } = require('../helpers/render')

const provider = (overrides = {}) => ({
  id: 7,
  name: '浦东知识产权事务所',
  category: 'ip',
  category_label: '知识产权',
  district_label: '浦东新区',
  description: '专利、商标代理',
  status: 'admitted',
  status_label: '已入驻',
  reputation: {
    score: 4.36,
    rating_count: 12,
    raw_average: 4.5,
    few_ratings: false,
    dimensions: { 专业能力: 4.5 },
    completion_rate: 0.9,
  },
  ...overrides,
})

const renderCard = (data) =>
  renderInHost('components/provider-card/provider-card', '<provider-card class="card" provider="{{provider}}" bind:select="onSelect" />', data)

describe('components/provider-card', () => {
  test('shows the name, category, district, score, number of ratings and the status tag', () => {
    const { card } = renderCard({ provider: provider() })
    const text = card().dom.textContent
    expect(text).toContain('浦东知识产权事务所')
    expect(text).toContain('知识产权')
    expect(text).toContain('浦东新区')
    expect(text).toContain('4.4')
    expect(text).toContain('12 条评价')
    expect(text).toContain('已入驻')
    expect(text).not.toContain('评价较少')
    expect(card().querySelector('.provider-card__status')).toBeTruthy()
    expect(card().data.view.reputation.stars).toBe(4.5)
  })

  test('a warned provider with few ratings shows 预警 and 评价较少; no score shows 暂无评分', () => {
    const { card } = renderCard({
      provider: provider({
        status: 'warned',
        status_label: '预警',
        reputation: { score: null, rating_count: 0, raw_average: null, few_ratings: true, dimensions: {}, completion_rate: null },
      }),
    })
    const text = card().dom.textContent
    expect(text).toContain('预警')
    expect(text).toContain('评价较少')
    expect(text).toContain('暂无评分')
    expect(text).toContain('0 条评价')
    expect(card().data.view.statusTheme).toBe('warning')
  })

  test('tapping the card fires select with the provider id', async () => {
    const { card, onSelect } = renderCard({ provider: provider() })
    card().querySelector('.provider-card').dispatchEvent('tap')
    await simulate.sleep(0)
    expect(onSelect).toHaveBeenCalledTimes(1)
    expect(onSelect.mock.calls[0][0].detail).toEqual({ id: 7 })
  })

  test('re-renders when the provider changes', async () => {
    const { host, card } = renderCard({ provider: provider() })
    host.setData({ provider: provider({ name: '新名称律师事务所' }) })
    await simulate.sleep(0)
    expect(card().dom.textContent).toContain('新名称律师事务所')
  })
})
