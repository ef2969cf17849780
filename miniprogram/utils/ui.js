// Small wx UI wrappers shared by the pages.

/**
 * Ask with wx.showModal; resolves true when the user confirmed, false on cancel, on a failure
 * of wx.showModal, or if it throws. Never rejects. Options left out keep wx's defaults.
 * @param {{ title?: string, content?: string, confirmText?: string, cancelText?: string, confirmColor?: string, showCancel?: boolean }} options (showCancel false: a notice with one button)
 * @returns {Promise<boolean>}
 */
function confirmModal({ title, content, confirmText, cancelText, confirmColor, showCancel }) {
  /** @type {Record<string, string | boolean>} */
  const shown = {}
  if (title !== undefined) shown.title = title
  if (content !== undefined) shown.content = content
  if (confirmText !== undefined) shown.confirmText = confirmText
  if (cancelText !== undefined) shown.cancelText = cancelText
  if (confirmColor !== undefined) shown.confirmColor = confirmColor
  if (showCancel !== undefined) shown.showCancel = showCancel
  return new Promise((resolve) => {
    try {
      wx.showModal({
        ...shown,
        success: (/** @type {any} */ res) => resolve(!!(res && res.confirm)),
        fail: () => resolve(false),
      })
    } catch (err) {
      resolve(false)
    }
  })
}

module.exports = { confirmModal }
