/**
 * A small schema checker for the CLI's --json output (no validator is a
 * dependency, and these shapes need little): exact object keys, integers,
 * ISO-8601 timestamps, camelCase keys everywhere. `check` returns every
 * mismatch with its path, so one run shows all that is wrong.
 */

export type Shape =
  | 'string' | 'integer' | 'number' | 'boolean' | 'null' | 'iso' | 'any'
  | { array: Shape }
  | { object: Record<string, Shape>; extra?: Shape }
  | { oneOf: Shape[] }

export const nullable = (s: Shape): Shape => ({ oneOf: [s, 'null'] })
export const arrayOf = (s: Shape): Shape => ({ array: s })
export const obj = (fields: Record<string, Shape>): Shape => ({ object: fields })
/** An object with any keys (camelCase still checked), each value of this shape. */
export const mapOf = (s: Shape): Shape => ({ object: {}, extra: s })

/** ISO-8601 in UTC as Date.toISOString writes it. */
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const CAMEL = /^[a-z][a-zA-Z0-9]*$/

/** Every way `value` differs from `shape`, as `path: problem` lines; empty when it matches. */
export function check(value: unknown, shape: Shape, path = '$'): string[] {
  if (typeof shape === 'string') return scalar(value, shape, path)
  if ('oneOf' in shape) {
    const tries = shape.oneOf.map((s) => check(value, s, path))
    return tries.some((t) => t.length === 0) ? [] : [`${path}: none of the alternatives match (${tries.map((t) => t[0]).join(' | ')})`]
  }
  if ('array' in shape) {
    if (!Array.isArray(value)) return [`${path}: expected an array, got ${JSON.stringify(value)}`]
    return value.flatMap((v, i) => check(v, shape.array, `${path}[${i}]`))
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object, got ${JSON.stringify(value)}`]
  const problems: string[] = []
  const record = value as Record<string, unknown>
  for (const [k, s] of Object.entries(shape.object)) {
    if (!(k in record)) problems.push(`${path}.${k}: missing`)
    else problems.push(...check(record[k], s, `${path}.${k}`))
  }
  for (const k of Object.keys(record)) {
    if (k in shape.object) continue
    if (shape.extra === undefined) problems.push(`${path}.${k}: unexpected key`)
    else problems.push(...check(record[k], shape.extra, `${path}.${k}`))
  }
  // Keys of a map are data (topic names, config names); declared keys are ours and must be camelCase.
  for (const k of Object.keys(shape.object)) if (!CAMEL.test(k)) problems.push(`${path}.${k}: not camelCase`)
  return problems
}

function scalar(v: unknown, shape: Exclude<Shape, object>, path: string): string[] {
  const ok =
    shape === 'any' ? true
    : shape === 'string' ? typeof v === 'string'
    : shape === 'integer' ? Number.isSafeInteger(v)
    : shape === 'number' ? typeof v === 'number' && Number.isFinite(v)
    : shape === 'boolean' ? typeof v === 'boolean'
    : shape === 'null' ? v === null
    : typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v))
  return ok ? [] : [`${path}: expected ${shape}, got ${JSON.stringify(v)}`]
}
