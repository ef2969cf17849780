// Helpers shared by the professional-service pages (服务机构 and 服务委托): display formatting of
// the backend's provider / engagement objects, the rating dimensions, and Idempotency-Key reuse
// per user intent. Field names and labels are the backend's (miniprogram_api/provider_schemas.py,
// engagement_schemas.py); nothing here decides what is allowed — the API does.

const { newIdempotencyKey } = require('./idempotency')
const { formatTime } = require('./format')

/** The four rating dimensions, in the backend's order (app/engagement/ratings.py DIMENSIONS). */
const DIMENSIONS = ['专业能力', '响应速度', '服务态度', '收费合理']

/** Limits the backend enforces (shown to the user in Chinese before sending). */
const LIMITS = {
  engagementNote: 1000, // app/engagement/service.py NOTE_LIMIT
  reason: 1000, // ReasonBody.reason
  ratingComment: 500, // app/engagement/ratings.py COMMENT_LIMIT
  complaintMin: 10, // app/provider/management.py COMPLAINT_MIN
  complaintMax: 2000, // COMPLAINT_LIMIT
  keyword: 30, // ProviderListQuery.q
}

/** Enterprise-side engagement actions (accept / decline / deliver belong to the provider desk). */
const ENTERPRISE_ACTIONS = ['confirm', 'reopen', 'cancel']

/** What to ask for when an action needs a reason (the backend's note_label, workflow.py). */
const REASON_PROMPTS = {
  cancel: '取消的原因',
  reopen: '还有哪些没有完成',
}

/** t-tag theme per engagement status (EngagementStatus). */
const ENGAGEMENT_TAG_THEMES = {
  requested: 'primary',
  accepted: 'warning',
  delivered: 'success',
  completed: 'success',
  declined: 'danger',
  cancelled: 'default',
}

/** t-tag theme per public provider status (only admitted and warned are listed). */
const PROVIDER_TAG_THEMES = {
  admitted: 'success',
  warned: 'warning',
  suspended: 'danger',
}

/**
 * A score 1–5 (or null) as text with one decimal.
 * @param {number | null | undefined} score
 */
function scoreText(score) {
  return typeof score === 'number' ? score.toFixed(1) : '暂无评分'
}

/**
 * A score for a read-only t-rate (half stars).
 * @param {number | null | undefined} score
 */
function starValue(score) {
  return typeof score === 'number' ? Math.round(score * 2) / 2 : 0
}

/**
 * The reputation block of a provider, ready to show.
 * @param {any} reputation ReputationOut
 */
function reputationView(reputation) {
  const r = reputation || {}
  const dims = r.dimensions || {}
  return {
    score: scoreText(r.score),
    stars: starValue(r.score),
    ratingCount: r.rating_count || 0,
    fewRatings: !!r.few_ratings,
    rawAverage: typeof r.raw_average === 'number' ? r.raw_average.toFixed(1) : '',
    completionRate: typeof r.completion_rate === 'number' ? `${Math.round(r.completion_rate * 100)}%` : '',
    dimensions: DIMENSIONS.map((name) => ({
      name,
      value: typeof dims[name] === 'number' ? dims[name].toFixed(1) : '暂无',
      stars: starValue(dims[name]),
    })),
  }
}

/**
 * One ProviderSummaryOut as the list card shows it.
 * @param {any} provider
 */
function providerCardView(provider) {
  const p = provider || {}
  return {
    id: p.id,
    name: p.name || '',
    categoryLabel: p.category_label || '',
    districtLabel: p.district_label || '',
    description: p.description || '',
    status: p.status || '',
    statusLabel: p.status_label || '',
    statusTheme: PROVIDER_TAG_THEMES[p.status] || 'default',
    reputation: reputationView(p.reputation),
  }
}

/**
 * One RatingOut of the provider page.
 * @param {any} rating
 */
function ratingView(rating) {
  const dims = rating.dimensions || {}
  return {
    overall: rating.overall,
    enterprise: rating.enterprise || '',
    comment: rating.comment || '',
    time: formatTime(rating.created_at),
    dimensionsText: DIMENSIONS.filter((name) => typeof dims[name] === 'number')
      .map((name) => `${name} ${dims[name]}`)
      .join(' · '),
  }
}

/**
 * One EngagementSummaryOut as list rows show it.
 * @param {any} summary
 */
function engagementSummaryView(summary) {
  const s = summary || {}
  return {
    id: s.id,
    status: s.status,
    statusLabel: s.status_label || '',
    statusTheme: ENGAGEMENT_TAG_THEMES[s.status] || 'default',
    providerId: s.provider_id,
    providerName: s.provider_name || '',
    productName: s.product_name || '',
    enterpriseId: s.enterprise_id,
    enterpriseName: s.enterprise_name || '',
    requestedAt: formatTime(s.requested_at),
    confirmDueAt: formatTime(s.confirm_due_at),
    rated: !!s.rated,
  }
}

/**
 * Query parameters without empty values (wx.request would send "undefined").
 * @param {Record<string, any>} params
 * @returns {Record<string, string | number>}
 */
function cleanQuery(params) {
  /** @type {Record<string, string | number>} */
  const out = {}
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') out[key] = value
  }
  return out
}

/**
 * The Idempotency-Key for one user intent: the same key while the same request is retried,
 * a new one once the request changes (the server refuses a key reused for another body).
 * Keys live on `holder` (the page instance), per `name`.
 * @param {any} holder
 * @param {string} name e.g. 'engagement'
 * @param {any} body
 */
function intentKey(holder, name, body) {
  const signature = JSON.stringify(body)
  holder._intentKeys = holder._intentKeys || {}
  const known = holder._intentKeys[name]
  if (known && known.signature === signature) return known.key
  const key = newIdempotencyKey()
  holder._intentKeys[name] = { signature, key }
  return key
}

/** Forget an intent's key (after it succeeded, so the next intent gets its own). @param {any} holder @param {string} name */
function forgetIntent(holder, name) {
  if (holder._intentKeys) delete holder._intentKeys[name]
}

module.exports = {
  DIMENSIONS,
  LIMITS,
  ENTERPRISE_ACTIONS,
  REASON_PROMPTS,
  ENGAGEMENT_TAG_THEMES,
  PROVIDER_TAG_THEMES,
  scoreText,
  starValue,
  reputationView,
  providerCardView,
  ratingView,
  engagementSummaryView,
  cleanQuery,
  intentKey,
  forgetIntent,
}
