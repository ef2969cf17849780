// Helpers for the activity pages (活动排片、报名、电子票): the kinds the schedule can be
// filtered by, dates in Beijing time, grouping a schedule by day, and seat texts.
// Everything here is pure (no wx, no requests) so the pages stay thin and testable.

/**
 * The activity kinds of `GET /activities?kind=` (ActivityKind in app/activity/models.py),
 * with the backend's labels; '' is "all".
 */
const KINDS = [
  { value: '', label: '全部' },
  { value: 'training', label: '培训' },
  { value: 'lecture', label: '讲座' },
  { value: 'roadshow', label: '路演' },
  { value: 'diagnostic', label: '诊断' },
  { value: 'briefing', label: '政策宣讲' },
]

/** Activities happen in Shanghai (UTC+8, no daylight saving): the API's times are aware. */
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000
const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六']

/** @param {number} n */
const pad = (n) => (n < 10 ? `0${n}` : String(n))

/**
 * The Beijing-time calendar parts of an ISO date-time, or null if it does not parse.
 * @param {string | null | undefined} iso
 */
function beijingParts(iso) {
  if (!iso) return null
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return null
  const d = new Date(ms + SHANGHAI_OFFSET_MS)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  }
}

/**
 * "5月20日 14:00" (with the year when it is not `now`'s year); '' for nothing.
 * @param {string | null | undefined} iso
 * @param {Date} [now]
 */
function formatDateTime(iso, now = new Date()) {
  const p = beijingParts(iso)
  if (!p) return ''
  const thisYear = new Date(now.getTime() + SHANGHAI_OFFSET_MS).getUTCFullYear()
  const year = p.year === thisYear ? '' : `${p.year}年`
  return `${year}${p.month}月${p.day}日 ${pad(p.hour)}:${pad(p.minute)}`
}

/**
 * The schedule heading of a day: "今天 · 5月20日 周三", "明天 · …", or "5月22日 周五".
 * @param {string} iso any moment of that day
 * @param {Date} [now]
 */
function dayTitle(iso, now = new Date()) {
  const p = beijingParts(iso)
  if (!p) return '日期待定'
  const dayNumber = (/** @type {number} */ ms) => Math.floor((ms + SHANGHAI_OFFSET_MS) / 86400000)
  const diff = dayNumber(Date.parse(iso)) - dayNumber(now.getTime())
  const prefix = diff === 0 ? '今天 · ' : diff === 1 ? '明天 · ' : ''
  const thisYear = new Date(now.getTime() + SHANGHAI_OFFSET_MS).getUTCFullYear()
  const year = p.year === thisYear ? '' : `${p.year}年`
  return `${prefix}${year}${p.month}月${p.day}日 ${WEEKDAYS[p.weekday]}`
}

/**
 * Group activities (in the API's order: soonest first) by their Beijing-time start day.
 * @template {{ starts_at: string }} T
 * @param {T[]} items
 * @param {Date} [now]
 * @returns {{ key: string, title: string, items: T[] }[]}
 */
function groupByDay(items, now = new Date()) {
  /** @type {{ key: string, title: string, items: T[] }[]} */
  const groups = []
  /** @type {Record<string, { key: string, title: string, items: T[] }>} */
  const byKey = {}
  for (const item of items) {
    const p = beijingParts(item.starts_at)
    const key = p ? `${p.year}-${pad(p.month)}-${pad(p.day)}` : 'unknown'
    if (!byKey[key]) {
      byKey[key] = { key, title: dayTitle(item.starts_at, now), items: [] }
      groups.push(byKey[key])
    }
    byKey[key].items.push(item)
  }
  return groups
}

/**
 * Seats in one phrase: "剩余 12 / 40 个名额" or "名额已满 · 候补 3 人".
 * @param {{ capacity: number, places_left: number, waitlist?: number }} activity
 */
function seatsText(activity) {
  if (!activity) return ''
  if (activity.places_left > 0) return `剩余 ${activity.places_left} / ${activity.capacity} 个名额`
  const waiting = activity.waitlist ? ` · 候补 ${activity.waitlist} 人` : ''
  return `名额已满${waiting}`
}

/** TDesign tag themes for sign-up statuses (SignupStatus); labels come from the API. */
const SIGNUP_THEMES = {
  confirmed: 'success',
  waitlisted: 'warning',
  checked_in: 'primary',
  cancelled: 'default',
}

/** @param {string} status */
function signupTheme(status) {
  return SIGNUP_THEMES[status] || 'default'
}

module.exports = { KINDS, beijingParts, formatDateTime, dayTitle, groupByDay, seatsText, signupTheme }
