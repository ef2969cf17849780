// utils/ui.js confirmModal: wx.showModal as a Promise of "confirmed" that never rejects.

const { installWx } = require('../helpers/wx')
const { confirmModal } = require('../../utils/ui')

describe('utils/ui confirmModal', () => {
  test('shows the given texts and resolves true when confirmed', async () => {
    const wx = installWx()
    const ok = await confirmModal({ title: '解除绑定', content: '确定吗？', confirmText: '解除', cancelText: '再想想', confirmColor: '#d54941' })
    expect(ok).toBe(true)
    expect(wx.showModal).toHaveBeenCalledTimes(1)
    expect(wx.showModal.mock.calls[0][0]).toMatchObject({
      title: '解除绑定',
      content: '确定吗？',
      confirmText: '解除',
      cancelText: '再想想',
      confirmColor: '#d54941',
    })
  })

  test('leaves out the options not given (wx keeps its default buttons)', async () => {
    const wx = installWx()
    await confirmModal({ title: '提交问卷', content: '确认提交吗？' })
    const shown = wx.showModal.mock.calls[0][0]
    expect(Object.keys(shown).sort()).toEqual(['content', 'fail', 'success', 'title'])
  })

  test('resolves false when the user cancels', async () => {
    const wx = installWx()
    wx.modalAnswer = false
    await expect(confirmModal({ title: 't', content: 'c' })).resolves.toBe(false)
  })

  test('resolves false when wx.showModal fails', async () => {
    const wx = installWx()
    wx.showModal = jest.fn((options) => setTimeout(() => options.fail({ errMsg: 'showModal:fail' }), 0))
    await expect(confirmModal({ title: 't', content: 'c' })).resolves.toBe(false)
  })

  test('resolves false when wx.showModal throws', async () => {
    const wx = installWx()
    wx.showModal = jest.fn(() => {
      throw new Error('no modal here')
    })
    await expect(confirmModal({ title: 't', content: 'c' })).resolves.toBe(false)
  })
})
