// Test helpers for the appeal and survey pages: a fake file system for wx (photos as bytes),
// a multipart/form-data parser to check what a page sent, and a way to let promises settle.

/** Let queued timers and promises run (the wx mock answers with setTimeout 0). */
async function flush(times = 5) {
  for (let i = 0; i < times; i += 1) await new Promise((resolve) => setTimeout(resolve, 0))
}

/**
 * Give `wx` a file system holding `files` ({path: Uint8Array | Buffer}); also wx.compressImage
 * (adds "-small" to the path, with `compressedSize` bytes) and wx.chooseMedia.
 * @param {any} wx
 * @param {Record<string, Uint8Array>} files
 */
function installFiles(wx, files) {
  wx.getFileSystemManager = jest.fn(() => ({
    readFile: jest.fn(({ filePath, success, fail }) => {
      setTimeout(() => {
        const bytes = files[filePath]
        if (!bytes) fail({ errMsg: `readFile:fail no such file ${filePath}` })
        else success({ data: Uint8Array.from(bytes).buffer })
      }, 0)
    }),
    getFileInfo: jest.fn(({ filePath, success, fail }) => {
      const bytes = files[filePath]
      setTimeout(() => (bytes ? success({ size: bytes.length }) : fail({ errMsg: 'getFileInfo:fail' })), 0)
    }),
  }))
  wx.compressImage = jest.fn(({ src, success }) => {
    const out = src.replace(/(\.\w+)$/, '-small$1')
    files[out] = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])
    setTimeout(() => success({ tempFilePath: out }), 0)
  })
  return files
}

/**
 * Parse a multipart/form-data body back into {fields, files}.
 * @param {ArrayBuffer} body
 * @param {string} contentType
 */
function parseMultipart(body, contentType) {
  const match = /boundary=(.+)$/.exec(contentType)
  if (!match) throw new Error(`no boundary in ${contentType}`)
  const buffer = Buffer.from(body)
  const delimiter = Buffer.from(`--${match[1]}`)
  const fields = {}
  const files = []
  let start = buffer.indexOf(delimiter)
  if (start !== 0) throw new Error('body does not start with the boundary')
  for (;;) {
    const after = start + delimiter.length
    if (buffer.slice(after, after + 2).toString() === '--') break // closing delimiter
    if (buffer.slice(after, after + 2).toString() !== '\r\n') throw new Error('bad delimiter line')
    const headerEnd = buffer.indexOf('\r\n\r\n', after)
    const headers = buffer.slice(after + 2, headerEnd).toString('utf8')
    const next = buffer.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd)
    if (next < 0) throw new Error('unterminated part')
    const content = buffer.slice(headerEnd + 4, next)
    const name = /name="([^"]*)"/.exec(headers)[1]
    const filename = /filename="([^"]*)"/.exec(headers)
    if (filename) {
      const type = /Content-Type: (.+)/i.exec(headers)
      files.push({ name, filename: filename[1], contentType: type ? type[1].trim() : '', data: Uint8Array.from(content) })
    } else {
      fields[name] = content.toString('utf8')
    }
    start = next + 2
  }
  return { fields, files }
}

/** Header lookup regardless of case. */
function headerOf(options, name) {
  const header = options.header || {}
  const key = Object.keys(header).find((k) => k.toLowerCase() === name.toLowerCase())
  return key ? header[key] : undefined
}

module.exports = { flush, installFiles, parseMultipart, headerOf }
