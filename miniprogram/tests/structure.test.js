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
