import { expect, test } from '@jest/globals'
import { InFlight } from './in-flight.js'

test('add() waits while max promises are pending and goes on when one settles (resolved or rejected); idle() waits for all', async () => {
  const limit = new InFlight(2)
  const settle: Array<(ok: boolean) => void> = []
  const pending = (): Promise<void> => new Promise<void>((resolve, reject) => settle.push((ok) => (ok ? resolve() : reject(new Error('x'))))).catch(() => {})
  await limit.add(pending())
  let second = false
  const adding = limit.add(pending()).then(() => { second = true })
  await new Promise((r) => setImmediate(r))
  expect(second).toBe(false) // two pending: the second add waits
  settle[0]!(false)
  await adding
  expect(second).toBe(true)
  let idle = false
  const waiting = limit.idle().then(() => { idle = true })
  await new Promise((r) => setImmediate(r))
  expect(idle).toBe(false)
  settle[1]!(true)
  await waiting
  expect(idle).toBe(true)
})
