/**
 * The streams a command talks to, passed in rather than reached for, so
 * handlers run in unit tests against buffers.
 */
import type { Readable, Writable } from 'node:stream'

export interface Io {
  stdout: Writable & { isTTY?: boolean; columns?: number }
  stderr: Writable & { isTTY?: boolean }
  stdin: Readable & { isTTY?: boolean }
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin })

export function println(io: Io, line = ''): void {
  io.stdout.write(line + '\n')
}

/** One JSON document per line: what `--json` prints. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(JSON.stringify(value, jsonReplacer) + '\n')
}

/** Epoch ms as ISO-8601 (UTC), what every --json timestamp is; null for an unknown time (<= 0). */
export function isoTime(ms: number | null | undefined): string | null {
  return typeof ms === 'number' && ms > 0 && Number.isFinite(ms) ? new Date(ms).toISOString() : null
}

/** Maps become objects, bigints numbers, byte arrays base64: JSON.stringify would lose or choke on each. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value)
  if (value instanceof Set) return [...value]
  if (typeof value === 'bigint') return Number(value)
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  // Buffer.toJSON runs before the replacer sees the value.
  const b = value as { type?: unknown; data?: unknown } | null
  if (b !== null && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data)) return Buffer.from(b.data as number[]).toString('base64')
  return value
}
