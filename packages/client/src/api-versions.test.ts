import { afterEach, describe, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import { ApiVersionTable, commonVersion } from './api-versions.js'
import type { Tributary } from './tributary.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { fakeClient } from './testing/helpers.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

const answer = (ranges: Record<number, [number, number]>): Array<{ apiKey: number; minVersion: number; maxVersion: number }> =>
  Object.entries(ranges).map(([k, [minVersion, maxVersion]]) => ({ apiKey: Number(k), minVersion, maxVersion }))

describe('ApiVersions negotiation', () => {
  test('the highest version both sides support wins', () => {
    expect(commonVersion([0, 3], [1, 5])).toBe(3)
    expect(commonVersion([2, 7], [0, 4])).toBe(4)
    expect(commonVersion([0, 0], [0, 9])).toBe(0)
    expect(commonVersion([3, 5], [5, 8])).toBe(5)
    expect(commonVersion([0, 2], [3, 4])).toBeUndefined()
    expect(commonVersion([4, 6], [0, 3])).toBeUndefined()
  })

  test('per API: a newer broker is spoken to at the client maximum, an older one at its own', () => {
    const client = { [ApiKey.Produce]: [0, 9], [ApiKey.Fetch]: [4, 12], [ApiKey.Metadata]: [0, 1] } as const
    const table = new ApiVersionTable(answer({ [ApiKey.Produce]: [3, 11], [ApiKey.Fetch]: [0, 6], [ApiKey.Metadata]: [2, 3] }), client)
    expect(table.versionFor(ApiKey.Produce, 'ws://b')).toBe(9)
    expect(table.versionFor(ApiKey.Fetch, 'ws://b')).toBe(6)
    const err = (() => {
      try {
        table.versionFor(ApiKey.Metadata, 'ws://b')
      } catch (e) {
        return e
      }
    })()
    expect(err).toMatchObject({ code: ErrorCode.UNSUPPORTED_VERSION, retriable: false })
    expect((err as Error).message).toMatch(/share no version of Metadata \(api 3\): client supports v0-v1, broker v2-v3/)
    // An API the broker does not list at all, or the client does not know, has no version either.
    expect(() => table.versionFor(ApiKey.ListOffsets, 'ws://b')).toThrow(/client supports none, broker none/)
  })

  test('requests go out with the negotiated version when the broker supports more than the client', async () => {
    const fake = new FakeCluster(1)
    fake.apiVersions[ApiKey.Metadata] = [0, 7] // a newer broker: the client speaks only v0
    fake.createTopic('t', 1)
    client = fakeClient(fake)
    expect(await client.admin().listTopics()).toEqual(['t'])
    const metadata = fake.requests.filter((r) => r.apiKey === ApiKey.Metadata)
    expect(metadata.length).toBeGreaterThan(0)
    expect(metadata.every((r) => r.apiVersion === 0)).toBe(true)
  })

  test('no common version fails the request with UNSUPPORTED_VERSION (not retriable) and sends nothing', async () => {
    const fake = new FakeCluster(1)
    fake.apiVersions[ApiKey.DescribeQuorum] = [1, 2] // a broker that dropped v0
    client = fakeClient(fake)
    const err = await client.admin().describeQuorum().catch((e) => e)
    expect(err).toMatchObject({ code: ErrorCode.UNSUPPORTED_VERSION, retriable: false })
    expect(err.message).toMatch(/share no version of DescribeQuorum \(api 55\): client supports v0-v0, broker v1-v2/)
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.DescribeQuorum)).toHaveLength(0)
    // Other APIs on the same connection still work.
    await expect(client.admin().listTopics()).resolves.toEqual([])
  })
})
