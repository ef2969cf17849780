// Page navigation that knows which pages are tabs: wx.navigateTo refuses a tab page and
// wx.switchTab refuses anything else (and drops the query), so callers say where to go and
// this picks the call. Keep TAB_PAGES in step with app.json's tabBar (a test checks it).

const TAB_PAGES = ['pages/home/home', 'pages/policy-list/policy-list', 'pages/appeal-list/appeal-list', 'pages/me/me']

/** Where a notification about an object leads: related_type -> page path with `?id=`. */
const PAGE_OF_RELATED = {
  appeal: '/pages/appeal-detail/appeal-detail',
  activity: '/pages/activity-detail/activity-detail',
  survey: '/pages/survey-answer/survey-answer',
  provider: '/pages/provider-detail/provider-detail',
  engagement: '/pages/engagement-detail/engagement-detail',
  policy: '/pages/policy-detail/policy-detail',
}

/**
 * Open a page by URL ('/pages/x/x?id=1'); never throws.
 * @param {string} url
 */
function go(url) {
  const path = url.replace(/^\//, '').split('?')[0]
  try {
    if (TAB_PAGES.includes(path)) wx.switchTab({ url: `/${path}` })
    else wx.navigateTo({ url })
  } catch (err) {
    // Navigation is best effort: a failure leaves the user where they are.
  }
}

/**
 * The page a related object opens, or '' when there is none.
 * @param {string} relatedType
 * @param {number | null | undefined} relatedId
 */
function pageOfRelated(relatedType, relatedId) {
  const page = PAGE_OF_RELATED[relatedType]
  return page && relatedId ? `${page}?id=${relatedId}` : ''
}

module.exports = { TAB_PAGES, PAGE_OF_RELATED, go, pageOfRelated }
