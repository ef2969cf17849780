// A `wx` for page-flow runs in Node: the mini-program's own modules and pages run unchanged,
// and every wx.request becomes a real HTTP request to a running backend (`qiyun dev`).
// WeChat's side is the project's WeChat simulator: wx.login and the getPhoneNumber button get
// their one-time codes from its control API (/_sim/login_codes, /_sim/phone_codes), exactly the
// codes the backend then redeems with the simulator over HTTP.
//
// The user's side (taps, confirm dialogs, the subscribe dialog, picking photos) is scripted:
// dialogs are confirmed, subscriptions accepted, chooseMedia returns the files in `photoFiles`.
//
// Every exchange is kept in `exchanges` ({method, url, status}) for the flow to report.

const fs = require('fs')

/**
 * @param {{ simulator: string, appid: string, openid: string, photoFiles?: string[] }} options
 */
function installHttpWx({ simulator, appid, openid, photoFiles = [] }) {
  const storage = new Map()
  const exchanges = []
  const navigations = []
  const toasts = []

  async function simulatorCall(path, body) {
    const response = await fetch(`${simulator}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!response.ok) throw new Error(`simulator ${path}: ${response.status} ${await response.text()}`)
    return response.json()
  }

  function encodeQuery(data) {
    return Object.entries(data || {})
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&')
  }

  async function httpRequest(options) {
    const method = (options.method || 'GET').toUpperCase()
    let url = options.url
    const headers = { ...(options.header || {}) }
    let body
    if (method === 'GET' || method === 'DELETE') {
      if (options.data && typeof options.data === 'object') {
        const query = encodeQuery(options.data)
        if (query) url += (url.includes('?') ? '&' : '?') + query
      }
    } else if (options.data instanceof ArrayBuffer) {
      body = Buffer.from(options.data)
    } else if (typeof options.data === 'string') {
      body = options.data
    } else if (options.data !== undefined) {
      body = JSON.stringify(options.data)
    }
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), options.timeout || 15000)
    try {
      const response = await fetch(url, { method, headers, body, signal: controller.signal })
      const text = await response.text()
      let data = text
      if (options.dataType !== 'text') {
        try {
          data = text ? JSON.parse(text) : ''
        } catch (err) {
          data = text
        }
      }
      const header = {}
      response.headers.forEach((value, key) => {
        header[key] = value
      })
      exchanges.push({ method, url, status: response.status })
      return { statusCode: response.status, data, header }
    } finally {
      clearTimeout(timer)
    }
  }

  const wx = {
    getAccountInfoSync: () => ({ miniProgram: { appId: appid, envVersion: 'develop', version: '' } }),
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, value),
    removeStorageSync: (key) => storage.delete(key),
    showLoading() {},
    hideLoading() {},
    stopPullDownRefresh() {},
    setNavigationBarTitle() {},
    setTabBarBadge() {},
    removeTabBarBadge() {},
    showToast: (options) => toasts.push(options.title),
    showModal: (options) => setTimeout(() => options.success && options.success({ confirm: true, cancel: false }), 0),
    navigateTo: (options) => {
      navigations.push({ how: 'navigateTo', url: options.url })
      if (options.success) options.success({})
    },
    redirectTo: (options) => {
      navigations.push({ how: 'redirectTo', url: options.url })
      if (options.success) options.success({})
    },
    switchTab: (options) => {
      navigations.push({ how: 'switchTab', url: options.url })
      if (options.success) options.success({})
    },
    navigateBack: () => navigations.push({ how: 'navigateBack', url: '' }),
    login({ success, fail }) {
      simulatorCall('/_sim/login_codes', { appid, openid }).then(
        (body) => success({ code: body.code, errMsg: 'login:ok' }),
        (err) => fail({ errMsg: `login:fail ${err.message}` }),
      )
    },
    request(options) {
      httpRequest(options).then(
        (res) => options.success && options.success(res),
        (err) => options.fail && options.fail({ errMsg: `request:fail ${err.name === 'AbortError' ? 'timeout' : err.message}` }),
      )
      return { abort() {} }
    },
    requestSubscribeMessage(options) {
      const res = { errMsg: 'requestSubscribeMessage:ok' }
      for (const id of options.tmplIds) res[id] = 'accept'
      setTimeout(() => options.success && options.success(res), 0)
    },
    chooseMedia(options) {
      const files = photoFiles.slice(0, options.count || 9)
      const tempFiles = files.map((path) => ({ tempFilePath: path, size: fs.statSync(path).size, fileType: 'image' }))
      setTimeout(() => options.success && options.success({ tempFiles, type: 'image' }), 0)
    },
    chooseImage(options) {
      const files = photoFiles.slice(0, options.count || 9)
      setTimeout(() => options.success && options.success({ tempFilePaths: files, tempFiles: files.map((path) => ({ path, size: fs.statSync(path).size })) }), 0)
    },
    compressImage(options) {
      setTimeout(() => options.success && options.success({ tempFilePath: options.src }), 0)
    },
    getImageInfo(options) {
      setTimeout(() => options.success && options.success({ width: 1, height: 1, path: options.src, type: 'png' }), 0)
    },
    getFileInfo(options) {
      setTimeout(() => options.success && options.success({ size: fs.statSync(options.filePath).size }), 0)
    },
    getFileSystemManager() {
      return {
        readFile(options) {
          fs.readFile(options.filePath, (err, buffer) => {
            if (err) options.fail && options.fail({ errMsg: `readFile:fail ${err.message}` })
            else {
              const data = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength)
              options.success && options.success({ data })
            }
          })
        },
        readFileSync(filePath) {
          const buffer = fs.readFileSync(filePath)
          return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength)
        },
        getFileInfo(options) {
          setTimeout(() => options.success && options.success({ size: fs.statSync(options.filePath).size }), 0)
        },
      }
    },
    previewImage() {},
    arrayBufferToBase64: (buffer) => Buffer.from(buffer).toString('base64'),
  }

  /** A getPhoneNumber button's event, with a code WeChat (the simulator) issued for `phone`. */
  async function phoneNumberEvent(phone) {
    const body = await simulatorCall('/_sim/phone_codes', { appid, phone })
    return { detail: { code: body.code, errMsg: 'getPhoneNumber:ok' } }
  }

  global.wx = wx
  return { wx, exchanges, navigations, toasts, storage, phoneNumberEvent }
}

module.exports = { installHttpWx }
