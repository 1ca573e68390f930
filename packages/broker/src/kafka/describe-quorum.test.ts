/**
 * DescribeQuorum on the Kafka listener, v0 to v2 (KIP-853): the voter set the
 * Raft leader holds, each voter's directory id (Kafka's zero uuid: ours have
 * none) and, from v2, the voters as nodes with the endpoint the quorum reaches
 * them at. Built by the node's own describeQuorum, translated, and read back
 * through the codec as a Kafka client would.
 */
import { describe, expect, it } from '@jest/globals'
import { decodeKafkaMessage, encodeKafkaResponse, ErrorCode, KAFKA_APIS, KafkaApiKey, KafkaReader, readMessage, ResponseHeader, type DescribeQuorumResponse } from '@tributary/protocol'
import type { MetadataQuorum } from '../quorum/metadata-quorum.js'
import { describeQuorum } from '../quorum/quorum-handlers.js'
import { advertisedApis } from './server.js'
import { TRANSLATIONS } from './translate.js'

/** A leader (node 1) of voters 1, 2, 3 with observer 4; node 3 never registered. */
function quorum(): MetadataQuorum {
  const peer = (match: number) => ({ match, lastContactTick: 90, lastCaughtUpTick: 95 })
  const status = { term: 7, commit: 41, leaderId: 1, tick: 100, voters: [1, 2, 3], observers: [4], progress: new Map([[1, peer(41)], [2, peer(40)], [4, peer(12)]]) }
  return { status: () => status, tickTime: (tick: number) => 1_000_000 + tick } as unknown as MetadataQuorum
}
const ENDPOINTS = new Map([[1, 'ws://10.0.0.1:9092'], [2, 'wss://[::1]:9443'], [4, 'ws://10.0.0.4:9092']])

const translation = TRANSLATIONS.get(KafkaApiKey.DescribeQuorum)!
const REQUEST = { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }

/** Our answer → Kafka's at `version`, encoded and decoded again. */
function overTheWire(ours: DescribeQuorumResponse | null, version: number, errorCode: number = ErrorCode.NONE, message: string | null = null): Record<string, any> {
  const out = errorCode === ErrorCode.NONE ? translation.response(ours, errorCode, null, version) : translation.error(REQUEST, errorCode, message, version, null)
  const frame = encodeKafkaResponse(KafkaApiKey.DescribeQuorum, version, 9, out)
  const r = new KafkaReader(frame, 4)
  expect(readMessage(ResponseHeader, 1, r).correlationId).toBe(9)
  const decoded = decodeKafkaMessage(KAFKA_APIS.get(KafkaApiKey.DescribeQuorum)!.response, version, frame, r.pos)
  if (!decoded.ok) throw new Error(decoded.message)
  return decoded.value
}

describe('DescribeQuorum on the Kafka listener', () => {
  const ours = describeQuorum(quorum(), 'cluster-1', (id) => ENDPOINTS.get(id))

  it('v2 encodes to the bytes of the spec: error message, then topics, then nodes with uint16 ports', () => {
    const frame = encodeKafkaResponse(KafkaApiKey.DescribeQuorum, 2, 9, { errorCode: 0, errorMessage: null, topics: [], nodes: [{ nodeId: 1, listeners: [{ name: 'C', host: 'h', port: 0xfffe }] }] })
    // size, correlation id + tag buffer, errorCode, null compact string, 0 topics, 1 node: id, 1 listener ("C", "h", port), tag buffers
    expect(Buffer.from(frame).toString('hex')).toBe('00000018' + '00000009' + '00' + '0000' + '00' + '01' + '02' + '00000001' + '02' + '0243' + '0268' + 'fffe' + '00' + '00' + '00')
  })

  it('v2 is advertised', () => {
    expect(advertisedApis().find((a) => a.apiKey === KafkaApiKey.DescribeQuorum)).toEqual({ apiKey: KafkaApiKey.DescribeQuorum, minVersion: 0, maxVersion: 2 })
  })

  it('the node lists each voter\'s registered endpoint, and none for a voter that has not registered', () => {
    expect(ours.voterEndpoints).toEqual([{ nodeId: 1, endpoint: 'ws://10.0.0.1:9092' }, { nodeId: 2, endpoint: 'wss://[::1]:9443' }])
  })

  it('v2: voters with the zero directory id, observers, and every voter as a node with its CONTROLLER endpoint', () => {
    const k = overTheWire(ours, 2)
    expect(k.errorCode).toBe(ErrorCode.NONE)
    expect(k.errorMessage).toBeNull()
    const p = k.topics[0].partitions[0]
    expect(p).toMatchObject({ partitionIndex: 0, errorCode: 0, errorMessage: null, leaderId: 1, leaderEpoch: 7, highWatermark: 41 })
    expect(p.currentVoters.map((v: any) => [v.replicaId, v.replicaDirectoryId, v.logEndOffset])).toEqual([
      [1, 'AAAAAAAAAAAAAAAAAAAAAA', 41], [2, 'AAAAAAAAAAAAAAAAAAAAAA', 40], [3, 'AAAAAAAAAAAAAAAAAAAAAA', -1],
    ])
    expect(p.observers.map((v: any) => [v.replicaId, v.logEndOffset, v.lastFetchTimestamp, v.lastCaughtUpTimestamp])).toEqual([[4, 12, 1_000_090, 1_000_095]])
    expect(k.nodes).toEqual([
      { nodeId: 1, listeners: [{ name: 'CONTROLLER', host: '10.0.0.1', port: 9092 }] },
      { nodeId: 2, listeners: [{ name: 'CONTROLLER', host: '::1', port: 9443 }] },
      { nodeId: 3, listeners: [] },
    ])
  })

  it.each([0, 1])('v%i carries the same voters without the v2 fields', (version) => {
    const k = overTheWire(ours, version)
    expect(k.nodes).toEqual([])
    expect(k.topics[0].partitions[0].currentVoters.map((v: any) => v.replicaId)).toEqual([1, 2, 3])
    expect(k.topics[0].partitions[0].currentVoters[0].replicaDirectoryId).toBe('AAAAAAAAAAAAAAAAAAAAAA') // the field's default: not on the wire
  })

  it('v2: another partition is refused on the partition, with its message; a refused request at the top', () => {
    const elsewhere = overTheWire(null, 2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'the metadata quorum is __cluster_metadata partition 0')
    expect(elsewhere).toMatchObject({ errorCode: 0, errorMessage: null, nodes: [] })
    expect(elsewhere.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'the metadata quorum is __cluster_metadata partition 0' })
    expect(overTheWire(null, 2, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'denied')).toMatchObject({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'denied' })
  })
})
