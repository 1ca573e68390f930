/**
 * Cross-check against kafkajs, an independent RecordBatch v2 implementation (kafkajs
 * calls it "v0 RecordBatch"): its batches decode with ours to the same records, ours
 * decode with its decoder, and for uncompressed batches the bytes are identical.
 */
import { createRequire } from 'node:module'
import { crc32c, decodeRecordBatch, encodeRecordBatch, validateBatch, type RecordInput } from './index.js'

const require = createRequire(import.meta.url)
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js')
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js')
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js')
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js')
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js')
const { Types: KafkajsCompression } = require('kafkajs/src/protocol/message/compression/index.js')

interface Msg {
  key: string | Buffer | null
  value: string | Buffer | null
  headers?: Record<string, string | Buffer>
  timestamp: number
}

interface BatchParams {
  compression?: 'none' | 'gzip'
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  partitionLeaderEpoch?: number
  baseOffset?: number
}

/** Build a batch the way kafkajs's produce request v3 does. */
async function kafkajsEncode(messages: Msg[], p: BatchParams): Promise<Uint8Array> {
  const firstTimestamp = messages[0].timestamp
  const maxTimestamp = Math.max(...messages.map(m => m.timestamp))
  const records = messages.map((m, i) =>
    Record({ offsetDelta: i, timestampDelta: m.timestamp - firstTimestamp, key: m.key, value: m.value, headers: m.headers }),
  )
  const enc = await RecordBatch({
    compression: p.compression === 'gzip' ? KafkajsCompression.GZIP : KafkajsCompression.None,
    firstOffset: String(p.baseOffset ?? 0),
    firstTimestamp,
    maxTimestamp,
    partitionLeaderEpoch: p.partitionLeaderEpoch ?? 0,
    lastOffsetDelta: messages.length - 1,
    transactional: p.transactional ?? false,
    producerId: String(p.producerId ?? -1),
    producerEpoch: p.producerEpoch ?? 0,
    firstSequence: p.baseSequence ?? 0,
    records,
  })
  return new Uint8Array(enc.buffer)
}

async function kafkajsDecode(bytes: Uint8Array): Promise<any> {
  return decodeKafkajsBatch(new KafkajsDecoder(Buffer.from(bytes)))
}

const toBytes = (v: string | Buffer | null): Uint8Array | null =>
  v === null ? null : typeof v === 'string' ? new TextEncoder().encode(v) : new Uint8Array(v)

const ours = (m: Msg): RecordInput => ({ key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp })

const T0 = 1_700_000_000_000
const messages: Msg[] = [
  { key: 'user-1', value: 'hello', headers: { trace: 'abc', bin: Buffer.from([0, 1, 255]) }, timestamp: T0 },
  { key: null, value: 'no key', timestamp: T0 + 5 },
  { key: 'user-1', value: null, timestamp: T0 - 3 }, // tombstone, timestamp before the first
  { key: Buffer.from([0xde, 0xad]), value: Buffer.alloc(300, 7), headers: { 'ü-key': 'välue ✓' }, timestamp: T0 + 2 ** 33 },
  { key: '', value: '', timestamp: T0 + 1 },
]

const params: Array<[string, BatchParams]> = [
  ['plain', {}],
  ['idempotent producer fields', { producerId: 2 ** 40 + 17, producerEpoch: 3, baseSequence: 12345, partitionLeaderEpoch: 7, baseOffset: 2 ** 35 }],
  ['transactional', { producerId: 99, producerEpoch: 1, baseSequence: 0, transactional: true }],
]

describe('kafkajs batches decode with ours', () => {
  for (const compression of ['none', 'gzip'] as const) {
    for (const [name, p] of params) {
      test(`${name}, compression ${compression}`, async () => {
        const bytes = await kafkajsEncode(messages, { ...p, compression })
        const r = decodeRecordBatch(bytes)
        if (!r.ok) throw new Error(r.message)
        const { header, records } = r.value
        expect(header).toMatchObject({
          baseOffset: p.baseOffset ?? 0,
          partitionLeaderEpoch: p.partitionLeaderEpoch ?? 0,
          magic: 2,
          attributes: (compression === 'gzip' ? 1 : 0) | (p.transactional ? 0x10 : 0),
          lastOffsetDelta: messages.length - 1,
          baseTimestamp: T0,
          maxTimestamp: T0 + 2 ** 33,
          producerId: p.producerId ?? -1,
          producerEpoch: p.producerEpoch ?? 0,
          baseSequence: p.baseSequence ?? 0,
          recordCount: messages.length,
        })
        expect(records.map(x => x.offset)).toEqual(messages.map((_, i) => (p.baseOffset ?? 0) + i))
        expect(records.map(x => x.timestamp)).toEqual(messages.map(m => m.timestamp))
        records.forEach((rec, i) => {
          const m = messages[i]
          expect(rec.key).toEqual(toBytes(m.key))
          expect(rec.value).toEqual(toBytes(m.value))
          expect(rec.headers).toEqual(Object.entries(m.headers ?? {}).map(([key, v]) => ({ key, value: toBytes(v) })))
        })
      })
    }
  }
})

describe('our batches decode with kafkajs', () => {
  for (const compression of ['none', 'gzip'] as const) {
    for (const [name, p] of params) {
      test(`${name}, compression ${compression}`, async () => {
        const bytes = encodeRecordBatch(messages.map(ours), {
          compression,
          producerId: p.producerId ?? -1,
          producerEpoch: p.producerEpoch ?? 0,
          baseSequence: p.baseSequence ?? 0,
          transactional: p.transactional,
          partitionLeaderEpoch: p.partitionLeaderEpoch ?? 0,
          baseOffset: p.baseOffset ?? 0,
        })
        const k = await kafkajsDecode(bytes)
        expect(k.firstOffset).toBe(String(p.baseOffset ?? 0))
        expect(k.producerId).toBe(String(p.producerId ?? -1))
        expect(k.producerEpoch).toBe(p.producerEpoch ?? 0)
        expect(k.firstSequence).toBe(p.baseSequence ?? 0)
        expect(k.inTransaction).toBe(p.transactional ?? false)
        expect(k.maxTimestamp).toBe(String(T0 + 2 ** 33))
        expect(k.records).toHaveLength(messages.length)
        k.records.forEach((rec: any, i: number) => {
          const m = messages[i]
          expect(rec.offset).toBe(String((p.baseOffset ?? 0) + i))
          expect(rec.timestamp).toBe(String(m.timestamp))
          expect(rec.key === null ? null : new Uint8Array(rec.key)).toEqual(toBytes(m.key))
          expect(rec.value === null ? null : new Uint8Array(rec.value)).toEqual(toBytes(m.value))
          const headers = Object.fromEntries(Object.entries(rec.headers).map(([hk, hv]) => [hk, new Uint8Array(hv as Buffer)]))
          expect(headers).toEqual(Object.fromEntries(Object.entries(m.headers ?? {}).map(([hk, hv]) => [hk, toBytes(hv)])))
        })
        // kafkajs does not check CRCs; recompute it with kafkajs's CRC-32C.
        expect(validateBatch(bytes).ok).toBe(true)
        expect(kafkajsCrc32C(Buffer.from(bytes.subarray(21))) >>> 0).toBe(crc32c(bytes, 21))
      })
    }
  }
})

describe('uncompressed bytes are identical to kafkajs', () => {
  for (const [name, p] of params) {
    test(name, async () => {
      const theirs = await kafkajsEncode(messages, p)
      const mine = encodeRecordBatch(messages.map(ours), {
        producerId: p.producerId ?? -1,
        producerEpoch: p.producerEpoch ?? 0,
        baseSequence: p.baseSequence ?? 0,
        transactional: p.transactional,
        partitionLeaderEpoch: p.partitionLeaderEpoch ?? 0,
        baseOffset: p.baseOffset ?? 0,
      })
      expect(Buffer.from(mine).toString('hex')).toBe(Buffer.from(theirs).toString('hex'))
    })
  }
})

test('CRC-32C agrees with kafkajs on assorted lengths', () => {
  let seed = 1
  for (const len of [0, 1, 7, 15, 16, 17, 31, 64, 1000, 4099]) {
    const b = new Uint8Array(len).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)
    expect(crc32c(b)).toBe(kafkajsCrc32C(Buffer.from(b)) >>> 0)
  }
})
