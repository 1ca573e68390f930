import { javaStringHashCode, partitionForGroup } from './coordinator-hash.js'

describe('coordinator partition', () => {
  test("String.hashCode matches Java's", () => {
    // Values computed by the JVM: "".hashCode(), "a".hashCode(), "hello".hashCode(), ...
    expect(javaStringHashCode('')).toBe(0)
    expect(javaStringHashCode('a')).toBe(97)
    expect(javaStringHashCode('hello')).toBe(99162322)
    expect(javaStringHashCode('billing')).toBe(-109829509)
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648)
    expect(javaStringHashCode('é')).toBe(233) // UTF-16 code unit, not UTF-8 bytes
  })

  test('abs(hashCode) % N, with Integer.MIN_VALUE mapped to 0 like Kafka Utils.abs', () => {
    expect(partitionForGroup('hello', 16)).toBe(99162322 % 16)
    expect(partitionForGroup('billing', 50)).toBe(109829509 % 50)
    expect(partitionForGroup('polygenelubricants', 16)).toBe(0)
  })
})
