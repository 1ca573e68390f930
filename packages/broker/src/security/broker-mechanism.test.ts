import { BrokerClientMechanism, brokerMechanismProvider, clusterKey } from './broker-mechanism.js'
import type { SaslServerMechanism, SaslStep } from './sasl.js'

const enc = new TextEncoder()
const secret = enc.encode('0123456789abcdef0123456789abcdef')
const otherSecret = enc.encode('fedcba9876543210fedcba9876543210')
const conn = { remoteAddress: '127.0.0.1', tls: false }

function server(key: Uint8Array, nodeId: number): SaslServerMechanism {
  return brokerMechanismProvider(key, nodeId).create(conn)
}

/** Runs the exchange as the envelope does; returns the server's last step and whether the client accepted the server. */
async function exchange(client: BrokerClientMechanism, srv: SaslServerMechanism): Promise<{ server: SaslStep; clientError?: string; sent: Uint8Array[] }> {
  const sent: Uint8Array[] = []
  let message: Uint8Array | undefined = await client.start()
  for (;;) {
    sent.push(message)
    const step = await srv.step(message)
    if (step.kind === 'failed') return { server: step, sent }
    const challenge = step.kind === 'continue' ? step.challenge : step.finalMessage!
    try {
      message = await client.step(challenge)
    } catch (err) {
      return { server: step, clientError: (err as Error).message, sent }
    }
    if (message === undefined || step.kind === 'done') return { server: step, sent }
  }
}

test('the same secret authenticates both ways and names the client broker', async () => {
  const key = clusterKey(secret)
  const r = await exchange(new BrokerClientMechanism(key, 2, 1), server(key, 1))
  expect(r.clientError).toBeUndefined()
  expect(r.server).toMatchObject({ kind: 'done', session: { principal: 'Broker:2', brokerId: 2, authenticated: true, mechanism: 'TRIBUTARY-BROKER' } })
})

test('a client with a different secret is refused by the server', async () => {
  const r = await exchange(new BrokerClientMechanism(clusterKey(otherSecret), 2, 1), server(clusterKey(secret), 1))
  expect(r.server.kind).toBe('failed')
})

test('a server with a different secret cannot prove itself to the client', async () => {
  // The client's proof is checked with the server's key, so the server fails first; fake a server that
  // skips that check to see the client refuse a final message made with the wrong key.
  const key = clusterKey(secret)
  const wrong = server(clusterKey(otherSecret), 1)
  const client = new BrokerClientMechanism(key, 2, 1)
  const first = await wrong.step(await client.start())
  expect(first.kind).toBe('continue')
  await client.step((first as { challenge: Uint8Array }).challenge)
  const forged = enc.encode(JSON.stringify({ p: Buffer.alloc(32, 7).toString('base64') }))
  await expect(client.step(forged)).rejects.toThrow(/could not prove/)
})

test('a replayed transcript fails: the server nonce is new each time', async () => {
  const key = clusterKey(secret)
  const recorded = await exchange(new BrokerClientMechanism(key, 2, 1), server(key, 1))
  expect(recorded.server.kind).toBe('done')
  const srv = server(key, 1)
  expect((await srv.step(recorded.sent[0])).kind).toBe('continue')
  expect((await srv.step(recorded.sent[1])).kind).toBe('failed')
})

test('the claimed node id is bound to the proof: a proof made as node 2 does not pass as node 3', async () => {
  const key = clusterKey(secret)
  const client = new BrokerClientMechanism(key, 2, 1)
  const srv = server(key, 1)
  const first = JSON.parse(new TextDecoder().decode(await client.start()))
  const claimed = enc.encode(JSON.stringify({ ...first, n: 3 }))
  const challenge = await srv.step(claimed)
  expect(challenge.kind).toBe('continue')
  const proof = await client.step((challenge as { challenge: Uint8Array }).challenge)
  expect((await srv.step(proof!)).kind).toBe('failed')
})

test('a client reaching a node other than the one it meant refuses it', async () => {
  const key = clusterKey(secret)
  const r = await exchange(new BrokerClientMechanism(key, 2, 3), server(key, 1))
  expect(r.clientError).toMatch(/node 1 answered where node 3 was expected/)
})

test('malformed, oversized and self-claiming first messages fail without throwing', async () => {
  const key = clusterKey(secret)
  for (const bad of [new Uint8Array([0xff, 0xfe]), enc.encode('[]'), enc.encode('{"n":-1,"r":"AA=="}'), enc.encode('x'.repeat(5000))]) {
    expect((await server(key, 1).step(bad)).kind).toBe('failed')
  }
  const self = await new BrokerClientMechanism(key, 1, 1).start()
  expect(await server(key, 1).step(self)).toMatchObject({ kind: 'failed', reason: expect.stringMatching(/own id/) })
})

test('the secret never appears in any message', async () => {
  const key = clusterKey(secret)
  const r = await exchange(new BrokerClientMechanism(key, 2, 1), server(key, 1))
  const text = [...r.sent, (r.server as { finalMessage: Uint8Array }).finalMessage].map((b) => Buffer.from(b).toString('latin1')).join('\n')
  expect(text).not.toContain(Buffer.from(secret).toString('latin1'))
  expect(text).not.toContain(Buffer.from(secret).toString('base64'))
  expect(text).not.toContain(Buffer.from(key).toString('base64'))
})
