#!/usr/bin/env node
/**
 * Writes packages/protocol/src/kafka/schema-table.generated.ts from the Kafka
 * schema table's JSON files (packages/protocol/src/kafka/schema/*.json, one per
 * API or standalone message), as part of `npm run build`. The JSON files are the
 * one table; the generated module carries them into the compiled package and the
 * browser bundle without loading files at run time. `--check` (npm run lint)
 * only says whether the generated module is current.
 *
 * Each file is checked on the way: its keys, its version ranges and its types, so
 * a typo fails the build here instead of a request at run time. `about` strings
 * are documentation and are left out of the module.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SCHEMA_DIR = join(ROOT, 'packages/protocol/src/kafka/schema')
const OUT = join(ROOT, 'packages/protocol/src/kafka/schema-table.generated.ts')

const PRIMITIVES = new Set(['int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid'])
const FILE_KEYS = new Set(['name', 'apiKey', 'validVersions', 'flexibleVersions', 'about', 'fields', 'request', 'response'])
const FIELD_KEYS = new Set(['name', 'type', 'versions', 'nullableVersions', 'tag', 'default', 'flexibleVersions', 'about', 'fields'])
const VERSIONS = /^(none|\d+\+|\d+(-\d+)?)$/

function checkVersions(where, v) {
  if (typeof v !== 'string' || !VERSIONS.test(v)) throw new Error(`${where}: bad version range ${JSON.stringify(v)}`)
}

function checkField(where, f) {
  for (const k of Object.keys(f)) if (!FIELD_KEYS.has(k)) throw new Error(`${where}: unknown key '${k}'`)
  if (typeof f.name !== 'string' || !/^[A-Z]\w*$/.test(f.name)) throw new Error(`${where}: a field needs a PascalCase name`)
  const at = `${where}.${f.name}`
  checkVersions(at, f.versions)
  if (f.nullableVersions !== undefined) checkVersions(at, f.nullableVersions)
  if (f.tag !== undefined && !Number.isInteger(f.tag)) throw new Error(`${at}: tag must be an integer`)
  if (f.flexibleVersions !== undefined && f.flexibleVersions !== 'none') throw new Error(`${at}: a field's flexibleVersions can only be "none"`)
  if (f.fields !== undefined) {
    if (f.type !== '[]struct' && f.type !== 'struct') throw new Error(`${at}: a field with fields is "struct" or "[]struct"`)
    checkFields(at, f.fields)
  } else if (!PRIMITIVES.has(f.type.replace(/^\[\]/, ''))) {
    throw new Error(`${at}: unknown type ${JSON.stringify(f.type)}`)
  }
}

function checkFields(where, fields) {
  if (!Array.isArray(fields)) throw new Error(`${where}: fields must be an array`)
  for (const f of fields) checkField(where, f)
}

/** A file as the module carries it: checked, without its `about` strings. */
function load(file) {
  const where = `schema/${file}`
  const json = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8'))
  for (const k of Object.keys(json)) if (!FILE_KEYS.has(k)) throw new Error(`${where}: unknown key '${k}'`)
  if (`${json.name}.json` !== file) throw new Error(`${where}: name must be the file's name`)
  checkVersions(where, json.validVersions)
  checkVersions(where, json.flexibleVersions)
  const isApi = json.apiKey !== undefined
  if (isApi) {
    if (!Number.isInteger(json.apiKey) || json.fields !== undefined) throw new Error(`${where}: an API has an integer apiKey, request and response`)
    checkFields(`${where} request`, json.request)
    checkFields(`${where} response`, json.response)
  } else {
    if (json.request !== undefined || json.response !== undefined) throw new Error(`${where}: a message without apiKey has fields only`)
    checkFields(where, json.fields)
  }
  return JSON.parse(JSON.stringify(json, (k, v) => (k === 'about' ? undefined : v)))
}

function generate() {
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json')).sort()
  const rows = files.map((f) => `  ${JSON.stringify(load(f))},`)
  return [
    '// generated — do not edit. scripts/kafka-schema.mjs writes this module from src/kafka/schema/*.json',
    '// (npm run build runs it, npm run lint checks it is current): edit the JSON files instead.',
    "import type { SchemaFile } from './schema.js'",
    '',
    'export const SCHEMA_FILES: readonly SchemaFile[] = [',
    ...rows,
    ']',
    '',
  ].join('\n')
}

function main() {
  const text = generate()
  let current = null
  try { current = readFileSync(OUT, 'utf8') } catch { /* not written yet */ }
  if (process.argv.includes('--check')) {
    if (current !== text) {
      console.error('kafka-schema: src/kafka/schema-table.generated.ts is not current: run node scripts/kafka-schema.mjs')
      process.exit(1)
    }
    return
  }
  // Unchanged content is not rewritten, so tsc -b sees nothing new.
  if (current !== text) writeFileSync(OUT, text)
}

try {
  main()
} catch (err) {
  console.error(`kafka-schema: ${err.message}`)
  process.exit(1)
}
