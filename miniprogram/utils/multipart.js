// multipart/form-data bodies built in the mini-program, for the API's form posts with photos
// (POST /appeals, POST /appeals/{id}/supplement: text fields plus up to 9 files in `photos`,
// all in ONE request — miniprogram_api/uploads.py). wx.uploadFile carries a single file, so
// the body is assembled here and sent with utils/request.js as an ArrayBuffer:
//
//   const { body, contentType } = await buildMultipart({
//     fields: { category: 'tax', description: '……' },
//     files: photos.map((p) => ({ name: 'photos', path: p.path })),
//   })
//   await post('/appeals', body, { header: { 'content-type': contentType, 'Idempotency-Key': key } })
//
// The runtime has no TextEncoder, hence the small UTF-8 encoder. Files are read with
// wx.getFileSystemManager().readFile (no encoding → ArrayBuffer).

/**
 * UTF-8 bytes of a string (surrogate pairs joined; a lone surrogate becomes U+FFFD).
 * @param {string} text
 * @returns {Uint8Array}
 */
function utf8Encode(text) {
  /** @type {number[]} */
  const bytes = []
  const str = String(text)
  for (let i = 0; i < str.length; i += 1) {
    let code = str.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = i + 1 < str.length ? str.charCodeAt(i + 1) : 0
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
        i += 1
      } else {
        code = 0xfffd
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      code = 0xfffd
    }
    if (code < 0x80) {
      bytes.push(code)
    } else if (code < 0x800) {
      bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f))
    } else if (code < 0x10000) {
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f))
    } else {
      bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f))
    }
  }
  return Uint8Array.from(bytes)
}

const MIME_BY_EXTENSION = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
}

/**
 * The file's name as sent: the last part of its path (wx temp paths are ASCII; anything else
 * is percent-encoded, which the server decodes), never with quotes or line breaks.
 * @param {string} path
 */
function fileNameOf(path) {
  const name = String(path || '').split(/[\\/]/).pop() || 'file'
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(name) ? name.replace(/["\r\n]/g, '_') : encodeURIComponent(name)
}

/** @param {string} name */
function mimeOf(name) {
  const ext = (String(name).split('.').pop() || '').toLowerCase()
  return MIME_BY_EXTENSION[ext] || 'application/octet-stream'
}

/** A boundary that cannot occur in text fields by chance. */
function newBoundary() {
  let random = ''
  for (let i = 0; i < 24; i += 1) random += Math.floor(Math.random() * 36).toString(36)
  return `----QiyunFormBoundary${random}`
}

/**
 * @typedef {{ name: string, data: ArrayBuffer | Uint8Array, filename: string, contentType?: string }} FilePart
 * @typedef {Record<string, string | number | boolean | null | undefined>} Fields
 */

/** @param {string} name */
function quoted(name) {
  return String(name).replace(/["\r\n]/g, '_')
}

/**
 * The body bytes of a form (pure: no file system). Fields that are null/undefined are left
 * out; files follow the fields, in order.
 * @param {Fields} fields
 * @param {FilePart[]} files
 * @param {string} [boundary]
 * @returns {{ body: ArrayBuffer, contentType: string, boundary: string }}
 */
function encodeMultipart(fields, files, boundary = newBoundary()) {
  /** @type {Uint8Array[]} */
  const chunks = []
  const text = (/** @type {string} */ s) => chunks.push(utf8Encode(s))
  for (const [name, value] of Object.entries(fields || {})) {
    if (value === null || value === undefined) continue
    text(`--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n`)
    text(String(value))
    text('\r\n')
  }
  for (const file of files || []) {
    const type = file.contentType || mimeOf(file.filename)
    text(
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.name)}"; filename="${quoted(file.filename)}"\r\n` +
        `Content-Type: ${type}\r\n\r\n`,
    )
    chunks.push(file.data instanceof Uint8Array ? file.data : new Uint8Array(file.data))
    text('\r\n')
  }
  text(`--${boundary}--\r\n`)
  const length = chunks.reduce((sum, c) => sum + c.length, 0)
  const out = new Uint8Array(length)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.length
  }
  return { body: out.buffer, contentType: `multipart/form-data; boundary=${boundary}`, boundary }
}

/**
 * Read a local file (wx temp path) as an ArrayBuffer.
 * @param {string} filePath
 * @returns {Promise<ArrayBuffer>}
 */
function readFile(filePath) {
  return new Promise((resolve, reject) => {
    try {
      wx.getFileSystemManager().readFile({
        filePath,
        success: (res) => resolve(/** @type {ArrayBuffer} */ (res.data)),
        fail: (err) => reject(err),
      })
    } catch (err) {
      reject(err)
    }
  })
}

/**
 * Build a form body from text fields and local files. Rejects (with the file system's error)
 * when a file cannot be read; callers show their own Chinese message.
 * @param {{ fields?: Fields, files?: { name: string, path: string, filename?: string, contentType?: string }[] }} form
 * @returns {Promise<{ body: ArrayBuffer, contentType: string }>}
 */
async function buildMultipart({ fields = {}, files = [] }) {
  /** @type {FilePart[]} */
  const parts = []
  for (const file of files) {
    const data = await readFile(file.path)
    const filename = file.filename || fileNameOf(file.path)
    parts.push({ name: file.name, data, filename, contentType: file.contentType })
  }
  const { body, contentType } = encodeMultipart(fields, parts)
  return { body, contentType }
}

module.exports = { utf8Encode, encodeMultipart, buildMultipart, readFile, fileNameOf, mimeOf, newBoundary }
