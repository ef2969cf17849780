// Opening a public-service directory entry's one-stop entrance (办理入口) from the directory
// and the entry page: another mini-program's page → wx.navigateToMiniProgram; a web address →
// copy it (a mini-program's <web-view> opens only its own business domains); otherwise a phone
// number → wx.makePhoneCall.

const LINK_COPIED = '链接已复制，请在浏览器打开'

/**
 * The phone number in a contact text such as "021-12345678（工作日）", or ''.
 * @param {string} text
 */
function phoneIn(text) {
  const match = /(\+?\d[\d-]{5,}\d)/.exec(text || '')
  return match ? match[1] : ''
}

/**
 * How an entry can be opened: 'miniprogram' | 'url' | 'phone' | '' (nothing to open here).
 * @param {any} entry DirectoryEntrySummaryOut or DirectoryEntryOut
 */
function entranceKind(entry) {
  if (!entry) return ''
  if (entry.miniprogram && entry.miniprogram.appid) return 'miniprogram'
  if (entry.url) return 'url'
  if (phoneIn(entry.contact)) return 'phone'
  return ''
}

/** @param {string} url */
function copyLink(url) {
  wx.setClipboardData({
    data: url,
    success: () => wx.showToast({ title: LINK_COPIED, icon: 'none' }),
  })
}

/**
 * Open the entry's entrance. Returns false when it has none (the caller shows the entry page).
 * @param {any} entry
 * @returns {boolean}
 */
function openEntrance(entry) {
  const kind = entranceKind(entry)
  if (kind === 'miniprogram') {
    wx.navigateToMiniProgram({
      appId: entry.miniprogram.appid,
      path: entry.miniprogram.path || '',
      fail: (/** @type {any} */ err) => {
        // The user declining the jump is not an error worth a toast.
        if (err && /cancel/.test(err.errMsg || '')) return
        if (entry.url) copyLink(entry.url)
        else wx.showToast({ title: '暂时无法打开该小程序', icon: 'none' })
      },
    })
    return true
  }
  if (kind === 'url') {
    copyLink(entry.url)
    return true
  }
  if (kind === 'phone') {
    wx.makePhoneCall({ phoneNumber: phoneIn(entry.contact), fail: () => null })
    return true
  }
  return false
}

module.exports = { LINK_COPIED, phoneIn, entranceKind, openEntrance, copyLink }
