// Shared by the appeal pages (pages/appeal-*): form posts with photos, status tag colours,
// and the "appeals changed" mark that makes the appeal list reload when shown again.

const { post } = require('./request')
const { buildMultipart } = require('./multipart')
const { RequestError } = require('./transport')

/** Limits of the appeal service (app/appeal/service.py), checked here to answer at once. */
const LIMITS = {
  descriptionMin: 5,
  descriptionMax: 4000,
  titleMax: 60,
  contactNameMax: 50,
  contactPhoneMax: 20,
  enterpriseNameMax: 200,
  noteMax: 4000,
  commentMax: 1000,
}

/** Uploads may take a while: nine photos in one request. */
const UPLOAD_TIMEOUT_MS = 60000

/** t-tag themes per AppealStatus (app/appeal/models.py); the text is always the backend's label. */
const STATUS_THEMES = {
  submitted: 'default',
  held: 'warning',
  accepted: 'primary',
  dispatched: 'primary',
  in_progress: 'primary',
  replied: 'warning',
  declined: 'danger',
  closed: 'success',
}

/** @param {string} status */
function statusTheme(status) {
  return STATUS_THEMES[status] || 'default'
}

/**
 * POST a multipart form with photos (field `photos`) through utils/request.js.
 * Rejects only with a RequestError (a photo that cannot be read becomes one with a Chinese message).
 * @param {string} url
 * @param {Record<string, any>} fields
 * @param {{ path: string }[]} photos
 * @param {string} idempotencyKey
 * @returns {Promise<any>}
 */
async function postForm(url, fields, photos, idempotencyKey) {
  let form
  try {
    form = await buildMultipart({ fields, files: photos.map((p) => ({ name: 'photos', path: p.path })) })
  } catch (err) {
    throw new RequestError({
      code: 'file_unreadable',
      message: '读取图片失败，请删除后重新选择',
      details: { error: String((err && err.errMsg) || err) },
    })
  }
  return post(url, form.body, {
    header: { 'content-type': form.contentType, 'Idempotency-Key': idempotencyKey },
    loading: '提交中',
    timeout: UPLOAD_TIMEOUT_MS,
  })
}

/** Mark that the appeal list is out of date (a new appeal, a new status). */
function markAppealsChanged() {
  const app = typeof getApp === 'function' ? getApp() : null
  if (app) {
    app.globalData = app.globalData || {}
    app.globalData.appealsChanged = true
  }
}

/** True once after markAppealsChanged(). */
function takeAppealsChanged() {
  const app = typeof getApp === 'function' ? getApp() : null
  if (!app || !app.globalData || !app.globalData.appealsChanged) return false
  app.globalData.appealsChanged = false
  return true
}

/**
 * Call wx.navigateTo / wx.redirectTo (never throws; a failure is logged: there is nothing
 * better to do than stay on the page).
 * @param {'navigateTo' | 'redirectTo'} how
 * @param {string} url
 */
function navigate(how, url) {
  try {
    const fail = (/** @type {any} */ err) => console.warn(`${how} ${url} failed`, err)
    if (how === 'redirectTo') wx.redirectTo({ url, fail })
    else wx.navigateTo({ url, fail })
  } catch (err) {
    console.warn(`${how} ${url} failed`, err)
  }
}

module.exports = { LIMITS, STATUS_THEMES, statusTheme, postForm, markAppealsChanged, takeAppealsChanged, navigate }
