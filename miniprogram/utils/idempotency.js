// Idempotency keys for creating requests (miniprogram_api/idempotency.py): a page makes one
// key per user intent (one tap on 提交) and sends it with every retry of that intent, so a
// retried request after a lost answer is replayed by the server instead of creating twice.

/** A random key: 32 hex characters (the server accepts 1-255 visible ASCII characters). */
function newIdempotencyKey() {
  let key = ''
  for (let i = 0; i < 32; i += 1) key += Math.floor(Math.random() * 16).toString(16)
  return `${Date.now().toString(16)}-${key}`
}

module.exports = { newIdempotencyKey }
