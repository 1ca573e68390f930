/**
 * After healing: wait until every partition has its full ISR and every replica
 * at the leader's high watermark, then read each partition from its leader (a
 * consumer's view, below the HW) and from every replica (replicaId -2 debug
 * reads, below that replica's own HW) for the checker.
 */
import { ApiKey, decodeRecordBatch, splitBatches, type FetchPartitionResponse, type MetadataResponse, type RpcConnection } from '@tributary/protocol'
import { rpc, type TestCluster } from '../cluster.js'
import type { ReadRecord } from '../checker.js'

export const FETCH_BYTES_MAX = 8 << 20

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

/** Every record of a partition from the log start to the HW of the node asked (replicaId -1: as a consumer of the leader; -2: any replica). */
export async function readPartition(url: string, topic: string, partition: number, replicaId: -1 | -2): Promise<{ records: ReadRecord[]; hw: number }> {
  const c = await rpc(url, { requestTimeoutMs: 10_000 })
  const dec = new TextDecoder()
  try {
    const first = await fetchAt(c, topic, partition, 0, replicaId)
    const records: ReadRecord[] = []
    let offset = first.logStartOffset
    let hw = first.highWatermark
    while (offset < hw) {
      const r = await fetchAt(c, topic, partition, offset, replicaId)
      hw = r.highWatermark
      const split = splitBatches(r.records, { allowPartialTail: true })
      if (!split.ok) throw new Error(`${topic}-${partition}@${offset}: ${split.message}`)
      if (split.value.length === 0) break
      for (const s of split.value) {
        const d = decodeRecordBatch(s.bytes)
        if (!d.ok) throw new Error(`${topic}-${partition}@${s.header.baseOffset}: ${d.message}`)
        for (const rec of d.value.records) if (rec.offset >= offset && rec.offset < hw) records.push({ partition, offset: rec.offset, value: dec.decode(rec.value ?? new Uint8Array()) })
        offset = s.header.baseOffset + s.header.lastOffsetDelta + 1
      }
    }
    return { records, hw }
  } finally {
    c.close()
  }
}

type PartitionMeta = MetadataResponse['topics'][number]['partitions'][number]

export async function partitionsOf(cluster: TestCluster, topic: string): Promise<PartitionMeta[]> {
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
export async function convergence(cluster: TestCluster, topic: string): Promise<string[]> {
  const lag: string[] = []
  for (const p of await partitionsOf(cluster, topic)) {
    if (p.leader <= 0) { lag.push(`p${p.partition}: no leader`); continue }
    if (p.isr.length < p.replicas.length) lag.push(`p${p.partition}: ISR [${p.isr}] of replicas [${p.replicas}]`)
    const hws = await Promise.all(p.replicas.map(async (id) => {
      const c = await rpc(cluster.node(id).url, { requestTimeoutMs: 5000 })
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
export async function waitConverged(cluster: TestCluster, topic: string, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  let last: string[] = ['not checked yet']
  while (Date.now() < deadline) {
    try {
      last = await convergence(cluster, topic)
      if (last.length === 0) return []
    } catch (err) {
      last = [(err as Error).message]
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return last
}

export interface FinalRead {
  finalRead: ReadRecord[]
  replicas: Map<number, ReadRecord[]>
}

export async function finalRead(cluster: TestCluster, topic: string): Promise<FinalRead> {
  const parts = await partitionsOf(cluster, topic)
  const finalRecords: ReadRecord[] = []
  const replicas = new Map<number, ReadRecord[]>(cluster.nodes.map((n) => [n.nodeId, []]))
  for (const p of parts) {
    finalRecords.push(...(await readPartition(cluster.node(p.leader).url, topic, p.partition, -1)).records)
    for (const id of p.replicas) replicas.get(id)!.push(...(await readPartition(cluster.node(id).url, topic, p.partition, -2)).records)
  }
  return { finalRead: finalRecords, replicas }
}
