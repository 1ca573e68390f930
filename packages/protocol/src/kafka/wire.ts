/**
 * Kafka's primitive wire types: big-endian ints, unsigned varints (flexible
 * versions' lengths and tags), length-prefixed strings and bytes, 16-byte uuids.
 *
 * The reader checks every length against the bytes that are left before it
 * allocates or slices, so a hostile length gives a KafkaWireError naming what
 * was being read, never a large allocation. The codec turns that error into a
 * value at its edge (`decodeKafkaMessage`).
 */
import { readUtf8, utf8Bytes } from '../utf8.js'

export class KafkaWireError extends Error {}

/** Kafka's unsigned varints are at most 5 bytes (an int32's worth). */
const UVARINT_BYTES_MAX = 5
const UUID_BYTES = 16

export class KafkaReader {
  private readonly view: DataView
  pos: number

  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.byteLength) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    this.pos = start
  }

  remaining(): number {
    return this.end - this.pos
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) throw new KafkaWireError(`truncated: ${what} needs ${n} bytes, ${this.end - this.pos} left`)
  }

  int8(what = 'int8'): number { this.need(1, what); return this.view.getInt8(this.pos++) }
  int16(what = 'int16'): number { this.need(2, what); const v = this.view.getInt16(this.pos); this.pos += 2; return v }
  uint16(what = 'uint16'): number { this.need(2, what); const v = this.view.getUint16(this.pos); this.pos += 2; return v }
  int32(what = 'int32'): number { this.need(4, what); const v = this.view.getInt32(this.pos); this.pos += 4; return v }
  int64(what = 'int64'): number {
    this.need(8, what)
    const v = this.view.getBigInt64(this.pos)
    this.pos += 8
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new KafkaWireError(`${what}: ${v} is beyond a safe integer`)
    return Number(v)
  }
  float64(what = 'float64'): number { this.need(8, what); const v = this.view.getFloat64(this.pos); this.pos += 8; return v }
  bool(what = 'bool'): boolean { return this.int8(what) !== 0 }

  uvarint(what = 'uvarint'): number {
    let v = 0
    for (let i = 0; i < UVARINT_BYTES_MAX; i++) {
      this.need(1, what)
      const b = this.buf[this.pos++]!
      v += (b & 0x7f) * 2 ** (7 * i)
      if ((b & 0x80) === 0) {
        if (v > 0xffffffff) throw new KafkaWireError(`${what}: unsigned varint beyond 32 bits`)
        return v
      }
    }
    throw new KafkaWireError(`${what}: unsigned varint longer than ${UVARINT_BYTES_MAX} bytes`)
  }

  /** A length: int16/int32 when not flexible (-1 = null), uvarint N+1 when flexible (0 = null). */
  length(flexible: boolean, wide: boolean, what: string): number {
    if (flexible) return this.uvarint(what) - 1
    const n = wide ? this.int32(what) : this.int16(what)
    if (n < -1) throw new KafkaWireError(`${what}: negative length ${n}`)
    return n
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  string(n: number, what: string): string {
    const b = this.bytes(n, what)
    return readUtf8(b, 0, b.byteLength)
  }

  uuid(what = 'uuid'): string {
    return uuidToString(this.bytes(UUID_BYTES, what))
  }
}

/**
 * Byte strings at least this long are kept by reference rather than copied into
 * the writer: a Fetch response's record batches (up to 12 MiB, the stored bytes
 * themselves) go to the socket as they are, where copying them through a doubling
 * buffer cost three copies of each, about half a millisecond and a megabyte of
 * garbage per 1 MiB fetch here. Shorter ones are cheaper to copy than to track.
 */
export const KAFKA_SHARED_BYTES_MIN = 4096

/**
 * A growable big-endian buffer. What it has written is a list of pieces (see
 * `pieces`): buffer segments and, between them, the long byte strings `raw`
 * kept by reference.
 */
export class KafkaWriter {
  private buf = new Uint8Array(256)
  private view = new DataView(this.buf.buffer)
  private pos = 0
  /** finished pieces before `buf`, in order */
  private readonly done: Uint8Array[] = []
  private doneBytes = 0

  /** Bytes written so far. */
  get written(): number {
    return this.doneBytes + this.pos
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.byteLength) return
    let size = this.buf.byteLength * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  int8(v: number): void { this.room(1); this.view.setInt8(this.pos, v); this.pos += 1 }
  int16(v: number): void { this.room(2); this.view.setInt16(this.pos, v); this.pos += 2 }
  uint16(v: number): void { this.room(2); this.view.setUint16(this.pos, v); this.pos += 2 }
  int32(v: number): void { this.room(4); this.view.setInt32(this.pos, v); this.pos += 4 }
  int64(v: number): void { this.room(8); this.view.setBigInt64(this.pos, BigInt(v)); this.pos += 8 }
  float64(v: number): void { this.room(8); this.view.setFloat64(this.pos, v); this.pos += 8 }
  bool(v: boolean): void { this.int8(v ? 1 : 0) }

  uvarint(v: number): void {
    this.room(UVARINT_BYTES_MAX)
    let z = v >>> 0
    while (z >= 0x80) {
      this.buf[this.pos++] = (z & 0x7f) | 0x80
      z >>>= 7
    }
    this.buf[this.pos++] = z
  }

  length(flexible: boolean, wide: boolean, n: number): void {
    if (flexible) this.uvarint(n + 1)
    else if (wide) this.int32(n)
    else this.int16(n)
  }

  /** Appends `bytes`; one of KAFKA_SHARED_BYTES_MIN or more is kept by reference, so it must not change until the pieces are sent. */
  raw(bytes: Uint8Array): void {
    if (bytes.byteLength < KAFKA_SHARED_BYTES_MIN) {
      this.room(bytes.byteLength)
      this.buf.set(bytes, this.pos)
      this.pos += bytes.byteLength
      return
    }
    if (this.pos > 0) this.done.push(this.buf.subarray(0, this.pos))
    this.done.push(bytes)
    this.doneBytes += this.pos + bytes.byteLength
    this.buf = new Uint8Array(256)
    this.view = new DataView(this.buf.buffer)
    this.pos = 0
  }

  uuid(id: string): void {
    this.raw(uuidFromString(id))
  }

  /** What was written, as pieces to send in order (views: the first piece starts with the first byte written). */
  pieces(): Uint8Array[] {
    return this.pos > 0 ? [...this.done, this.buf.subarray(0, this.pos)] : [...this.done]
  }

  /** What was written, as one array of its own. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.written)
    let at = 0
    for (const p of this.pieces()) {
      out.set(p, at)
      at += p.byteLength
    }
    return out
  }
}

export const stringBytes = (s: string): Uint8Array => utf8Bytes(s)

/** Kafka prints a Uuid as 22 chars of unpadded base64url (as our ids are). */
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

export function uuidToString(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.byteLength; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    const chars = Math.min(4, Math.ceil(((bytes.byteLength - i) * 8) / 6))
    for (let c = 0; c < chars; c++) out += B64URL[(n >> (18 - 6 * c)) & 63]
  }
  return out
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

/** Our topic ids are 16 random bytes as base64url: 22 characters. */
const UUID_CHARS = 22

export function uuidFromString(id: string): Uint8Array {
  if (id.length !== UUID_CHARS) throw new KafkaWireError(`'${id.slice(0, 40)}' is not a 16-byte base64url uuid`)
  const out = new Uint8Array(UUID_BYTES)
  let acc = 0
  let bits = 0
  let o = 0
  for (const ch of id) {
    const v = B64URL.indexOf(ch)
    if (v < 0) throw new KafkaWireError(`'${id}' is not base64url`)
    acc = (acc << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      if (o < UUID_BYTES) out[o++] = (acc >> bits) & 0xff
    }
  }
  return out
}
