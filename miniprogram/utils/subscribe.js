// Subscribe messages (订阅消息): ask at the moments WeChat allows — inside a tap handler — and
// report what the user chose to the backend's grant ledger (POST /me/subscribe-grants), which
// is what lets the backend send a one-time message later.
//
//   onLoad()  { subscribe.preload() }                    // fetch template ids before the tap
//   async onSubmitTap() {
//     await subscribe.requestAtTap(['appeal_accepted', 'appeal_replied'])   // never rejects
//     ...then file the appeal
//   }
//
// WeChat shows the dialog only while a tap is being handled (基础库 2.8.2+), so the ids must
// already be known when the tap comes: a network round trip first would lose the gesture.
// That is why pages preload. Asking is never allowed to block the user's action: every
// failure (no ids yet, user closed the dialog, reporting failed) resolves quietly.

const { get, post } = require('./request')
const { newIdempotencyKey } = require('./idempotency')

/** WeChat's limit per call (the current documentation says 5; older clients take 3). */
const MAX_TEMPLATES_PER_CALL = 3

/** @typedef {{ name: string, title: string, template_id: string, long_term: boolean }} SubscribeTemplate */

/** @type {Record<string, SubscribeTemplate> | null} */
let templatesByName = null
/** @type {Promise<Record<string, SubscribeTemplate>> | null} */
let loading = null

/**
 * Fetch the configured mini-program subscribe templates once per run (GET /subscribe-templates).
 * Never rejects: on failure the next preload tries again.
 * @returns {Promise<Record<string, SubscribeTemplate>>}
 */
function preload() {
  if (templatesByName) return Promise.resolve(templatesByName)
  if (!loading) {
    loading = get('/subscribe-templates')
      .then((body) => {
        /** @type {Record<string, SubscribeTemplate>} */
        const found = {}
        for (const item of (body && body.items) || []) found[item.name] = item
        templatesByName = found
        return found
      })
      .catch(() => ({}))
      .finally(() => {
        loading = null
      })
  }
  return loading
}

/**
 * The template ids for some names that can be asked together: configured ones only, one kind
 * (WeChat refuses one-time and long-term ids in one call), at most MAX_TEMPLATES_PER_CALL.
 * @param {string[]} names
 * @returns {string[]}
 */
function templateIdsFor(names) {
  if (!templatesByName) return []
  const found = names.map((name) => templatesByName[name]).filter(Boolean)
  if (!found.length) return []
  const longTerm = found[0].long_term
  return found
    .filter((t) => t.long_term === longTerm)
    .slice(0, MAX_TEMPLATES_PER_CALL)
    .map((t) => t.template_id)
}

/**
 * wx.requestSubscribeMessage as a Promise of its result ({templateId: decision}) or null.
 * @param {string[]} tmplIds
 * @returns {Promise<Record<string, string> | null>}
 */
function askWeChat(tmplIds) {
  return new Promise((resolve) => {
    try {
      wx.requestSubscribeMessage({
        tmplIds,
        success: (res) => resolve(/** @type {any} */ (res)),
        fail: () => resolve(null),
      })
    } catch (err) {
      resolve(null)
    }
  })
}

/**
 * Ask for the named subscribe messages and report the answer. Call it first thing in a tap
 * handler. Resolves with the reported decisions ({templateId: 'accept' | 'reject' | ...}),
 * or {} when nothing was asked or reported; never rejects.
 * @param {string[]} names template names (templates_msg/), e.g. ['appeal_accepted']
 * @returns {Promise<Record<string, string>>}
 */
async function requestAtTap(names) {
  const tmplIds = templateIdsFor(names)
  if (!tmplIds.length) {
    preload() // not loaded yet (or nothing configured): have them for the next tap
    return {}
  }
  const answer = await askWeChat(tmplIds)
  if (!answer) return {}
  /** @type {Record<string, string>} */
  const results = {}
  for (const id of tmplIds) if (typeof answer[id] === 'string') results[id] = answer[id]
  if (!Object.keys(results).length) return {}
  try {
    await post('/me/subscribe-grants', { results }, { header: { 'Idempotency-Key': newIdempotencyKey() } })
  } catch (err) {
    // The ledger misses this grant: the backend then just does not send that message.
    return {}
  }
  return results
}

/** Forget loaded templates (tests; a sign-in as someone else). */
function reset() {
  templatesByName = null
  loading = null
}

module.exports = { MAX_TEMPLATES_PER_CALL, preload, requestAtTap, templateIdsFor, reset }
