// My messages (我的消息): the notifications the platform delivered to me, on the official
// account or as mini-program subscribe messages (GET /me/messages, newest first). Tapping one
// opens what it is about (an appeal, an activity, a survey...) when the mini-program has a page
// for it. New ones carry a dot this time; having been shown, they are marked read (the badge
// on the 我的 tab goes).

const { get } = require('../../utils/request')
const { go, pageOfRelated } = require('../../utils/nav')
const { formatTime } = require('../../utils/format')
const { createCursorList } = require('../../utils/cursor-list')
const { markRead } = require('../../utils/unread')

const PAGE_SIZE = 20

/** @param {any} message */
function present(message) {
  return { ...message, time: formatTime(message.sent_at), url: pageOfRelated(message.related_type, message.related_id) }
}

const list = createCursorList({
  fetch: (page, cursor) => get(`/me/messages?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
  map: present,
})

Page({
  data: list.data,
  // load() (first page), loadMore(), pull-down refresh, reach-bottom: utils/cursor-list.js
  ...list.methods,

  onLoad() {
    this.load()
  },

  /** The first page (utils/cursor-list.js), then what it showed is marked read; never rejects. */
  async load() {
    await list.load(this)
    const newest = this.data.items[0]
    if (newest && newest.unread) await markRead(newest.id)
  },

  /** @param {any} e */
  onOpen(e) {
    const url = e.currentTarget.dataset.url
    if (url) go(url)
  },
})
