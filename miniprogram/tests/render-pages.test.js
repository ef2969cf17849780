// Every page in app.json compiles with WeChat's template compiler and renders its first state
// with the real TDesign components (what DevTools would show before the first answer).
const fs = require('fs')
const path = require('path')
const simulate = require('miniprogram-simulate')
const { renderPage } = require('./helpers/render')

const app = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../app.json'), 'utf8'))

describe('every page renders', () => {
  test.each(app.pages)('%s', async (pagePath) => {
    const { page } = renderPage(pagePath)
    await simulate.sleep(0)
    expect(page.dom).toBeTruthy()
    expect(page.dom.textContent).not.toMatch(/undefined|\[object Object\]/)
  })
})
