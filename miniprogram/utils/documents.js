// Open a document attachment (a PDF an enterprise or a department attached to an appeal) inside
// WeChat: wx.downloadFile to a temporary file, then wx.openDocument, which shows it with the
// system viewer. The link is the backend's signed file URL (valid an hour); its origin must be a
// "downloadFile 合法域名" of the mini-program, like the request domain.

/** Content types the backend stores (app/appeal/storage.py) that wx.openDocument can show. */
const FILE_TYPES = { 'application/pdf': 'pdf' }

const MESSAGES = {
  unsupported: '该文件请在电脑端查看',
  download: '文件下载失败，请稍后重试',
  expired: '文件链接已过期，请下拉刷新后再试',
  open: '无法打开该文件，请在电脑端查看',
}

/** @param {string} contentType */
function canOpen(contentType) {
  return Object.prototype.hasOwnProperty.call(FILE_TYPES, contentType)
}

/**
 * Download and show a document. Resolves with '' when it opened, or with the Chinese message
 * that was shown as a toast; never rejects.
 * @param {{ url: string, contentType: string }} attachment
 * @returns {Promise<string>}
 */
function openDocument({ url, contentType }) {
  const fail = (/** @type {string} */ message) => {
    wx.showToast({ title: message, icon: 'none' })
    return message
  }
  if (!canOpen(contentType)) return Promise.resolve(fail(MESSAGES.unsupported))
  return new Promise((resolve) => {
    const done = (/** @type {string} */ message) => {
      try {
        wx.hideLoading()
      } catch (err) {
        // no loading shown
      }
      resolve(message ? fail(message) : '')
    }
    try {
      wx.showLoading({ title: '正在打开', mask: true })
      wx.downloadFile({
        url,
        success(res) {
          if (res.statusCode === 403) return done(MESSAGES.expired)
          if (res.statusCode !== 200) return done(MESSAGES.download)
          wx.openDocument({
            filePath: res.tempFilePath,
            fileType: /** @type {any} */ (FILE_TYPES[contentType]),
            showMenu: true,
            success: () => done(''),
            fail: () => done(MESSAGES.open),
          })
        },
        fail: () => done(MESSAGES.download),
      })
    } catch (err) {
      done(MESSAGES.download)
    }
  })
}

module.exports = { FILE_TYPES, MESSAGES, canOpen, openDocument }
