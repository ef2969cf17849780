// 公共服务详情 (?id=): one directory entry (GET /directory/entries/{id}): what it is and who it
// is for, where and when (address, hours), contact (tap to call), the steps, the materials,
// fees and time limit, and the one-stop entrance (another mini-program, or a link to copy).

const { get } = require('../../utils/request')
const { entranceKind, openEntrance, phoneIn } = require('../../utils/directory-open')
const { formatDate } = require('../../utils/format')

/** @param {string} text */
function paragraphs(text) {
  return (text || '')
    .split(/\n+/)
    .map((line) => line.trim())
    .filter(Boolean)
}

const ENTRANCE_TEXT = {
  miniprogram: '进入办理小程序',
  url: '复制办理网址',
  phone: '电话咨询',
}

Page({
  data: {
    id: 0,
    status: 'loading',
    errorMessage: '',
    entry: null,
    paragraphs: [],
    contactPhone: '',
    entranceKind: '',
    entranceText: '',
    stepItems: [],
    updatedDate: '',
  },

  onLoad(/** @type {Record<string, string>} */ query) {
    const id = Number(query && query.id)
    this.setData({ id: Number.isInteger(id) && id > 0 ? id : 0 })
    this.load()
  },

  onPullDownRefresh() {
    return this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load the entry; never rejects. */
  async load() {
    const { id } = this.data
    if (!id) {
      this.setData({ status: 'error', errorMessage: '该服务不存在或已下线' })
      return
    }
    this.setData({ status: 'loading', errorMessage: '' })
    try {
      const entry = await get(`/directory/entries/${id}`)
      const kind = entranceKind(entry)
      this.setData({
        status: 'content',
        entry,
        paragraphs: paragraphs(entry.body),
        contactPhone: phoneIn(entry.contact),
        entranceKind: kind,
        entranceText: ENTRANCE_TEXT[kind] || '',
        updatedDate: formatDate(entry.updated_at),
        stepItems: (entry.steps || []).map((/** @type {string} */ step, /** @type {number} */ index) => ({
          title: `第${index + 1}步`,
          content: step,
        })),
      })
      if (entry.title) wx.setNavigationBarTitle({ title: entry.title })
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },

  onEntranceTap() {
    if (this.data.entry) openEntrance(this.data.entry)
  },

  onCallTap() {
    const phoneNumber = this.data.contactPhone
    if (phoneNumber) wx.makePhoneCall({ phoneNumber, fail: () => null })
  },

  onShareAppMessage() {
    const entry = /** @type {any} */ (this.data.entry)
    return {
      title: entry ? entry.title : '公共服务',
      path: `/pages/directory-entry/directory-entry?id=${this.data.id}`,
    }
  },
})
