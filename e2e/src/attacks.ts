/**
 * Issue #16's attacks: one request of each cluster-internal kind, as a client
 * that is not a broker of the cluster would send it (cluster-auth tests).
 */
import { ApiKey, ErrorCode } from '@tributary/protocol'

/**
 * A request of each cluster-internal kind, as an attacker would send it.
 * `asLoggedInUser`: the answer to a logged-in non-broker when it is not
 * CLUSTER_AUTHORIZATION_FAILED.
 */
export function attacks(term: number, leaderId: number, follower: number) {
  const heartbeat = { type: 'Heartbeat', from: leaderId, to: follower, term, logTerm: 0, index: 0, commit: 0, reject: 0, hint: 0, transfer: 0, entries: [], ctx: new Uint8Array(0) }
  return [
    { name: 'Raft Heartbeat with term + 1000', apiKey: ApiKey.Raft, body: { from: leaderId, endpoint: 'ws://127.0.0.1:1', messages: [heartbeat] } },
    { name: 'Raft ObserverHello', apiKey: ApiKey.Raft, body: { from: 77, endpoint: 'ws://127.0.0.1:1', messages: [{ ...heartbeat, type: 'ObserverHello', from: 77, term: 0 }] } },
    // Also an operator's API (kafka-cluster.sh unregister): a logged-in user on a cluster without an
    // authorizer is an operator, refused because the broker is live; nothing moves either way.
    { name: 'UnregisterBroker of the controller', apiKey: ApiKey.UnregisterBroker, body: { nodeId: leaderId }, asLoggedInUser: ErrorCode.INVALID_REQUEST },
    { name: 'BrokerRegistration', apiKey: ApiKey.BrokerRegistration, body: { nodeId: 9, endpoint: 'ws://127.0.0.1:1', incarnationId: 'x' } },
    { name: 'BrokerHeartbeat', apiKey: ApiKey.BrokerHeartbeat, body: { nodeId: follower, brokerEpoch: 1, currentMetadataOffset: 0, wantFence: true, wantShutdown: true } },
    { name: 'AlterPartition', apiKey: ApiKey.AlterPartition, body: { brokerId: leaderId, brokerEpoch: 1, topics: [] } },
    { name: 'follower Fetch', apiKey: ApiKey.Fetch, body: { replicaId: follower, maxWaitMs: 0, minBytes: 0, maxBytes: 1024, topics: [] } },
    { name: 'debug replica Fetch', apiKey: ApiKey.Fetch, body: { replicaId: -2, maxWaitMs: 0, minBytes: 0, maxBytes: 1024, topics: [] } },
    { name: 'replica ListOffsets', apiKey: ApiKey.ListOffsets, body: { replicaId: follower, topics: [] } },
    { name: 'replica OffsetForLeaderEpoch', apiKey: ApiKey.OffsetForLeaderEpoch, body: { replicaId: follower, topics: [] } },
    { name: 'Produce to __consumer_offsets', apiKey: ApiKey.Produce, body: { acks: 1, timeoutMs: 1000, topics: [{ topic: '__consumer_offsets', partitions: [{ partition: 0, records: new Uint8Array(0) }] }] } },
    { name: 'CreateTopics of an internal topic', apiKey: ApiKey.CreateTopics, body: { topics: [{ name: '__evil', numPartitions: 1, replicationFactor: 1, internal: true }], timeoutMs: 1000 } },
  ]
}

