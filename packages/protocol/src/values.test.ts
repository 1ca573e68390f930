import { describe, expect, test } from '@jest/globals'
import { isInt } from './values.js'

describe('isInt', () => {
  test('accepts exactly the integers a double holds exactly', () => {
    for (const v of [0, -1, 42, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) expect(isInt(v)).toBe(true)
  })

  test('refuses fractions, unsafe integers and everything that is not a number', () => {
    for (const v of [1.5, NaN, Infinity, 2 ** 53, -(2 ** 53), '1', null, undefined, 1n, [1], {}]) expect(isInt(v)).toBe(false)
  })
})
