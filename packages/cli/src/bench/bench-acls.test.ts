import { aclBindingProblem, AclPermissionTypes as Perm, ResourcePatternTypes as Pattern } from '@tributary/protocol'
import { ACL_BENCH_TOPICS, aclComparison, benchAcls, benchUserAcls } from './bench-acls.js'

const key = (b: object) => JSON.stringify(b)

test('benchAcls makes exactly N valid, distinct bindings, the bench user\'s own first', () => {
  for (const n of [6, 100, 1000]) {
    const acls = benchAcls('bench', n)
    expect(acls).toHaveLength(n)
    expect(new Set(acls.map(key)).size).toBe(n)
    expect(acls.filter((b) => aclBindingProblem(b) !== undefined)).toEqual([])
  }
  const own = benchUserAcls('bench')
  expect(benchAcls('bench', 1000).slice(0, own.length)).toEqual(own)
})

test('the filler has other principals\' PREFIXED patterns over the bench topics (evaluated, deciding nothing for the bench) and denies only for others', () => {
  const acls = benchAcls('bench', 1000)
  const covering = acls.filter((b) => b.resourcePatternType === Pattern.PREFIXED && ACL_BENCH_TOPICS.some((t) => t.startsWith(b.resourceName)))
  expect(covering.length).toBeGreaterThan(10)
  expect(covering.every((b) => b.principal !== 'User:bench')).toBe(true)
  expect(acls.filter((b) => b.permissionType === Perm.DENY).every((b) => b.principal !== 'User:bench')).toBe(true)
  expect(acls.filter((b) => b.principal === 'User:bench').length).toBeGreaterThan(benchUserAcls('bench').length)
})

test('aclComparison: the ACL run against the run without, 95 % to meet the target', () => {
  const row = (recordsPerSec: number) => ({ name: 'x', target: '', measured: '', met: true, recordsPerSec })
  expect(aclComparison('consume', row(1000), row(960), 1000)).toMatchObject({ name: 'consume: 1000 ACLs / none', met: true, details: { ratio: 0.96 } })
  expect(aclComparison('consume', row(1000), row(940), 1000)).toMatchObject({ met: false, details: { ratio: 0.94 } })
})
