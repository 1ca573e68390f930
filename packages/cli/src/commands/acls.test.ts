import { PassThrough } from 'node:stream'
import type { AclBinding } from '@tributary/protocol'
import { main } from '../cli.js'
import type { Io } from '../io.js'
import type { Ctx } from '../runtime.js'
import { bindingsFrom, deleteCommand, filtersFrom, type AclPort } from './acls.js'

function ctx(): { ctx: Ctx; out: () => string } {
  const stdout = new PassThrough()
  let out = ''
  stdout.on('data', (c) => (out += c))
  const io: Io = { stdout, stderr: new PassThrough(), stdin: new PassThrough() }
  // Only what these commands use (newer Ctx fields they do not touch are left out).
  const c = { io, bootstrap: [], json: false, timeoutMs: 1000, signal: new AbortController().signal, defer: () => {}, setExitCode: () => {} } as unknown as Ctx
  return { ctx: c, out: () => out }
}

describe('tributary acls', () => {
  test('every principal × operation × resource named becomes one binding, with kafka-acls defaults', () => {
    const b = bindingsFrom({ allowPrincipal: ['User:alice'], denyPrincipal: ['User:*'], operation: ['Read', 'describe-configs'], topic: ['orders'], cluster: true })
    expect(b).toHaveLength(8)
    expect(b[0]).toEqual({ resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 })
    expect(b.filter((x) => x.permissionType === 2 && x.resourceType === 4 && x.resourceName === 'kafka-cluster')).toHaveLength(2)
    expect(bindingsFrom({ allowPrincipal: ['User:a'], operation: ['Write'], topic: ['ord'], resourcePatternType: 'prefixed', host: ['10.0.0.5'] })[0])
      .toMatchObject({ resourcePatternType: 4, host: '10.0.0.5', operation: 4 })
  })

  test('create refuses what it cannot make a binding of, naming the flag', () => {
    expect(() => bindingsFrom({ operation: ['Read'], topic: ['t'] })).toThrow(/--allow-principal or --deny-principal/)
    expect(() => bindingsFrom({ allowPrincipal: ['User:a'], operation: ['Read'] })).toThrow(/--topic, --group, --cluster/)
    expect(() => bindingsFrom({ allowPrincipal: ['User:a'], topic: ['t'] })).toThrow(/--operation/)
    expect(() => bindingsFrom({ allowPrincipal: ['User:a'], topic: ['t'], operation: ['Fly'] })).toThrow(/--operation Fly/)
    expect(() => bindingsFrom({ allowPrincipal: ['User:a'], topic: ['t'], operation: ['Read'], resourcePatternType: 'match' })).toThrow(/literal, prefixed/)
  })

  test('list/delete filters: anything left out matches anything; a named resource defaults to literal', () => {
    expect(filtersFrom({})).toEqual([{ resourceType: 1, resourceName: null, resourcePatternType: 1, principal: null, host: null, operation: 1, permissionType: 1 }])
    expect(filtersFrom({ principal: ['User:a'], topic: ['orders'] })).toEqual([{ resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:a', host: null, operation: 1, permissionType: 1 }])
    expect(filtersFrom({ group: ['g'], resourcePatternType: 'match' })[0]).toMatchObject({ resourceType: 3, resourcePatternType: 2 })
  })

  test('delete without --yes shows the matches and deletes nothing; with --yes it deletes', async () => {
    const stored: AclBinding = { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }
    const deletes: unknown[] = []
    const port: AclPort = {
      createAcls: async () => true,
      describeAcls: async () => ({ resources: [{ resourceType: 2, resourceName: 'orders', resourcePatternType: 3, acls: [{ principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] }] }),
      deleteAcls: async (args) => { deletes.push(args); return { filterResponses: [{ matchingAcls: [stored] }] } },
    }
    const dry = ctx()
    await deleteCommand({ topic: ['orders'] }, dry.ctx, port)
    expect(deletes).toHaveLength(0)
    expect(dry.out()).toMatch(/User:alice +\* +Allow +Read +Topic +LITERAL +orders/)
    expect(dry.out()).toMatch(/1 ACL binding match; run again with --yes to delete it/)
    const real = ctx()
    await deleteCommand({ topic: ['orders'], yes: true }, real.ctx, port)
    expect(deletes).toHaveLength(1)
    expect(real.out()).toMatch(/^deleted 1 ACL binding:/)
  })

  test('a usage mistake is exit 2 before anything connects', async () => {
    const stderr = new PassThrough()
    let err = ''
    stderr.on('data', (c) => (err += c))
    const code = await main(['acls', 'create', '--topic', 'orders', '--operation', 'Read', '--bootstrap', 'ws://127.0.0.1:1'], { stdout: new PassThrough(), stderr, stdin: new PassThrough() })
    expect(code).toBe(2)
    expect(err).toMatch(/^error: give --allow-principal or --deny-principal/)
  })
})
