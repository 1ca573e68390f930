/**
 * Field readers for untrusted msgpack request bodies, shared by the data plane's
 * (replication/request-parsing.ts) and the controller's (controller/requests.ts)
 * parse functions. A reader throws `BadField` naming the field; `parseBody` turns
 * that into INVALID_REQUEST, so a parse function reads as the shape it accepts.
 */
import { ErrorCode, fail, isInt, ok, type Result } from '@tributary/protocol'

export type Fields = Record<string, unknown>

export const isObj = (v: unknown): v is Fields => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)

/** A field of the wrong shape; the message names it. */
export class BadField extends Error {}

export const bad = (message: string): never => {
  throw new BadField(message)
}

/** An integer field >= min; absent (or null) is `dflt`, or an error when there is none. */
export function int(o: Fields, field: string, min = Number.MIN_SAFE_INTEGER, dflt?: number): number {
  const v = o[field]
  if (v === undefined || v === null) {
    if (dflt !== undefined) return dflt
    bad(`${field} is required`)
  }
  if (!isInt(v)) bad(`${field} must be an integer`)
  if ((v as number) < min) bad(`${field} must be >= ${min}`)
  return v as number
}

/** A string field (any length; what a name may be is the handler's question). */
export function text(o: Fields, field: string): string {
  const v = o[field]
  if (typeof v !== 'string') bad(`${field} must be a string`)
  return v as string
}

/** An optional boolean: absent is false. */
export function flag(o: Fields, field: string): boolean {
  const v = o[field]
  if (v === undefined || v === null) return false
  if (typeof v !== 'boolean') bad(`${field} must be true or false`)
  return v as boolean
}

/** An array field of at most `max` items, each read by `item` (absent is `dflt`, or an error). */
export function list<T>(o: Fields, field: string, max: number, item: (v: unknown, i: number) => T, dflt?: T[]): T[] {
  const v = o[field]
  if ((v === undefined || v === null) && dflt !== undefined) return dflt
  if (!Array.isArray(v)) bad(`${field} must be an array`)
  if ((v as unknown[]).length > max) bad(`${field} must have at most ${max} items`)
  return (v as unknown[]).map(item)
}

/** One item of an array that must be a map. */
export function map(v: unknown, what: string): Fields {
  if (!isObj(v)) bad(`each ${what} must be a map`)
  return v as Fields
}

/** An array of integers (broker ids, partition numbers) of at most `max` items. */
export function ints(o: Fields, field: string, max: number): number[] {
  return list(o, field, max, (v) => (isInt(v) ? v : bad(`${field} must hold integers`)))
}

/** Read a body with `fn`; a body that is not a map, or a bad field, is INVALID_REQUEST. */
export function parseBody<T>(body: unknown, fn: (b: Fields) => T): Result<T> {
  if (!isObj(body)) return fail(ErrorCode.INVALID_REQUEST, 'body must be a map')
  try {
    return ok(fn(body))
  } catch (err) {
    if (err instanceof BadField) return fail(ErrorCode.INVALID_REQUEST, err.message)
    throw err
  }
}
