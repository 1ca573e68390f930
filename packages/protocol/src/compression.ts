/**
 * Record-set compression for RecordBatch v2 (attributes bits 0-2): gzip
 * (fflate), snappy, lz4 and zstd (compression-codecs.ts), all pure JavaScript
 * so the package stays browser-safe. zstd is read, not written. Decompression
 * is bounded: output past `maxBytes` is a CORRUPT_MESSAGE, never an
 * allocation; a codec number Kafka does not define is UNSUPPORTED_COMPRESSION_TYPE.
 */
import { Gunzip, gzipSync } from 'fflate'
import { inflateBounded, lz4Compress, lz4Decompress, snappyCompress, snappyDecompress, zstdDecompress } from './compression-codecs.js'
import { ErrorCode, fail, ok, type Result } from './errors.js'

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const
export type CompressionName = keyof typeof Compression
/** What a producer may write: every codec but zstd (read only). */
export type WritableCompression = 'none' | 'gzip' | 'snappy' | 'lz4'

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

/** The codecs a producer may write (zstd has no pure-JavaScript encoder we ship). */
export const WRITABLE_COMPRESSION: readonly WritableCompression[] = ['none', 'gzip', 'snappy', 'lz4']

export function compress(code: number, data: Uint8Array): Uint8Array {
  switch (code) {
    case Compression.none: return data
    case Compression.gzip: return gzipSync(data, { mtime: 0 })
    case Compression.snappy: return snappyCompress(data)
    case Compression.lz4: return lz4Compress(data)
    default: throw new RangeError(`writing compression ${compressionName(code)} is not supported (${WRITABLE_COMPRESSION.join(', ')} are; zstd is read only)`)
  }
}

/** Decompress the records section of a batch; output longer than maxBytes fails. */
export function decompress(code: number, data: Uint8Array, maxBytes = DECOMPRESSED_BYTES_MAX_DEFAULT): Result<Uint8Array> {
  switch (code) {
    case Compression.none: return ok(data)
    case Compression.gzip: return gunzipBounded(data, maxBytes)
    case Compression.snappy: return snappyDecompress(data, maxBytes)
    case Compression.lz4: return lz4Decompress(data, maxBytes)
    case Compression.zstd: return zstdDecompress(data, maxBytes)
    default: return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `compression codec ${code} does not exist (0-4 are none, gzip, snappy, lz4, zstd)`)
  }
}

function gunzipBounded(data: Uint8Array, maxBytes: number): Result<Uint8Array> {
  return inflateBounded('gzip', (ondata) => new Gunzip(ondata), data, maxBytes, INFLATE_CHUNK_BYTES)
}
