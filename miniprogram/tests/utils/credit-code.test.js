const { normaliseCreditCode, creditCodeProblem, checkCharacter } = require('../../utils/credit-code')

// Made by the backend's app.enterprise.credit_code.generate(random.Random(5), division='310115'):
// the client must accept what the backend accepts.
const BACKEND_VALID = ['91310115K8PBRNYT4X', '91310115PLXG0TEQ4L', '91310115Y7L1W53BXD']

describe('utils/credit-code', () => {
  const valid = BACKEND_VALID[0]

  test.each(BACKEND_VALID)('accepts %s, valid by the backend', (code) => {
    expect(creditCodeProblem(code)).toBe('')
    expect(checkCharacter(code.slice(0, 17))).toBe(code[17])
  })

  test('normalises pasted codes: spaces, full-width characters, lower case', () => {
    const pasted = ` ${valid.slice(0, 6).toLowerCase()} ${valid.slice(6)} `.replace('9', '９')
    expect(normaliseCreditCode(pasted)).toBe(valid)
  })

  test('explains what is wrong, in Chinese', () => {
    expect(creditCodeProblem('')).toBe('请输入统一社会信用代码')
    expect(creditCodeProblem(valid.slice(0, 17))).toBe('统一社会信用代码应为 18 位，当前为 17 位')
    expect(creditCodeProblem(`${valid.slice(0, 10)}I${valid.slice(11)}`)).toContain('不允许的字符“I”')
    const wrongCheck = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0')
    expect(creditCodeProblem(wrongCheck)).toBe('统一社会信用代码校验位不正确，请核对后重新输入')
  })
})
