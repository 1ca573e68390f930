/**
 * The shape of our Kafka schema table: each message is a list of fields with the
 * versions they exist in, the versions they may be null in and, for tagged fields
 * (KIP-482), their tag. The table is data: `schema/*.json`, in apache/kafka's
 * message JSON keys (schema/README.md), carried into the package by the
 * generated `schema-table.generated.ts`; `fromSchemaFile` turns a file into
 * MessageSpecs, and one interpreter (`codec.ts`) reads them for every API and
 * version.
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

/** One field of a schema file: apache/kafka's message JSON keys (schema/README.md). */
export interface SchemaField {
  /** PascalCase, as in Kafka's files */
  name: string
  /** a primitive, `[]<primitive>`, or `struct` / `[]struct` with `fields` */
  type: string
  versions: string
  nullableVersions?: string
  tag?: number
  /** JSON's value; for a bytes field, "" is zero bytes */
  default?: unknown
  /** "none": a string that stays int16-length in flexible versions (the request header's ClientId) */
  flexibleVersions?: 'none'
  fields?: readonly SchemaField[]
}

/** One schema file: an API (apiKey, request and response) or a message of its own (fields). */
export interface SchemaFile {
  name: string
  apiKey?: number
  validVersions: string
  flexibleVersions: string
  fields?: readonly SchemaField[]
  request?: readonly SchemaField[]
  response?: readonly SchemaField[]
}

const PRIMITIVES: ReadonlySet<string> = new Set<Primitive>(['int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid'])

function fieldType(j: SchemaField): FieldType {
  if (j.fields) {
    const struct: FieldType = { struct: j.fields.map(fieldOf) }
    return j.type === '[]struct' ? { array: struct } : struct
  }
  const element = j.type.startsWith('[]') ? j.type.slice(2) : j.type
  if (!PRIMITIVES.has(element)) throw new Error(`schema field ${j.name}: unknown type '${j.type}'`)
  return element === j.type ? (element as Primitive) : { array: element as Primitive }
}

function fieldOf(j: SchemaField): Field {
  const type = fieldType(j)
  const bytesDefault = type === 'bytes' && j.default === ''
  return {
    // camelCase, as our decoded objects name fields
    name: j.name[0]!.toLowerCase() + j.name.slice(1),
    type,
    versions: versions(j.versions),
    nullable: j.nullableVersions !== undefined ? versions(j.nullableVersions) : null,
    tag: j.tag ?? null,
    default: bytesDefault ? new Uint8Array(0) : j.default !== undefined ? j.default : defaultOf(type),
    neverCompact: j.flexibleVersions === 'none',
  }
}

const messageOf = (name: string, apiKey: number, file: SchemaFile, fields: readonly SchemaField[]): MessageSpec =>
  ({ name, apiKey, versions: versions(file.validVersions), flexibleMin: versions(file.flexibleVersions).min, fields: fields.map(fieldOf) })

/** A schema file's messages: an API's `<Name>Request` and `<Name>Response`, or the file's one message. */
export function fromSchemaFile(file: SchemaFile): MessageSpec[] {
  if (file.apiKey === undefined) return [messageOf(file.name, -1, file, file.fields ?? [])]
  return [messageOf(`${file.name}Request`, file.apiKey, file, file.request ?? []), messageOf(`${file.name}Response`, file.apiKey, file, file.response ?? [])]
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
