/**
 * Kafka's other record-set codecs, in pure JavaScript so the SDK stays
 * browser-safe: snappy (both snappy-java's "xerial" stream framing, which Java
 * clients write, and the bare block librdkafka may write; our own bounded block
 * decoder, because snappyjs's loops without end on some hostile input, and
 * snappyjs to compress), LZ4 frames
 * (lz4js) and zstd frames (fzstd, which only decompresses: zstd is read, not
 * written). Every decoder is bounded by `maxBytes`: a declared or computed size
 * past it fails before the output is allocated, a stream that grows past it
 * stops there.
 */
import { Decompress as ZstdDecompress } from 'fzstd'
import * as lz4 from 'lz4js'
import * as snappy from 'snappyjs'
import { concatBytes } from './bytes.js'
import { ErrorCode, fail, ok, type Result } from './errors.js'

/** snappy-java's stream header: magic, then version 1 and "compatible since" 1. */
const XERIAL_MAGIC = Uint8Array.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_BYTES = 16
/** snappy-java's block size: output is framed in chunks of at most this many uncompressed bytes. */
const XERIAL_CHUNK_BYTES = 32 * 1024
/** zstd input fed per step, so output past the cap is noticed early. */
const ZSTD_CHUNK_BYTES = 16 * 1024

const corrupt = (codec: string, err: unknown): Result<never> => fail(ErrorCode.CORRUPT_MESSAGE, `invalid ${codec} data: ${(err as Error)?.message ?? String(err)}`)

const isXerial = (data: Uint8Array): boolean => data.length >= XERIAL_HEADER_BYTES && XERIAL_MAGIC.every((b, i) => data[i] === b)

export function snappyDecompress(data: Uint8Array, maxBytes: number): Result<Uint8Array> {
  try {
    if (!isXerial(data)) return snappyBlock(data, maxBytes)
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
    const chunks: Uint8Array[] = []
    let total = 0
    for (let at = XERIAL_HEADER_BYTES; at < data.length;) {
      if (at + 4 > data.length) return fail(ErrorCode.CORRUPT_MESSAGE, 'invalid snappy data: a chunk length is truncated')
      const n = view.getInt32(at)
      at += 4
      if (n < 0 || at + n > data.length) return fail(ErrorCode.CORRUPT_MESSAGE, `invalid snappy data: a chunk of ${n} bytes with ${data.length - at} left`)
      const chunk = snappyBlock(data.subarray(at, at + n), maxBytes - total)
      if (!chunk.ok) return chunk
      total += chunk.value.length
      chunks.push(chunk.value)
      at += n
    }
    return ok(concatBytes(chunks, total))
  } catch (err) {
    return corrupt('snappy', err)
  }
}

const SNAPPY_LENGTH_VARINT_BYTES_MAX = 5
const snappyCorrupt = (why: string): Result<never> => fail(ErrorCode.CORRUPT_MESSAGE, `invalid snappy data: ${why}`)

/**
 * One raw snappy block (the format's spec: a varint of the output length, then
 * literals and back-references). Every length and offset is checked against
 * the input left and the output written before it is used.
 */
export function snappyBlock(src: Uint8Array, maxBytes: number): Result<Uint8Array> {
  let length = 0
  let pos = 0
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || pos >= SNAPPY_LENGTH_VARINT_BYTES_MAX) return snappyCorrupt('bad length header')
    const b = src[pos++]!
    length += (b & 0x7f) * 2 ** shift
    if (b < 0x80) break
  }
  if (length > maxBytes) return snappyCorrupt(`the block expands to ${length} bytes, past ${maxBytes}`)
  const out = new Uint8Array(length)
  let o = 0
  while (pos < src.length) {
    const tag = src[pos++]!
    let len: number
    let offset = 0
    if ((tag & 3) === 0) {
      len = (tag >>> 2) + 1
      if (len > 60) {
        const extra = len - 60
        if (pos + extra > src.length) return snappyCorrupt('a literal length is truncated')
        len = 1
        for (let i = 0; i < extra; i++) len += src[pos + i]! * 2 ** (8 * i)
        pos += extra
      }
      if (pos + len > src.length || o + len > length) return snappyCorrupt('a literal runs past the block')
      out.set(src.subarray(pos, pos + len), o)
      pos += len
      o += len
      continue
    }
    const width = [0, 1, 2, 4][tag & 3]!
    if (pos + width > src.length) return snappyCorrupt('a copy is truncated')
    if (width === 1) {
      len = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | src[pos]!
    } else {
      len = (tag >>> 2) + 1
      for (let i = 0; i < width; i++) offset += src[pos + i]! * 2 ** (8 * i)
    }
    pos += width
    if (offset === 0 || offset > o || o + len > length) return snappyCorrupt('a copy reaches outside the output')
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset]!
  }
  return o === length ? ok(out) : snappyCorrupt(`the block holds ${o} of its ${length} bytes`)
}

/** snappy-java's framing, which every Kafka client reads. */
export function snappyCompress(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [XERIAL_MAGIC, Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 1])]
  for (let at = 0; at < data.length || at === 0; at += XERIAL_CHUNK_BYTES) {
    const block = snappy.compress(data.subarray(at, at + XERIAL_CHUNK_BYTES))
    const len = new Uint8Array(4)
    new DataView(len.buffer).setInt32(0, block.length)
    parts.push(len, block)
    if (data.length === 0) break
  }
  return concatBytes(parts)
}

const LZ4_MAGIC = 0x184d2204
const LZ4_FLAG_BLOCK_CHECKSUM = 0x10
const LZ4_FLAG_CONTENT_SIZE = 0x08
const LZ4_FLAG_CONTENT_CHECKSUM = 0x04
const LZ4_BLOCK_UNCOMPRESSED_BIT = 0x80000000

/**
 * Walks an LZ4 frame's structure (RFC-like spec: header, blocks to the end mark,
 * checksums) and says what is wrong with it: lz4js decodes a truncated frame
 * to a silently shorter output, so the frame must be whole before it runs.
 */
function lz4FrameProblem(data: Uint8Array): string | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  if (data.length < 7 || view.getUint32(0, true) !== LZ4_MAGIC) return 'not an LZ4 frame'
  const flags = data[4]!
  let at = 6 + (flags & LZ4_FLAG_CONTENT_SIZE ? 8 : 0) + 1
  for (;;) {
    if (at + 4 > data.length) return 'the frame is truncated'
    const size = (view.getUint32(at, true) & ~LZ4_BLOCK_UNCOMPRESSED_BIT) >>> 0
    at += 4
    if (size === 0) break
    at += size + (flags & LZ4_FLAG_BLOCK_CHECKSUM ? 4 : 0)
  }
  at += flags & LZ4_FLAG_CONTENT_CHECKSUM ? 4 : 0
  return at === data.length ? null : `the frame ends at byte ${at} of ${data.length}`
}

export function lz4Decompress(data: Uint8Array, maxBytes: number): Result<Uint8Array> {
  const problem = lz4FrameProblem(data)
  if (problem) return fail(ErrorCode.CORRUPT_MESSAGE, `invalid lz4 data: ${problem}`)
  try {
    const bound = lz4.decompressBound(data)
    if (bound > maxBytes) return fail(ErrorCode.CORRUPT_MESSAGE, `lz4 records may expand to ${bound} bytes, past ${maxBytes}`)
    return ok(Uint8Array.from(lz4.decompress(data, bound)))
  } catch (err) {
    return corrupt('lz4', err)
  }
}

export function lz4Compress(data: Uint8Array): Uint8Array {
  return Uint8Array.from(lz4.compress(data))
}

export function zstdDecompress(data: Uint8Array, maxBytes: number): Result<Uint8Array> {
  return inflateBounded('zstd', (ondata) => new ZstdDecompress(ondata), data, maxBytes, ZSTD_CHUNK_BYTES)
}

/** The streaming decoders' shape (fflate's Gunzip, fzstd's Decompress). */
interface PushStream { push(chunk: Uint8Array, final: boolean): void }

/**
 * Decode `data` through a streaming decoder fed `stepBytes` at a time, so output past
 * `maxBytes` stops the feeding: CORRUPT_MESSAGE, never an allocation of that size.
 */
export function inflateBounded(codec: string, open: (ondata: (chunk: Uint8Array, final?: boolean) => void) => PushStream, data: Uint8Array, maxBytes: number, stepBytes: number): Result<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  let ended = false
  const stream = open((chunk, final = false) => {
    total += chunk.length
    if (total <= maxBytes) chunks.push(chunk)
    if (final) ended = true
  })
  try {
    for (let i = 0; i < data.length && total <= maxBytes; i += stepBytes) {
      const end = Math.min(data.length, i + stepBytes)
      stream.push(data.subarray(i, end), end === data.length)
    }
  } catch (err) {
    return corrupt(codec, err)
  }
  if (total > maxBytes) return fail(ErrorCode.CORRUPT_MESSAGE, `${codec} records expand past ${maxBytes} bytes`)
  if (!ended) return fail(ErrorCode.CORRUPT_MESSAGE, `${codec} stream is truncated`)
  return ok(concatBytes(chunks, total))
}
