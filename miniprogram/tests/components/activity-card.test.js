// Renders components/activity-card (with the real TDesign tag from miniprogram_npm/) inside a
// host, as the schedule uses it.
const simulate = require('miniprogram-simulate')
const { renderInHost } = require('../helpers/render')
const { activity } = require('../helpers/activity')

const renderHost = (data) =>
  renderInHost('components/activity-card/activity-card', '<activity-card class="card" activity="{{activity}}" bind:select="onSelect" />', data)

describe('components/activity-card', () => {
  test('shows title, kind, time, place and seats left, and says it is open', () => {
    const { card } = renderHost({ activity: activity() })
    const text = card().dom.textContent
    for (const part of ['专精特新企业申报辅导', '培训', '5月20日（周一）14:00-16:30', '企业服务中心 3 楼报告厅', '剩余 12 / 40 个名额', '可报名']) {
      expect(text).toContain(part)
    }
  })

  test('full: shows the waitlist and offers 可候补', () => {
    const { card } = renderHost({ activity: activity({ places_left: 0, waitlist: 4 }) })
    expect(card().querySelector('.activity-card__seats--full')).toBeTruthy()
    expect(card().dom.textContent).toContain('名额已满 · 候补 4 人')
    expect(card().dom.textContent).toContain('可候补')
  })

  test("closed: shows the backend's reason", () => {
    const { card } = renderHost({ activity: activity({ signup_open: false, closed_reason: '报名已截止' }) })
    expect(card().dom.textContent).toContain('报名已截止')
    expect(card().dom.textContent).not.toContain('可报名')
  })

  test("a tap fires 'select' with the activity id; updates re-render", async () => {
    const { host, card, onSelect } = renderHost({ activity: activity({ id: 42 }) })
    card().querySelector('.activity-card').dispatchEvent('tap')
    await simulate.sleep(0)
    expect(onSelect).toHaveBeenCalledTimes(1)
    expect(onSelect.mock.calls[0][0].detail).toEqual({ id: 42 })

    host.setData({ activity: activity({ id: 42, places_left: 3 }) })
    await simulate.sleep(0)
    expect(card().dom.textContent).toContain('剩余 3 / 40 个名额')
  })

  test('renders nothing without an activity', () => {
    const { card } = renderHost({ activity: null })
    expect(card().querySelector('.activity-card')).toBeFalsy()
  })
})
