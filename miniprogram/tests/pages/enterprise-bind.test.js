const { installWx, apiError } = require('../helpers/wx')
const { loadPage } = require('../helpers/page')

const CODE = '91310115K8PBRNYT4X' // valid by the backend's generator (see tests/utils/credit-code.test.js)

function setUp(handler) {
  const wx = installWx()
  wx.storage.set('qiyun.session', { token: 't1', expiresAt: '' })
  const sent = []
  wx.server((options) => {
    sent.push(options)
    return handler(options)
  })
  const page = loadPage('pages/enterprise-bind/enterprise-bind')
  page.onLoad()
  const type = (field, value) => page.onFieldChange({ currentTarget: { dataset: { field } }, detail: { value } })
  return { wx, sent, page, type }
}

describe('pages/enterprise-bind', () => {
  test('binds with the normalised credit code, the name and the role, once per tap', async () => {
    const { sent, page, type } = setUp(() => ({ statusCode: 201, data: { id: 3, enterprise: { id: 5, name: '企云科技' } } }))
    type('credit_code', ` ${CODE.toLowerCase()} `)
    type('legal_representative', ' 张三 ')
    type('role', 'contact')
    await Promise.all([page.submit(), page.submit()])

    expect(sent).toHaveLength(1)
    expect(sent[0].method).toBe('POST')
    expect(sent[0].data).toEqual({ credit_code: CODE, legal_representative: '张三', role: 'contact' })
    expect(sent[0].header['Idempotency-Key']).toBeTruthy()
    expect(page.data.submitError).toBe('')
  })

  test('catches a mistyped code before sending anything', async () => {
    const { sent, page, type } = setUp(() => ({ statusCode: 201, data: {} }))
    type('credit_code', CODE.slice(0, 17) + (CODE[17] === 'X' ? 'Y' : 'X'))
    await page.submit()
    expect(sent).toHaveLength(0)
    expect(page.data.errors).toEqual({
      credit_code: '统一社会信用代码校验位不正确，请核对后重新输入',
      legal_representative: '请输入法定代表人姓名',
    })
  })

  test("shows the backend's reason and the attempts left", async () => {
    const { page, type } = setUp(() =>
      apiError(404, 'enterprise_not_found', '企业库中未找到该统一社会信用代码对应的企业，请核对后重试', { remaining_attempts: 3 }),
    )
    type('credit_code', CODE)
    type('legal_representative', '张三')
    await page.submit()
    expect(page.data.submitError).toBe('企业库中未找到该统一社会信用代码对应的企业，请核对后重试（还可尝试3次）')
    expect(page.data.submitting).toBe(false)
  })

  test('a retry after a lost answer reuses the idempotency key; changing the input makes a new one', async () => {
    let answer = { fail: { errMsg: 'request:fail' } }
    const { sent, page, type } = setUp(() => answer)
    type('credit_code', CODE)
    type('legal_representative', '张三')
    await page.submit()
    expect(page.data.submitError).toBe('网络异常，请检查网络后重试')
    const firstKey = sent[0].header['Idempotency-Key']
    answer = apiError(422, 'legal_representative_mismatch', '法定代表人姓名与企业登记信息不一致，请核对后重新输入（还可尝试4次）')
    type('legal_representative', '李四')
    await page.submit()
    expect(sent[1].header['Idempotency-Key']).not.toBe(firstKey)
    expect(page.data.submitError).toBe('法定代表人姓名与企业登记信息不一致，请核对后重新输入（还可尝试4次）')
  })
})
