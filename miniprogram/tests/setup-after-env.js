// WeChat's template compiler warns about template mistakes at render time (a bad wx:key, an
// unknown attribute value) that DevTools would show in its console: fail the test instead.
const templateWarnings = []
const warn = console.warn.bind(console)

console.warn = (...args) => {
  const text = args.map(String).join(' ')
  if (text.includes('WXMLRT')) templateWarnings.push(text)
  else warn(...args)
}

beforeEach(() => {
  templateWarnings.length = 0
})

afterEach(() => {
  expect(templateWarnings).toEqual([])
})
