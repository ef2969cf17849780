// Home (placeholder for issue 10's home page): proves the foundation end to end: signs in on
// demand, loads the profile, shows loading / error (with retry) / content.

const { get } = require('../../utils/request')

Page({
  data: {
    status: 'loading',
    errorMessage: '',
    profile: null,
  },

  onLoad() {
    this.load()
  },

  onPullDownRefresh() {
    this.load().then(() => wx.stopPullDownRefresh())
  },

  /** Load the profile; never rejects (the error is shown by state-view). */
  async load() {
    this.setData({ status: 'loading', errorMessage: '' })
    try {
      const profile = await get('/me')
      this.setData({ status: 'content', profile })
    } catch (err) {
      this.setData({ status: 'error', errorMessage: err.message })
    }
  },
})
