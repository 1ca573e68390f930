import { ErrorCode } from '@tributary/protocol'
import {
  parseAlterPartition, parseBrokerHeartbeat, parseBrokerRegistration, parseCreateAcls, parseCreateTopics, parseDeleteTopics,
  parseElectLeaders, parseListPartitionReassignments, PARTITIONS_PER_REQUEST_MAX,
} from './requests.js'

const refusal = (r: { ok: boolean; code?: number; message?: string }) => (r.ok ? 'accepted' : `${r.code}: ${r.message}`)

describe('controller request parsing', () => {
  test('a well-formed AlterPartition becomes the typed request, defaults left as sent', () => {
    const body = { brokerId: 1, brokerEpoch: 7, topics: [{ topicId: 'T', partitions: [{ partition: 0, leaderEpoch: 2, partitionEpoch: 3, newIsr: [1, 2] }] }] }
    expect(parseAlterPartition(body)).toEqual({ ok: true, value: body })
  })

  test.each([
    ['a body that is not a map', 'x', 'body must be a map'],
    ['topics not an array', { brokerId: 1, brokerEpoch: 7, topics: {} }, 'topics must be an array'],
    ['a missing broker epoch', { brokerId: 1, topics: [] }, 'brokerEpoch is required'],
    ['a topic id that is not a string', { brokerId: 1, brokerEpoch: 7, topics: [{ topicId: 5, partitions: [] }] }, 'topicId must be a string'],
    ['an ISR holding a non-integer', { brokerId: 1, brokerEpoch: 7, topics: [{ topicId: 'T', partitions: [{ partition: 0, leaderEpoch: 2, partitionEpoch: 3, newIsr: [1, 'x'] }] }] }, 'newIsr must hold integers'],
  ])('AlterPartition with %s is INVALID_REQUEST naming the field', (_what, body, message) => {
    expect(refusal(parseAlterPartition(body))).toBe(`${ErrorCode.INVALID_REQUEST}: ${message}`)
  })

  test('AlterPartition counts partitions across topics against its bound', () => {
    const half = Array.from({ length: PARTITIONS_PER_REQUEST_MAX / 2 + 1 }, (_, partition) => ({ partition, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] }))
    const body = { brokerId: 1, brokerEpoch: 7, topics: [{ topicId: 'A', partitions: half }, { topicId: 'B', partitions: half }] }
    expect(refusal(parseAlterPartition(body))).toMatch(/more than 10000 partitions/)
  })

  test('CreateTopics: shapes are checked here, values (names, counts) are left to the plan', () => {
    const ok = parseCreateTopics({ topics: [{ name: '', numPartitions: 0, replicationFactor: -1 }], timeoutMs: 5 })
    expect(ok).toEqual({ ok: true, value: { timeoutMs: 5, validateOnly: false, topics: [{ name: '', numPartitions: 0, replicationFactor: -1, assignments: null, internal: false }] } })
    expect(refusal(parseCreateTopics({ topics: [{ name: 'a', numPartitions: 1 }] }))).toBe(`${ErrorCode.INVALID_REQUEST}: replicationFactor is required`)
    expect(parseCreateTopics({ topics: [{ name: 'a', assignments: [[1, 2]] }] })).toMatchObject({ ok: true, value: { topics: [{ numPartitions: -1, replicationFactor: -1, assignments: [[1, 2]] }] } })
    expect(refusal(parseCreateTopics({ topics: [{ name: 'a', numPartitions: 1, replicationFactor: 1, configs: { 'retention.ms': 5 } }] }))).toBe(`${ErrorCode.INVALID_REQUEST}: configs must be a map of strings`)
    expect(refusal(parseDeleteTopics({ topics: ['a', 7] }))).toBe(`${ErrorCode.INVALID_REQUEST}: topics must be an array of names`)
  })

  test('broker lifecycle requests: required fields, defaults for the optional ones', () => {
    expect(refusal(parseBrokerRegistration({ nodeId: 0, endpoint: 'ws://x:1', incarnationId: 'a' }))).toBe(`${ErrorCode.INVALID_REQUEST}: nodeId, endpoint and incarnationId are required`)
    expect(parseBrokerRegistration({ nodeId: 1, endpoint: 'ws://x:1', incarnationId: 'a' })).toEqual({ ok: true, value: { nodeId: 1, endpoint: 'ws://x:1', incarnationId: 'a', rack: null } })
    expect(parseBrokerHeartbeat({ nodeId: 1, brokerEpoch: 4 })).toEqual({ ok: true, value: { nodeId: 1, brokerEpoch: 4, currentMetadataOffset: -1, wantFence: false, wantShutdown: false } })
    expect(refusal(parseBrokerHeartbeat({ nodeId: 1, brokerEpoch: 4, wantFence: 'yes' }))).toBe(`${ErrorCode.INVALID_REQUEST}: wantFence must be true or false`)
  })

  test('a bad ACL binding fails alone; the request parses', () => {
    const r = parseCreateAcls({ creations: [{ resourceType: 2, resourceName: 'o', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 }, 'x'] })
    expect(r.ok && r.value.creations.map((c) => c.ok)).toEqual([true, false])
    expect(refusal(parseCreateAcls({ creations: 'x' }))).toBe(`${ErrorCode.INVALID_REQUEST}: creations must be an array`)
  })

  test('elections and reassignment listings: null means every partition', () => {
    expect(parseElectLeaders({ topicPartitions: null })).toMatchObject({ ok: true, value: { electionType: 0, topicPartitions: null } })
    expect(refusal(parseElectLeaders({ electionType: 7 }))).toMatch(/electionType must be 0 \(preferred\) or 1 \(unclean\), got 7/)
    expect(parseListPartitionReassignments({ topics: [{ name: 'o' }] })).toMatchObject({ ok: true, value: { topics: [{ name: 'o', partitionIndexes: [] }] } })
  })
})
