/** The --json shape checker, broken on purpose: otherwise a green schema test proves nothing. */
import { arrayOf, check, mapOf, nullable, obj } from './json-shape.js'

const broker = obj({ nodeId: 'integer', lastHeartbeatAgeMs: nullable('integer'), lastFetchTimestamp: nullable('iso') })

test('a matching value has no problems; an empty array matches any array shape', () => {
  expect(check({ nodeId: 1, lastHeartbeatAgeMs: null, lastFetchTimestamp: '2026-12-07T15:00:00.123Z' }, broker)).toEqual([])
  expect(check([], arrayOf(broker))).toEqual([])
  expect(check({ 'retention.ms': '1000' }, mapOf('string'))).toEqual([])
})

test('each kind of mismatch is reported with its path', () => {
  expect(check({ NodeId: 1, lastHeartbeatAgeMs: 3, lastFetchTimestamp: null }, broker)).toEqual(['$.nodeId: missing', '$.NodeId: unexpected key'])
  expect(check({ nodeId: 1, lastHeartbeatAgeMs: '86ms ago', lastFetchTimestamp: null }, broker)).toEqual([expect.stringMatching(/^\$\.lastHeartbeatAgeMs: none of the alternatives/)])
  expect(check({ nodeId: 1.5, lastHeartbeatAgeMs: null, lastFetchTimestamp: 1795582397277 }, broker)).toHaveLength(2)
  expect(check([{ nodeId: 1, lastHeartbeatAgeMs: null, lastFetchTimestamp: '2026-12-07' }], arrayOf(broker))).toEqual([expect.stringMatching(/^\$\[0\]\.lastFetchTimestamp/)])
  expect(check('', arrayOf('string'))).toEqual(['$: expected an array, got ""'])
  expect(check({ x: 1 }, mapOf('string'))).toEqual(['$.x: expected string, got 1'])
})

test('a schema key that is not camelCase is itself a problem', () => {
  expect(check({ LeaderId: 1 }, obj({ LeaderId: 'integer' }))).toEqual(['$.LeaderId: not camelCase'])
})
