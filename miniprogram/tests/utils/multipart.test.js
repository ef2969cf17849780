// utils/multipart.js: form bodies with UTF-8 text and binary photos that a multipart parser
// reads back exactly, sent through utils/request.js as an ArrayBuffer with their own type.
const { installWx } = require('../helpers/wx')
const { installFiles, parseMultipart, headerOf, flush } = require('../helpers/appeal')
const { utf8Encode, encodeMultipart, buildMultipart, fileNameOf, mimeOf } = require('../../utils/multipart')

/** Every byte value, including CR, LF and '-' that could confuse a sloppy parser. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i)

describe('utils/multipart', () => {
  test.each(['abc', '企业诉求：厂房漏水', 'emoji 😀 and ü', '', 'line\r\nbreak'])('utf8Encode(%j) equals Node’s UTF-8', (text) => {
    expect(Buffer.from(utf8Encode(text))).toEqual(Buffer.from(text, 'utf8'))
  })

  test('a lone surrogate becomes U+FFFD', () => {
    expect(Buffer.from(utf8Encode('a\ud800b'))).toEqual(Buffer.from('a\ufffdb', 'utf8'))
  })

  test('encodes Chinese fields and binary files that parse back byte for byte', () => {
    const photo = Uint8Array.from([0xff, 0xd8, ...ALL_BYTES, 13, 10, 45, 45, 0xff, 0xd9])
    const { body, contentType } = encodeMultipart(
      { category: 'tax', description: '税务登记遇到困难，\n请协助处理。', enterprise_id: 7, skipped: null, gone: undefined },
      [
        { name: 'photos', data: photo.buffer, filename: 'a.jpg' },
        { name: 'photos', data: ALL_BYTES, filename: 'b.png' },
      ],
    )
    expect(body).toBeInstanceOf(ArrayBuffer)
    expect(contentType).toMatch(/^multipart\/form-data; boundary=----QiyunFormBoundary[0-9a-z]{24}$/)
    const parsed = parseMultipart(body, contentType)
    expect(parsed.fields).toEqual({ category: 'tax', description: '税务登记遇到困难，\n请协助处理。', enterprise_id: '7' })
    expect(parsed.files.map((f) => [f.name, f.filename, f.contentType])).toEqual([
      ['photos', 'a.jpg', 'image/jpeg'],
      ['photos', 'b.png', 'image/png'],
    ])
    expect(Buffer.from(parsed.files[0].data)).toEqual(Buffer.from(photo))
    expect(Buffer.from(parsed.files[1].data)).toEqual(Buffer.from(ALL_BYTES))
  })

  test('the body is exactly the standard layout', () => {
    const { body } = encodeMultipart({ text: '补充' }, [{ name: 'photos', data: Uint8Array.from([1, 2]), filename: 'x.jpg' }], 'BOUND')
    expect(Buffer.from(body).toString('latin1')).toBe(
      '--BOUND\r\nContent-Disposition: form-data; name="text"\r\n\r\n' +
        Buffer.from('补充', 'utf8').toString('latin1') +
        '\r\n--BOUND\r\nContent-Disposition: form-data; name="photos"; filename="x.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\x01\x02\r\n--BOUND--\r\n',
    )
  })

  test('file names and types come from the path', () => {
    expect(fileNameOf('wxfile://tmp/abc.JPG')).toBe('abc.JPG')
    expect(fileNameOf('http://tmp/照片.png')).toBe(encodeURIComponent('照片.png'))
    expect(fileNameOf('/tmp/a"b.jpg')).toBe('a_b.jpg')
    expect(mimeOf('abc.JPG')).toBe('image/jpeg')
    expect(mimeOf('abc.webp')).toBe('image/webp')
    expect(mimeOf('abc')).toBe('application/octet-stream')
  })

  test('buildMultipart reads the files with the file system manager', async () => {
    const wx = installWx()
    installFiles(wx, { 'wxfile://tmp/1.jpg': Uint8Array.from([0xff, 0xd8, 0, 13, 10]) })
    const { body, contentType } = await buildMultipart({
      fields: { text: '现场照片' },
      files: [{ name: 'photos', path: 'wxfile://tmp/1.jpg' }],
    })
    const parsed = parseMultipart(body, contentType)
    expect(parsed.fields.text).toBe('现场照片')
    expect(parsed.files[0]).toMatchObject({ name: 'photos', filename: '1.jpg', contentType: 'image/jpeg' })
    expect(Array.from(parsed.files[0].data)).toEqual([0xff, 0xd8, 0, 13, 10])
  })

  test('buildMultipart rejects when a file cannot be read', async () => {
    const wx = installWx()
    installFiles(wx, {})
    await expect(buildMultipart({ files: [{ name: 'photos', path: 'wxfile://gone.jpg' }] })).rejects.toMatchObject({
      errMsg: expect.stringContaining('readFile:fail'),
    })
  })

  test('utils/request sends the ArrayBuffer as is with the multipart type, not JSON', async () => {
    const wx = installWx()
    wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
    let seen
    wx.server((options) => {
      seen = options
      return { statusCode: 201, data: { id: 5 } }
    })
    const { post } = require('../../utils/request')
    const { body, contentType } = encodeMultipart({ a: '一' }, [])
    const reply = await post('/appeals', body, { header: { 'content-type': contentType } })
    await flush()
    expect(reply).toEqual({ id: 5 })
    expect(seen.data).toBe(body)
    expect(headerOf(seen, 'content-type')).toBe(contentType)
    expect(Object.keys(seen.header).filter((k) => k.toLowerCase() === 'content-type')).toHaveLength(1)
  })

  test('transport keeps a caller’s Content-Type in any spelling and defaults to JSON', async () => {
    const wx = installWx()
    const seen = []
    wx.server((options) => {
      seen.push(options.header)
      return { statusCode: 200, data: {} }
    })
    const { send } = require('../../utils/transport')
    await send({ url: '/x', method: 'POST', data: {}, header: { 'Content-Type': 'text/plain' } })
    await send({ url: '/x', method: 'POST', data: {} })
    expect(seen[0]).toEqual({ 'Content-Type': 'text/plain' })
    expect(seen[1]).toEqual({ 'content-type': 'application/json' })
  })
})
