/**
 * Parsers for flag values that yargs leaves as strings. Each throws UsageError
 * naming the flag, so a bad value is one line and exit 2.
 */
import { UsageError } from './errors.js'

/** `a=1,b=2` or repeated `--config a=1 --config b=2` → { a: '1', b: '2' }. */
export function parseKeyValues(flag: string, values: string | string[] | undefined, sep = ','): Record<string, string> {
  const out: Record<string, string> = {}
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values]
  for (const v of list) {
    for (const part of String(v).split(sep)) {
      if (part.trim() === '') continue
      const eq = part.indexOf('=')
      if (eq <= 0) throw new UsageError(`--${flag}: '${part}' is not key=value`)
      out[part.slice(0, eq).trim()] = part.slice(eq + 1)
    }
  }
  return out
}

/** `ws://h1:9092,ws://h2:9092` (also plain host:port) → normalised ws:// URLs. */
export function parseBootstrap(value: string): string[] {
  const urls = String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (urls.length === 0) throw new UsageError('--bootstrap: give at least one ws://host:port')
  return urls.map((raw) => {
    const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `ws://${raw}`
    let u: URL
    try {
      u = new URL(withScheme)
    } catch {
      throw new UsageError(`--bootstrap: '${raw}' is not ws://host:port`)
    }
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new UsageError(`--bootstrap: '${raw}' must be ws:// or wss://`)
    if (!u.port) throw new UsageError(`--bootstrap: '${raw}' needs a port`)
    return `${u.protocol}//${u.host}`
  })
}

export type AcksFlag = 0 | 1 | 'all'

/** --acks 0|1|all|-1 */
export function parseAcks(value: unknown): AcksFlag {
  const s = String(value).toLowerCase()
  if (s === 'all' || s === '-1') return 'all'
  if (s === '0') return 0
  if (s === '1') return 1
  throw new UsageError(`--acks: '${String(value)}' is not one of 0, 1, all`)
}

/** Wire value of acks. */
export const acksNumber = (a: AcksFlag): 0 | 1 | -1 => (a === 'all' ? -1 : a)

/**
 * An integer flag in [min, max]. Number flags reach us as typed (yargs' 'number'
 * type would turn `abc` into NaN first), and every message states the rule and
 * echoes the value: `--partitions: 'abc' is not a positive integer`.
 */
export function intFlag(flag: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const s = String(value).trim()
  const n = /^[+-]?\d+$/.test(s) ? Number(s) : NaN
  const rule = min === 0 && max === Number.MAX_SAFE_INTEGER ? 'a non-negative integer'
    : min === 1 && max === Number.MAX_SAFE_INTEGER ? 'a positive integer'
    : max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}`
    : `an integer from ${min} to ${max}`
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${flag}: '${s}' is not ${rule}`)
  return n
}

export const nonNegativeInt = (flag: string, value: unknown): number => intFlag(flag, value, 0)

export const positiveInt = (flag: string, value: unknown): number => intFlag(flag, value, 1)

/**
 * --to-datetime: ISO-8601 (`2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.000`,
 * `2024-05-01`) or epoch milliseconds. Local time when no zone is given, as Kafka does.
 */
export function parseDateTime(flag: string, value: unknown): number {
  const s = String(value).trim()
  if (/^\d+$/.test(s)) return Number(s)
  const ms = Date.parse(s)
  if (Number.isNaN(ms)) throw new UsageError(`--${flag}: '${s}' is not an ISO-8601 date-time or epoch ms`)
  return ms
}

/** Bytes from `1024`, `16k`, `1m`, `1.5MiB`: for --size and friends. */
export function parseBytes(flag: string, value: unknown): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(String(value))
  if (!m) throw new UsageError(`--${flag}: '${String(value)}' is not a size (e.g. 100, 16k, 1m)`)
  const unit = (m[2] ?? 'b').toLowerCase()[0]!
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1
  const n = Math.round(Number(m[1]) * mult)
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag}: '${String(value)}' is too large`)
  return n
}

/** --partition must name one of the topic's partitions: the same message for produce and consume. */
export function checkPartition(topic: string, partitions: readonly number[], partition: number): void {
  if (partitions.includes(partition)) return
  throw new UsageError(`--partition: '${partition}' is not a partition of ${topic}, which has partitions 0..${partitions.length - 1}`)
}

/** Split one stdin line into key and value at the first separator; no separator → null key. */
export function splitKeyValue(line: string, separator: string | undefined): { key: string | null; value: string } {
  if (!separator) return { key: null, value: line }
  const i = line.indexOf(separator)
  if (i < 0) return { key: null, value: line }
  return { key: line.slice(0, i), value: line.slice(i + separator.length) }
}
