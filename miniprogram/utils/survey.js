// The survey rules the answering page applies live, mirroring app/survey/definition.py:
// skip logic (`show_if`: shown when the condition question is shown and its answer is, or
// contains, one of the values), what counts as answered, and the progress over the visible
// questions. The server applies the same rules again when saving and submitting.

/**
 * @typedef {{ key: string, type: string, title: string, required: boolean, rows?: { key: string }[],
 *   show_if?: { question: string, values: string[] } | null }} Question
 */

/**
 * All questions of a questionnaire (ResponseOut.questionnaire), in order.
 * @param {{ sections?: { questions?: Question[] }[] } | null | undefined} questionnaire
 * @returns {Question[]}
 */
function allQuestions(questionnaire) {
  return ((questionnaire && questionnaire.sections) || []).flatMap((s) => s.questions || [])
}

/**
 * Keys of the questions shown for these answers, in order.
 * @param {Question[]} questions
 * @param {Record<string, any>} answers
 * @returns {string[]}
 */
function visibleKeys(questions, answers) {
  const shown = new Set()
  const keys = []
  for (const q of questions) {
    const condition = q.show_if
    let visible = true
    if (condition) {
      const given = answers[condition.question]
      if (!shown.has(condition.question) || given === null || given === undefined) visible = false
      else {
        const values = Array.isArray(given) ? given.map(String) : [String(given)]
        visible = values.some((v) => condition.values.includes(v))
      }
    }
    if (visible) {
      shown.add(q.key)
      keys.push(q.key)
    }
  }
  return keys
}

/**
 * @param {Question} question
 * @param {any} value
 */
function isAnswered(question, value) {
  if (value === null || value === undefined) return false
  if (question.type === 'matrix') {
    return typeof value === 'object' && !Array.isArray(value) && (question.rows || []).every((r) => r.key in value)
  }
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0
  if (typeof value === 'object') return Object.keys(value).length > 0
  return true
}

/**
 * Progress and missing required questions for these answers.
 * @param {Question[]} questions
 * @param {Record<string, any>} answers
 */
function evaluate(questions, answers) {
  const visible = visibleKeys(questions, answers)
  const byKey = new Map(questions.map((q) => [q.key, q]))
  let answered = 0
  let required = 0
  let requiredAnswered = 0
  /** @type {string[]} */
  const missing = []
  for (const key of visible) {
    const q = /** @type {Question} */ (byKey.get(key))
    const done = isAnswered(q, answers[key])
    if (done) answered += 1
    if (q.required) {
      required += 1
      if (done) requiredAnswered += 1
      else missing.push(key)
    }
  }
  const total = visible.length
  return {
    visible,
    answered,
    total,
    required,
    requiredAnswered,
    missing,
    percent: total ? Math.round((answered * 100) / total) : 0,
  }
}

module.exports = { allQuestions, visibleKeys, isAnswered, evaluate }
