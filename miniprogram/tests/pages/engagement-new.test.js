const { apiError } = require('../helpers/wx')
const { setUpBackend, providerDetail, bindings, engagementDetail, loadPage } = require('../helpers/provider')

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

async function open(handler, query = { provider_id: '7' }) {
  const backend = setUpBackend((req) => {
    const answer = handler(req)
    if (answer) return answer
    if (req.path === '/providers/7') return { statusCode: 200, data: providerDetail() }
    if (req.path === '/me/enterprises') return { statusCode: 200, data: bindings({ id: 5, name: '企云科技' }) }
    if (req.path === '/engagements') return { statusCode: 201, data: engagementDetail() }
    return apiError(404, 'not_found', '请求的资源不存在')
  })
  const p = loadPage('pages/engagement-new/engagement-new')
  p.onLoad(query)
  for (let i = 0; i < 50 && p.data.status === 'loading'; i += 1) await settle()
  return { ...backend, page: p, posts: () => backend.sent.filter((r) => r.path === '/engagements') }
}

describe('pages/engagement-new', () => {
  test("offers the provider's products and my enterprise (the only one preselected)", async () => {
    const { page: p } = await open(() => null)
    expect(p.data).toMatchObject({ status: 'content', providerName: '服务机构7', productId: 0, enterpriseId: 5 })
    expect(p.data.productOptions).toEqual([
      { value: 31, label: '产品31（¥12,000.00）', priceText: '¥12,000.00' },
      { value: 32, label: '商标注册（免费）', priceText: '免费' },
    ])
    expect(p.data.enterpriseOptions).toEqual([{ value: 5, label: '企云科技' }])
  })

  test('requests the service: subscribe first, POST /engagements once with a key, then the detail page', async () => {
    const { wx, page: p, sent, posts } = await open(() => null, { provider_id: '7', product_id: '32' })
    expect(p.data.productId).toBe(32)
    p.onNoteInput({ detail: { value: '  需要注册两个商标  ' } })
    await Promise.all([p.onSubmit(), p.onSubmit()])

    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1)
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['TPL-ENG'])
    const grantAt = sent.findIndex((r) => r.path === '/me/subscribe-grants')
    const postAt = sent.findIndex((r) => r.path === '/engagements')
    expect(grantAt).toBeGreaterThanOrEqual(0)
    expect(grantAt).toBeLessThan(postAt)

    expect(posts()).toHaveLength(1)
    expect(posts()[0].method).toBe('POST')
    expect(posts()[0].data).toEqual({ product_id: 32, enterprise_id: 5, note: '需要注册两个商标' })
    expect(posts()[0].header['Idempotency-Key']).toBeTruthy()
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/engagement-detail/engagement-detail?id=41' })
  })

  test('checks the form before asking or sending: a product, an enterprise, the note length', async () => {
    const { wx, page: p, posts } = await open((req) =>
      req.path === '/me/enterprises'
        ? { statusCode: 200, data: bindings({ id: 5, name: '企云科技' }, { id: 6, name: '企云制造' }) }
        : null,
    )
    await p.onSubmit()
    expect(p.data.formError).toBe('请选择服务产品')
    p.onProductChange({ detail: { value: 31 } })
    await p.onSubmit()
    expect(p.data.formError).toBe('请选择委托企业')
    p.onEnterpriseChange({ detail: { value: 6 } })
    p.onNoteInput({ detail: { value: '长'.repeat(1001) } })
    await p.onSubmit()
    expect(p.data.formError).toBe('需求说明不能超过 1000 字')
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: '需求说明不能超过 1000 字', icon: 'none' })
    expect(posts()).toHaveLength(0)
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()
  })

  test('without a bound enterprise it says so and links to binding', async () => {
    const { wx, page: p, posts } = await open((req) => (req.path === '/me/enterprises' ? { statusCode: 200, data: bindings() } : null), {
      provider_id: '7',
      product_id: '31',
    })
    await p.onSubmit()
    expect(p.data.formError).toBe('请先绑定企业，再委托服务')
    expect(posts()).toHaveLength(0)
    p.goBindEnterprise()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/enterprise-bind/enterprise-bind' })
  })

  test("shows the backend's refusal and lets the user try again; a network retry reuses the key", async () => {
    let answer = { fail: { errMsg: 'request:fail' } }
    const { wx, page: p, posts } = await open((req) => (req.path === '/engagements' ? answer : null), {
      provider_id: '7',
      product_id: '31',
    })
    await p.onSubmit()
    expect(p.data).toMatchObject({ submitting: false, formError: '网络异常，请检查网络后重试' })
    answer = apiError(409, 'engagement_open', '贵企业已委托该服务，订单（编号 40）尚未结束，请在原订单中跟进')
    await p.onSubmit()
    expect(p.data.formError).toBe('贵企业已委托该服务，订单（编号 40）尚未结束，请在原订单中跟进')
    expect(wx.showToast).toHaveBeenLastCalledWith({ title: p.data.formError, icon: 'none' })
    expect(posts()).toHaveLength(2)
    expect(posts()[1].header['Idempotency-Key']).toBe(posts()[0].header['Idempotency-Key'])
    expect(wx.redirectTo).not.toHaveBeenCalled()
  })

  test('a provider with no product on offer shows the empty state', async () => {
    const { page: p } = await open((req) =>
      req.path === '/providers/7' ? { statusCode: 200, data: providerDetail({ products: [] }) } : null,
    )
    expect(p.data).toMatchObject({ status: 'empty', emptyText: '该机构暂无可委托的服务产品' })
  })

  test("a failed load shows the backend's message", async () => {
    const { page: p } = await open((req) =>
      req.path === '/providers/7' ? apiError(404, 'provider_not_found', '未找到该服务机构') : null,
    )
    expect(p.data).toMatchObject({ status: 'error', errorMessage: '未找到该服务机构' })
  })
})
