import { describe, expect, test } from '@jest/globals'
import { parsePrincipalMapping, type PrincipalMapper } from './principal-mapping.js'

function mapper(rules: string | null): PrincipalMapper {
  const r = parsePrincipalMapping(rules)
  if (!r.ok) throw new Error(r.message)
  return r.value
}

describe('--tls-principal-mapping (Kafka ssl.principal.mapping.rules)', () => {
  test('no rules is DEFAULT: the RFC 2253 subject itself', () => {
    expect(mapper(null).map('CN=alice,OU=eng,O=Acme')).toBe('CN=alice,OU=eng,O=Acme')
    expect(mapper('  ').map('CN=alice')).toBe('CN=alice')
    expect(mapper('DEFAULT').map('CN=alice')).toBe('CN=alice')
  })

  test("Kafka's documented example: groups, commas inside patterns, lower-casing, fall-through to DEFAULT", () => {
    const m = mapper('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT')
    expect(m.map('CN=kafka-svc,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown')).toBe('kafka-svc')
    expect(m.map('CN=Adam,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown')).toBe('adam@admin')
    expect(m.map('cn=Duke.Ellington,O=Music')).toBe('duke.ellington')
    expect(m.map('O=NoCommonName')).toBe('O=NoCommonName')
  })

  test('the first matching rule wins; U upper-cases', () => {
    const m = mapper('RULE:^CN=([^,]*),.*$/$1/U, RULE:^(.*)$/other/')
    expect(m.map('CN=bob,O=Acme')).toBe('BOB')
    expect(m.map('O=Acme')).toBe('other')
  })

  test('a pattern must match the whole subject, as Java matches()', () => {
    const m = mapper('RULE:CN=([a-z]+)/$1/')
    expect(m.map('CN=alice')).toBe('alice')
    expect(m.map('CN=alice,O=Acme')).toBeUndefined()
  })

  test('no rule matching gives no principal (DEFAULT is not implied once rules are given)', () => {
    expect(mapper('RULE:^CN=admin$/root/').map('CN=alice')).toBeUndefined()
  })

  test('escaped slashes and dollars: \\/ in a pattern and replacement, \\$ is a literal dollar', () => {
    const m = mapper('RULE:^CN=(.*)\\/(.*)$/$2\\/$1\\$/')
    expect(m.map('CN=team/alice')).toBe('alice/team$')
  })

  test.each([
    ['RULE:^CN=(.*)$', 'is not RULE:pattern/replacement/[LU]'],
    ['RULE:^CN=(.*)$/$1', 'is not RULE:pattern/replacement/[LU]'],
    ['RULE:^CN=(.*)$/$1/X', "unexpected 'X'"],
    ['RULE:^CN=((.*)$/$1/', 'bad pattern'],
    ['DEFAULT,', 'must not end with a comma'],
    ['DEFAULTS', "unexpected 'S'"],
    ['CN=alice', 'neither DEFAULT nor RULE'],
  ])('%s is refused with a clear error', (rules, message) => {
    const r = parsePrincipalMapping(rules)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toContain(message)
  })
})
