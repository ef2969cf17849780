// Date/time display shared by the pages: the API sends aware ISO datetimes (usually UTC, e.g.
// '2026-12-03T00:05:00Z'); the mini-program shows them in China time (UTC+8, no daylight
// saving) whatever the device's time zone is. Pure functions (no wx).

/** China Standard Time offset. */
const CHINA_OFFSET_MS = 8 * 3600 * 1000

/**
 * 'YYYY-MM-DD HH:mm' in China time for an ISO datetime from the API; '' for none; the raw
 * string as given if it does not parse.
 * @param {string | null | undefined} iso
 */
function formatTime(iso) {
  if (!iso) return ''
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return String(iso)
  const shifted = new Date(ms + CHINA_OFFSET_MS).toISOString()
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 16)}`
}

/**
 * 'YYYY-MM-DD' in China time: the date part of formatTime. A plain date ('2028-12-31') stays
 * that date. '' for none.
 * @param {string | null | undefined} iso
 */
function formatDate(iso) {
  return formatTime(iso).slice(0, 10)
}

module.exports = { CHINA_OFFSET_MS, formatTime, formatDate }
