// 统一社会信用代码 (GB 32100-2015) checked as the person types, so a typo is caught with a
// reason before a request (and before one of the 5 failed-binding attempts a day is spent).
// Mirrors app/enterprise/credit_code.py; the backend checks again and has the last word.

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
const LENGTH = 18

/** As people paste codes: spaces (also full-width), full-width characters, lower case. */
function normaliseCreditCode(code) {
  return String(code || '')
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .toUpperCase()
}

/** The 18th character for the first 17 (ISO 7064 MOD 31-3). @param {string} first17 */
function checkCharacter(first17) {
  let sum = 0
  for (let i = 0; i < LENGTH - 1; i += 1) sum += CHARSET.indexOf(first17[i]) * WEIGHTS[i]
  return CHARSET[(31 - (sum % 31)) % 31]
}

/**
 * Why a (normalised) code is not valid, in Chinese, or '' when it is.
 * @param {string} code
 */
function creditCodeProblem(code) {
  if (!code) return '请输入统一社会信用代码'
  if (code.length !== LENGTH) return `统一社会信用代码应为 18 位，当前为 ${code.length} 位`
  const bad = [...code].find((ch) => !CHARSET.includes(ch))
  if (bad) return `统一社会信用代码含有不允许的字符“${bad}”（只允许数字和除 I、O、Z、S、V 以外的大写字母）`
  if (checkCharacter(code.slice(0, LENGTH - 1)) !== code[LENGTH - 1]) return '统一社会信用代码校验位不正确，请核对后重新输入'
  return ''
}

module.exports = { normaliseCreditCode, creditCodeProblem, checkCharacter }
