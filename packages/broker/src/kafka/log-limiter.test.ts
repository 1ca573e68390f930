import { LogLimiter } from './log-limiter.js'

test('at most N lines a window; the next window first says how many were dropped', () => {
  let now = 0
  const limiter = new LogLimiter(2, 1000, () => now)
  const lines: number[] = []
  for (let i = 0; i < 5; i++) limiter.log((dropped) => lines.push(dropped))
  expect(lines).toEqual([0, 0])
  now = 999
  expect(limiter.log(() => lines.push(-1))).toBe(false)
  now = 1000
  expect(limiter.log((dropped) => lines.push(dropped))).toBe(true)
  expect(lines).toEqual([0, 0, 4])
})
