/**
 * What a consumer group's topic regex may be. The coordinator matches it against
 * every topic name in the broker's own thread with JavaScript's backtracking
 * engine, so a pattern that backtracks exponentially ((a+)+b, (a|aa)*c) or
 * polynomially to a high degree (.*.*.*.*x) would stall the broker on a 249-char
 * name. Kafka (KIP-848) uses RE2 for the same reason; we keep JavaScript syntax but
 * refuse what can blow up:
 *   - backreferences and lookaround (RE2 has neither);
 *   - a quantified group holding a quantifier or an alternation (the source of
 *     exponential backtracking);
 *   - more than UNBOUNDED_QUANTIFIERS_MAX unbounded quantifiers (*, +, {n,}).
 * Names joined by | at the top level, character classes and bounded repeats are
 * all fine: `(orders|payments)-.*`, `logs-[a-z]+-v[0-9]+`.
 */

/** Unbounded quantifiers in one pattern: matching costs up to O(n^this) per name. */
export const UNBOUNDED_QUANTIFIERS_MAX = 2

interface Group {
  quantifiers: number
  alternation: boolean
}

/** null when `source` is safe to match; else why not, in one line. */
export function topicRegexProblem(source: string): string | null {
  const stack: Group[] = [{ quantifiers: 0, alternation: false }]
  let unbounded = 0
  let closed: Group | null = null // the group a quantifier right here would apply to
  for (let i = 0; i < source.length; i++) {
    const c = source[i]
    const quantified = quantifierAt(source, i)
    if (quantified !== null) {
      if (closed !== null && (closed.quantifiers > 0 || closed.alternation)) {
        return 'a repeated group may not hold another repeat or an alternation (it can backtrack exponentially)'
      }
      if (quantified.unbounded && ++unbounded > UNBOUNDED_QUANTIFIERS_MAX) {
        return `at most ${UNBOUNDED_QUANTIFIERS_MAX} unbounded repeats (*, +, {n,}) per pattern`
      }
      for (const g of stack) g.quantifiers++
      i = quantified.end - 1
      closed = null
      continue
    }
    closed = null
    if (c === '\\') {
      const next = source[i + 1] ?? ''
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not supported'
      i++
    } else if (c === '[') {
      i = classEnd(source, i)
    } else if (c === '(') {
      if (/^\(\?<?[=!]/.test(source.slice(i, i + 4))) return 'lookahead and lookbehind are not supported'
      stack.push({ quantifiers: 0, alternation: false })
      i = groupBodyStart(source, i) - 1
    } else if (c === ')') {
      if (stack.length > 1) closed = stack.pop()!
    } else if (c === '|') {
      stack[stack.length - 1].alternation = true
    }
  }
  return null
}

/** A quantifier starting at i: *, +, ?, {n}, {n,}, {n,m} (each maybe followed by a lazy ?). */
function quantifierAt(s: string, i: number): { end: number; unbounded: boolean } | null {
  const c = s[i]
  let end: number
  let unbounded: boolean
  if (c === '*' || c === '+') {
    end = i + 1
    unbounded = true
  } else if (c === '?') {
    end = i + 1
    unbounded = false
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(i))
    if (!m) return null
    end = i + m[0].length
    unbounded = m[2] !== undefined && m[3] === ''
  } else {
    return null
  }
  if (s[end] === '?') end++
  return { end, unbounded }
}

/** Index of the ] closing the class that opens at i (escapes inside respected; JavaScript closes at the first ]). */
function classEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++
    else if (s[j] === ']') return j
  }
  return s.length
}

/** Where the body of the group opening at i starts: after `(`, `(?:` or `(?<name>`. */
function groupBodyStart(s: string, i: number): number {
  if (s[i + 1] !== '?') return i + 1
  if (s[i + 2] === '<') {
    const close = s.indexOf('>', i + 3)
    return close < 0 ? s.length : close + 1
  }
  return i + 3
}
