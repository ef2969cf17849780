const { apiError } = require('../helpers/wx')
const { setUpBackend, providerDetail, bindings, loadPage, flush } = require('../helpers/provider')

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

async function open(handler, query = { id: '7' }) {
  const backend = setUpBackend(handler)
  const p = loadPage('pages/provider-detail/provider-detail')
  p.onLoad(query)
  for (let i = 0; i < 50 && p.data.status === 'loading'; i += 1) await settle()
  return { ...backend, page: p }
}

const standard = (extra = () => null) => (req) => {
  const answer = extra(req)
  if (answer) return answer
  if (req.path === '/providers/7') return { statusCode: 200, data: providerDetail() }
  if (req.path === '/me/enterprises') return { statusCode: 200, data: bindings({ id: 5, name: '企云科技' }) }
  return apiError(404, 'not_found', '请求的资源不存在')
}

const typeComplaint = (p, text) => p.onComplaintText({ detail: { value: text } })

describe('pages/provider-detail', () => {
  test('shows the introduction, products, qualifications, address, rating by dimension and recent ratings', async () => {
    const { wx, page: p, sent } = await open(standard())
    expect(sent[0]).toMatchObject({ method: 'GET', path: '/providers/7' })
    expect(p.data.status).toBe('content')
    expect(p.data.provider.full_description).toBe('专注知识产权服务十余年。')
    expect(p.data.products.map((x) => [x.id, x.price_text])).toEqual([
      [31, '¥12,000.00'],
      [32, '免费'],
    ])
    expect(p.data.products[0].detailText).toBe('发明专利申请代理；服务对象：科技型中小企业；交付周期：30 天')
    expect(p.data.credentials).toEqual([{ name: '专利代理机构执业许可证', number: 'ZL-001', expiresOn: '2028-12-31' }])
    expect(p.data.admittedAt).toBe('2026-01-05')
    expect(p.data.reputation).toMatchObject({ score: '4.4', stars: 4.5, ratingCount: 12, completionRate: '88%' })
    expect(p.data.reputation.dimensions).toEqual([
      { name: '专业能力', value: '4.6', stars: 4.5 },
      { name: '响应速度', value: '4.2', stars: 4 },
      { name: '服务态度', value: '4.8', stars: 5 },
      { name: '收费合理', value: '3.9', stars: 4 },
    ])
    expect(p.data.ratings).toEqual([
      {
        overall: 5,
        enterprise: '上海**科技有限公司',
        comment: '专业高效',
        time: '2026-11-02 09:30',
        dimensionsText: '专业能力 5 · 响应速度 4 · 服务态度 5 · 收费合理 4',
      },
    ])
    expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '服务机构7' })
  })

  test('a provider with no ratings yet shows 暂无评分 and 暂无 per dimension', async () => {
    const { page: p } = await open((req) =>
      req.path === '/providers/7'
        ? {
            statusCode: 200,
            data: providerDetail({
              reputation: { score: null, rating_count: 0, raw_average: null, few_ratings: true, dimensions: {}, completion_rate: null },
              recent_ratings: [],
            }),
          }
        : null,
    )
    expect(p.data.reputation).toMatchObject({ score: '暂无评分', fewRatings: true, completionRate: '' })
    expect(p.data.reputation.dimensions.map((d) => d.value)).toEqual(['暂无', '暂无', '暂无', '暂无'])
    expect(p.data.ratings).toEqual([])
  })

  test("shows the backend's message for an unknown provider, and retry loads again", async () => {
    let missing = true
    const { page: p } = await open(standard(() => (missing ? apiError(404, 'provider_not_found', '未找到该服务机构') : null)))
    expect(p.data).toMatchObject({ status: 'error', errorMessage: '未找到该服务机构' })
    missing = false
    await p.load()
    expect(p.data.status).toBe('content')
  })

  test('network error shows the error state', async () => {
    const { page: p } = await open(() => ({ fail: { errMsg: 'request:fail' } }))
    expect(p.data).toMatchObject({ status: 'error', errorMessage: '网络异常，请检查网络后重试' })
  })

  test('申请服务 goes to the request form, for the provider or one product', async () => {
    const { wx, page: p } = await open(standard())
    p.onApply()
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/engagement-new/engagement-new?provider_id=7' })
    p.onApplyProduct({ currentTarget: { dataset: { id: 32 } } })
    expect(wx.navigateTo).toHaveBeenLastCalledWith({
      url: '/pages/engagement-new/engagement-new?provider_id=7&product_id=32',
    })
  })

  test('files a complaint in the name of my only enterprise, once per tap, with an Idempotency-Key', async () => {
    const { wx, page: p, sent } = await open(
      standard((req) =>
        req.path === '/provider-complaints'
          ? { statusCode: 201, data: { id: 3, provider_id: 7, status: 'open', status_label: '待核实', created_at: '' } }
          : null,
      ),
    )
    await p.openComplaint()
    expect(sent.at(-1)).toMatchObject({ method: 'GET', path: '/me/enterprises', data: { limit: 100 } })
    expect(p.data).toMatchObject({ complaintVisible: true, enterpriseId: 5 })
    expect(p.data.enterpriseOptions).toEqual([{ value: 5, label: '企云科技' }])

    typeComplaint(p, '  服务人员多次爽约，未按约定时间提交材料  ')
    await Promise.all([p.submitComplaint(), p.submitComplaint()])
    const posts = sent.filter((r) => r.path === '/provider-complaints')
    expect(posts).toHaveLength(1)
    expect(posts[0].method).toBe('POST')
    expect(posts[0].data).toEqual({ provider_id: 7, enterprise_id: 5, text: '服务人员多次爽约，未按约定时间提交材料' })
    expect(posts[0].header['Idempotency-Key']).toBeTruthy()
    expect(p.data).toMatchObject({ complaintVisible: false, complaintSubmitting: false, complaintText: '' })
    expect(wx.showToast).toHaveBeenCalledWith({ title: '投诉已提交，待核实', icon: 'none' })
  })

  test('checks the complaint before sending: an enterprise chosen, at least 10 characters', async () => {
    const { page: p, sent } = await open(
      standard((req) =>
        req.path === '/me/enterprises'
          ? { statusCode: 200, data: bindings({ id: 5, name: '企云科技' }, { id: 6, name: '企云制造' }) }
          : null,
      ),
    )
    await p.openComplaint()
    expect(p.data.enterpriseId).toBe(0)
    typeComplaint(p, '服务人员多次爽约，未按约定时间提交材料')
    await p.submitComplaint()
    expect(p.data.complaintError).toBe('请选择投诉企业')

    p.onComplaintEnterprise({ detail: { value: 6 } })
    typeComplaint(p, '太差了')
    await p.submitComplaint()
    expect(p.data.complaintError).toBe('请把投诉事由写清楚（至少 10 个字）')

    typeComplaint(p, '差'.repeat(2001))
    await p.submitComplaint()
    expect(p.data.complaintError).toBe('投诉内容不能超过 2000 字')
    expect(sent.filter((r) => r.path === '/provider-complaints')).toHaveLength(0)
  })

  test("shows the backend's refusal in the popup; the retry of the same complaint reuses the key", async () => {
    let answer = apiError(409, 'complaint_pending', '贵企业对该机构的投诉正在核实中，请耐心等待处理结果')
    const { page: p, sent } = await open(standard((req) => (req.path === '/provider-complaints' ? answer : null)))
    await p.openComplaint()
    typeComplaint(p, '服务人员多次爽约，未按约定时间提交材料')
    await p.submitComplaint()
    expect(p.data).toMatchObject({
      complaintVisible: true,
      complaintSubmitting: false,
      complaintError: '贵企业对该机构的投诉正在核实中，请耐心等待处理结果',
    })
    answer = { fail: { errMsg: 'request:fail' } }
    await p.submitComplaint()
    expect(p.data.complaintError).toBe('网络异常，请检查网络后重试')
    const posts = sent.filter((r) => r.path === '/provider-complaints')
    expect(posts).toHaveLength(2)
    expect(posts[1].header['Idempotency-Key']).toBe(posts[0].header['Idempotency-Key'])

    typeComplaint(p, '服务人员多次爽约，未按约定时间提交材料，态度恶劣')
    answer = { statusCode: 201, data: { id: 1, status_label: '待核实' } }
    await p.submitComplaint()
    const third = sent.filter((r) => r.path === '/provider-complaints')[2]
    expect(third.header['Idempotency-Key']).not.toBe(posts[0].header['Idempotency-Key'])
  })

  test('without a bound enterprise, 投诉 offers to bind one instead of the form', async () => {
    const { wx, page: p } = await open(standard((req) => (req.path === '/me/enterprises' ? { statusCode: 200, data: bindings() } : null)))
    await p.openComplaint()
    await flush()
    expect(p.data.complaintVisible).toBe(false)
    expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '请先绑定企业' }))
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/enterprise-bind/enterprise-bind' })
  })

  test('from an engagement: the complaint opens at once and names the engagement and its enterprise', async () => {
    const { page: p, sent } = await open(
      standard((req) =>
        req.path === '/me/enterprises'
          ? { statusCode: 200, data: bindings({ id: 5, name: '企云科技' }, { id: 6, name: '企云制造' }) }
          : req.path === '/provider-complaints'
            ? { statusCode: 201, data: { id: 1, status_label: '待核实' } }
            : null,
      ),
      { id: '7', engagement_id: '41', enterprise_id: '6', complain: '1' },
    )
    for (let i = 0; i < 20 && !p.data.complaintVisible; i += 1) await settle()
    expect(p.data).toMatchObject({ complaintVisible: true, enterpriseId: 6 })
    typeComplaint(p, '交付材料与约定不符，多次沟通无果')
    await p.submitComplaint()
    expect(sent.at(-1).data).toEqual({ provider_id: 7, enterprise_id: 6, engagement_id: 41, text: '交付材料与约定不符，多次沟通无果' })
  })
})
