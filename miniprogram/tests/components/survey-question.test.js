// components/survey-question rendered with miniprogram-simulate and the real TDesign controls:
// each question type shows its control and fires `change` with the answer as the API stores it.
const path = require('path')
const simulate = require('miniprogram-simulate')

const root = path.resolve(__dirname, '../..')

function question(extra) {
  return { key: 'q1', type: 'single', type_label: '单选', title: '是否办理过许可', help: '', required: true, options: [],
    min_choices: null, max_choices: null, scale: null, rows: [], min: null, max: null, integer: false, unit: '', max_length: 0,
    show_if: null, ...extra }
}

function render(props) {
  jest.resetModules()
  const id = simulate.load(path.join(root, 'components/survey-question/survey-question'), { compiler: 'official', rootPath: root })
  const comp = simulate.render(id, props)
  comp.attach(document.createElement('parent-wrapper'))
  const changes = []
  comp.instance.triggerEvent = (name, detail) => changes.push([name, detail])
  return { comp, changes }
}

describe('components/survey-question', () => {
  test('single choice: title, required mark, options, error; a choice fires change', async () => {
    const { comp, changes } = render({
      question: question({ options: [{ value: 'yes', label: '是' }, { value: 'no', label: '否' }] }),
      index: 1, error: '此题为必答题，请作答', value: null,
    })
    await simulate.sleep(0)
    const text = comp.dom.textContent
    for (const part of ['*', '1. ', '是否办理过许可', '（单选）', '是', '否', '此题为必答题，请作答']) expect(text).toContain(part)
    comp.instance.onSingle({ detail: { value: 'no' } })
    expect(changes).toEqual([['change', { key: 'q1', value: 'no' }]])
  })

  test('multiple choice shows the limit and passes the list on', async () => {
    const { comp, changes } = render({
      question: question({ key: 'q3', type: 'multiple', type_label: '多选', max_choices: 2, required: false,
        options: [{ value: 'slow', label: '办理慢' }, { value: 'docs', label: '材料多' }] }),
      value: ['slow'],
    })
    await simulate.sleep(0)
    expect(comp.dom.textContent).toContain('最多选 2 项')
    expect(comp.data.multipleValue).toEqual(['slow'])
    comp.instance.onMultiple({ detail: { value: ['slow', 'docs'] } })
    expect(changes[0][1]).toEqual({ key: 'q3', value: ['slow', 'docs'] })
  })

  test('rating 1..5 uses t-rate with the end labels; 0..10 numbered choices', async () => {
    const five = render({ question: question({ key: 'q2', type: 'rating', type_label: '评分', scale: { min: 1, max: 5, min_label: '很不满意', max_label: '很满意' } }), value: 4 })
    await simulate.sleep(0)
    expect(five.comp.data.useRate).toBe(true)
    expect(five.comp.querySelector('.survey-question__rating').dom.textContent).toContain('很不满意')
    five.comp.instance.onRating({ detail: { value: 5 } })
    expect(five.changes[0][1]).toEqual({ key: 'q2', value: 5 })

    const nps = render({ question: question({ key: 'q9', type: 'rating', type_label: '评分', scale: { min: 0, max: 10, min_label: '不可能', max_label: '非常可能' } }), value: null })
    await simulate.sleep(0)
    expect(nps.comp.data.useRate).toBe(false)
    expect(nps.comp.data.scalePoints.map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    nps.comp.instance.onRating({ detail: { value: '0' } })
    expect(nps.changes[0][1]).toEqual({ key: 'q9', value: 0 })
  })

  test('matrix merges the row into the answer; number parses; read-only fires nothing', async () => {
    const matrix = render({
      question: question({ key: 'm', type: 'matrix', type_label: '矩阵评分', scale: { min: 1, max: 5, min_label: '差', max_label: '好' },
        rows: [{ key: 'a', label: '窗口服务' }, { key: 'b', label: '网上办理' }] }),
      value: { a: 3 },
    })
    await simulate.sleep(0)
    expect(matrix.comp.dom.textContent).toContain('窗口服务')
    expect(matrix.comp.data.matrixRows.map((r) => r.value)).toEqual([3, null])
    matrix.comp.instance.onMatrix({ currentTarget: { dataset: { row: 'b' } }, detail: { value: '4' } })
    expect(matrix.changes[0][1]).toEqual({ key: 'm', value: { a: 3, b: 4 } })

    const number = render({ question: question({ key: 'n', type: 'number', type_label: '数字', unit: '人', min: 0, max: 100000, integer: true }), value: null })
    await simulate.sleep(0)
    number.comp.instance.onNumber({ detail: { value: '120' } })
    number.comp.instance.onNumber({ detail: { value: '' } })
    expect(number.changes.map((c) => c[1].value)).toEqual([120, null])

    const done = render({ question: question({ type: 'text', type_label: '简答', max_length: 50 }), value: '好', readonly: true })
    await simulate.sleep(0)
    done.comp.instance.onText({ detail: { value: '改' } })
    expect(done.changes).toEqual([])
  })
})
