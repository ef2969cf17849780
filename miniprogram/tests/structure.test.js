// The project opens in WeChat DevTools only if every page in app.json exists with its four
// files and every usingComponents path resolves. Needs `npm run build:npm` for library paths.
const fs = require('fs')
const path = require('path')

const root = path.resolve(__dirname, '..')
const readJson = (rel) => JSON.parse(fs.readFileSync(path.join(root, rel), 'utf8'))

function jsonFiles(dir) {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name)
    if (entry.isDirectory()) return jsonFiles(rel)
    return entry.name.endsWith('.json') ? [rel] : []
  })
}

describe('project structure', () => {
  const app = readJson('app.json')

  test.each(app.pages)('page %s has .js, .json, .wxml and .wxss', (page) => {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) {
      expect(fs.existsSync(path.join(root, `${page}.${ext}`))).toBe(true)
    }
  })

  test('the tab bar lists 2 to 5 pages of app.json, the first page is a tab (the home)', () => {
    const tabs = app.tabBar.list.map((tab) => tab.pagePath)
    expect(tabs.length).toBeGreaterThanOrEqual(2)
    expect(tabs.length).toBeLessThanOrEqual(5)
    for (const tab of tabs) expect(app.pages).toContain(tab)
    expect(tabs[0]).toBe(app.pages[0])
    expect(new Set(app.pages).size).toBe(app.pages.length)
  })

  test.each(app.tabBar.list)('the tab $text has both icons, local PNGs within 40 KB', (tab) => {
    for (const icon of [tab.iconPath, tab.selectedIconPath]) {
      const file = path.join(root, icon)
      expect([icon, fs.existsSync(file)]).toEqual([icon, true])
      expect(fs.readFileSync(file).subarray(1, 4).toString()).toBe('PNG')
      expect(fs.statSync(file).size).toBeLessThanOrEqual(40 * 1024)
    }
  })

  test('every page directory is listed in app.json (no orphan pages)', () => {
    const dirs = fs.readdirSync(path.join(root, 'pages')).map((name) => `pages/${name}/${name}`)
    expect(dirs.sort()).toEqual([...app.pages].sort())
  })

  test('every component directory is used by some page or component', () => {
    const used = new Set()
    for (const rel of [...jsonFiles('pages'), ...jsonFiles('components')]) {
      for (const target of Object.values(readJson(rel).usingComponents || {})) used.add(target)
    }
    for (const name of fs.readdirSync(path.join(root, 'components'))) {
      expect([name, used.has(`/components/${name}/${name}`)]).toEqual([name, true])
    }
  })

  const owners = ['app.json', ...jsonFiles('pages'), ...jsonFiles('components')]
  test.each(owners)('usingComponents of %s resolve', (rel) => {
    const using = readJson(rel).usingComponents || {}
    for (const [tag, target] of Object.entries(using)) {
      const base = target.startsWith('/') ? path.join(root, target) : path.join(root, path.dirname(rel), target)
      for (const ext of ['js', 'json', 'wxml']) {
        expect([tag, fs.existsSync(`${base}.${ext}`)]).toEqual([tag, true])
      }
    }
  })

  test('project.config.json builds npm from ./package.json into ./miniprogram_npm', () => {
    const config = readJson('project.config.json')
    expect(config.miniprogramRoot).toBe('./')
    expect(config.setting.packNpmManually).toBe(true)
    expect(config.setting.packNpmRelationList).toEqual([
      { packageJsonPath: './package.json', miniprogramNpmDistDir: './' },
    ])
  })
})
