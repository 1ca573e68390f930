/**
 * Record-set compression for RecordBatch v2 (attributes bits 0-2). Only gzip is
 * supported; it uses fflate so the package stays browser-safe. Decompression is
 * bounded: output past `maxBytes` is a CORRUPT_MESSAGE, never an allocation.
 */
import { Gunzip, gzipSync } from 'fflate'
import { ErrorCode, fail, ok, type Result } from './errors.js'

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const
export type CompressionName = keyof typeof Compression

/** Default cap on one batch's decompressed record bytes. */
export const DECOMPRESSED_BYTES_MAX_DEFAULT = 64 * 1024 * 1024
/**
 * Compressed bytes fed to the inflater per step. Deflate expands at most ~1032:1, so
 * one step can overshoot the cap by at most ~16 MiB before we notice and stop.
 */
const INFLATE_CHUNK_BYTES = 16 * 1024

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

export function compressionName(code: number): string {
  return NAMES[code] ?? `unknown(${code})`
}

export function compress(code: number, data: Uint8Array): Uint8Array {
  if (code === Compression.none) return data
  if (code === Compression.gzip) return gzipSync(data, { mtime: 0 })
  throw new RangeError(`compression ${compressionName(code)} is not supported (only none and gzip)`)
}

/** Decompress the records section of a batch; output longer than maxBytes fails. */
export function decompress(code: number, data: Uint8Array, maxBytes = DECOMPRESSED_BYTES_MAX_DEFAULT): Result<Uint8Array> {
  if (code === Compression.none) return ok(data)
  if (code !== Compression.gzip) {
    return fail(ErrorCode.CORRUPT_MESSAGE, `unsupported compression ${compressionName(code)} (only none and gzip)`)
  }
  return gunzipBounded(data, maxBytes)
}

function gunzipBounded(data: Uint8Array, maxBytes: number): Result<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  let ended = false
  const g = new Gunzip((chunk, final) => {
    total += chunk.length
    if (total <= maxBytes) chunks.push(chunk)
    if (final) ended = true
  })
  try {
    for (let i = 0; i < data.length && total <= maxBytes; i += INFLATE_CHUNK_BYTES) {
      const end = Math.min(data.length, i + INFLATE_CHUNK_BYTES)
      g.push(data.subarray(i, end), end === data.length)
    }
  } catch (err) {
    return fail(ErrorCode.CORRUPT_MESSAGE, `invalid gzip data: ${(err as Error).message}`)
  }
  if (total > maxBytes) return fail(ErrorCode.CORRUPT_MESSAGE, `gzip records expand past ${maxBytes} bytes`)
  if (!ended) return fail(ErrorCode.CORRUPT_MESSAGE, 'gzip stream is truncated')
  if (chunks.length === 1) return ok(chunks[0])
  const out = new Uint8Array(total)
  let pos = 0
  for (const c of chunks) {
    out.set(c, pos)
    pos += c.length
  }
  return ok(out)
}
