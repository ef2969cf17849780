// The mini-program "构建 npm" without WeChat DevTools: the same tree DevTools' packNpmManually
// (see project.config.json) writes. Each dependency's package.json `miniprogram` directory is
// copied to miniprogram_npm/<name>; a plain CommonJS package (e.g. tslib, which TDesign
// imports without declaring it) gets its main file as miniprogram_npm/<name>/index.js.
const fs = require('fs')
const path = require('path')

const root = path.resolve(__dirname, '..')
const out = path.join(root, 'miniprogram_npm')

fs.rmSync(out, { recursive: true, force: true })
const deps = Object.keys(require(path.join(root, 'package.json')).dependencies || {})
for (const name of deps) {
  const dir = path.join(root, 'node_modules', name)
  if (!fs.existsSync(dir)) {
    console.error(`missing node_modules/${name}: run \`npm install\` (or \`npm ci\`) first`)
    process.exit(1)
  }
  const pkg = require(path.join(dir, 'package.json'))
  const dest = path.join(out, name)
  if (pkg.miniprogram) {
    fs.cpSync(path.join(dir, pkg.miniprogram), dest, { recursive: true })
  } else {
    fs.mkdirSync(dest, { recursive: true })
    fs.copyFileSync(require.resolve(name, { paths: [root] }), path.join(dest, 'index.js'))
  }
  console.log(`packed ${name} -> miniprogram_npm/${name}`)
}
