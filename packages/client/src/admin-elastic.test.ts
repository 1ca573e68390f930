/** The SDK's elastic admin calls: Kafka's shapes on the wire, argument checks before anything is sent, refusals as errors. */
import { ApiKey, ElectionType, ErrorCode } from '@tributary/protocol'
import { alterPartitionReassignments, electLeaders, listPartitionReassignments } from './admin-elastic.js'
import type { Cluster } from './cluster.js'
import { ArgumentError, TributaryError } from './errors.js'

function fakeCluster(answer: (apiKey: number, body: any) => unknown) {
  const sent: Array<{ apiKey: number; body: any }> = []
  const cluster = { controllerCall: async (apiKey: number, body: any) => { sent.push({ apiKey, body }); return answer(apiKey, body) } } as unknown as Cluster
  return { cluster, sent }
}

test('electLeaders sends Kafka\'s ElectLeaders and flattens the answer per partition', async () => {
  const { cluster, sent } = fakeCluster(() => ({ replicaElectionResults: [{ topic: 'o', partitionResult: [
    { partitionId: 0, errorCode: 0, errorMessage: null }, { partitionId: 1, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'already' },
  ] }] }))
  const r = await electLeaders(cluster, { topicPartitions: [{ topic: 'o', partitions: [0, 1] }] })
  expect(sent[0]).toMatchObject({ apiKey: ApiKey.ElectLeaders, body: { electionType: ElectionType.PREFERRED, topicPartitions: [{ topic: 'o', partitions: [0, 1] }] } })
  expect(r).toEqual([{ topic: 'o', partition: 0, errorCode: 0, error: null }, { topic: 'o', partition: 1, errorCode: ErrorCode.ELECTION_NOT_NEEDED, error: 'already' }])
  await electLeaders(cluster, { electionType: 'unclean' })
  expect(sent[1]!.body).toMatchObject({ electionType: ElectionType.UNCLEAN, topicPartitions: null })
})

test('bad arguments are refused before anything is sent', async () => {
  const { cluster, sent } = fakeCluster(() => ({}))
  await expect(electLeaders(cluster, { electionType: 'maybe' as never })).rejects.toBeInstanceOf(ArgumentError)
  await expect(electLeaders(cluster, { topicPartitions: [{ topic: 'o', partitions: [-1] }] })).rejects.toBeInstanceOf(ArgumentError)
  await expect(alterPartitionReassignments(cluster, { topics: [{ topic: 'o', partitions: [{ partition: 0, replicas: [1.5] }] }] })).rejects.toBeInstanceOf(ArgumentError)
  await expect(alterPartitionReassignments(cluster, { topics: 'o' as never })).rejects.toBeInstanceOf(ArgumentError)
  expect(sent).toEqual([])
})

test('a refused partition of a reassignment is thrown with its code, naming the others that failed', async () => {
  const { cluster, sent } = fakeCluster(() => ({ errorCode: 0, errorMessage: null, responses: [{ name: 'o', partitions: [
    { partitionIndex: 0, errorCode: 0, errorMessage: null },
    { partitionIndex: 1, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'broker 9 is not registered' },
    { partitionIndex: 2, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: 'not moving' },
  ] }] }))
  const err = await alterPartitionReassignments(cluster, { topics: [{ topic: 'o', partitions: [{ partition: 0, replicas: [1, 2] }, { partition: 1, replicas: [9] }, { partition: 2, replicas: null }] }] }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(TributaryError)
  expect(err).toMatchObject({ code: ErrorCode.INVALID_REPLICA_ASSIGNMENT })
  expect((err as Error).message).toMatch(/o-1.*broker 9 is not registered.*o-2 NO_REASSIGNMENT_IN_PROGRESS/)
  expect(sent[0]!.body.topics).toEqual([{ name: 'o', partitions: [{ partitionIndex: 0, replicas: [1, 2] }, { partitionIndex: 1, replicas: [9] }, { partitionIndex: 2, replicas: null }] }])
})

test('listPartitionReassignments flattens Kafka\'s answer', async () => {
  const { cluster, sent } = fakeCluster(() => ({ errorCode: 0, errorMessage: null, topics: [{ name: 'o', partitions: [{ partitionIndex: 3, replicas: [4, 2, 1], addingReplicas: [4], removingReplicas: [1] }] }] }))
  expect(await listPartitionReassignments(cluster, { topics: [{ topic: 'o' }] })).toEqual([{ topic: 'o', partition: 3, replicas: [4, 2, 1], addingReplicas: [4], removingReplicas: [1] }])
  expect(sent[0]!.body.topics).toEqual([{ name: 'o', partitionIndexes: [] }])
})
