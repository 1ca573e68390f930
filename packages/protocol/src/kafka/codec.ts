/**
 * The one interpreter of the schema table: encodes and decodes any message at any
 * version from its field list. Flexible versions (KIP-482) use compact lengths
 * (unsigned varint N+1, 0 = null) and end every struct with a tag buffer; tagged
 * fields we do not know are skipped, as Kafka does, and written only when they
 * differ from their default.
 *
 * Decoding never trusts a count or length: each is checked against the bytes left
 * before anything is allocated, so a frame's size bounds every allocation.
 */
import { fail, ok, ErrorCode, type Result } from '../errors.js'
import { inRange, type Field, type FieldType, type MessageSpec } from './schema.js'
import { KafkaReader, KafkaWireError, KafkaWriter, stringBytes } from './wire.js'

export type KafkaObject = Record<string, unknown>

export const isFlexible = (spec: MessageSpec, version: number): boolean => version >= spec.flexibleMin

/** Decode `spec` at `version` from buf[start, end); the whole range must be consumed. */
export function decodeKafkaMessage(spec: MessageSpec, version: number, buf: Uint8Array, start = 0, end = buf.byteLength): Result<KafkaObject> {
  if (!inRange(spec.versions, version)) return fail(ErrorCode.UNSUPPORTED_VERSION, `${spec.name} v${version} is not supported`)
  const r = new KafkaReader(buf, start, end)
  try {
    const value = readMessage(spec, version, r)
    if (r.remaining() !== 0) return fail(ErrorCode.INVALID_REQUEST, `${spec.name} v${version}: ${r.remaining()} bytes left over`)
    return ok(value)
  } catch (err) {
    if (err instanceof KafkaWireError) return fail(ErrorCode.INVALID_REQUEST, `${spec.name} v${version}: ${err.message}`)
    throw err
  }
}

/** Decode from a reader, leaving it after the message (request and response headers are read this way). */
export function readMessage(spec: MessageSpec, version: number, r: KafkaReader): KafkaObject {
  return readStruct(spec.fields, version, isFlexible(spec, version), r, spec.name)
}

/** Encode `value` as `spec` at `version` into `w`. Throws KafkaWireError on a value the version cannot carry. */
export function writeMessage(spec: MessageSpec, version: number, value: KafkaObject, w: KafkaWriter): void {
  writeStruct(spec.fields, version, isFlexible(spec, version), value, w, spec.name)
}

export function encodeKafkaMessage(spec: MessageSpec, version: number, value: KafkaObject): Uint8Array {
  const w = new KafkaWriter()
  writeMessage(spec, version, value, w)
  return w.bytes()
}

// ---------------------------------------------------------------- decoding

function readStruct(fields: Field[], version: number, flexible: boolean, r: KafkaReader, path: string): KafkaObject {
  const out: KafkaObject = {}
  for (const f of fields) {
    out[f.name] = f.tag === null && inRange(f.versions, version) ? readValue(f.type, f, version, flexible, r, `${path}.${f.name}`) : f.default
  }
  if (flexible) readTaggedFields(fields, version, r, out, path)
  return out
}

function readTaggedFields(fields: Field[], version: number, r: KafkaReader, out: KafkaObject, path: string): void {
  const count = r.uvarint(`${path} tagged field count`)
  // Each tagged field takes at least two bytes (tag, size).
  if (count * 2 > r.remaining()) throw new KafkaWireError(`${path}: ${count} tagged fields cannot fit in ${r.remaining()} bytes`)
  let lastTag = -1
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint(`${path} tag`)
    if (tag <= lastTag) throw new KafkaWireError(`${path}: tag ${tag} after tag ${lastTag} (tags must ascend)`)
    lastTag = tag
    const size = r.uvarint(`${path} tag ${tag} size`)
    const body = r.bytes(size, `${path} tag ${tag}`)
    const f = fields.find((x) => x.tag === tag && inRange(x.versions, version))
    if (!f) continue // unknown tags are skipped
    const sub = new KafkaReader(body)
    out[f.name] = readValue(f.type, f, version, true, sub, `${path}.${f.name}`)
    if (sub.remaining() !== 0) throw new KafkaWireError(`${path}.${f.name}: tag ${tag} has ${sub.remaining()} bytes left over`)
  }
}

function nullOrFail(f: Field, version: number, path: string): null {
  if (inRange(f.nullable, version)) return null
  throw new KafkaWireError(`${path} is null but not nullable in v${version}`)
}

function readValue(type: FieldType, f: Field, version: number, flexible: boolean, r: KafkaReader, path: string): unknown {
  if (typeof type !== 'string') {
    if ('struct' in type) return readStruct(type.struct, version, flexible, r, path)
    const n = r.length(flexible, true, `${path} count`)
    if (n < 0) return nullOrFail(f, version, path)
    // Every element takes at least one byte: a count beyond the bytes left is a lie.
    if (n > r.remaining()) throw new KafkaWireError(`${path}: ${n} elements cannot fit in ${r.remaining()} bytes`)
    const items = new Array<unknown>(n)
    for (let i = 0; i < n; i++) items[i] = readValue(type.array, f, version, flexible, r, `${path}[${i}]`)
    return items
  }
  switch (type) {
    case 'int8': return r.int8(path)
    case 'int16': return r.int16(path)
    case 'uint16': return r.uint16(path)
    case 'int32': return r.int32(path)
    case 'int64': return r.int64(path)
    case 'float64': return r.float64(path)
    case 'bool': return r.bool(path)
    case 'uuid': return r.uuid(path)
    case 'string': {
      const n = r.length(flexible && !f.neverCompact, false, `${path} length`)
      return n < 0 ? nullOrFail(f, version, path) : r.string(n, path)
    }
    case 'bytes':
    case 'records': {
      const n = r.length(flexible, true, `${path} length`)
      return n < 0 ? nullOrFail(f, version, path) : r.bytes(n, path)
    }
  }
}

// ---------------------------------------------------------------- encoding

function writeStruct(fields: Field[], version: number, flexible: boolean, value: KafkaObject, w: KafkaWriter, path: string): void {
  for (const f of fields) {
    if (f.tag !== null || !inRange(f.versions, version)) continue
    writeValue(f.type, f, version, flexible, value[f.name] === undefined ? f.default : value[f.name], w, `${path}.${f.name}`)
  }
  if (flexible) writeTaggedFields(fields, version, value, w, path)
}

function writeTaggedFields(fields: Field[], version: number, value: KafkaObject, w: KafkaWriter, path: string): void {
  const tagged = fields
    .filter((f) => f.tag !== null && inRange(f.versions, version) && value[f.name] !== undefined && !isDefault(value[f.name], f.default))
    .sort((a, b) => a.tag! - b.tag!)
  w.uvarint(tagged.length)
  for (const f of tagged) {
    const sub = new KafkaWriter()
    writeValue(f.type, f, version, true, value[f.name], sub, `${path}.${f.name}`)
    w.uvarint(f.tag!)
    w.uvarint(sub.written)
    for (const piece of sub.pieces()) w.raw(piece)
  }
}

const isDefault = (v: unknown, d: unknown): boolean => v === d || (Array.isArray(v) && Array.isArray(d) && v.length === 0 && d.length === 0)

function writeNull(f: Field, version: number, flexible: boolean, wide: boolean, w: KafkaWriter, path: string): void {
  if (!inRange(f.nullable, version)) throw new KafkaWireError(`${path} is null but not nullable in v${version}`)
  w.length(flexible, wide, -1)
}

function writeValue(type: FieldType, f: Field, version: number, flexible: boolean, v: unknown, w: KafkaWriter, path: string): void {
  if (typeof type !== 'string') {
    if ('struct' in type) return writeStruct(type.struct, version, flexible, (v ?? {}) as KafkaObject, w, path)
    if (v === null) return writeNull(f, version, flexible, true, w, path)
    if (!Array.isArray(v)) throw new KafkaWireError(`${path} must be an array`)
    w.length(flexible, true, v.length)
    for (let i = 0; i < v.length; i++) writeValue(type.array, f, version, flexible, v[i], w, `${path}[${i}]`)
    return
  }
  switch (type) {
    case 'int8': return w.int8(Number(v))
    case 'int16': return w.int16(Number(v))
    case 'uint16': return w.uint16(Number(v))
    case 'int32': return w.int32(Number(v))
    case 'int64': return w.int64(Number(v))
    case 'float64': return w.float64(Number(v))
    case 'bool': return w.bool(v === true)
    case 'uuid': return w.uuid(String(v))
    case 'string': {
      const compact = flexible && !f.neverCompact
      if (v === null) return writeNull(f, version, compact, false, w, path)
      const bytes = stringBytes(String(v))
      w.length(compact, false, bytes.byteLength)
      return w.raw(bytes)
    }
    case 'bytes':
    case 'records': {
      if (v === null) return writeNull(f, version, flexible, true, w, path)
      if (!(v instanceof Uint8Array)) throw new KafkaWireError(`${path} must be bytes`)
      w.length(flexible, true, v.byteLength)
      return w.raw(v)
    }
  }
}
