import { acksNumber, parseAcks, parseBootstrap, parseBytes, parseDateTime, parseKeyValues, positiveInt, splitKeyValue } from './args.js'
import { UsageError } from './errors.js'

describe('parseKeyValues', () => {
  it('reads comma-separated and repeated pairs; values may hold =', () => {
    expect(parseKeyValues('config', ['retention.ms=1000,cleanup.policy=compact', 'x=a=b'])).toEqual({ 'retention.ms': '1000', 'cleanup.policy': 'compact', x: 'a=b' })
  })
  it('names the flag when a pair has no key', () => {
    expect(() => parseKeyValues('headers', '=v')).toThrow(new UsageError("--headers: '=v' is not key=value"))
    expect(() => parseKeyValues('headers', 'novalue')).toThrow(UsageError)
  })
  it('is empty for no flag', () => {
    expect(parseKeyValues('config', undefined)).toEqual({})
  })
})

describe('parseBootstrap', () => {
  it('normalises URLs and accepts bare host:port', () => {
    expect(parseBootstrap('ws://127.0.0.1:9092, localhost:9093')).toEqual(['ws://127.0.0.1:9092', 'ws://localhost:9093'])
  })
  it('refuses other schemes and missing ports', () => {
    expect(() => parseBootstrap('http://h:1')).toThrow(UsageError)
    expect(() => parseBootstrap('ws://h')).toThrow(/needs a port/)
    expect(() => parseBootstrap(' , ')).toThrow(UsageError)
  })
})

describe('flag values', () => {
  it('acks: 0, 1, all and -1', () => {
    expect(parseAcks('all')).toBe('all')
    expect(parseAcks('-1')).toBe('all')
    expect(parseAcks(1)).toBe(1)
    expect(acksNumber('all')).toBe(-1)
    expect(() => parseAcks('2')).toThrow("--acks: '2' is not one of 0, 1, all")
  })
  it('sizes with units', () => {
    expect(parseBytes('size', '100')).toBe(100)
    expect(parseBytes('size', '16k')).toBe(16384)
    expect(parseBytes('size', '1.5MiB')).toBe(1572864)
    expect(() => parseBytes('size', 'big')).toThrow(UsageError)
  })
  it('positive integers refuse NaN, fractions and zero', () => {
    expect(positiveInt('n', 3)).toBe(3)
    for (const bad of [NaN, 1.5, 0, -1]) expect(() => positiveInt('n', bad)).toThrow(UsageError)
  })
  it('date-times: ISO-8601 or epoch ms', () => {
    expect(parseDateTime('to-datetime', '2024-05-01T12:00:00Z')).toBe(Date.UTC(2024, 4, 1, 12))
    expect(parseDateTime('to-datetime', '1714564800000')).toBe(1714564800000)
    expect(() => parseDateTime('to-datetime', 'yesterday')).toThrow(UsageError)
  })
})

describe('splitKeyValue', () => {
  it('splits at the first separator only', () => {
    expect(splitKeyValue('k:v:w', ':')).toEqual({ key: 'k', value: 'v:w' })
  })
  it('a line without the separator, or no separator flag, has a null key', () => {
    expect(splitKeyValue('plain', ':')).toEqual({ key: null, value: 'plain' })
    expect(splitKeyValue('k:v', undefined)).toEqual({ key: null, value: 'k:v' })
  })
})
