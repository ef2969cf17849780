const { installWx, apiError } = require('../helpers/wx')

function load() {
  let unread
  jest.isolateModules(() => {
    unread = require('../../utils/unread')
  })
  return unread
}

describe('utils/unread', () => {
  test('the badge goes on the 我的 tab, named by app.json, with 99+ above 99 and none for 0', () => {
    const wx = installWx()
    const { ME_TAB_INDEX, showBadge } = load()
    expect(ME_TAB_INDEX).toBe(3)
    showBadge(5)
    showBadge(100)
    showBadge(0)
    expect(wx.setTabBarBadge.mock.calls.map((c) => c[0])).toEqual([{ index: 3, text: '5' }, { index: 3, text: '99+' }])
    expect(wx.removeTabBarBadge).toHaveBeenCalledWith({ index: 3 })
  })

  test('a failed count leaves the badge alone and resolves null', async () => {
    const wx = installWx()
    wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
    wx.server(() => apiError(503, 'service_unavailable', '服务暂不可用'))
    const { refreshUnread, markRead } = load()
    await expect(refreshUnread()).resolves.toBeNull()
    await expect(markRead(3)).resolves.toBeNull()
    expect(wx.setTabBarBadge).not.toHaveBeenCalled()
    expect(wx.removeTabBarBadge).not.toHaveBeenCalled()
  })

  test('a page that is not a tab page cannot set the badge: no throw', async () => {
    const wx = installWx()
    wx.setTabBarBadge = jest.fn(() => {
      throw new Error('setTabBarBadge:fail not TabBar page')
    })
    const { showBadge } = load()
    expect(() => showBadge(2)).not.toThrow()
  })
})
