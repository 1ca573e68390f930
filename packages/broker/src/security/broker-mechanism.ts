/**
 * TRIBUTARY-BROKER: how one broker proves to another that both hold the
 * cluster secret, without sending it. A mutual challenge-response over fresh
 * nonces from both sides, bound to both node ids:
 *
 *   client → server  { n: clientNodeId, r: clientNonce }
 *   server → client  { n: serverNodeId, r: serverNonce }
 *   client → server  { p: HMAC(K, "client" | transcript) }     server checks it
 *   server → client  { p: HMAC(K, "server" | transcript) }     client checks it
 *
 *   K = HMAC-SHA256(secret, "tributary cluster key v1")
 *   transcript = clientNodeId | serverNodeId | clientNonce | serverNonce
 *
 * A recorded exchange is worth nothing later: the other side's nonce is new
 * each time. A proof made for node 2 does not pass for node 3 (the ids are in
 * the transcript). The server proves itself only after the client did, so an
 * anonymous caller cannot use a broker as an oracle for server proofs. Every
 * holder of the secret is trusted as a broker; which broker id it claims is
 * bound by the proof but not otherwise verified (one secret per cluster, as
 * with Kafka's shared inter-broker credentials).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { SaslClientMechanism } from '@tributary/protocol'
import type { SaslMechanismProvider, SaslServerMechanism, SaslStep } from './sasl.js'
import { brokerSession } from './session.js'

export const BROKER_MECHANISM = 'TRIBUTARY-BROKER'
/** 256-bit nonces: never repeat in practice. Crypto randomness, not the Random seam: these must be unpredictable. */
export const BROKER_NONCE_BYTES = 32
/** A message of this mechanism is a few hundred bytes; anything longer is not one. */
const MESSAGE_BYTES_MAX = 1024

/** The key both sides derive from the secret; the secret itself is used for nothing else. */
export function clusterKey(secret: Uint8Array): Uint8Array {
  return createHmac('sha256', secret).update('tributary cluster key v1').digest()
}

function proof(key: Uint8Array, label: 'client' | 'server', clientId: number, serverId: number, clientNonce: Uint8Array, serverNonce: Uint8Array): Buffer {
  return createHmac('sha256', key)
    .update(`${BROKER_MECHANISM} v1 ${label} ${clientId} ${serverId} `)
    .update(clientNonce)
    .update(serverNonce)
    .digest()
}

const encode = (value: Record<string, string | number>): Uint8Array => new TextEncoder().encode(JSON.stringify(value))

/** The message's fields, or undefined when it is not a JSON object of the right shape. */
function decode(bytes: Uint8Array): Record<string, unknown> | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength > MESSAGE_BYTES_MAX) return undefined
  try {
    const v: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const isNodeId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= 2 ** 31 - 1

function nonceOf(v: unknown): Buffer | undefined {
  if (typeof v !== 'string') return undefined
  const b = Buffer.from(v, 'base64')
  return b.byteLength === BROKER_NONCE_BYTES ? b : undefined
}

function sameProof(expected: Buffer, given: unknown): boolean {
  if (typeof given !== 'string') return false
  const b = Buffer.from(given, 'base64')
  return b.byteLength === expected.byteLength && timingSafeEqual(b, expected)
}

/** The server side, for the node `nodeId` holding `key` (from clusterKey). */
export function brokerMechanismProvider(key: Uint8Array, nodeId: number): SaslMechanismProvider {
  return { name: BROKER_MECHANISM, create: () => new BrokerServerExchange(key, nodeId) }
}

class BrokerServerExchange implements SaslServerMechanism {
  private clientId = 0
  private clientNonce: Buffer | undefined
  private serverNonce: Buffer | undefined
  private finished = false

  constructor(private readonly key: Uint8Array, private readonly nodeId: number) {}

  async step(message: Uint8Array): Promise<SaslStep> {
    if (this.finished) return { kind: 'failed', reason: 'message after the exchange ended' }
    const m = decode(message)
    if (!m) return this.fail('not a TRIBUTARY-BROKER message')
    if (this.clientNonce === undefined) return this.first(m)
    return this.final(m)
  }

  private first(m: Record<string, unknown>): SaslStep {
    const nonce = nonceOf(m.r)
    if (!isNodeId(m.n) || !nonce) return this.fail('malformed first message')
    if (m.n === this.nodeId) return this.fail(`the peer claims this node's own id ${m.n}`)
    this.clientId = m.n
    this.clientNonce = nonce
    this.serverNonce = randomBytes(BROKER_NONCE_BYTES)
    return { kind: 'continue', challenge: encode({ n: this.nodeId, r: this.serverNonce.toString('base64') }) }
  }

  private final(m: Record<string, unknown>): SaslStep {
    this.finished = true
    const expected = proof(this.key, 'client', this.clientId, this.nodeId, this.clientNonce!, this.serverNonce!)
    if (!sameProof(expected, m.p)) return { kind: 'failed', reason: `node ${this.clientId}'s proof does not verify (a different cluster secret?)` }
    const serverProof = proof(this.key, 'server', this.clientId, this.nodeId, this.clientNonce!, this.serverNonce!)
    return { kind: 'done', session: brokerSession(this.clientId, BROKER_MECHANISM), finalMessage: encode({ p: serverProof.toString('base64') }) }
  }

  private fail(reason: string): SaslStep {
    this.finished = true
    return { kind: 'failed', reason }
  }
}

/**
 * The client side, for node `nodeId` connecting to `expectedServerId` (the
 * peer it meant to reach: a different node answering on that address fails).
 */
export class BrokerClientMechanism implements SaslClientMechanism {
  readonly name = BROKER_MECHANISM
  private readonly clientNonce = randomBytes(BROKER_NONCE_BYTES)
  private serverId = 0
  private serverNonce: Buffer | undefined
  private done = false

  constructor(private readonly key: Uint8Array, private readonly nodeId: number, private readonly expectedServerId?: number) {}

  async start(): Promise<Uint8Array> {
    return encode({ n: this.nodeId, r: this.clientNonce.toString('base64') })
  }

  async step(challenge: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.done) throw new Error('challenge after the exchange ended')
    const m = decode(challenge)
    if (this.serverNonce === undefined) {
      const nonce = nonceOf(m?.r)
      if (!m || !isNodeId(m.n) || !nonce) throw new Error('malformed server challenge')
      if (this.expectedServerId !== undefined && m.n !== this.expectedServerId) throw new Error(`node ${m.n} answered where node ${this.expectedServerId} was expected`)
      this.serverId = m.n
      this.serverNonce = nonce
      return encode({ p: proof(this.key, 'client', this.nodeId, this.serverId, this.clientNonce, nonce).toString('base64') })
    }
    this.done = true
    const expected = proof(this.key, 'server', this.nodeId, this.serverId, this.clientNonce, this.serverNonce)
    if (!sameProof(expected, m?.p)) throw new Error(`node ${this.serverId} could not prove it holds the cluster secret`)
    return undefined
  }
}
