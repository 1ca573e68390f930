/**
 * UTF-8 for short strings without crossing into native code: TextEncoder/TextDecoder
 * calls cost more than the copy for keys and header names, so short strings are
 * handled in JS and long ones natively.
 */

/** Strings up to this many UTF-16 units are encoded/decoded in JS. */
const JS_UTF8_UNITS_MAX = 48

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: false })

/**
 * A buffer that strings are written into. Long strings go through
 * TextEncoder.encodeInto, which needs a view starting at the write position; the
 * buffer and byteOffset getters cost as much as that view, so they are read once
 * here rather than on every write.
 */
export class Utf8Target {
  readonly bytes: Uint8Array
  private readonly buffer: ArrayBufferLike
  private readonly offset: number

  constructor(bytes: Uint8Array) {
    this.bytes = bytes
    this.buffer = bytes.buffer
    this.offset = bytes.byteOffset
  }

  /**
   * Write s as UTF-8 at bytes[pos]; returns bytes written. There must be room for
   * 3 * s.length bytes (the UTF-8 worst case per UTF-16 unit).
   */
  write(pos: number, s: string): number {
    if (s.length <= JS_UTF8_UNITS_MAX) return writeUtf8Js(this.bytes, pos, s)
    return encoder.encodeInto(s, new Uint8Array(this.buffer, this.offset + pos, this.bytes.length - pos)).written
  }
}

function writeUtf8Js(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length
  const start = pos
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      buf[pos++] = c
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6)
      buf[pos++] = 0x80 | (c & 0x3f)
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1)
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
          i++
          buf[pos++] = 0xf0 | (c >> 18)
          buf[pos++] = 0x80 | ((c >> 12) & 0x3f)
          buf[pos++] = 0x80 | ((c >> 6) & 0x3f)
          buf[pos++] = 0x80 | (c & 0x3f)
          continue
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd // lone surrogate, as TextEncoder does
      buf[pos++] = 0xe0 | (c >> 12)
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f)
      buf[pos++] = 0x80 | (c & 0x3f)
    }
  }
  return pos - start
}

export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s)
}

/** Decode buf[start, end) as UTF-8 (invalid sequences become U+FFFD). */
export function readUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start > JS_UTF8_UNITS_MAX) return decoder.decode(buf.subarray(start, end))
  let s = ''
  for (let i = start; i < end; i++) {
    const b = buf[i]
    if (b >= 0x80) return decoder.decode(buf.subarray(start, end))
    s += String.fromCharCode(b)
  }
  return s
}
