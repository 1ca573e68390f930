/**
 * The schema-table codec against byte fixtures built by hand from Kafka's protocol
 * guide, round trips of every API and version we serve (fast-check), and hostile
 * input: truncation, garbage tagged fields, lying counts, a 2 GiB size prefix.
 */
import fc from 'fast-check'
import { ErrorCode } from '../errors.js'
import {
  decodeKafkaMessage, decodeKafkaRequest, encodeKafkaMessage, encodeKafkaResponse, FrameSplitter, inRange, isFlexible,
  KAFKA_APIS, RequestHeader, type Field, type FieldType, type MessageSpec,
} from './index.js'

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const api = (key: number) => KAFKA_APIS.get(key)!

describe('ApiVersions v3 (flexible)', () => {
  // header v2: apiKey 18, version 3, correlationId 7, clientId "ab" (int16 length even here), empty tag buffer
  // body: compact strings "x" and "1" (length + 1 as an unsigned varint), empty tag buffer
  const request = hex('0012 0003 00000007 0002 6162 00   02 78  02 31  00')

  it('decodes a request built by hand', () => {
    const d = decodeKafkaRequest(request)
    expect(d).toEqual({
      ok: true,
      header: { apiKey: 18, apiVersion: 3, correlationId: 7, clientId: 'ab' },
      body: { clientSoftwareName: 'x', clientSoftwareVersion: '1' },
    })
  })

  it('encodes a response to the bytes of the spec, tagged field included', () => {
    const frame = encodeKafkaResponse(18, 3, 7, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0, finalizedFeaturesEpoch: 5 })
    // size, header v0 (ApiVersions never uses v1), errorCode, compact array of 1 (varint 2), one entry + its tag buffer,
    // throttle, tag buffer: 1 field, tag 1, 8 bytes, int64 5
    expect(toHex(frame)).toBe(toHex(hex('0000001d 00000007  0000  02 0012 0000 0003 00  00000000  01 01 08 0000000000000005')))
  })

  it('leaves a tagged field at its default out of the tag buffer, and reads it back as the default', () => {
    const body = encodeKafkaMessage(api(18).response, 3, { errorCode: 0, apiKeys: [], throttleTimeMs: 0 })
    expect(toHex(body)).toBe('0000' + '01' + '00000000' + '00')
    const back = decodeKafkaMessage(api(18).response, 3, body)
    expect(back.ok && back.value.finalizedFeaturesEpoch).toBe(-1)
  })

  it('answers a request header v1 for v0-v2', () => {
    const d = decodeKafkaRequest(hex('0012 0002 00000009 ffff'))
    expect(d.ok && d.header).toEqual({ apiKey: 18, apiVersion: 2, correlationId: 9, clientId: null })
  })
})

describe('Metadata v1 (not flexible)', () => {
  it('decodes a request built by hand, and a null topic list', () => {
    const d = decodeKafkaRequest(hex('0003 0001 00000002 0001 63   00000001 0001 74'))
    expect(d.ok && d.body).toEqual({ topics: [{ name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
    const all = decodeKafkaRequest(hex('0003 0001 00000002 0001 63   ffffffff'))
    expect(all.ok && all.body.topics).toBeNull()
  })

  it('refuses null where the version has no null (v0 topics)', () => {
    const d = decodeKafkaRequest(hex('0003 0000 00000002 0001 63   ffffffff'))
    expect(d.ok).toBe(false)
    expect(!d.ok && d.message).toMatch(/topics is null but not nullable in v0/)
  })

  it('encodes a response to the bytes of the spec', () => {
    const frame = encodeKafkaResponse(3, 1, 2, {
      brokers: [{ nodeId: 1, host: 'h', port: 9192, rack: null }],
      controllerId: 1,
      topics: [{ errorCode: 0, name: 't', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }] }],
    })
    const body = hex(`
      00000001  00000001 0001 68 000023e8 ffff
      00000001
      00000001  0000 0001 74 00  00000001  0000 00000000 00000001 00000001 00000001 00000001 00000001`)
    expect(toHex(frame)).toBe(toHex(hex(`${(4 + body.byteLength).toString(16).padStart(8, '0')} 00000002`)) + toHex(body))
  })
})

describe('hostile input', () => {
  const good = hex('0003 0001 00000002 0001 63   00000001 0001 74')

  it('every truncation of a request is a clear error, never a throw', () => {
    for (let n = 8; n < good.byteLength; n++) {
      const d = decodeKafkaRequest(good.subarray(0, n))
      expect(d.ok).toBe(false)
      expect(!d.ok && d.correlationId).toBe(2)
      expect(!d.ok && d.message).toMatch(/truncated|cannot fit/)
    }
  })

  it('a count larger than the bytes left fails before allocating', () => {
    const d = decodeKafkaRequest(hex('0003 0001 00000002 0001 63   7fffffff 0001 74'))
    expect(!d.ok && d.message).toMatch(/2147483647 elements cannot fit in 3 bytes/)
  })

  it('garbage tagged fields: a size past the end, tags out of order, a varint too long', () => {
    const head = '0012 0003 00000007 0002 6162 00   02 78  02 31'
    expect(decodeKafkaRequest(hex(`${head} 01 05 7f 00`)).ok).toBe(false) // tag 5 claims 127 bytes
    const order = decodeKafkaRequest(hex(`${head} 02 05 00 03 00`))
    expect(!order.ok && order.message).toMatch(/tag 3 after tag 5/)
    const long = decodeKafkaRequest(hex(`${head} ffffffffff7f`))
    expect(!long.ok && long.message).toMatch(/varint/)
    const many = decodeKafkaRequest(hex(`${head} 8080 8001`))
    expect(!many.ok && many.message).toMatch(/tagged fields cannot fit/)
  })

  it('a seeded fuzz of 10,000 mutated and random frames: every one decodes or fails with a code, none throws', () => {
    const seeds = [good, hex('0012 0003 00000007 0002 6162 00   02 78  02 31  00'), RawFrames.produceV9, RawFrames.fetchV12, RawFrames.joinGroupV9, RawFrames.offsetCommitV8]
    const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat())
      .map(([seed, flips, cut]) => {
        const b = seed.slice(0, 8 + (cut % (seed.byteLength - 7)))
        for (const [at, v] of flips) if (at % b.byteLength >= 4) b[at % b.byteLength] = v // keep the api key and version
        return b
      })
    const random = fc.uint8Array({ minLength: 8, maxLength: 64 })
    let decoded = 0
    fc.assert(fc.property(fc.oneof(mutated, random), (frame) => {
      const d = decodeKafkaRequest(frame)
      if (d.ok) decoded++
      else expect(typeof d.code === 'number' && d.message.length > 0).toBe(true)
    }), { numRuns: 10_000, seed: 18 })
    expect(decoded).toBeGreaterThan(0) // the mutations leave some frames valid: the fuzz reaches the body decoder
  })

  it('unknown tags are skipped', () => {
    const d = decodeKafkaRequest(hex('0012 0003 00000007 0002 6162 00   02 78  02 31  02 07 02 abcd 09 00'))
    expect(d.ok && d.body).toEqual({ clientSoftwareName: 'x', clientSoftwareVersion: '1' })
  })

  it('an unknown API or version is UNSUPPORTED_VERSION with the correlation id', () => {
    const key = decodeKafkaRequest(hex('0fff 0000 0000002a 0000'))
    expect(!key.ok && [key.code, key.correlationId]).toEqual([ErrorCode.UNSUPPORTED_VERSION, 42])
    const version = decodeKafkaRequest(hex('0003 0063 0000002b 0000'))
    expect(!version.ok && [version.code, version.correlationId]).toEqual([ErrorCode.UNSUPPORTED_VERSION, 43])
  })

  it('a 2 GiB size prefix is refused from its 4 bytes, buffering nothing more', () => {
    const s = new FrameSplitter(1024 * 1024)
    const r = s.push(hex('7fffffff 0003'))
    expect(!r.ok && [r.code, r.message]).toEqual([ErrorCode.MESSAGE_TOO_LARGE, 'frame size 2147483647 exceeds the limit of 1048576 bytes'])
    expect(s.bufferedBytes()).toBe(6)
    const neg = new FrameSplitter().push(hex('ffffffff'))
    expect(!neg.ok && neg.message).toMatch(/below/)
  })

  it('frames split anywhere, or packed together, come out whole', () => {
    const frame = (b: Uint8Array) => Uint8Array.from([...hex(b.byteLength.toString(16).padStart(8, '0')), ...b])
    const stream = Uint8Array.from([...frame(good), ...frame(good.subarray(0, 10))])
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: stream.byteLength }), { maxLength: 6 }), (cuts) => {
      const s = new FrameSplitter()
      const out: Uint8Array[] = []
      let at = 0
      for (const c of [...new Set(cuts)].sort((a, b) => a - b).concat(stream.byteLength)) {
        const r = s.push(stream.subarray(at, c))
        at = c
        if (!r.ok) return false
        out.push(...r.value)
      }
      expect(out.map(toHex)).toEqual([toHex(good), toHex(good.subarray(0, 10))])
      return s.bufferedBytes() === 0
    }))
  })
})

/** Valid request frames (no size prefix) built from the table, as seeds for the fuzz. */
const RawFrames = {
  produceV9: requestFrame(0, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: new Uint8Array([1, 2, 3]) }] }] }),
  joinGroupV9: requestFrame(11, 9, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 60_000, memberId: 'm', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: new Uint8Array([0, 0, 0, 0, 0, 1, 0, 1, 0x74]) }], reason: 'r' }),
  offsetCommitV8: requestFrame(8, 8, { groupId: 'g', generationId: 3, memberId: 'm', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42, committedMetadata: null }] }] }),
  fetchV12: requestFrame(1, 12, { maxWaitMs: 1, minBytes: 1, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 100 }] }] }),
}

function requestFrame(apiKey: number, version: number, body: Record<string, unknown>): Uint8Array {
  const spec = api(apiKey).request
  const header = encodeKafkaMessage(RequestHeader, isFlexible(spec, version) ? 2 : 1, { requestApiKey: apiKey, requestApiVersion: version, correlationId: 5, clientId: 'fuzz' })
  return Uint8Array.from([...header, ...encodeKafkaMessage(spec, version, body)])
}

// ---------------------------------------------------------------- round trips

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'))

function arbitraryOf(type: FieldType, f: Field, version: number): fc.Arbitrary<unknown> {
  const base = ((): fc.Arbitrary<unknown> => {
    if (typeof type !== 'string') {
      if ('struct' in type) return structOf(type.struct, version)
      return fc.array(arbitraryOf(type.array, { ...f, nullable: null }, version), { maxLength: 3 })
    }
    switch (type) {
      case 'int8': return fc.integer({ min: -128, max: 127 })
      case 'int16': return fc.integer({ min: -32768, max: 32767 })
      case 'uint16': return fc.integer({ min: 0, max: 65535 })
      case 'int32': return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
      case 'int64': return fc.maxSafeInteger()
      case 'float64': return fc.double({ noNaN: true })
      case 'bool': return fc.boolean()
      case 'uuid': return uuid
      case 'string': return fc.string({ maxLength: 20, unit: 'grapheme' })
      case 'bytes': case 'records': return fc.uint8Array({ maxLength: 40 })
    }
  })()
  return inRange(f.nullable, version) ? fc.option(base, { nil: null }) : base
}

function structOf(fields: Field[], version: number): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(fields.map((f) => [f.name, inRange(f.versions, version) ? arbitraryOf(f.type, f, version) : fc.constant(f.default)])))
}

describe('round trips of every API and version we serve', () => {
  const specs: Array<[MessageSpec, number]> = [...KAFKA_APIS.values()].flatMap((a) =>
    [a.request, a.response].flatMap((s) => Array.from({ length: s.versions.max - s.versions.min + 1 }, (_, i) => [s, s.versions.min + i] as [MessageSpec, number])))

  it.each(specs.map(([s, v]) => [`${s.name} v${v}${isFlexible(s, v) ? ' (flexible)' : ''}`, s, v] as const))('%s', (_name, spec, version) => {
    fc.assert(fc.property(structOf(spec.fields, version), (value) => {
      const bytes = encodeKafkaMessage(spec, version, value)
      const back = decodeKafkaMessage(spec, version, bytes)
      expect(back).toEqual({ ok: true, value })
    }), { numRuns: 40 })
  })

  it('the uuid alphabet is base64url', () => {
    expect(B64URL).toHaveLength(64)
  })
})
