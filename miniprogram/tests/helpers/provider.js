// Fixtures and a scripted backend for the professional-service page tests (服务机构 / 服务委托):
// bodies shaped like miniprogram_api/provider_schemas.py and engagement_schemas.py.
const { installWx } = require('./wx')
const { loadPage } = require('./page')

const reputation = (overrides = {}) => ({
  score: 4.36,
  rating_count: 12,
  raw_average: 4.5,
  few_ratings: false,
  dimensions: { 专业能力: 4.6, 响应速度: 4.2, 服务态度: 4.8, 收费合理: 3.9 },
  completion_rate: 0.875,
  ...overrides,
})

const providerSummary = (id, overrides = {}) => ({
  id,
  name: `服务机构${id}`,
  category: 'ip',
  category_label: '知识产权',
  district_label: '浦东新区',
  description: '专利、商标代理',
  status: 'admitted',
  status_label: '已入驻',
  reputation: reputation(),
  ...overrides,
})

const product = (id, overrides = {}) => ({
  id,
  provider_id: 7,
  name: `产品${id}`,
  description: '发明专利申请代理',
  audience: '科技型中小企业',
  pricing: 'fixed',
  price: '12000.00',
  price_text: '¥12,000.00',
  government_purchased: false,
  delivery_days: 30,
  category: 'ip',
  category_label: '知识产权',
  is_active: true,
  text_check: 'passed',
  text_check_label: '已通过',
  ...overrides,
})

const providerDetail = (overrides = {}) => ({
  ...providerSummary(7),
  full_description: '专注知识产权服务十余年。',
  address: '浦东新区张江路 1 号',
  credentials: [{ name: '专利代理机构执业许可证', number: 'ZL-001', expires_on: '2028-12-31' }],
  admitted_at: '2026-01-05T10:00:00+08:00',
  products: [product(31), product(32, { name: '商标注册', pricing: 'free', price: null, price_text: '免费' })],
  recent_ratings: [
    {
      overall: 5,
      dimensions: { 专业能力: 5, 响应速度: 4, 服务态度: 5, 收费合理: 4 },
      comment: '专业高效',
      enterprise: '上海**科技有限公司',
      created_at: '2026-11-02T09:30:00+08:00',
    },
  ],
  ...overrides,
})

const bindings = (...enterprises) => ({
  items: enterprises.map((e, i) => ({
    id: 100 + i,
    role: 'legal_representative',
    role_label: '法定代表人',
    bound_at: '2026-10-01T00:00:00+08:00',
    enterprise: { id: e.id, name: e.name, credit_code: '', district: '310115', district_label: '浦东新区' },
  })),
  next_cursor: null,
})

const engagementSummary = (id, overrides = {}) => ({
  id,
  status: 'requested',
  status_label: '已申请',
  provider_id: 7,
  provider_name: '服务机构7',
  product_id: 31,
  product_name: '产品31',
  enterprise_id: 5,
  enterprise_name: '企云科技',
  requested_at: '2026-12-01T10:20:30+08:00',
  confirm_due_at: null,
  rated: false,
  ...overrides,
})

const ACTIONS = {
  confirm: { action: 'confirm', label: '确认完成', reason_required: false },
  reopen: { action: 'reopen', label: '反馈未完成', reason_required: true },
  cancel: { action: 'cancel', label: '取消委托', reason_required: true },
  accept: { action: 'accept', label: '接受委托', reason_required: false },
}

const engagementDetail = (overrides = {}, summary = {}) => ({
  summary: engagementSummary(41, summary),
  note: '需要申请两项发明专利',
  delivery_note: '',
  status_reason: '',
  requester_phone: '138****1234',
  timeline: [{ action: 'request', label: '提交委托', who: '企业', at: '2026-12-01T10:20:30+08:00', text: '需要申请两项发明专利' }],
  actions: [ACTIONS.cancel],
  rating: null,
  can_rate: false,
  ...overrides,
})

/**
 * A signed-in wx with a scripted backend; `sent` records every request (subscribe templates
 * answered by default with provider_engagement configured).
 * @param {(options: any) => any} handler
 */
function setUpBackend(handler) {
  const wx = installWx()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  const sent = []
  wx.server((options) => {
    const path = options.url.replace(/^https?:\/\/[^/]+\/mp\/v1/, '')
    const req = { ...options, path }
    if (path === '/subscribe-templates') {
      return {
        statusCode: 200,
        data: { items: [{ name: 'provider_engagement', title: '服务委托进度', template_id: 'TPL-ENG', long_term: false }] },
      }
    }
    sent.push(req)
    if (path === '/me/subscribe-grants') return { statusCode: 201, data: {} }
    return handler(req)
  })
  return { wx, sent }
}

/** Requests other than the subscribe ledger. */
const apiCalls = (sent) => sent.filter((r) => r.path !== '/me/subscribe-grants')

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

module.exports = {
  reputation,
  providerSummary,
  product,
  providerDetail,
  bindings,
  engagementSummary,
  engagementDetail,
  ACTIONS,
  setUpBackend,
  apiCalls,
  flush,
  loadPage,
}
