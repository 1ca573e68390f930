import { fromSessionBroker } from './quorum-handlers.js'

const msg = (from: number) => ({ type: 'Heartbeat', from, to: 1, term: 5 })

test('an authenticated broker speaks only for itself: the frame and every message must carry its id', () => {
  expect(fromSessionBroker(2, [msg(2), msg(2)], 2)).toBe(true)
  expect(fromSessionBroker(3, [msg(3)], 2)).toBe(false) // the frame claims another broker
  expect(fromSessionBroker(2, [msg(2), msg(3)], 2)).toBe(false) // one message claims another broker
  expect(fromSessionBroker(2, [null, msg(2)], 2)).toBe(false)
  expect(fromSessionBroker('2', [msg(2)], 2)).toBe(false)
})

test('without a broker identity (a cluster with neither secret nor CA) nothing is known to check', () => {
  expect(fromSessionBroker(3, [msg(3)], undefined)).toBe(true)
})
