// utils/format.js: API datetimes shown in China time, whatever the device's time zone.

const { formatTime, formatDate } = require('../../utils/format')

describe('utils/format', () => {
  test('formatTime shows a UTC datetime in China time (UTC+8)', () => {
    expect(formatTime('2026-12-03T00:05:00Z')).toBe('2026-12-03 08:05')
    expect(formatTime('2026-12-03T20:30:00Z')).toBe('2026-12-04 04:30')
  })

  test('formatTime keeps a +08:00 datetime as written', () => {
    expect(formatTime('2026-12-01T10:20:30+08:00')).toBe('2026-12-01 10:20')
  })

  test('formatTime: nothing for none, the raw string when it does not parse', () => {
    expect(formatTime(null)).toBe('')
    expect(formatTime(undefined)).toBe('')
    expect(formatTime('')).toBe('')
    expect(formatTime('不是时间')).toBe('不是时间')
  })

  test('formatDate is the China-time date; a plain date stays itself', () => {
    expect(formatDate('2026-01-04T16:30:00Z')).toBe('2026-01-05')
    expect(formatDate('2028-12-31')).toBe('2028-12-31')
    expect(formatDate(null)).toBe('')
  })
})
