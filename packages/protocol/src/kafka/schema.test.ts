import { describe, expect, test } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConsumerProtocolAssignment, KAFKA_APIS, KafkaApiKey, RequestHeader } from './messages.js'
import { fromSchemaFile } from './schema.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..')

describe('the Kafka schema table (schema/*.json)', () => {
  test('KafkaApiKey names exactly the APIs of the table, by the same name', () => {
    expect(Object.fromEntries([...KAFKA_APIS.values()].map((a) => [a.name, a.apiKey]))).toEqual({ ...KafkaApiKey })
    for (const a of KAFKA_APIS.values()) {
      expect([a.request.name, a.response.name]).toEqual([`${a.name}Request`, `${a.name}Response`])
      expect(a.request.versions).toEqual(a.response.versions)
    }
    expect([...KAFKA_APIS.keys()]).toEqual([...KAFKA_APIS.keys()].sort((x, y) => x - y))
  })

  test('a file becomes MessageSpecs: camelCased names, version ranges, defaults, tags, never-compact strings', () => {
    const clientId = RequestHeader.fields.find((f) => f.name === 'clientId')!
    expect(clientId).toMatchObject({ type: 'string', versions: { min: 1, max: Infinity }, nullable: { min: 1, max: Infinity }, default: null, neverCompact: true })
    expect(ConsumerProtocolAssignment.flexibleMin).toBe(Infinity)
    const [request, response] = fromSchemaFile({
      name: 'Example', apiKey: 99, validVersions: '0-3', flexibleVersions: '2+',
      request: [{ name: 'Items', type: '[]struct', versions: '1+', fields: [{ name: 'Ids', type: '[]int32', versions: '1+' }] }],
      response: [
        { name: 'Blob', type: 'bytes', versions: '0+', default: '' },
        { name: 'Epoch', type: 'int32', versions: '2+', tag: 0, default: -1 },
      ],
    })
    expect(request).toMatchObject({ name: 'ExampleRequest', apiKey: 99, versions: { min: 0, max: 3 }, flexibleMin: 2 })
    expect(request!.fields[0]).toMatchObject({ name: 'items', type: { array: { struct: [{ name: 'ids', type: { array: 'int32' } }] } }, default: [] })
    expect(response!.fields[0]!.default).toEqual(new Uint8Array(0))
    expect(response!.fields[1]).toMatchObject({ name: 'epoch', tag: 0, default: -1, neverCompact: false })
  })

  test('a field of an unknown type or a bad version range is refused', () => {
    const file = (type: string, versions = '0+') => ({ name: 'Bad', validVersions: '0', flexibleVersions: 'none', fields: [{ name: 'F', type, versions }] })
    expect(() => fromSchemaFile(file('int33'))).toThrow(/unknown type 'int33'/)
    expect(() => fromSchemaFile(file('[]strin'))).toThrow(/unknown type/)
    expect(() => fromSchemaFile(file('int32', 'v1'))).toThrow(/bad version range/)
  })

  test('the generated module is current with the JSON files (scripts/kafka-schema.mjs --check)', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/kafka-schema.mjs'), '--check'], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })
})
