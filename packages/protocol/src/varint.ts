/**
 * Kafka's zigzag varints (int32) and varlongs (int64 as a safe-integer Number).
 *
 * Writers return the position after the bytes they wrote; the caller has made room.
 * Reading goes through VarReader, which never throws: on bad input it records why in
 * `bad`, jumps to its end so every later read fails fast, and returns 0. Callers check
 * `bad` once per record instead of after every field.
 */

/** Kafka rejects a varint longer than 5 bytes and a varlong longer than 10. */
export const VARINT_BYTES_MAX = 5
export const VARLONG_BYTES_MAX = 10

/** Bytes taken by the zigzag varint of int32 v. */
export function sizeOfVarint(v: number): number {
  const z = ((v << 1) ^ (v >> 31)) >>> 0
  if (z < 0x80) return 1
  if (z < 0x4000) return 2
  if (z < 0x200000) return 3
  if (z < 0x10000000) return 4
  return 5
}

export function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  let z = ((v << 1) ^ (v >> 31)) >>> 0
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80
    z >>>= 7
  }
  buf[pos++] = z
  return pos
}

const isInt32 = (v: number): boolean => (v | 0) === v

/** Zigzag of a safe integer as a BigInt (slow path for |v| >= 2^31). */
const zigzag64 = (v: number): bigint => {
  const b = BigInt(v)
  return b >= 0n ? b << 1n : (-b << 1n) - 1n
}

export function sizeOfVarlong(v: number): number {
  if (isInt32(v)) return sizeOfVarint(v)
  let z = zigzag64(v)
  let n = 1
  while (z >= 0x80n) {
    z >>= 7n
    n++
  }
  return n
}

/** v must be a safe integer. */
export function writeVarlong(buf: Uint8Array, pos: number, v: number): number {
  if (isInt32(v)) return writeVarint(buf, pos, v)
  let z = zigzag64(v)
  while (z >= 0x80n) {
    buf[pos++] = Number(z & 0x7fn) | 0x80
    z >>= 7n
  }
  buf[pos++] = Number(z)
  return pos
}

export class VarReader {
  buf: Uint8Array
  pos: number
  /** Reads never go past this (exclusive). */
  end: number
  /** Why reading failed, or null. */
  bad: string | null = null

  constructor(buf: Uint8Array, pos: number, end: number) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  fail(why: string): number {
    if (this.bad === null) this.bad = `${why} at byte ${this.pos}`
    this.pos = this.end
    return 0
  }

  varint(): number {
    // Record lengths, deltas and field lengths of typical records take one or two
    // bytes: decode those without the loop.
    const buf = this.buf
    const pos = this.pos
    const end = this.end
    if (pos < end) {
      const b0 = buf[pos]
      if (b0 < 0x80) {
        this.pos = pos + 1
        return (b0 >>> 1) ^ -(b0 & 1)
      }
      if (pos + 1 < end && buf[pos + 1] < 0x80) {
        const z = (b0 & 0x7f) | (buf[pos + 1] << 7)
        this.pos = pos + 2
        return (z >>> 1) ^ -(z & 1)
      }
    }
    return this.varintLoop()
  }

  private varintLoop(): number {
    const buf = this.buf
    let pos = this.pos
    const end = this.end
    let z = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= end) return this.fail('truncated varint')
      const b = buf[pos++]
      z |= (b & 0x7f) << shift
      if (b < 0x80) {
        this.pos = pos
        return (z >>> 1) ^ -(z & 1)
      }
    }
    return this.fail(`varint longer than ${VARINT_BYTES_MAX} bytes`)
  }

  /** A zigzag varlong; fails when it does not fit a safe integer. */
  varlong(): number {
    // Timestamp deltas within a batch are mostly small: the varint fast path reads
    // them (one or two bytes fit int32 arithmetic exactly).
    const pos = this.pos
    const end = this.end
    if ((pos < end && this.buf[pos] < 0x80) || (pos + 1 < end && this.buf[pos + 1] < 0x80)) return this.varint()
    return this.varlongLoop()
  }

  private varlongLoop(): number {
    const buf = this.buf
    let pos = this.pos
    const end = this.end
    // Up to 4 bytes (28 bits) fit int32 arithmetic; the rest uses doubles.
    let lo = 0
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) return this.fail('truncated varlong')
      const b = buf[pos++]
      lo |= (b & 0x7f) << shift
      if (b < 0x80) {
        this.pos = pos
        return (lo >>> 1) ^ -(lo & 1)
      }
    }
    // Past 28 bits: hi counts units of 2^28. Halve before combining so the zigzag
    // value (up to 2^54 for safe integers) never needs more than 53 bits.
    let hi = 0
    let scale = 1
    for (let i = 4; i < VARLONG_BYTES_MAX; i++) {
      if (pos >= end) return this.fail('truncated varlong')
      const b = buf[pos++]
      hi += (b & 0x7f) * scale
      if (b < 0x80) {
        const half = (lo >>> 1) + hi * 0x8000000
        const negative = (lo & 1) === 1
        if (half > (negative ? Number.MAX_SAFE_INTEGER - 1 : Number.MAX_SAFE_INTEGER)) {
          return this.fail('varlong is not a safe integer')
        }
        this.pos = pos
        return negative ? -half - 1 : half
      }
      scale *= 128
    }
    return this.fail(`varlong longer than ${VARLONG_BYTES_MAX} bytes`)
  }
}
