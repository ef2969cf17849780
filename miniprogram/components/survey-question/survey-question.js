// One survey question (QuestionOut, miniprogram_api/survey_schemas.py) with its answer, in the
// control its type needs: single (radio), multiple (checkboxes, max_choices), rating (t-rate
// for a 1..n scale, numbered radios otherwise, with the scale's end labels), matrix (a rating
// row per row), number (digits, unit, range), text / textarea (length limit).
//
//   <survey-question question="{{q}}" value="{{answers[q.key]}}" index="{{3}}" error="{{errors[q.key]}}"
//                    readonly="{{submitted}}" bind:change="onAnswer" />
//
// Fires `change` with {key, value}: the answer as the API stores it (option value, list of
// values, integer, {row key: integer}, number or null, text).

/** @param {any} scale */
function points(scale) {
  if (!scale) return []
  const list = []
  for (let v = scale.min; v <= scale.max; v += 1) list.push({ value: v, label: String(v) })
  return list
}

Component({
  options: { styleIsolation: 'apply-shared' },

  properties: {
    /** QuestionOut */
    question: { type: Object, value: {} },
    /** The current answer (any JSON). */
    value: { type: null, value: null },
    /** 1-based number shown before the title (0: none). */
    index: { type: Number, value: 0 },
    error: { type: String, value: '' },
    readonly: { type: Boolean, value: false },
  },

  data: {
    /** @type {{ value: number, label: string }[]} */
    scalePoints: [],
    useRate: false,
    /** @type {any[]} */
    matrixRows: [],
    textValue: '',
    /** @type {string[]} */
    multipleValue: [],
    singleValue: '',
    ratingValue: 0,
  },

  observers: {
    'question, value'(question, value) {
      const q = question || {}
      const scale = q.scale
      const matrix = value && typeof value === 'object' && !Array.isArray(value) ? value : {}
      this.setData({
        scalePoints: points(scale),
        useRate: !!scale && q.type === 'rating' && scale.min === 1 && scale.max <= 10,
        matrixRows: (q.rows || []).map((/** @type {any} */ r) => ({ ...r, value: r.key in matrix ? matrix[r.key] : null })),
        textValue: value === null || value === undefined || typeof value === 'object' ? '' : String(value),
        multipleValue: Array.isArray(value) ? value.map(String) : [],
        singleValue: value === null || value === undefined ? '' : String(value),
        ratingValue: typeof value === 'number' ? value : 0,
      })
    },
  },

  methods: {
    /** @param {any} value */
    emit(value) {
      if (this.data.readonly) return
      this.triggerEvent('change', { key: this.data.question.key, value })
    },

    /** @param {any} e */
    onSingle(e) {
      this.emit(e.detail.value === '' ? null : e.detail.value)
    },

    /** @param {any} e */
    onMultiple(e) {
      this.emit(e.detail.value || [])
    },

    /** @param {any} e */
    onRating(e) {
      const n = Number(e.detail.value)
      this.emit(Number.isFinite(n) && (n !== 0 || !this.data.useRate) ? n : null)
    },

    /** @param {any} e */
    onMatrix(e) {
      const row = e.currentTarget.dataset.row
      const current = this.data.value && typeof this.data.value === 'object' ? this.data.value : {}
      this.emit({ ...current, [row]: Number(e.detail.value) })
    },

    /** @param {any} e */
    onNumber(e) {
      const raw = String(e.detail.value || '').trim()
      if (!raw) return this.emit(null)
      const n = Number(raw)
      // An unfinished number ("12.", "-") stays as typed text until it parses.
      this.emit(Number.isFinite(n) && !/[.\-]$/.test(raw) ? n : raw)
    },

    /** @param {any} e */
    onText(e) {
      this.emit(String(e.detail.value || ''))
    },
  },
})
