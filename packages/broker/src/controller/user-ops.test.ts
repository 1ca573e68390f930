import { ErrorCode } from '@tributary/protocol'
import { emptyImage } from '../metadata/metadata-image.js'
import { applyRecords } from '../metadata/metadata-delta.js'
import { saltedPassword, scramKeys } from '../security/scram-crypto.js'
import { bootstrapUserRecords } from '../security/bootstrap-users.js'
import { planAlterUsers } from './user-ops.js'
import { parseAlterUserScramCredentials } from './requests.js'

const up = (name: string, over: Record<string, unknown> = {}) => ({ name, mechanism: 1, iterations: 4096, salt: new Uint8Array(16).fill(1), saltedPassword: new Uint8Array(32).fill(2), ...over })
function plan(body: unknown, image = emptyImage()) {
  const req = parseAlterUserScramCredentials(body)
  if (!req.ok) throw new Error(req.message)
  return planAlterUsers(image, req.value)
}

describe('AlterUserScramCredentials planning', () => {
  test('an upsertion becomes a credential record with keys derived from the salted password, which is not kept', async () => {
    const salted = await saltedPassword('sha256', 'pw', new Uint8Array(16).fill(1), 4096)
    const p = plan({ upsertions: [up('alice', { saltedPassword: salted })], deletions: [] })
    expect(p.results).toEqual([{ user: 'alice', errorCode: ErrorCode.NONE, errorMessage: null }])
    expect(p.records).toEqual([{ type: 'UserScramCredential', version: 0, name: 'alice', mechanism: 'SCRAM-SHA-256', salt: new Uint8Array(16).fill(1), iterations: 4096, ...scramKeys('sha256', salted) }])
    expect(JSON.stringify(p.records)).not.toContain(JSON.stringify(Array.from(salted)).slice(1, -1))
  })

  test.each([
    ['an empty name', up(''), ErrorCode.UNACCEPTABLE_CREDENTIAL],
    ['an unknown mechanism', up('a', { mechanism: 9 }), ErrorCode.UNSUPPORTED_SASL_MECHANISM],
    ['too few iterations', up('a', { iterations: 4095 }), ErrorCode.UNACCEPTABLE_CREDENTIAL],
    ['too many iterations', up('a', { iterations: 16385 }), ErrorCode.UNACCEPTABLE_CREDENTIAL],
    ['an empty salt', up('a', { salt: new Uint8Array(0) }), ErrorCode.UNACCEPTABLE_CREDENTIAL],
    ['a salted password of the wrong length', up('a', { mechanism: 2 }), ErrorCode.UNACCEPTABLE_CREDENTIAL],
  ])('%s is refused with its code and nothing is written', (_what, op, code) => {
    const p = plan({ upsertions: [op], deletions: [] })
    expect(p.records).toEqual([])
    expect(p.results[0]!.errorCode).toBe(code)
  })

  test('a user named twice is refused (DUPLICATE_RESOURCE); others in the request still apply', () => {
    const p = plan({ upsertions: [up('a'), up('b')], deletions: [{ name: 'a', mechanism: 2 }] })
    expect(p.results).toEqual([
      { user: 'a', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: expect.any(String) },
      { user: 'b', errorCode: ErrorCode.NONE, errorMessage: null },
    ])
    expect(p.records.map((r) => (r as { name: string }).name)).toEqual(['b'])
  })

  test('deleting a credential that does not exist is RESOURCE_NOT_FOUND; an existing one is removed', () => {
    let image = emptyImage()
    image = applyRecords(image, plan({ upsertions: [up('a')] }).records, 1).image
    expect(plan({ deletions: [{ name: 'a', mechanism: 2 }] }, image).results[0]!.errorCode).toBe(ErrorCode.RESOURCE_NOT_FOUND)
    expect(plan({ deletions: [{ name: 'a', mechanism: 1 }] }, image).records).toEqual([{ type: 'RemoveUserScramCredential', version: 0, name: 'a', mechanism: 'SCRAM-SHA-256' }])
  })
})

describe('--bootstrap-scram-users', () => {
  test('lines become credentials; passwords may hold colons; comments and blanks are skipped', async () => {
    const records = await bootstrapUserRecords('# c\n\nadmin:scram-sha-256:a:b:c\nops:SCRAM-SHA-512:pw\n', 'f')
    expect(records.map((r) => [r.name, r.mechanism, r.iterations])).toEqual([['admin', 'SCRAM-SHA-256', 4096], ['ops', 'SCRAM-SHA-512', 4096]])
    const expected = scramKeys('sha256', await saltedPassword('sha256', 'a:b:c', records[0]!.salt, 4096))
    expect(records[0]!.storedKey).toEqual(expected.storedKey)
  })

  test.each([
    ['admin-only-a-name', /line 1: expected name:mechanism:password/],
    ['admin:md5:secret-pw', /line 1: the mechanism/],
    ['admin:scram-sha-256:', /line 1: the password is empty/],
    ['a:scram-sha-256:x\na:scram-sha-256:secret-pw', /line 2: a SCRAM-SHA-256 is listed twice/],
  ])('a bad file is refused naming the line, never the password: %j', async (content, why) => {
    const err = await bootstrapUserRecords(content, 'f').catch((e: Error) => e)
    expect((err as Error).message).toMatch(why)
    expect((err as Error).message).not.toContain('secret-pw')
  })
})
