// One policy in a list (search results, 为我推荐, favourites): title (keywords highlighted
// when the search sends title_html), 文号, support type / state / amount tags, the search
// snippet, the deadline and, for recommendations, why it matches. Tapping it fires `select`
// with { id }.
//
//   <policy-card policy="{{item}}" reasons="{{reasons}}" enterprise-name="{{name}}" bind:select="onSelect" />

const { stateTheme } = require('../../utils/policy-options')

/** <rich-text> ignores the page's CSS for tags, so the highlight is styled inline. */
const HIGHLIGHT = '<em style="color:#0052d9;font-style:normal">'

/**
 * The API's escaped HTML with keywords in <em>: safe to hand to <rich-text> as is.
 * @param {string} html
 */
function highlight(html) {
  return (html || '').replace(/<em>/g, HIGHLIGHT)
}

Component({
  options: {
    styleIsolation: 'apply-shared',
  },

  properties: {
    /** PolicySummaryOut from the API. */
    policy: { type: Object, value: {} },
    /** Match reasons (MatchedPolicyOut.reasons), shown under the card. */
    reasons: { type: Array, value: [] },
    /** The bound enterprise the reasons are about. */
    enterpriseName: { type: String, value: '' },
  },

  data: {
    stateTheme: 'default',
    titleHtml: '',
    snippetHtml: '',
  },

  observers: {
    policy(/** @type {any} */ policy) {
      const code = policy && policy.state ? policy.state.code : ''
      this.setData({
        stateTheme: stateTheme(code),
        titleHtml: highlight((policy && policy.title_html) || ''),
        snippetHtml: highlight((policy && policy.snippet_html) || ''),
      })
    },
  },

  methods: {
    onTap() {
      const policy = /** @type {any} */ (this.data.policy)
      if (policy && policy.id) this.triggerEvent('select', { id: policy.id })
    },
  },
})
