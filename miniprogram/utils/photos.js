// Photos picked for an appeal or a supplement: the t-upload grid chooses them (wx.chooseMedia,
// album or camera, compressed), this shrinks the large ones with wx.compressImage and keeps
// the list within the backend's limits (app.appeal.service MAX_ATTACHMENTS = 9, each file at
// most UPLOAD_MAX_BYTES = 10 MB, app/config.py).

const MAX_PHOTOS = 9
const MAX_PHOTO_BYTES = 10 * 1024 * 1024
/** Larger photos are recompressed before sending (nine of them go in one request). */
const COMPRESS_ABOVE_BYTES = 1024 * 1024

/** t-upload's `config` (passed on to wx.chooseMedia). */
const CHOOSE_CONFIG = { sizeType: ['compressed'], sourceType: ['album', 'camera'] }

/** @typedef {{ path: string, size: number }} Photo */

/**
 * wx.compressImage as a Promise of the new path, or the old one when it fails.
 * @param {string} src
 * @returns {Promise<string>}
 */
function compress(src) {
  return new Promise((resolve) => {
    try {
      wx.compressImage({ src, quality: 70, success: (res) => resolve(res.tempFilePath), fail: () => resolve(src) })
    } catch (err) {
      resolve(src)
    }
  })
}

/**
 * Size of a local file in bytes (0 when unknown).
 * @param {string} filePath
 * @returns {Promise<number>}
 */
function sizeOf(filePath) {
  return new Promise((resolve) => {
    try {
      wx.getFileSystemManager().getFileInfo({
        filePath,
        success: (res) => resolve(res.size),
        fail: () => resolve(0),
      })
    } catch (err) {
      resolve(0)
    }
  })
}

/**
 * Turn the files t-upload (or wx.chooseMedia) picked into photos to keep: large ones
 * recompressed, too-large ones and those beyond the limit left out with a Chinese notice.
 * @param {{ url?: string, tempFilePath?: string, path?: string, size?: number }[]} picked
 * @param {number} alreadyHave photos already in the list
 * @returns {Promise<{ photos: Photo[], notice: string }>}
 */
async function preparePhotos(picked, alreadyHave) {
  const room = Math.max(0, MAX_PHOTOS - alreadyHave)
  /** @type {Photo[]} */
  const photos = []
  let notice = ''
  for (const file of picked || []) {
    const path = file.url || file.tempFilePath || file.path || ''
    if (!path) continue
    if (photos.length >= room) {
      notice = `最多上传 ${MAX_PHOTOS} 张图片`
      break
    }
    let size = Number(file.size) || 0
    let finalPath = path
    if (size > COMPRESS_ABOVE_BYTES) {
      finalPath = await compress(path)
      if (finalPath !== path) size = (await sizeOf(finalPath)) || size
    }
    if (size > MAX_PHOTO_BYTES) {
      notice = `单张图片不能超过 ${MAX_PHOTO_BYTES / 1024 / 1024} MB`
      continue
    }
    photos.push({ path: finalPath, size })
  }
  return { photos, notice }
}

/**
 * The t-upload `files` for a photo list.
 * @param {Photo[]} photos
 */
function uploadFiles(photos) {
  return photos.map((p) => ({ url: p.path, type: 'image', size: p.size }))
}

module.exports = { MAX_PHOTOS, MAX_PHOTO_BYTES, COMPRESS_ABOVE_BYTES, CHOOSE_CONFIG, preparePhotos, uploadFiles, compress }
