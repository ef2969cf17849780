// Page flow: a new user files an appeal in the mini-program against a running `qiyun dev`
// and finds it in their appeal list. Run by tests/miniprogram/test_page_flow.py, which starts
// `qiyun dev` and passes where it runs:
//
//   QIYUN_DEV_ORIGIN=http://127.0.0.1:8000 QIYUN_SIMULATOR=http://127.0.0.1:8001 \
//   MINIPROGRAM_APPID=wx... PHOTOS=/tmp/a.png,/tmp/b.png node tests/flow/appeal-flow.js
//
// The pages' own code runs (app.js, pages/me, pages/appeal-new, pages/appeal-detail,
// pages/appeal-list with utils/request, auth, subscribe, multipart); only `wx` is replaced, by
// tests/flow/wx-http.js, which sends their requests over real HTTP. Prints one JSON line with
// what happened; exits 1 with the reason when a step does not do what a user would expect.

const assert = require('assert/strict')
const crypto = require('crypto')
const { installHttpWx } = require('./wx-http')
const { launchApp, openPage, settled, queryOf } = require('./runtime')
const env = require('../../config/env')

const DESCRIPTION = '我公司申请高新技术企业认定已经三个月，网上一直显示审核中，请帮助查询办理进度。'

async function main() {
  const origin = process.env.QIYUN_DEV_ORIGIN || 'http://127.0.0.1:8000'
  const simulator = process.env.QIYUN_SIMULATOR || 'http://127.0.0.1:8001'
  const appid = process.env.MINIPROGRAM_APPID
  assert.ok(appid, 'MINIPROGRAM_APPID is required')
  const photoFiles = (process.env.PHOTOS || '').split(',').filter(Boolean)
  env.ORIGINS.development = origin // the one place the base URL lives, pointed at this run

  const openid = `flow-${crypto.randomBytes(6).toString('hex')}`
  const user = installHttpWx({ simulator, appid, openid, photoFiles })
  launchApp() // signs in at launch, as in WeChat

  // 我的: the new user binds their phone with the getPhoneNumber button.
  const me = openPage('pages/me/me')
  me.onLoad()
  await settled(me)
  assert.equal(me.data.status, 'content', `me: ${me.data.errorMessage}`)
  assert.equal(me.data.profile.has_phone, false)
  await me.onGetPhoneNumber(await user.phoneNumberEvent('13800138000'))
  assert.equal(me.data.profile.phone, '138****8000', `phone binding: ${user.toasts.join(' | ')}`)

  // 提交诉求: category, description, contact, two photos, confirm, submit.
  const form = openPage('pages/appeal-new/appeal-new')
  form.onLoad({})
  await settled(form)
  assert.equal(form.data.status, 'content', `appeal-new: ${form.data.errorMessage}`)
  const category = form.data.categories[0]
  const change = (field, value) => form.onFieldChange({ currentTarget: { dataset: { field } }, detail: { value } })
  change('category', category.code)
  change('description', DESCRIPTION)
  change('enterprise_name', '上海企云科技有限公司')
  change('contact_name', '王经理')
  await form.onPhotosAdd({ detail: { files: photoFiles.map((path) => ({ url: path, type: 'image' })) } })
  assert.equal(form.data.photos.length, photoFiles.length)
  await form.submit()
  const redirect = user.navigations.find((n) => n.how === 'redirectTo')
  assert.ok(redirect, `no redirect after submitting: ${user.toasts.join(' | ')}`)
  const appealId = Number(queryOf(redirect.url).id)
  assert.ok(appealId > 0, redirect.url)

  // The detail page the user lands on.
  const detail = openPage('pages/appeal-detail/appeal-detail')
  detail.onLoad(queryOf(redirect.url))
  await settled(detail)
  assert.equal(detail.data.status, 'content', `appeal-detail: ${detail.data.errorMessage}`)
  const shown = detail.data.appeal || detail.data.detail
  assert.ok(shown, 'appeal-detail shows no appeal')
  assert.equal(shown.id, appealId)
  assert.equal(shown.description, DESCRIPTION)

  // 我的诉求 (tab): the new appeal is listed.
  const list = openPage('pages/appeal-list/appeal-list')
  list.onLoad({})
  await settled(list)
  assert.equal(list.data.status, 'content', `appeal-list: ${list.data.errorMessage}`)
  const listed = list.data.items.find((item) => item.id === appealId)
  assert.ok(listed, `appeal ${appealId} not in the list: ${JSON.stringify(list.data.items.map((i) => i.id))}`)

  const report = {
    openid,
    token: user.storage.get('qiyun.session').token,
    appeal_id: appealId,
    number: listed.number,
    status_label: listed.status_label,
    category: category.code,
    detail_attachments: (shown.attachments || []).length,
    exchanges: user.exchanges.map((x) => `${x.method} ${x.url.replace(origin, '')} ${x.status}`),
  }
  process.stdout.write(`${JSON.stringify(report)}\n`)
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`page flow failed: ${err && err.stack ? err.stack : err}\n`)
    process.exit(1)
  },
)
