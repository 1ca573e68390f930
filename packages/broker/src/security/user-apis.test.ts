import { ApiKey, ErrorCode } from '@tributary/protocol'
import type { RequestContext, Session } from '../seams.js'
import { authorizeUserAdmin, mayAlterUsers, type UserAdminPolicy } from './user-apis.js'

const user = (name: string, authenticated = true): Session => ({ principal: `User:${name}`, authenticated })
const broker: Session = { principal: 'Broker:2', brokerId: 2, authenticated: true }
const policy = (saslEnabled: boolean, session?: Session): UserAdminPolicy => ({ saslEnabled, superUsers: ['User:admin'], session: () => session })

describe('who may alter users (without the ACL authorizer)', () => {
  test('client SASL off: anyone (as Kafka without an authorizer)', () => {
    expect(mayAlterUsers(policy(false), undefined)).toBe(true)
  })

  test('client SASL on: super users and brokers only, and only once authenticated', () => {
    expect(mayAlterUsers(policy(true), user('admin'))).toBe(true)
    expect(mayAlterUsers(policy(true), broker)).toBe(true)
    expect(mayAlterUsers(policy(true), user('alice'))).toBe(false)
    expect(mayAlterUsers(policy(true), user('admin', false))).toBe(false)
    expect(mayAlterUsers(policy(true), undefined)).toBe(false)
  })

  test('with the ACL authorizer its guard (Alter on the cluster) has decided: the policy lets the request through', () => {
    expect(mayAlterUsers({ ...policy(true), aclAuthorizer: true }, user('alice'))).toBe(true)
  })

  test('a refusal answers every named user with CLUSTER_AUTHORIZATION_FAILED; other APIs pass through', () => {
    const guard = authorizeUserAdmin(policy(true, user('alice')))
    const ctx = {} as RequestContext
    const r = guard(ApiKey.AlterUserScramCredentials, { upsertions: [{ name: 'x' }, { name: 'y' }], deletions: [{ name: 'x' }] }, ctx)
    expect(r).toEqual({ errorCode: ErrorCode.NONE, body: { results: [
      { user: 'x', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: expect.stringContaining('User:alice may not alter users') },
      { user: 'y', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: expect.any(String) },
    ] } })
    expect(guard(ApiKey.CreateTopics, {}, ctx)).toBeUndefined()
    expect(authorizeUserAdmin(policy(true, user('admin')))(ApiKey.AlterUserScramCredentials, {}, ctx)).toBeUndefined()
  })
})
