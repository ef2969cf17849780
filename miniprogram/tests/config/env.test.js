const { installWx } = require('../helpers/wx')

function loadEnv() {
  let env
  jest.isolateModules(() => {
    env = require('../../config/env')
  })
  return env
}

describe('config/env', () => {
  test.each([
    ['develop', 'development', 'http://127.0.0.1:8000/mp/v1'],
    ['trial', 'production', 'https://qiyun.example.com/mp/v1'],
    ['release', 'production', 'https://qiyun.example.com/mp/v1'],
  ])('envVersion %s -> %s (%s)', (envVersion, name, apiBase) => {
    installWx({ envVersion })
    const env = loadEnv().currentEnv()
    expect(env.name).toBe(name)
    expect(env.apiBase).toBe(apiBase)
  })

  test('an unknown or unreadable envVersion never points at a developer machine', () => {
    const { envFor } = loadEnv()
    expect(envFor('something-new').name).toBe('production')
    const wx = installWx()
    wx.getAccountInfoSync.mockImplementation(() => {
      throw new Error('getAccountInfoSync:fail')
    })
    expect(loadEnv().currentEnv().name).toBe('production')
  })

  test('the production origin is HTTPS (WeChat refuses plain HTTP in release)', () => {
    expect(loadEnv().ORIGINS.production).toMatch(/^https:\/\//)
  })

  test('requests go to the base URL of the running build', async () => {
    const wx = installWx({ envVersion: 'release' })
    wx.server(() => ({ statusCode: 200, data: [] }))
    let request
    jest.isolateModules(() => {
      ;({ request } = require('../../utils/request'))
    })
    await request({ url: '/appeal-categories', auth: false })
    expect(wx.request.mock.calls[0][0].url).toBe('https://qiyun.example.com/mp/v1/appeal-categories')
  })
})
