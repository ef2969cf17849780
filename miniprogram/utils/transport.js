// One HTTP exchange with the backend over wx.request, as a Promise that resolves on 2xx and
// rejects with a RequestError otherwise. No session handling here: utils/request.js adds the
// token and the renewal, utils/auth.js uses this directly to sign in.

const { currentEnv } = require('../config/env')

const MESSAGES = {
  network: '网络异常，请检查网络后重试',
  timeout: '网络请求超时，请检查网络后重试',
  server: '服务器开小差了，请稍后再试',
}

const DEFAULT_TIMEOUT_MS = 15000

/**
 * A failed request, shaped like the backend's error envelope
 * (`{"error": {"code", "message", "details"}}`, miniprogram_api/errors.py) so pages have one
 * code path: branch on `code`, show `message` (Chinese, for people).
 */
class RequestError extends Error {
  /**
   * @param {{ code: string, message: string, status?: number, details?: object, retryAfter?: number | null }} fields
   */
  constructor({ code, message, status = 0, details = {}, retryAfter = null }) {
    super(message)
    this.name = 'RequestError'
    /** Stable snake_case code from the backend, or `network_error` / `timeout` / `unexpected_response`. */
    this.code = code
    /** HTTP status; 0 when no answer arrived. */
    this.status = status
    this.details = details
    /** Seconds from a Retry-After header (429/503), if any. */
    this.retryAfter = retryAfter
  }

  /** True when nothing came back from the server (offline, DNS, timeout). */
  get isNetworkError() {
    return this.status === 0
  }
}

/**
 * Header lookup regardless of case (wx.request keeps the server's spelling).
 * @param {Record<string, any> | undefined} header
 * @param {string} name
 */
function headerValue(header, name) {
  if (!header) return undefined
  const wanted = name.toLowerCase()
  const key = Object.keys(header).find((k) => k.toLowerCase() === wanted)
  return key === undefined ? undefined : header[key]
}

/**
 * The RequestError for a non-2xx answer: the envelope's code and message when present,
 * a generic Chinese message when e.g. a proxy answered with HTML.
 * @param {number} status
 * @param {any} data
 * @param {Record<string, any>} [header]
 */
function errorFromResponse(status, data, header) {
  let body = data
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body)
    } catch (err) {
      body = null
    }
  }
  const retryAfterRaw = Number(headerValue(header, 'Retry-After'))
  const retryAfter = Number.isFinite(retryAfterRaw) && retryAfterRaw > 0 ? retryAfterRaw : null
  const envelope = body && typeof body === 'object' ? body.error : null
  if (envelope && typeof envelope.code === 'string' && typeof envelope.message === 'string') {
    return new RequestError({
      code: envelope.code,
      message: envelope.message,
      status,
      details: envelope.details || {},
      retryAfter,
    })
  }
  return new RequestError({ code: 'unexpected_response', message: MESSAGES.server, status, retryAfter })
}

/**
 * The RequestError for wx.request's fail callback (no HTTP answer at all).
 * @param {{ errMsg?: string } | undefined} err
 */
function errorFromFailure(err) {
  const errMsg = (err && err.errMsg) || ''
  const timedOut = /timeout|timed out/i.test(errMsg)
  return new RequestError({
    code: timedOut ? 'timeout' : 'network_error',
    message: timedOut ? MESSAGES.timeout : MESSAGES.network,
    status: 0,
    details: { errMsg },
  })
}

// wx.request has no PATCH; the backend uses none.
/**
 * @typedef {'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS'} Method
 * @typedef {{ url: string, method?: Method, data?: any, header?: Record<string, string>, timeout?: number }} SendOptions
 * @typedef {{ status: number, data: any, header: Record<string, any> }} Reply
 */

/**
 * Send one request. `url` is a path under the API prefix (e.g. `/auth/login`) or an absolute URL.
 * Never throws synchronously; rejects only with a RequestError.
 * @param {SendOptions} options
 * @returns {Promise<Reply>}
 */
function send({ url, method = 'GET', data, header = {}, timeout = DEFAULT_TIMEOUT_MS }) {
  return new Promise((resolve, reject) => {
    let fullUrl
    try {
      fullUrl = /^https?:\/\//.test(url) ? url : currentEnv().apiBase + url
      wx.request({
        url: fullUrl,
        method,
        data,
        // JSON unless the caller names its own type in any spelling (a multipart form from
        // utils/multipart.js, whose ArrayBuffer body wx.request sends as is).
        header: headerValue(header, 'content-type') === undefined ? { 'content-type': 'application/json', ...header } : header,
        dataType: 'json',
        timeout,
        success(res) {
          const status = res.statusCode
          if (status >= 200 && status < 300) {
            resolve({ status, data: status === 204 ? null : res.data, header: res.header || {} })
          } else {
            reject(errorFromResponse(status, res.data, res.header))
          }
        },
        fail(err) {
          reject(errorFromFailure(err))
        },
      })
    } catch (err) {
      // wx.request itself threw (bad arguments, missing API in an old base library).
      reject(errorFromFailure({ errMsg: String((err && err.message) || err) }))
    }
  })
}

module.exports = { MESSAGES, RequestError, send, errorFromResponse, errorFromFailure }
