// The unread-notification count: a badge on the 我的 tab and on 我的消息, refreshed when the
// home or me page loads and cleared when the messages page marks what it showed as read
// (GET /me/messages/unread-count, POST /me/messages/read).

const { get, post } = require('./request')
const { TAB_PAGES } = require('./nav')

const ME_TAB_INDEX = TAB_PAGES.indexOf('pages/me/me')

/** Show `count` on the 我的 tab (nothing for 0; "99+" above 99). Never throws. @param {number} count */
function showBadge(count) {
  try {
    if (count > 0) wx.setTabBarBadge({ index: ME_TAB_INDEX, text: count > 99 ? '99+' : String(count) })
    else wx.removeTabBarBadge({ index: ME_TAB_INDEX })
  } catch (err) {
    // Not on a tab page yet, or an old base library: the badge is a nicety.
  }
}

/**
 * Fetch the count and show it on the tab. Resolves with the count, or null when it could not
 * be fetched (the badge is left as it was); never rejects.
 * @returns {Promise<number | null>}
 */
async function refreshUnread() {
  try {
    const body = await get('/me/messages/unread-count')
    const count = Number(body && body.unread) || 0
    showBadge(count)
    return count
  } catch (err) {
    return null
  }
}

/**
 * Mark notifications up to `upToId` read and update the badge. Resolves with what stays
 * unread, or null on failure (they stay unread, to be marked next time); never rejects.
 * @param {number} upToId
 * @returns {Promise<number | null>}
 */
async function markRead(upToId) {
  try {
    const body = await post('/me/messages/read', { up_to_id: upToId })
    const count = Number(body && body.unread) || 0
    showBadge(count)
    return count
  } catch (err) {
    return null
  }
}

module.exports = { ME_TAB_INDEX, refreshUnread, markRead, showBadge }
