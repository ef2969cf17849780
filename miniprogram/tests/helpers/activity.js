// Fixtures and a scripted backend for the activity pages' tests (活动排片、报名、电子票):
// response bodies shaped like miniprogram_api/activity_schemas.py.
const { installWx } = require('./wx')

/** Let scripted requests (answered on setTimeout 0) and the awaits after them run. */
async function settle(rounds = 20) {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setTimeout(resolve, 0))
}

/** A mocked wx with a session already stored (no sign-in round trip). */
function installSignedInWx() {
  const wx = installWx()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  return wx
}

/** An ActivityOut. */
function activity(overrides = {}) {
  return {
    id: 7,
    title: '专精特新企业申报辅导',
    kind: 'training',
    kind_label: '培训',
    status: 'published',
    status_label: '报名中',
    starts_at: '2030-05-20T06:00:00Z', // 14:00 in Beijing
    ends_at: '2030-05-20T08:30:00Z',
    when: '5月20日（周一）14:00-16:30',
    place: '企业服务中心 3 楼报告厅',
    audience: '区内中小企业负责人',
    organiser: '区企业服务中心',
    capacity: 40,
    places_left: 12,
    waitlist: 0,
    signup_deadline: '2030-05-19T10:00:00Z',
    signup_open: true,
    closed_reason: '',
    ...overrides,
  }
}

/** An ActivityDetailOut. */
function activityDetail(overrides = {}) {
  return { ...activity(), description: '讲解申报条件与材料准备。', my_signup: null, ...overrides }
}

/** A MySignupOut. */
function mySignup(overrides = {}) {
  return {
    id: 31,
    status: 'confirmed',
    status_label: '已报名',
    waitlist_position: null,
    ticket_code: 'TK8F2A9C',
    checked_in_at: null,
    enterprise_name: '启云科技有限公司',
    ...overrides,
  }
}

/** A SignupOut. */
function signupOut({ signup = {}, activity: activityOverrides = {}, message = '您已报名该活动，请凭电子票二维码入场。' } = {}) {
  return { signup: mySignup(signup), activity: activity(activityOverrides), channel: 'miniprogram', message }
}

/** The path of a scripted request under /mp/v1, with its query string. */
function pathOf(options) {
  return options.url.replace(/^https?:\/\/[^/]+\/mp\/v1/, '')
}

module.exports = { settle, installSignedInWx, activity, activityDetail, mySignup, signupOut, pathOf }
