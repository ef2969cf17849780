// WeChat refuses to upload a main package over 2 MB. DevTools uploads only the files pages
// reach (project.config.json: ignoreUploadUnusedFiles), so the measure is the closure of
// app.json's pages: their four files, the components they use (TDesign's included, with
// theirs), the modules their scripts require, and the templates/styles they import.
const fs = require('fs')
const path = require('path')

const root = path.resolve(__dirname, '..')
const MAIN_PACKAGE_LIMIT = 2 * 1024 * 1024

function firstFile(candidates) {
  return candidates.find((file) => fs.existsSync(file) && fs.statSync(file).isFile())
}

function closure() {
  const files = new Set()
  const components = new Set()

  function addScript(file) {
    if (!file || files.has(file)) return
    files.add(file)
    const source = fs.readFileSync(file, 'utf8')
    for (const match of source.matchAll(/(?:require\(|from\s+|import\s+)['"]([^'"]+)['"]/g)) {
      const target = match[1]
      let base
      if (target.startsWith('.')) base = path.join(path.dirname(file), target)
      else if (target.startsWith('/')) base = path.join(root, target)
      else base = path.join(root, 'miniprogram_npm', target)
      addScript(firstFile([base, `${base}.js`, path.join(base, 'index.js')]))
    }
  }

  function addComponent(base) {
    if (components.has(base)) return
    components.add(base)
    addScript(firstFile([`${base}.js`]))
    for (const ext of ['json', 'wxml', 'wxss']) if (fs.existsSync(`${base}.${ext}`)) files.add(`${base}.${ext}`)
    const json = `${base}.json`
    const using = fs.existsSync(json) ? JSON.parse(fs.readFileSync(json, 'utf8')).usingComponents || {} : {}
    for (const target of Object.values(using)) {
      addComponent(target.startsWith('/') ? path.join(root, target) : path.join(path.dirname(base), target))
    }
    for (const ext of ['wxml', 'wxss']) {
      const file = `${base}.${ext}`
      if (!fs.existsSync(file)) continue
      const pattern = ext === 'wxml' ? /src="([^"]+)"/g : /@import\s+['"]([^'"]+)['"]/g
      for (const match of fs.readFileSync(file, 'utf8').matchAll(pattern)) {
        const target = path.join(path.dirname(file), match[1])
        if (fs.existsSync(target)) files.add(target)
      }
    }
  }

  const app = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8'))
  for (const file of ['app.json', 'app.wxss', 'sitemap.json', 'project.config.json']) files.add(path.join(root, file))
  addScript(path.join(root, 'app.js'))
  for (const page of app.pages) addComponent(path.join(root, page))
  for (const tab of app.tabBar.list) for (const icon of [tab.iconPath, tab.selectedIconPath]) files.add(path.join(root, icon))
  return files
}

describe('the upload package', () => {
  test('what the pages reach stays well under the 2 MB main-package limit', () => {
    const files = [...closure()]
    const bytes = files.reduce((sum, file) => sum + fs.statSync(file).size, 0)
    expect(files.some((file) => file.includes(`miniprogram_npm${path.sep}tdesign-miniprogram`))).toBe(true)
    expect(bytes).toBeLessThan(MAIN_PACKAGE_LIMIT * 0.75)
  })

  test('DevTools leaves unused library files out of the upload', () => {
    const config = JSON.parse(fs.readFileSync(path.join(root, 'project.config.json'), 'utf8'))
    expect(config.setting.ignoreUploadUnusedFiles).toBe(true)
  })
})
