/**
 * The shape of our Kafka schema table: each message is a list of fields with the
 * versions they exist in, the versions they may be null in and, for tagged fields
 * (KIP-482), their tag. Written compactly (`field('Name', 'int32', '3+')`) and
 * read by one interpreter (`codec.ts`) for every API and version.
 */

export type Primitive = 'int8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'float64' | 'bool' | 'string' | 'bytes' | 'records' | 'uuid'

/** A field's type: a primitive, an array of one, or a struct (its own fields). */
export type FieldType = Primitive | { array: FieldType } | { struct: Field[] }

/** Inclusive version range; max is Infinity for `N+`. */
export interface VersionRange { min: number; max: number }

export interface Field {
  /** camelCase, as in our decoded objects (Kafka's names with a lower-case first letter) */
  name: string
  type: FieldType
  versions: VersionRange
  nullable: VersionRange | null
  /** set for tagged fields: written only in flexible versions, inside the tag buffer */
  tag: number | null
  /** the value when the field is absent in a version or tag buffer */
  default: unknown
  /** the request header's ClientId: an int16-length string even in flexible versions */
  neverCompact: boolean
}

export interface MessageSpec {
  name: string
  apiKey: number
  /** versions we serve */
  versions: VersionRange
  /** first flexible version (Infinity: never flexible) */
  flexibleMin: number
  fields: Field[]
}

export const NONE: VersionRange = { min: Infinity, max: -Infinity }

/** '3+', '0-8', '5', 'none' → a range. */
export function versions(spec: string): VersionRange {
  if (spec === 'none') return NONE
  const plus = /^(\d+)\+$/.exec(spec)
  if (plus) return { min: Number(plus[1]), max: Infinity }
  const range = /^(\d+)(?:-(\d+))?$/.exec(spec)
  if (!range) throw new Error(`bad version range '${spec}'`)
  return { min: Number(range[1]), max: Number(range[2] ?? range[1]) }
}

export const inRange = (r: VersionRange | null, v: number): boolean => r !== null && v >= r.min && v <= r.max

export interface FieldOptions {
  nullable?: string
  tag?: number
  default?: unknown
  neverCompact?: boolean
}

/** A field; `type` is a primitive, `[]int32`-style, or fields for a struct / `array(...)`. */
export function field(name: string, type: FieldType | `[]${Primitive}`, vers: string, opts: FieldOptions = {}): Field {
  const t: FieldType = typeof type === 'string' && type.startsWith('[]') ? { array: type.slice(2) as Primitive } : (type as FieldType)
  return {
    name: name[0]!.toLowerCase() + name.slice(1),
    type: t,
    versions: versions(vers),
    nullable: opts.nullable ? versions(opts.nullable) : null,
    tag: opts.tag ?? null,
    default: opts.default !== undefined ? opts.default : defaultOf(t),
    neverCompact: opts.neverCompact ?? false,
  }
}

/** Options of a field nullable from v0 and null by default (Kafka's `"nullableVersions": "0+"`). */
export const NULLABLE: FieldOptions = { nullable: '0+', default: null }

/** The error pair many answers carry from v0: ErrorCode, then a nullable ErrorMessage. */
export const errorFields = (): Field[] => [field('ErrorCode', 'int16', '0+'), field('ErrorMessage', 'string', '0+', NULLABLE)]

/** A config or ACL resource from v0: its type, then its name. */
export const resourceFields = (): Field[] => [field('ResourceType', 'int8', '0+'), field('ResourceName', 'string', '0+')]

/** An array of structs. */
export const array = (fields: Field[]): FieldType => ({ array: { struct: fields } })
export const struct = (fields: Field[]): FieldType => ({ struct: fields })

export function message(name: string, apiKey: number, vers: string, flexible: string, fields: Field[]): MessageSpec {
  return { name, apiKey, versions: versions(vers), flexibleMin: versions(flexible).min, fields }
}

function defaultOf(t: FieldType): unknown {
  if (typeof t !== 'string') return 'array' in t ? [] : null
  switch (t) {
    case 'bool': return false
    case 'string': return ''
    case 'bytes': case 'records': return null
    case 'uuid': return 'AAAAAAAAAAAAAAAAAAAAAA'
    default: return 0
  }
}
