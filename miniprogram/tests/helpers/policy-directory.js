// Shared by the policy, directory and subscription page tests: a signed-in wx mock, the API
// path of a scripted request, a backend routed by "METHOD /path", and sample bodies shaped
// like the API's (miniprogram_api/policy_schemas.py, directory_schemas.py).
const { installWx, apiError } = require('./wx')

/** A wx mock with a stored session (no sign-in round trip). */
function signedInWx() {
  const wx = installWx()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  return wx
}

/** '/policies' for 'http://127.0.0.1:8000/mp/v1/policies'. */
const pathOf = (options) => options.url.replace(/^.*\/mp\/v1/, '').replace(/\?.*$/, '')

/**
 * Script the backend by route: `{ 'GET /policies': (options) => answer | body }`. A value that
 * is not `{statusCode}` / `{fail}` is sent as a 200 body; a missing route is a 404.
 */
function route(wx, routes) {
  const calls = []
  wx.server((options) => {
    const key = `${options.method || 'GET'} ${pathOf(options)}`
    calls.push({ key, data: options.data, header: options.header })
    const handler = routes[key]
    if (!handler) return apiError(404, 'not_found', '请求的资源不存在')
    const answer = typeof handler === 'function' ? handler(options) : handler
    if (answer && (answer.statusCode || answer.fail)) return answer
    return { statusCode: 200, data: answer }
  })
  return calls
}

/** Let queued timers and promises run (the wx mock answers on a 0 ms timer). */
const flush = async (times = 5) => {
  for (let i = 0; i < times; i += 1) await new Promise((resolve) => setTimeout(resolve, 0))
}

function policy(overrides = {}) {
  return {
    id: 1,
    title: '研发费用补贴',
    title_html: '<em>研发</em>费用补贴',
    doc_number: '浦科经委〔2026〕1号',
    support_type: 'subsidy',
    support_type_label: '资金补贴',
    amount: '最高200万元',
    publish_date: '2026-01-05',
    apply_end: '2026-12-31',
    state: { code: 'open', label: '申报中' },
    snippet_html: '对企业<em>研发</em>投入给予补贴',
    favourite: false,
    ...overrides,
  }
}

function entry(overrides = {}) {
  return {
    id: 7,
    kind: 'resource',
    kind_label: '公共服务资源',
    category: 'ip',
    category_label: '知识产权公共服务',
    utility_type: null,
    utility_label: '',
    title: '知识产权公共服务平台',
    title_html: '知识产权公共服务平台',
    summary: '专利检索与咨询',
    snippet_html: '',
    district: '310115',
    district_label: '浦东新区',
    provider: '区知识产权局',
    url: '',
    miniprogram: null,
    ...overrides,
  }
}

module.exports = { signedInWx, pathOf, route, flush, policy, entry, apiError }
