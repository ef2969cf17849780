// Renders components/policy-card (with TDesign t-tag from miniprogram_npm/) inside a host, as
// the policy list, 为我推荐 and favourites use it.
const simulate = require('miniprogram-simulate')
const { renderInHost } = require('../helpers/render')
const { policy } = require('../helpers/policy-directory')

const renderHost = (data) =>
  renderInHost('components/policy-card/policy-card', `<policy-card class="card" policy="{{policy}}" reasons="{{reasons}}" enterprise-name="{{name}}" bind:select="onSelect" />`, data)

describe('components/policy-card', () => {
  test('shows title, 文号, state, support type, amount and deadline', () => {
    const { card } = renderHost({ policy: policy(), reasons: [], name: '' })
    const text = card().dom.textContent
    expect(text).toContain('浦科经委〔2026〕1号')
    expect(text).toContain('申报中')
    expect(text).toContain('资金补贴')
    expect(text).toContain('最高200万元')
    expect(text).toContain('申报截止 2026-12-31')
    expect(text).not.toContain('已收藏')
    expect(card().data.stateTheme).toBe('success')
    // keywords highlighted inline (rich-text ignores page CSS)
    expect(card().data.titleHtml).toBe('<em style="color:#0052d9;font-style:normal">研发</em>费用补贴')
    expect(card().data.snippetHtml).toContain('<em style=')
  })

  test('plain title when there is no title_html, and the match reasons for 为我推荐', async () => {
    const { card } = renderHost({
      policy: policy({ title_html: '', snippet_html: '', favourite: true, state: { code: 'closed', label: '申报已截止' } }),
      reasons: ['注册区：浦东新区', '行业：软件和信息技术服务业'],
      name: '示例科技',
    })
    const text = card().dom.textContent
    expect(text).toContain('研发费用补贴')
    expect(text).toContain('已收藏')
    expect(text).toContain('示例科技 符合：')
    expect(text).toContain('注册区：浦东新区')
    expect(text).toContain('行业：软件和信息技术服务业')
    expect(card().data.stateTheme).toBe('default')
  })

  test("tapping fires 'select' with the policy id", async () => {
    const { card, onSelect } = renderHost({ policy: policy({ id: 42 }), reasons: [], name: '' })
    card().querySelector('.policy-card').dispatchEvent('tap')
    await simulate.sleep(0)
    expect(onSelect).toHaveBeenCalledTimes(1)
    expect(onSelect.mock.calls[0][0].detail).toEqual({ id: 42 })
  })
})
