// Sign-in against the backend: wx.login gives a one-time code, POST /auth/login exchanges it for
// a session token (miniprogram_api/endpoints/auth.py), stored for later requests as
// `Authorization: Bearer <token>`. Concurrent callers share one sign-in: a code can be used
// once, and several requests failing with 401 at the same moment must not each start one.

const { RequestError, send } = require('./transport')

const STORAGE_KEY = 'qiyun.session'
const LOGIN_PATH = '/auth/login'

const MESSAGES = {
  wxLoginFailed: '微信登录失败，请稍后重试',
}

/** @typedef {{ token: string, expiresAt: string }} Session */

/** @type {Promise<Session> | null} */
let inFlight = null

/** The stored session, or null. @returns {Session | null} */
function getSession() {
  try {
    const stored = wx.getStorageSync(STORAGE_KEY)
    return stored && typeof stored.token === 'string' && stored.token ? stored : null
  } catch (err) {
    return null
  }
}

/** The stored token, or '' when signed out. */
function getToken() {
  const session = getSession()
  return session ? session.token : ''
}

/** Forget the session (sign-out, or a token the server refused after renewal). */
function clearSession() {
  try {
    wx.removeStorageSync(STORAGE_KEY)
  } catch (err) {
    // Storage unavailable: nothing stored to forget.
  }
}

/** wx.login as a Promise of the code. @returns {Promise<string>} */
function wxLoginCode() {
  return new Promise((resolve, reject) => {
    const failed = (/** @type {any} */ err) =>
      reject(
        new RequestError({
          code: 'wx_login_failed',
          message: MESSAGES.wxLoginFailed,
          details: { errMsg: (err && err.errMsg) || String(err) },
        }),
      )
    try {
      wx.login({
        success(res) {
          if (res && res.code) resolve(res.code)
          else failed(res)
        },
        fail: failed,
      })
    } catch (err) {
      failed(err)
    }
  })
}

/** One full sign-in: code, exchange, store. @returns {Promise<Session>} */
async function signIn() {
  const code = await wxLoginCode()
  const reply = await send({ url: LOGIN_PATH, method: 'POST', data: { code } })
  const { token, expires_at: expiresAt } = reply.data || {}
  if (typeof token !== 'string' || !token) {
    throw new RequestError({ code: 'unexpected_response', message: '登录失败，请稍后重试', status: reply.status })
  }
  const session = { token, expiresAt }
  try {
    wx.setStorageSync(STORAGE_KEY, session)
  } catch (err) {
    // Storage full or unavailable: the session still works for this run through inFlight's result.
  }
  return session
}

/**
 * Sign in (or renew an expired session). While one sign-in is running, every caller gets
 * the same promise. Rejects with a RequestError carrying a Chinese message.
 * @returns {Promise<Session>}
 */
function login() {
  if (!inFlight) {
    inFlight = signIn().finally(() => {
      inFlight = null
    })
  }
  return inFlight
}

/** The running sign-in, if any (requests wait for it instead of going out without a token). */
function pendingLogin() {
  return inFlight
}

module.exports = { STORAGE_KEY, LOGIN_PATH, MESSAGES, getSession, getToken, clearSession, login, pendingLogin }
