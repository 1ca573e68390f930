import { decodeImage, diffImages, emptyImage, encodeImage, imageForInspection } from './metadata-image.js'
import { applyRecords } from './metadata-delta.js'
import { entryLogRecords } from './metadata-log.js'
import { encodeRecords, type UserScramCredentialRecord } from './records.js'
import { REDACTED } from './scram-image.js'

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)
const cred = (name: string, mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', fill = 1): UserScramCredentialRecord => ({
  type: 'UserScramCredential', version: 0, name, mechanism, salt: bytes(16, fill), iterations: 4096, storedKey: bytes(32, fill + 1), serverKey: bytes(32, fill + 2),
})

describe('SCRAM credentials in the metadata image', () => {
  test('credential records set and replace per (user, mechanism); removal drops only that mechanism', () => {
    let image = emptyImage()
    const applied = applyRecords(image, [cred('alice', 'SCRAM-SHA-256'), cred('alice', 'SCRAM-SHA-512'), cred('bob', 'SCRAM-SHA-256')], 1)
    image = applied.image
    const changes = applied.delta.changes
    expect(changes).toEqual([{ type: 'user', name: 'alice' }, { type: 'user', name: 'alice' }, { type: 'user', name: 'bob' }])
    const before = image.users.get('alice')!
    image = applyRecords(image, [cred('alice', 'SCRAM-SHA-256', 9)], 2).image
    expect(image.users.get('alice')!.get('SCRAM-SHA-256')!.salt).toEqual(bytes(16, 9))
    expect(before.get('SCRAM-SHA-256')!.salt).toEqual(bytes(16, 1)) // the earlier map was replaced, not mutated
    image = applyRecords(image, [{ type: 'RemoveUserScramCredential', version: 0, name: 'alice', mechanism: 'SCRAM-SHA-256' }], 3).image
    expect([...image.users.get('alice')!.keys()]).toEqual(['SCRAM-SHA-512'])
    image = applyRecords(image, [{ type: 'RemoveUserScramCredential', version: 0, name: 'alice', mechanism: 'SCRAM-SHA-512' }], 4).image
    expect(image.users.has('alice')).toBe(false)
  })

  test('malformed credential records and removals of nothing are skipped with no change', () => {
    let image = emptyImage()
    const applied = applyRecords(image, [
      { ...cred('x', 'SCRAM-SHA-256'), salt: 'nope' as never },
      { ...cred('', 'SCRAM-SHA-256') },
      { type: 'RemoveUserScramCredential', version: 0, name: 'ghost', mechanism: 'SCRAM-SHA-256' },
    ], 1)
    image = applied.image
    const changes = applied.delta.changes
    expect(changes).toEqual([])
    expect(image.users.size).toBe(0)
  })

  test('credentials survive a snapshot round trip, bytes and all', () => {
    let image = emptyImage()
    image = applyRecords(image, [cred('alice', 'SCRAM-SHA-256'), cred('bob', 'SCRAM-SHA-512', 5)], 1).image
    const back = decodeImage(encodeImage(image))
    expect(back.ok).toBe(true)
    if (!back.ok) return
    expect(back.value.users).toEqual(image.users)
    expect(diffImages(image, back.value).changes).toEqual([])
  })

  test('a snapshot without users (written before them) decodes to no users', () => {
    const image = emptyImage()
    const plain = decodeImage(encodeImage(image))
    expect(plain.ok && plain.value.users.size).toBe(0)
  })

  test('replacing the image by a snapshot reports changed and removed users', () => {
    let a = emptyImage()
    a = applyRecords(a, [cred('alice', 'SCRAM-SHA-256'), cred('bob', 'SCRAM-SHA-256')], 1).image
    let b = emptyImage()
    b = applyRecords(b, [cred('alice', 'SCRAM-SHA-256', 7)], 1).image
    expect(diffImages(a, b).changes).toEqual([{ type: 'user', name: 'alice' }, { type: 'user', name: 'bob' }])
  })

  test('inspection shows names, mechanisms and iterations, and no credential bytes', () => {
    let image = emptyImage()
    image = applyRecords(image, [cred('alice', 'SCRAM-SHA-512'), cred('alice', 'SCRAM-SHA-256')], 1).image
    const shown = imageForInspection(image)
    expect(shown.users).toEqual([{ name: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }])
    expect(JSON.stringify(shown)).not.toMatch(/salt|storedKey|serverKey/)
  })

  test('the metadata log shows credential records with their bytes redacted', () => {
    const rows = entryLogRecords({ index: 3, term: 1, type: 'normal', data: encodeRecords([cred('alice', 'SCRAM-SHA-256')]) })
    expect(rows).toEqual([{ index: 3, term: 1, type: 'UserScramCredential', record: { type: 'UserScramCredential', version: 0, name: 'alice', mechanism: 'SCRAM-SHA-256', iterations: 4096, salt: REDACTED, storedKey: REDACTED, serverKey: REDACTED } }])
  })
})
