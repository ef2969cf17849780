const { installWx, apiError, bearerOf } = require('../helpers/wx')

let wx
let request
let post
let RequestError
let auth

beforeEach(() => {
  wx = installWx({ envVersion: 'develop' })
  jest.isolateModules(() => {
    ;({ request, post, RequestError } = require('../../utils/request'))
    auth = require('../../utils/auth')
  })
})

/** A scripted backend with sessions: /auth/login issues token-1, token-2, ...; /me needs one. */
function backendWithSessions({ valid = new Set() } = {}) {
  let issued = 0
  const calls = []
  wx.server((options) => {
    const path = options.url.replace('http://127.0.0.1:8000/mp/v1', '')
    calls.push(`${options.method} ${path} ${bearerOf(options)}`.trim())
    if (path === '/auth/login') {
      issued += 1
      const token = `token-${issued}`
      valid.add(token)
      return { statusCode: 200, data: { token, expires_at: '2026-12-10T00:00:00+08:00', user: { id: 1 } } }
    }
    const token = bearerOf(options)
    if (!token) return apiError(401, 'unauthenticated', '请先登录')
    if (!valid.has(token)) return apiError(401, 'session_expired', '登录已失效，请重新登录')
    return { statusCode: 200, data: { id: 1, phone: '', enterprises: [] } }
  })
  return { calls, valid, loginCount: () => issued }
}

describe('utils/request', () => {
  test('success: resolves with the JSON body, sends JSON to the base URL with the stored token', async () => {
    wx.storage.set(auth.STORAGE_KEY, { token: 'abc', expiresAt: '' })
    wx.server(() => ({ statusCode: 201, data: { id: 7 } }))

    const body = await post('/appeals', { description: '路灯坏了' }, { header: { 'Idempotency-Key': 'k-1' } })

    expect(body).toEqual({ id: 7 })
    const sent = wx.request.mock.calls[0][0]
    expect(sent.url).toBe('http://127.0.0.1:8000/mp/v1/appeals')
    expect(sent.method).toBe('POST')
    expect(sent.data).toEqual({ description: '路灯坏了' })
    expect(sent.header).toMatchObject({
      Authorization: 'Bearer abc',
      'Idempotency-Key': 'k-1',
      'content-type': 'application/json',
    })
    expect(wx.login).not.toHaveBeenCalled()
  })

  test('204 resolves with null', async () => {
    wx.server(() => ({ statusCode: 204, data: '' }))
    await expect(request({ url: '/auth/logout', method: 'POST', auth: false })).resolves.toBeNull()
  })

  test("a backend error rejects with the backend's code, Chinese message and details", async () => {
    wx.storage.set(auth.STORAGE_KEY, { token: 'abc', expiresAt: '' })
    wx.server(() => ({
      ...apiError(422, 'invalid_credit_code', '统一社会信用代码格式不正确', { field: 'credit_code' }),
      header: { 'Retry-After': '30' },
    }))

    const err = await request({ url: '/me/enterprises', method: 'POST', data: {} }).catch((e) => e)

    expect(err).toBeInstanceOf(RequestError)
    expect(err.code).toBe('invalid_credit_code')
    expect(err.message).toBe('统一社会信用代码格式不正确')
    expect(err.status).toBe(422)
    expect(err.details).toEqual({ field: 'credit_code' })
    expect(err.retryAfter).toBe(30)
    expect(err.isNetworkError).toBe(false)
    expect(wx.login).not.toHaveBeenCalled()
  })

  test('an answer that is not the envelope (a proxy page) still gives a Chinese message', async () => {
    wx.server(() => ({ statusCode: 502, data: '<html>Bad Gateway</html>' }))
    const err = await request({ url: '/policies', auth: false }).catch((e) => e)
    expect(err).toBeInstanceOf(RequestError)
    expect(err.code).toBe('unexpected_response')
    expect(err.message).toBe('服务器开小差了，请稍后再试')
  })

  test('a network failure rejects with a Chinese message, not an exception', async () => {
    wx.server(() => ({ fail: { errMsg: 'request:fail -102:net::ERR_CONNECTION_REFUSED' } }))

    const err = await request({ url: '/me' }).catch((e) => e)

    expect(err).toBeInstanceOf(RequestError)
    expect(err.code).toBe('network_error')
    expect(err.message).toBe('网络异常，请检查网络后重试')
    expect(err.isNetworkError).toBe(true)
  })

  test('a timeout says so', async () => {
    wx.server(() => ({ fail: { errMsg: 'request:fail timeout' } }))
    const err = await request({ url: '/me' }).catch((e) => e)
    expect(err.code).toBe('timeout')
    expect(err.message).toBe('网络请求超时，请检查网络后重试')
  })

  test('wx.request throwing synchronously becomes a rejection', async () => {
    wx.request.mockImplementation(() => {
      throw new Error('boom')
    })
    const err = await request({ url: '/me', auth: false }).catch((e) => e)
    expect(err).toBeInstanceOf(RequestError)
    expect(err.message).toBe('网络异常，请检查网络后重试')
  })

  test('the loading indicator is shown and hidden, also on failure', async () => {
    wx.server(() => ({ fail: { errMsg: 'request:fail' } }))
    await request({ url: '/me', auth: false, loading: '提交中' }).catch(() => null)
    expect(wx.showLoading).toHaveBeenCalledWith({ title: '提交中', mask: true })
    expect(wx.hideLoading).toHaveBeenCalledTimes(1)

    wx.server(() => ({ statusCode: 200, data: {} }))
    await request({ url: '/me', auth: false })
    expect(wx.showLoading).toHaveBeenCalledTimes(1) // not asked for: not shown
  })

  test('401 session_expired: signs in once with a wx.login code, stores the token, retries once', async () => {
    wx.storage.set(auth.STORAGE_KEY, { token: 'stale', expiresAt: '' })
    const backend = backendWithSessions()

    const profile = await request({ url: '/me' })

    expect(profile).toEqual({ id: 1, phone: '', enterprises: [] })
    expect(backend.calls).toEqual(['GET /me stale', 'POST /auth/login', 'GET /me token-1'])
    expect(wx.login).toHaveBeenCalledTimes(1)
    expect(wx.request.mock.calls[1][0].data).toEqual({ code: 'code-1' })
    expect(wx.setStorageSync).toHaveBeenCalledWith(auth.STORAGE_KEY, {
      token: 'token-1',
      expiresAt: '2026-12-10T00:00:00+08:00',
    })
  })

  test('no token yet (401 unauthenticated) is cured the same way', async () => {
    const backend = backendWithSessions()
    await expect(request({ url: '/me' })).resolves.toMatchObject({ id: 1 })
    expect(backend.calls).toEqual(['GET /me', 'POST /auth/login', 'GET /me token-1'])
  })

  test('retries only once: a second 401 is the error', async () => {
    wx.server((options) =>
      options.url.endsWith('/auth/login')
        ? { statusCode: 200, data: { token: 'new', expires_at: '' } }
        : apiError(401, 'session_expired', '登录已失效，请重新登录'),
    )
    const err = await request({ url: '/me' }).catch((e) => e)
    expect(err.code).toBe('session_expired')
    expect(err.message).toBe('登录已失效，请重新登录')
    expect(wx.request).toHaveBeenCalledTimes(3) // /me, /auth/login, /me
  })

  test("a failed sign-in rejects with the backend's message", async () => {
    wx.server((options) =>
      options.url.endsWith('/auth/login')
        ? apiError(403, 'login_blocked', '该微信账号存在安全风险，暂时无法登录')
        : apiError(401, 'unauthenticated', '请先登录'),
    )
    const err = await request({ url: '/me' }).catch((e) => e)
    expect(err.code).toBe('login_blocked')
    expect(err.message).toBe('该微信账号存在安全风险，暂时无法登录')
  })

  test('other 401/403 codes are not renewed', async () => {
    wx.server(() => apiError(403, 'enterprise_access_denied', '您尚未绑定该企业，无权查看或办理该企业的事项'))
    const err = await request({ url: '/enterprises/9' }).catch((e) => e)
    expect(err.code).toBe('enterprise_access_denied')
    expect(wx.login).not.toHaveBeenCalled()
  })

  test('concurrent 401s share one sign-in, and every request then succeeds', async () => {
    wx.storage.set(auth.STORAGE_KEY, { token: 'stale', expiresAt: '' })
    const backend = backendWithSessions()

    const results = await Promise.all([request({ url: '/me' }), request({ url: '/me' }), request({ url: '/me' })])

    expect(results).toHaveLength(3)
    results.forEach((r) => expect(r).toMatchObject({ id: 1 }))
    expect(wx.login).toHaveBeenCalledTimes(1)
    expect(backend.loginCount()).toBe(1)
    expect(backend.calls.filter((c) => c === 'GET /me token-1')).toHaveLength(3)
  })

  test('a 401 arriving after another request already renewed uses the new token without a new sign-in', async () => {
    wx.storage.set(auth.STORAGE_KEY, { token: 'stale', expiresAt: '' })
    const backend = backendWithSessions()
    // The first request renews; the second one's 401 only lands after that sign-in finished.
    const slow = new Promise((resolve) => {
      const original = wx.request.getMockImplementation()
      wx.request.mockImplementationOnce((options) => original(options)) // first /me: normal
      wx.request.mockImplementationOnce((options) => {
        // second /me: hold its answer until the first request's renewal has stored token-1
        const wait = () => (auth.getToken() === 'token-1' ? resolve(original(options)) : setTimeout(wait, 1))
        wait()
      })
    })
    const results = await Promise.all([request({ url: '/me' }), request({ url: '/me' }), slow])
    expect(results[0]).toMatchObject({ id: 1 })
    expect(results[1]).toMatchObject({ id: 1 })
    expect(backend.loginCount()).toBe(1)
    expect(wx.login).toHaveBeenCalledTimes(1)
  })
})
