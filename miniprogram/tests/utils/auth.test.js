const { installWx, apiError } = require('../helpers/wx')

let wx
let auth

beforeEach(() => {
  wx = installWx()
  jest.isolateModules(() => {
    auth = require('../../utils/auth')
  })
})

function loginServer() {
  let issued = 0
  wx.server((options) => {
    issued += 1
    return { statusCode: 200, data: { token: `token-${issued}`, expires_at: '2026-12-10T00:00:00+08:00', user: { id: 1 } } }
  })
  return () => issued
}

describe('utils/auth', () => {
  test('login exchanges the wx.login code at POST /auth/login and stores the session', async () => {
    loginServer()
    const session = await auth.login()
    expect(session).toEqual({ token: 'token-1', expiresAt: '2026-12-10T00:00:00+08:00' })
    const sent = wx.request.mock.calls[0][0]
    expect(sent.url).toBe('http://127.0.0.1:8000/mp/v1/auth/login')
    expect(sent.method).toBe('POST')
    expect(sent.data).toEqual({ code: 'code-1' })
    expect(sent.header.Authorization).toBeUndefined()
    expect(auth.getToken()).toBe('token-1')
  })

  test('concurrent callers share one sign-in; a later call signs in again', async () => {
    const issued = loginServer()
    const sessions = await Promise.all([auth.login(), auth.login(), auth.login()])
    expect(new Set(sessions.map((s) => s.token))).toEqual(new Set(['token-1']))
    expect(wx.login).toHaveBeenCalledTimes(1)
    expect(issued()).toBe(1)
    expect(auth.pendingLogin()).toBeNull()

    await auth.login()
    expect(wx.login).toHaveBeenCalledTimes(2) // a wx.login code is single-use: no caching of the code
  })

  test('wx.login failing rejects with a Chinese message and frees the next attempt', async () => {
    wx.login.mockImplementationOnce(({ fail }) => setTimeout(() => fail({ errMsg: 'login:fail' }), 0))
    const err = await auth.login().catch((e) => e)
    expect(err.code).toBe('wx_login_failed')
    expect(err.message).toBe('微信登录失败，请稍后重试')
    expect(wx.request).not.toHaveBeenCalled()

    loginServer()
    await expect(auth.login()).resolves.toMatchObject({ token: 'token-1' })
  })

  test("the backend refusing the code rejects with its message and stores nothing", async () => {
    wx.server(() => apiError(400, 'login_code_invalid', '登录凭证无效或已被使用，请重新登录'))
    const err = await auth.login().catch((e) => e)
    expect(err.message).toBe('登录凭证无效或已被使用，请重新登录')
    expect(wx.setStorageSync).not.toHaveBeenCalled()
    expect(auth.getToken()).toBe('')
  })

  test('clearSession forgets the token; unreadable storage counts as signed out', () => {
    wx.storage.set(auth.STORAGE_KEY, { token: 't', expiresAt: '' })
    expect(auth.getToken()).toBe('t')
    auth.clearSession()
    expect(auth.getToken()).toBe('')
    wx.getStorageSync.mockImplementation(() => {
      throw new Error('getStorageSync:fail')
    })
    expect(auth.getToken()).toBe('')
  })
})
