/**
 * Client calls against a SimCluster node, as a producer or consumer would make
 * them (bodies through a msgpack round trip), plus record-batch helpers.
 */
import {
  ApiKey,
  concatBytes,
  decodeRecordBatch,
  encodeRecordBatch,
  splitBatches,
  type EncodeBatchOptions,
  type FetchPartitionResponse,
  type ProducePartitionResponse,
} from '@tributary/protocol'
import type { SimCluster } from './sim-cluster.js'

export function batchOf(values: Array<string | null>, opts: EncodeBatchOptions & { key?: string | null; timestamp?: number } = {}): Uint8Array {
  return encodeRecordBatch(
    values.map((v) => ({ key: opts.key ?? null, value: v, timestamp: opts.timestamp })),
    opts,
  )
}

export async function produce(
  c: SimCluster,
  nodeId: number,
  topic: string,
  partition: number,
  records: Uint8Array,
  opts: { acks?: 0 | 1 | -1; timeoutMs?: number } = {},
): Promise<ProducePartitionResponse | undefined> {
  const r = await c.node(nodeId).call(ApiKey.Produce, {
    acks: opts.acks ?? -1,
    timeoutMs: opts.timeoutMs ?? 5000,
    topics: [{ topic, partitions: [{ partition, records }] }],
  })
  if (r === undefined) return undefined
  if (r.errorCode !== 0) throw new Error(`produce envelope error ${r.errorCode}`)
  return (r.body as any).topics[0].partitions[0]
}

export async function fetchFrom(
  c: SimCluster,
  nodeId: number,
  topic: string,
  partition: number,
  fetchOffset: number,
  opts: { replicaId?: number; maxWaitMs?: number; minBytes?: number; maxBytes?: number; currentLeaderEpoch?: number; signal?: AbortSignal } = {},
): Promise<FetchPartitionResponse> {
  const r = await c.node(nodeId).call(
    ApiKey.Fetch,
    {
      replicaId: opts.replicaId ?? -1,
      maxWaitMs: opts.maxWaitMs ?? 0,
      minBytes: opts.minBytes ?? 0,
      maxBytes: opts.maxBytes ?? 16 * 1024 * 1024,
      topics: [{ topic, partitions: [{ partition, fetchOffset, currentLeaderEpoch: opts.currentLeaderEpoch ?? -1, partitionMaxBytes: opts.maxBytes ?? 8 * 1024 * 1024 }] }],
    },
    opts.signal,
  )
  if (!r || r.errorCode !== 0) throw new Error(`fetch envelope error ${r?.errorCode}`)
  return (r.body as any).topics[0].partitions[0]
}

/** Every record value (utf8) in fetched bytes at or after `fromOffset`, with offsets. */
export function recordsIn(bytes: Uint8Array, fromOffset = 0): Array<{ offset: number; value: string | null; key: string | null }> {
  const out: Array<{ offset: number; value: string | null; key: string | null }> = []
  const split = splitBatches(bytes, { allowPartialTail: true })
  if (!split.ok) throw new Error(split.message)
  const dec = new TextDecoder()
  for (const s of split.value) {
    const d = decodeRecordBatch(s.bytes)
    if (!d.ok) throw new Error(d.message)
    for (const r of d.value.records) {
      if (r.offset < fromOffset) continue
      out.push({ offset: r.offset, value: r.value ? dec.decode(r.value) : null, key: r.key ? dec.decode(r.key) : null })
    }
  }
  return out
}

/** Read a replica's whole log below its HW through Fetch (replicaId -2). */
export async function readAll(c: SimCluster, nodeId: number, topic: string, partition: number): Promise<Uint8Array> {
  const m = c.manager(nodeId)
  const p = m.partition(topic, partition)!
  const chunks: Uint8Array[] = []
  let offset = p.logStartOffset()
  for (;;) {
    const r = await fetchFrom(c, nodeId, topic, partition, offset, { replicaId: -2 })
    if (r.errorCode !== 0) throw new Error(`fetch error ${r.errorCode}`)
    const split = splitBatches(r.records)
    if (!split.ok || split.value.length === 0) break
    chunks.push(r.records)
    const last = split.value[split.value.length - 1].header
    offset = last.baseOffset + last.lastOffsetDelta + 1
  }
  return concatBytes(chunks)
}
