/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum Kafka puts in
 * every RecordBatch v2.
 *
 * Ranges of NATIVE_MIN_BYTES and more go to native code when Node can load it
 * (crc32c-native.ts). Shorter ones, and everything in browsers, use the JS loop:
 * slicing-by-16, sixteen 256-entry tables that fold 16 input bytes per iteration
 * with independent table loads instead of a byte-serial dependency chain. A call
 * into native code costs ~0.45 µs here, which the JS loop spends on ~256 bytes.
 */
import { nativeCrc32c } from './crc32c-native.js'

export const NATIVE_MIN_BYTES = 512

const POLY = 0x82f63b78
const SLICES = 16

/** TABLE[k * 256 + b] = CRC of byte b followed by k zero bytes. */
const TABLE = buildTable()

function buildTable(): Int32Array {
  const t = new Int32Array(SLICES * 256)
  for (let b = 0; b < 256; b++) {
    let c = b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t[b] = c
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]
    for (let k = 1; k < SLICES; k++) {
      c = t[c & 0xff] ^ (c >>> 8)
      t[k * 256 + b] = c
    }
  }
  return t
}

/** CRC-32C of buf[start, end) as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  return crc32cUpdate(0, buf, start, end)
}

/** Continue a CRC-32C over more bytes: crc32cUpdate(crc32c(a), b) === crc32c(a ++ b). */
export function crc32cUpdate(crc: number, buf: Uint8Array, start = 0, end = buf.length): number {
  if (start < 0) start = 0
  if (end > buf.length) end = buf.length
  if (nativeCrc32c !== null && end - start >= NATIVE_MIN_BYTES) {
    return nativeCrc32c(start === 0 && end === buf.length ? buf : buf.subarray(start, end), crc)
  }
  return crc32cUpdateJs(crc, buf, start, end)
}

/** The JS loop alone (what browsers run); callers clamp start and end. */
export function crc32cUpdateJs(crc: number, buf: Uint8Array, start: number, end: number): number {
  const t = TABLE
  let c = ~crc
  let i = start
  const end16 = end - ((end - i) & 15)
  while (i < end16) {
    const a = c ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))
    c =
      t[3840 + (a & 0xff)] ^
      t[3584 + ((a >>> 8) & 0xff)] ^
      t[3328 + ((a >>> 16) & 0xff)] ^
      t[3072 + (a >>> 24)] ^
      t[2816 + buf[i + 4]] ^
      t[2560 + buf[i + 5]] ^
      t[2304 + buf[i + 6]] ^
      t[2048 + buf[i + 7]] ^
      t[1792 + buf[i + 8]] ^
      t[1536 + buf[i + 9]] ^
      t[1280 + buf[i + 10]] ^
      t[1024 + buf[i + 11]] ^
      t[768 + buf[i + 12]] ^
      t[512 + buf[i + 13]] ^
      t[256 + buf[i + 14]] ^
      t[buf[i + 15]]
    i += 16
  }
  while (i < end) c = t[(c ^ buf[i++]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}
