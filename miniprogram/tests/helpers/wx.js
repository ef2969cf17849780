// A `wx` mock for logic tests: every API used is a jest.fn; storage is an in-memory map;
// wx.request answers asynchronously from a scripted server function.
//
//   const wx = installWx({ envVersion: 'develop' })
//   wx.server((req) => ({ statusCode: 200, data: { ok: true } }))   // or ({ fail: { errMsg } })

/**
 * @param {{ envVersion?: string }} [options]
 */
function installWx({ envVersion = 'develop' } = {}) {
  const storage = new Map()
  let handler = () => ({ statusCode: 404, data: { error: { code: 'not_found', message: '请求的资源不存在', details: {} } } })
  let loginCount = 0

  const wx = {
    getAccountInfoSync: jest.fn(() => ({ miniProgram: { appId: 'touristappid', envVersion, version: '' } })),
    getStorageSync: jest.fn((key) => (storage.has(key) ? storage.get(key) : '')),
    setStorageSync: jest.fn((key, value) => {
      storage.set(key, value)
    }),
    removeStorageSync: jest.fn((key) => {
      storage.delete(key)
    }),
    showLoading: jest.fn(),
    hideLoading: jest.fn(),
    showToast: jest.fn(),
    stopPullDownRefresh: jest.fn(),
    navigateTo: jest.fn((options = {}) => options.success && options.success({})),
    redirectTo: jest.fn((options = {}) => options.success && options.success({})),
    navigateBack: jest.fn(),
    switchTab: jest.fn((options = {}) => options.success && options.success({})),
    reLaunch: jest.fn(),
    setNavigationBarTitle: jest.fn(),
    setTabBarBadge: jest.fn(),
    removeTabBarBadge: jest.fn(),
    // wx.showModal answers with `modalAnswer` (default: confirm).
    showModal: jest.fn((options = {}) => {
      setTimeout(() => options.success && options.success({ confirm: wx.modalAnswer, cancel: !wx.modalAnswer }), 0)
    }),
    modalAnswer: true,
    // wx.requestSubscribeMessage answers every id with `subscribeAnswer` (default accept).
    requestSubscribeMessage: jest.fn((options) => {
      const res = { errMsg: 'requestSubscribeMessage:ok' }
      for (const id of options.tmplIds) res[id] = wx.subscribeAnswer
      setTimeout(() => options.success && options.success(res), 0)
    }),
    subscribeAnswer: 'accept',
    previewImage: jest.fn(),
    makePhoneCall: jest.fn(),
    setClipboardData: jest.fn((options = {}) => options.success && options.success({})),
    login: jest.fn(({ success }) => {
      loginCount += 1
      const code = `code-${loginCount}`
      setTimeout(() => success({ code, errMsg: 'login:ok' }), 0)
    }),
    request: jest.fn((options) => {
      setTimeout(() => {
        const answer = handler(options)
        if (answer.fail) options.fail(answer.fail)
        else options.success({ header: {}, ...answer })
      }, 0)
      return { abort: jest.fn() }
    }),
    /** Script the backend: `fn(requestOptions)` returns `{statusCode, data, header}` or `{fail}`. */
    server(fn) {
      handler = fn
    },
    storage,
  }
  global.wx = wx
  return wx
}

/** The envelope miniprogram_api/errors.py sends. */
function apiError(statusCode, code, message, details = {}) {
  return { statusCode, data: { error: { code, message, details } } }
}

/** The Authorization header a scripted request carried ('' if none). */
function bearerOf(options) {
  const header = options.header || {}
  const value = header.Authorization || header.authorization || ''
  return value.replace(/^Bearer /, '')
}

module.exports = { installWx, apiError, bearerOf }
