import { describe, expect, test } from '@jest/globals'
import { topicRegexProblem, UNBOUNDED_QUANTIFIERS_MAX } from './topic-regex.js'

describe('topic regexes a coordinator will match', () => {
  test.each([
    'orders',
    'orders\\..*',
    '(orders|payments)-.*',
    'logs-[a-z]+-v[0-9]+',
    '(?:a|b)c{2,5}',
    '(?<name>ab)?c',
    '[(+*)]+x', // specials inside a class are literals
    'a\\(b\\)+', // an escaped paren is not a group
    '(?:orders)|(?:pay.*)|(?:x[0-9]?)', // how the SDK joins names and RegExps
  ])('accepts %s', (source) => {
    expect(topicRegexProblem(source)).toBeNull()
  })

  test.each([
    ['(a+)+b', /repeated group/],
    ['(a|aa)*c', /repeated group/],
    ['(?:x*y)*z', /repeated group/],
    ['((ab)*c)+', /repeated group/],
    ['.*.*.*x', /unbounded/],
    ['a{2,}b+c*', /unbounded/],
    ['(a)\\1', /backreference/],
    ['(?<n>a)\\k<n>', /backreference/],
    ['a(?=b)', /lookahead/],
    ['(?<!a)b', /lookahead/],
  ])('refuses %s', (source, why) => {
    expect(topicRegexProblem(source)).toMatch(why)
  })

  test('the worst accepted shape (every allowed unbounded repeat, overlapping) fails on a 249-character name without running away', () => {
    const source = Array.from({ length: UNBOUNDED_QUANTIFIERS_MAX }, () => '.*').join('') + 'x'
    expect(topicRegexProblem(source)).toBeNull()
    expect(topicRegexProblem(`${source}.*`)).not.toBeNull() // one more is refused
    expect(new RegExp(`^(?:${source})$`).test('a'.repeat(249))).toBe(false)
  })
})
