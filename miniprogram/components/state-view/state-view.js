// The four states of anything loaded from the API, so every page shows them the same way:
// loading, empty, error (the backend's Chinese message and a retry button that fires `retry`),
// and the content (the default slot).
//
//   <state-view status="{{status}}" message="{{errorMessage}}" bind:retry="load">
//     ...content...
//   </state-view>

const STATUSES = ['loading', 'empty', 'error', 'content']

Component({
  options: {
    styleIsolation: 'apply-shared',
  },

  properties: {
    /** 'loading' | 'empty' | 'error' | 'content' */
    status: { type: String, value: 'loading' },
    /** The error to show, e.g. RequestError.message. */
    message: { type: String, value: '' },
    loadingText: { type: String, value: '加载中…' },
    emptyText: { type: String, value: '暂无内容' },
    retryText: { type: String, value: '重试' },
  },

  data: {
    defaultErrorText: '加载失败，请稍后重试',
  },

  observers: {
    status(status) {
      if (!STATUSES.includes(status)) console.warn(`state-view: unknown status "${status}"`)
    },
  },

  methods: {
    onRetry() {
      this.triggerEvent('retry')
    },
  },
})
