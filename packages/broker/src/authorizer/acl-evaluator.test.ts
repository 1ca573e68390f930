import fc from 'fast-check'
import type { AclBinding } from '@tributary/protocol'
import { AclIndex, evaluateAcls, normalizeHost, type AclAction, type AclRequestor, type EvaluatorOptions } from './acl-evaluator.js'

/**
 * The reference: Kafka's rules written again, as plainly as possible, over the
 * whole list of bindings (no index, no early exit).
 */
function reference(bindings: AclBinding[], who: AclRequestor, action: AclAction, opts: EvaluatorOptions): boolean {
  if (opts.superUsers.has(who.principal)) return true
  const appliesToResource = (b: AclBinding) =>
    b.resourceType === action.resourceType &&
    (b.resourcePatternType === 3 ? b.resourceName === action.resourceName || b.resourceName === '*' : action.resourceName.startsWith(b.resourceName))
  const onResource = bindings.filter(appliesToResource)
  if (onResource.length === 0) return opts.allowEveryoneIfNoAclFound
  const speaksFor = (b: AclBinding) => (b.principal === who.principal || b.principal === 'User:*') && (b.host === '*' || b.host === who.host)
  const names = ['', '', 'All', 'Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'ClusterAction', 'DescribeConfigs', 'AlterConfigs', 'IdempotentWrite']
  const asked = names[action.operation]
  const denies = onResource.filter((b) => speaksFor(b) && b.permissionType === 2 && (names[b.operation] === 'All' || names[b.operation] === asked))
  if (denies.length > 0) return false
  const grants = (op: string): string[] => {
    if (op === 'All') return names.slice(3)
    if (['Read', 'Write', 'Delete', 'Alter'].includes(op)) return [op, 'Describe']
    if (op === 'AlterConfigs') return [op, 'DescribeConfigs']
    return [op]
  }
  return onResource.some((b) => speaksFor(b) && b.permissionType === 3 && grants(names[b.operation]!).includes(asked!))
}

const NAMES = ['orders', 'ord', 'o', 'orders-eu', 'audit', 'a', 'kafka-cluster']
const binding: fc.Arbitrary<AclBinding> = fc.record({
  resourceType: fc.constantFrom(2, 3, 4, 5),
  resourceName: fc.constantFrom(...NAMES, '*'),
  resourcePatternType: fc.constantFrom(3, 4),
  principal: fc.constantFrom('User:alice', 'User:bob', 'User:*'),
  host: fc.constantFrom('*', '10.0.0.1', '10.0.0.2'),
  operation: fc.integer({ min: 2, max: 12 }),
  permissionType: fc.constantFrom(2, 3),
}).filter((b) => !(b.resourcePatternType === 4 && b.resourceName === '*')) as fc.Arbitrary<AclBinding>
const requestor: fc.Arbitrary<AclRequestor> = fc.record({
  principal: fc.constantFrom('User:alice', 'User:bob', 'User:carol'),
  host: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
})
const action = fc.record({
  resourceType: fc.constantFrom(2, 3, 4, 5),
  resourceName: fc.constantFrom(...NAMES),
  operation: fc.integer({ min: 3, max: 12 }),
}) as fc.Arbitrary<AclAction>
const options: fc.Arbitrary<EvaluatorOptions> = fc.record({
  superUsers: fc.subarray(['User:alice', 'User:carol'], { maxLength: 1 }).map((s) => new Set(s)),
  allowEveryoneIfNoAclFound: fc.boolean(),
})
const scenario = fc.tuple(fc.array(binding, { maxLength: 12 }), fc.array(fc.tuple(requestor, action), { minLength: 1, maxLength: 8 }), options)

/** Runs the property; returns the number of decisions compared. */
function checkAgainstReference(evaluate: typeof evaluateAcls, numRuns: number): number {
  let decisions = 0
  fc.assert(
    fc.property(scenario, ([bindings, asks, opts]) => {
      const index = new AclIndex(bindings)
      for (const [who, what] of asks) {
        decisions++
        if (evaluate(index, who, what, opts).allowed !== reference(bindings, who, what, opts)) return false
      }
      return true
    }),
    { numRuns, seed: 17 },
  )
  return decisions
}

describe('ACL evaluation (StandardAuthorizer rules)', () => {
  test('matches a reference evaluator on random bindings and requests (>= 10,000 cases)', () => {
    const decisions = checkAgainstReference(evaluateAcls, 10_000)
    expect(decisions).toBeGreaterThanOrEqual(10_000)
  })

  test('the property catches an evaluator that lets ALLOW win over DENY', () => {
    const allowWins: typeof evaluateAcls = (index, who, what, opts) => {
      const d = evaluateAcls(index, who, what, opts)
      if (d.reason !== 'deny-acl') return d
      const allows = index.applicable(what.resourceType, what.resourceName).some((b) => b.permissionType === 3 && (b.principal === who.principal || b.principal === 'User:*'))
      return { ...d, allowed: allows }
    }
    expect(() => checkAgainstReference(allowWins, 10_000)).toThrow(/Property failed/)
  })

  test('the property catches an evaluator where a DENY Read also denies Describe', () => {
    const denyImplies: typeof evaluateAcls = (index, who, what, opts) => {
      const d = evaluateAcls(index, who, what, opts)
      if (what.operation !== 8 || !d.allowed || d.reason === 'super-user') return d
      const deniedRead = index.applicable(what.resourceType, what.resourceName)
        .some((b) => b.permissionType === 2 && b.operation === 3 && (b.principal === who.principal || b.principal === 'User:*') && (b.host === '*' || b.host === who.host))
      return deniedRead ? { allowed: false, reason: 'deny-acl' } : d
    }
    expect(() => checkAgainstReference(denyImplies, 10_000)).toThrow(/Property failed/)
  })

  const acl = (over: Partial<AclBinding>): AclBinding => ({
    resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3, ...over,
  })
  const alice = { principal: 'User:alice', host: '10.0.0.1' }
  const strict = { superUsers: new Set<string>(), allowEveryoneIfNoAclFound: false }
  const decide = (bindings: AclBinding[], who: AclRequestor, resourceName: string, operation: number, resourceType = 2) =>
    evaluateAcls(new AclIndex(bindings), who, { resourceType, resourceName, operation: operation as AclAction['operation'] }, strict).allowed

  test('PREFIXED ord covers orders and not audit', () => {
    const b = [acl({ resourceName: 'ord', resourcePatternType: 4 })]
    expect(decide(b, alice, 'orders', 3)).toBe(true)
    expect(decide(b, alice, 'audit', 3)).toBe(false)
  })

  test('DENY beats ALLOW; Read implies Describe; a DENY Read does not deny Describe', () => {
    const b = [acl({}), acl({ permissionType: 2, principal: 'User:*' })]
    expect(decide(b, alice, 'orders', 3)).toBe(false)
    expect(decide(b, alice, 'orders', 8)).toBe(true)
    expect(decide([acl({})], alice, 'orders', 4)).toBe(false)
  })

  test('User:* and host rules; no ACL on the resource follows allowEveryoneIfNoAclFound', () => {
    const b = [acl({ principal: 'User:*', host: '10.0.0.1' })]
    expect(decide(b, { principal: 'User:bob', host: '10.0.0.1' }, 'orders', 3)).toBe(true)
    expect(decide(b, { principal: 'User:bob', host: '10.0.0.2' }, 'orders', 3)).toBe(false)
    expect(decide(b, alice, 'other', 3)).toBe(false)
    expect(evaluateAcls(new AclIndex(b), alice, { resourceType: 2, resourceName: 'other', operation: 3 }, { ...strict, allowEveryoneIfNoAclFound: true }).allowed).toBe(true)
  })

  test('IPv4-mapped client addresses compare as plain IPv4', () => {
    expect(normalizeHost('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(normalizeHost('::1')).toBe('::1')
  })
})
