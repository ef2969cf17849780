// The API client pages use: JSON over wx.request, base URL from config/env.js, the session
// token, an optional loading indicator, and one renewal of an expired session.
//
//   const { request } = require('../../utils/request')
//   try {
//     const profile = await request({ url: '/me', loading: true })
//   } catch (err) {
//     // err is a RequestError: err.message is Chinese and fit to show (backend's message,
//     // or "网络异常，请检查网络后重试"); err.code is stable for branching.
//   }
//
// A request rejects only with a RequestError, never with anything else, and never throws
// synchronously.

const auth = require('./auth')
const { RequestError, send } = require('./transport')

/** 401 codes that a fresh sign-in cures (miniprogram_api/auth.py). */
const RENEWABLE_CODES = ['unauthenticated', 'session_expired']

const DEFAULT_LOADING_TITLE = '加载中'

let loadingCount = 0

/** @param {string} title */
function showLoading(title) {
  loadingCount += 1
  if (loadingCount === 1) {
    try {
      wx.showLoading({ title, mask: true })
    } catch (err) {
      // A missing loading indicator must not fail the request.
    }
  }
}

function hideLoading() {
  loadingCount = Math.max(0, loadingCount - 1)
  if (loadingCount === 0) {
    try {
      wx.hideLoading()
    } catch (err) {
      // see showLoading
    }
  }
}

/**
 * @typedef {import('./transport').Method} Method
 * @typedef {object} RequestOptions
 * @property {string} url path under /mp/v1, e.g. `/appeals?status=open`
 * @property {Method} [method]
 * @property {any} [data] JSON body (or query for GET)
 * @property {Record<string, string>} [header] extra headers, e.g. `Idempotency-Key`
 * @property {boolean | string} [loading] show wx.showLoading (a string is its title)
 * @property {boolean} [auth] send the session token and renew it on 401 (default true)
 * @property {number} [timeout] milliseconds
 */

/**
 * @param {RequestOptions} options
 * @param {string} token
 */
function sendWithToken(options, token) {
  const header = { ...(options.header || {}) }
  if (token) header.Authorization = `Bearer ${token}`
  return send({ url: options.url, method: options.method, data: options.data, header, timeout: options.timeout })
}

/**
 * Send with the session; on a 401 that a sign-in cures, sign in once (shared with concurrent
 * callers) and retry once.
 * @param {RequestOptions} options
 */
async function sendAuthenticated(options) {
  const pending = auth.pendingLogin()
  if (pending) {
    // Someone is signing in right now: wait rather than go out with no or an old token.
    await pending.catch(() => null)
  }
  const usedToken = auth.getToken()
  try {
    return await sendWithToken(options, usedToken)
  } catch (err) {
    if (!(err instanceof RequestError) || err.status !== 401 || !RENEWABLE_CODES.includes(err.code)) throw err
    // Renewed by another request since this one went out: use that token, no new sign-in.
    const current = auth.getToken()
    const token = current && current !== usedToken ? current : (await auth.login()).token
    return sendWithToken(options, token)
  }
}

/**
 * Call the API. Resolves with the response body (null for 204); rejects with a RequestError.
 * @param {RequestOptions} options
 * @returns {Promise<any>}
 */
async function request(options) {
  const loading = options.loading
  if (loading) showLoading(typeof loading === 'string' ? loading : DEFAULT_LOADING_TITLE)
  try {
    const reply = options.auth === false ? await sendWithToken(options, '') : await sendAuthenticated(options)
    return reply.data
  } catch (err) {
    throw err instanceof RequestError
      ? err
      : new RequestError({ code: 'client_error', message: '操作失败，请稍后重试', details: { error: String(err) } })
  } finally {
    if (loading) hideLoading()
  }
}

/** @param {string} url @param {Omit<RequestOptions, 'url' | 'method'>} [options] */
const get = (url, options = {}) => request({ ...options, url, method: 'GET' })
/** @param {string} url @param {any} [data] @param {Omit<RequestOptions, 'url' | 'method' | 'data'>} [options] */
const post = (url, data, options = {}) => request({ ...options, url, data, method: 'POST' })
/** @param {string} url @param {any} [data] @param {Omit<RequestOptions, 'url' | 'method' | 'data'>} [options] */
const put = (url, data, options = {}) => request({ ...options, url, data, method: 'PUT' })
/** @param {string} url @param {Omit<RequestOptions, 'url' | 'method'>} [options] */
const del = (url, options = {}) => request({ ...options, url, method: 'DELETE' })

module.exports = { request, get, post, put, del, RequestError }
