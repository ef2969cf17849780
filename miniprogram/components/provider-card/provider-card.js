// One service provider in a list (服务机构卡片): name, category and district, a read-only star
// rating with its score and number of ratings, the status tag the API sends (已入驻 / 预警)
// and 评价较少 when the backend marks few_ratings. Tapping fires `select` with {id}.
//
//   <provider-card provider="{{item}}" bind:select="onProviderSelect" />

const { providerCardView } = require('../../utils/provider')

Component({
  options: {
    styleIsolation: 'apply-shared',
  },

  properties: {
    /** A ProviderSummaryOut from GET /providers. */
    provider: { type: Object, value: null },
  },

  data: {
    view: providerCardView(null),
  },

  observers: {
    provider(provider) {
      this.setData({ view: providerCardView(provider) })
    },
  },

  methods: {
    onTap() {
      const view = this.data.view
      if (view && view.id) this.triggerEvent('select', { id: view.id })
    },
  },
})
