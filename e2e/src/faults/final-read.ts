/**
 * After healing: wait until every partition has its full ISR and every replica
 * at the leader's high watermark, then read each partition from its leader (a
 * consumer's view, below the HW) and from every replica (replicaId -2 debug
 * reads, below that replica's own HW) for the checker.
 */
import { ApiKey, decodeRecordBatch, splitBatches, systemClock, type Clock, type FetchPartitionResponse, type MetadataResponse, type RpcConnection } from '@tributary/protocol'
import type { TestCluster } from '../cluster.js'
import type { LogBounds, ReadRecord, ReplicaRead } from '../checker.js'

export const FETCH_BYTES_MAX = 8 << 20

/** What the reads need of a cluster: a real-process TestCluster, or the simulation's. */
export type ClusterReads = Pick<TestCluster, 'brokerRpc' | 'metadata'> & { readonly nodes: ReadonlyArray<{ readonly nodeId: number }> }

async function fetchAt(c: RpcConnection, topic: string, partition: number, offset: number, replicaId: number): Promise<FetchPartitionResponse> {
  const r = await c.request(ApiKey.Fetch, {
    replicaId, maxWaitMs: 0, minBytes: 0, maxBytes: FETCH_BYTES_MAX,
    topics: [{ topic, partitions: [{ partition, fetchOffset: offset, currentLeaderEpoch: -1, partitionMaxBytes: FETCH_BYTES_MAX }] }],
  })
  if (r.errorCode !== 0) throw new Error(`Fetch ${topic}-${partition}@${offset}: error ${r.errorCode}`)
  const p = r.body.topics[0].partitions[0] as FetchPartitionResponse
  if (p.errorCode !== 0) throw new Error(`Fetch ${topic}-${partition}@${offset} (replicaId ${replicaId}): error ${p.errorCode}`)
  return p
}

/** One fetched batch, decoded. */
export interface FetchedBatch { baseOffset: number; lastOffset: number; records: Array<{ offset: number; value: string }> }

/**
 * What one fetch answer adds to a read asked at `fetchOffset`. Kafka answers
 * with whole batches, so the first may start below the fetch offset: only those
 * records are dropped (already read). Everything else below `hw` is passed on
 * in the order served, so the checker sees a batch that overlaps or goes
 * backwards; a record at or above the HW is a problem (never served to a
 * reader). `next` is where the following fetch starts: the end of the last
 * batch, at most the HW.
 */
export function takeFetched(partition: number, fetchOffset: number, hw: number, batches: readonly FetchedBatch[]): { records: ReadRecord[]; next: number; problems: string[] } {
  const records: ReadRecord[] = []
  const problems: string[] = []
  batches.forEach((b, i) => {
    const holdsFetchOffset = i === 0 && b.baseOffset <= fetchOffset && fetchOffset <= b.lastOffset
    for (const r of b.records) {
      if (holdsFetchOffset && r.offset < fetchOffset) continue
      if (r.offset >= hw) problems.push(`p${partition}: record at ${r.offset} served at or above HW ${hw}`)
      else records.push({ partition, offset: r.offset, value: r.value })
    }
  })
  const last = batches[batches.length - 1]
  return { records, next: last ? Math.min(last.lastOffset + 1, hw) : fetchOffset, problems }
}

function decodeBatches(bytes: Uint8Array, where: string): FetchedBatch[] {
  const dec = new TextDecoder()
  const split = splitBatches(bytes, { allowPartialTail: true })
  if (!split.ok) throw new Error(`${where}: ${split.message}`)
  return split.value.map((s) => {
    const d = decodeRecordBatch(s.bytes)
    if (!d.ok) throw new Error(`${where}, batch at ${s.header.baseOffset}: ${d.message}`)
    const records = d.value.records.map((rec) => ({ offset: rec.offset, value: dec.decode(rec.value ?? new Uint8Array()) }))
    return { baseOffset: s.header.baseOffset, lastOffset: s.header.baseOffset + s.header.lastOffsetDelta, records }
  })
}

export interface PartitionRead extends LogBounds {
  nodeId: number
  records: ReadRecord[]
  /** why the read stopped before the HW or served what it should not have ([] when complete) */
  problems: string[]
}

/** Every record of a partition from the log start to the HW of the node asked (replicaId -1: as a consumer of the leader; -2: any replica). */
export async function readPartition(cluster: ClusterReads, nodeId: number, topic: string, partition: number, replicaId: -1 | -2): Promise<PartitionRead> {
  // Replica (debug) reads are cluster-internal: the harness authenticates as a broker.
  const c = await cluster.brokerRpc(nodeId, { requestTimeoutMs: 10_000 })
  try {
    const first = await fetchAt(c, topic, partition, 0, replicaId)
    const read: PartitionRead = { nodeId, partition, logStartOffset: first.logStartOffset, highWatermark: first.highWatermark, records: [], problems: [] }
    let offset = first.logStartOffset
    while (offset < read.highWatermark) {
      const r = await fetchAt(c, topic, partition, offset, replicaId)
      read.highWatermark = r.highWatermark
      const batches = decodeBatches(r.records, `node ${nodeId} ${topic}-${partition}@${offset}`)
      const t = takeFetched(partition, offset, r.highWatermark, batches)
      read.records.push(...t.records)
      read.problems.push(...t.problems)
      if (t.next <= offset && offset < r.highWatermark) {
        // an empty answer below the HW, or batches ending at or before the fetch offset: asking again would spin
        read.problems.push(`node ${nodeId} p${partition}: read stuck at ${offset} below HW ${r.highWatermark} (answer ended at ${t.next})`)
        break
      }
      offset = t.next
    }
    return read
  } finally {
    c.close()
  }
}

type PartitionMeta = MetadataResponse['topics'][number]['partitions'][number]

export async function partitionsOf(cluster: ClusterReads, topic: string): Promise<PartitionMeta[]> {
  for (const n of cluster.nodes) {
    try {
      const m = await cluster.metadata(n.nodeId)
      const t = m.topics.find((x) => x.name === topic)
      if (t) return [...t.partitions].sort((a, b) => a.partition - b.partition)
    } catch {
      // try the next node
    }
  }
  throw new Error(`no node knows topic ${topic}`)
}

/** Why the partitions have not converged yet ([] once every ISR is full and every replica is at the leader's HW). */
export async function convergence(cluster: ClusterReads, topic: string): Promise<string[]> {
  const lag: string[] = []
  for (const p of await partitionsOf(cluster, topic)) {
    if (p.leader <= 0) { lag.push(`p${p.partition}: no leader`); continue }
    if (p.isr.length < p.replicas.length) lag.push(`p${p.partition}: ISR [${p.isr}] of replicas [${p.replicas}]`)
    const hws = await Promise.all(p.replicas.map(async (id) => {
      const c = await cluster.brokerRpc(id, { requestTimeoutMs: 5000 })
      try {
        return (await fetchAt(c, topic, p.partition, 0, id === p.leader ? -1 : -2)).highWatermark
      } finally {
        c.close()
      }
    }))
    const leaderHw = hws[p.replicas.indexOf(p.leader)]!
    p.replicas.forEach((id, i) => { if (hws[i] !== leaderHw) lag.push(`p${p.partition}: replica ${id} at HW ${hws[i]}, leader ${p.leader} at ${leaderHw}`) })
  }
  return lag
}

/** Wait (up to timeoutMs) for convergence; returns what is still unconverged at the deadline ([] when converged). */
export async function waitConverged(cluster: ClusterReads, topic: string, timeoutMs: number, clock: Clock = systemClock): Promise<string[]> {
  const deadline = clock.now() + timeoutMs
  let last: string[] = ['not checked yet']
  while (clock.now() < deadline) {
    try {
      last = await convergence(cluster, topic)
      if (last.length === 0) return []
    } catch (err) {
      last = [(err as Error).message]
    }
    await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 250))
  }
  return last
}

export interface FinalRead {
  finalRead: ReadRecord[]
  /** each partition's log bounds on its leader */
  bounds: LogBounds[]
  replicas: ReplicaRead[]
  /** reads that failed or stopped early: what they lack is also missing from finalRead / replicas */
  incompleteReads: string[]
}

/** Read every partition from its leader and from each of its replicas; a read that fails is reported, never fatal, so every other one is still checked. */
export async function finalRead(cluster: ClusterReads, topic: string): Promise<FinalRead> {
  const out: FinalRead = { finalRead: [], bounds: [], replicas: [], incompleteReads: [] }
  const attempt = async (what: string, read: () => Promise<PartitionRead>): Promise<PartitionRead | undefined> => {
    try {
      const r = await read()
      out.incompleteReads.push(...r.problems)
      return r
    } catch (err) {
      out.incompleteReads.push(`${what}: ${(err as Error).message}`)
      return undefined
    }
  }
  for (const p of await partitionsOf(cluster, topic)) {
    const leader = await attempt(`p${p.partition} from leader ${p.leader}`, () => readPartition(cluster, p.leader, topic, p.partition, -1))
    if (leader) {
      out.finalRead.push(...leader.records)
      out.bounds.push({ partition: p.partition, logStartOffset: leader.logStartOffset, highWatermark: leader.highWatermark })
    }
    for (const id of p.replicas) {
      const rep = await attempt(`p${p.partition} from replica ${id}`, () => readPartition(cluster, id, topic, p.partition, -2))
      if (rep) out.replicas.push(rep)
    }
  }
  return out
}
