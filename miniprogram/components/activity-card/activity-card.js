// One activity in the schedule (活动排片): title, kind, time, place and seats left, or why
// sign-up is closed. Tapping it fires `select` with `{ id }`; the page decides where to go.
//
//   <activity-card activity="{{item}}" bind:select="onSelect" />

const { seatsText } = require('../../utils/activity')

Component({
  options: {
    styleIsolation: 'apply-shared',
  },

  properties: {
    /** An ActivityOut from the API (miniprogram_api/activity_schemas.py). */
    activity: { type: Object, value: null },
  },

  data: {
    seats: '',
    full: false,
  },

  observers: {
    activity(activity) {
      this.setData({
        seats: activity ? seatsText(activity) : '',
        full: !!activity && activity.places_left <= 0,
      })
    },
  },

  methods: {
    onTap() {
      const activity = this.data.activity
      if (activity) this.triggerEvent('select', { id: activity.id })
    },
  },
})
