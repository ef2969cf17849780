const fs = require('fs')
const path = require('path')
const { installWx } = require('../helpers/wx')
const { TAB_PAGES, go, pageOfRelated } = require('../../utils/nav')

describe('utils/nav', () => {
  test('knows the same tab pages as app.json', () => {
    const app = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../app.json'), 'utf8'))
    expect(TAB_PAGES).toEqual(app.tabBar.list.map((tab) => tab.pagePath))
  })

  test('switches to a tab (without the query) and navigates to any other page', () => {
    const wx = installWx()
    go('/pages/appeal-list/appeal-list?status=open')
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/appeal-list/appeal-list' })
    go('/pages/appeal-detail/appeal-detail?id=3')
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/appeal-detail/appeal-detail?id=3' })
  })

  test('every page a notification can open exists in app.json', () => {
    const app = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../app.json'), 'utf8'))
    for (const type of ['appeal', 'activity', 'survey', 'provider', 'engagement', 'policy']) {
      const url = pageOfRelated(type, 5)
      expect(app.pages).toContain(url.slice(1).split('?')[0])
      expect(url.endsWith('?id=5')).toBe(true)
    }
    expect(pageOfRelated('report', 5)).toBe('')
    expect(pageOfRelated('appeal', null)).toBe('')
  })
})
