// Filter options of the policy search (GET /policies): the backend's SupportType
// (app/policy/models.py) and District (app/enterprise/reference.py) enums with their Chinese
// labels. Results carry their own labels (support_type_label, state.label); these lists only
// fill the filter menus, so keep them in step with those enums.

/** @typedef {{ value: string, label: string }} Option */

/** @type {Option[]} */
const SUPPORT_TYPES = [
  { value: 'subsidy', label: '资金补贴' },
  { value: 'tax', label: '税收优惠' },
  { value: 'qualification', label: '资质认定' },
  { value: 'financing', label: '融资支持' },
  { value: 'talent', label: '人才服务' },
  { value: 'premises', label: '场地支持' },
  { value: 'other', label: '其他' },
]

/** @type {Option[]} */
const DISTRICTS = [
  { value: '310101', label: '黄浦区' },
  { value: '310104', label: '徐汇区' },
  { value: '310105', label: '长宁区' },
  { value: '310106', label: '静安区' },
  { value: '310107', label: '普陀区' },
  { value: '310109', label: '虹口区' },
  { value: '310110', label: '杨浦区' },
  { value: '310112', label: '闵行区' },
  { value: '310113', label: '宝山区' },
  { value: '310114', label: '嘉定区' },
  { value: '310115', label: '浦东新区' },
  { value: '310116', label: '金山区' },
  { value: '310117', label: '松江区' },
  { value: '310118', label: '青浦区' },
  { value: '310120', label: '奉贤区' },
  { value: '310151', label: '崇明区' },
]

/** The keyword limit of PolicySearchQuery.q. */
const KEYWORD_MAX_LENGTH = 50

/** TDesign tag theme for an application state code (ApplicationStateOut.code). */
const STATE_THEMES = {
  open: 'success',
  rolling: 'primary',
  upcoming: 'warning',
  closed: 'default',
  expired: 'default',
  withdrawn: 'default',
}

/** @param {string} code */
function stateTheme(code) {
  return STATE_THEMES[code] || 'default'
}

module.exports = { SUPPORT_TYPES, DISTRICTS, KEYWORD_MAX_LENGTH, STATE_THEMES, stateTheme }
