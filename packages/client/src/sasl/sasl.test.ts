import { afterEach, expect, test } from '@jest/globals'
import { ApiKey, ErrorCode } from '@tributary/protocol'
import type { Tributary } from '../tributary.js'
import { FakeCluster, fakeUrl } from '../testing/fake-cluster.js'
import { fakeClient } from '../testing/helpers.js'
import type { SaslClientMechanism } from './index.js'

let client: Tributary | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

/** One message, then accepts whatever the server finishes with. */
function tokenMechanism(name: string, token: string): () => SaslClientMechanism {
  return () => ({
    name,
    start: async () => new TextEncoder().encode(token),
    step: async () => undefined,
  })
}

function saslCluster(): FakeCluster {
  const fake = new FakeCluster(2)
  fake.sasl = { mechanism: 'TEST', token: 'open sesame' }
  fake.createTopic('t', 2, { leaders: [1, 2] })
  return fake
}

test('every connection runs ApiVersions, SaslHandshake, SaslAuthenticate before anything else', async () => {
  const fake = saslCluster()
  client = fakeClient(fake, { saslMechanism: tokenMechanism('TEST', 'open sesame') })
  await client.admin().describeTopic('t') // reaches both nodes
  for (const node of [1, 2]) {
    const keys = fake.requests.filter((r) => r.nodeId === node).map((r) => r.apiKey)
    expect(keys.slice(0, 3)).toEqual([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate])
    expect(keys.length).toBeGreaterThan(3)
  }
})

test('bad credentials fail with SASL_AUTHENTICATION_FAILED, not retried as a network error', async () => {
  const fake = saslCluster()
  client = fakeClient(fake, { brokers: [fakeUrl(1)], saslMechanism: tokenMechanism('TEST', 'wrong') })
  const err = await client.admin().listTopics().catch((e) => e)
  expect(err).toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED, retriable: false })
  expect(err.message).toMatch(/invalid credentials/)
  expect(fake.requests.filter((r) => r.apiKey === ApiKey.Metadata)).toEqual([])
})

test('a mechanism the broker does not offer fails with UNSUPPORTED_SASL_MECHANISM naming what it offers', async () => {
  const fake = saslCluster()
  client = fakeClient(fake, { brokers: [fakeUrl(1)], saslMechanism: tokenMechanism('OTHER', 'open sesame') })
  const err = await client.admin().listTopics().catch((e) => e)
  expect(err).toMatchObject({ code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, retriable: false })
  expect(err.message).toMatch(/offers: TEST/)
})

test('a mechanism that rejects the server\'s final message fails the connection', async () => {
  const fake = saslCluster()
  const suspicious = (): SaslClientMechanism => ({
    name: 'TEST',
    start: async () => new TextEncoder().encode('open sesame'),
    step: async () => { throw new Error('server signature does not verify') },
  })
  client = fakeClient(fake, { brokers: [fakeUrl(1)], saslMechanism: suspicious })
  const err = await client.admin().listTopics().catch((e) => e)
  expect(err).toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED })
  expect(err.message).toMatch(/server signature does not verify/)
})

test('without a mechanism, a broker that requires SASL answers that it does', async () => {
  const fake = saslCluster()
  client = fakeClient(fake, { brokers: [fakeUrl(1)] })
  const err = await client.admin().listTopics().catch((e) => e)
  expect(err).toMatchObject({ code: ErrorCode.SASL_AUTHENTICATION_FAILED })
  expect(err.message).toMatch(/authenticate first/)
})
