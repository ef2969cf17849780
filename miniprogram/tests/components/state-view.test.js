// Renders components/state-view (with the real TDesign components from miniprogram_npm/,
// built by `npm run build:npm`) inside a host component, as a page would use it.
const path = require('path')
const simulate = require('miniprogram-simulate')

const root = path.resolve(__dirname, '../..')

function renderHost(data) {
  jest.resetModules() // simulate.load re-requires component files; jest ignores require.cache deletes
  const stateView = simulate.load(path.join(root, 'components/state-view/state-view'), {
    compiler: 'official',
    rootPath: root,
  })
  const onRetry = jest.fn()
  const host = simulate.render(
    simulate.load({
      compiler: 'official',
      rootPath: root,
      usingComponents: { 'state-view': stateView },
      template: `<state-view class="sv" status="{{status}}" message="{{message}}" bind:retry="onRetry">
        <view class="payload">政策列表</view>
      </state-view>`,
      data,
      methods: { onRetry },
    }),
  )
  host.attach(document.createElement('parent-wrapper'))
  return { host, onRetry, view: () => host.querySelector('.sv') }
}

describe('components/state-view', () => {
  test('loading shows the TDesign loading indicator, not the content', () => {
    const { view } = renderHost({ status: 'loading', message: '' })
    expect(view().querySelector('.state-view__loading')).toBeTruthy()
    expect(view().dom.textContent).toContain('加载中…')
    expect(view().dom.textContent).not.toContain('政策列表')
  })

  test('empty shows the empty text', () => {
    const { view } = renderHost({ status: 'empty', message: '' })
    expect(view().querySelector('.state-view__empty')).toBeTruthy()
    expect(view().dom.textContent).toContain('暂无内容')
    expect(view().dom.textContent).not.toContain('政策列表')
  })

  test("error shows the backend's message and the retry button fires 'retry'", async () => {
    const { host, view, onRetry } = renderHost({ status: 'error', message: '网络异常，请检查网络后重试' })
    expect(view().dom.textContent).toContain('网络异常，请检查网络后重试')
    const retry = view().querySelector('.state-view__retry')
    expect(retry).toBeTruthy()
    expect(view().dom.textContent).toContain('重试')

    retry.querySelector('.t-button').dispatchEvent('tap')
    await simulate.sleep(0)
    expect(onRetry).toHaveBeenCalledTimes(1)

    host.setData({ message: '' })
    await simulate.sleep(0)
    expect(view().dom.textContent).toContain('加载失败，请稍后重试')
  })

  test('content shows the slot, and switching status re-renders', async () => {
    const { host, view } = renderHost({ status: 'content', message: '' })
    expect(view().querySelector('.state-view__content')).toBeTruthy()
    expect(view().dom.textContent).toContain('政策列表')
    host.setData({ status: 'loading' })
    await simulate.sleep(0)
    expect(view().dom.textContent).not.toContain('政策列表')
  })
})
