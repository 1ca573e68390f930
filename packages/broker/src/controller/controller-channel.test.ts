/**
 * Requests for the controller that reach another node: a client's request is
 * forwarded to the controller (once, marked forwardedBy); a forwarded request
 * that reaches a node which is not the controller is answered NOT_CONTROLLER
 * with the controller id it knows, so nothing bounces between nodes. The same
 * for the quorum APIs whose truth lives on the Raft leader (DescribeQuorum).
 */
import { ApiKey, ErrorCode, packValue, TributaryError, unpackValue, type RpcResponse } from '@tributary/protocol'
import type { Controller } from './controller.js'
import { registerQuorumApis } from '../quorum/quorum-handlers.js'
import type { HandlerResult, PeerClients, RequestHandler } from '../seams.js'
import { controllerHarness } from '../testing/controller-harness.js'
import { QuorumHarness } from '../testing/quorum-harness.js'
import { ControllerRouter, registerControllerApis } from './controller-channel.js'
import { anonymousSession } from '../security/session.js'

type Registry = Map<number, RequestHandler>
const ctx = { connectionId: 1, remoteAddress: 'test', apiKey: 0, apiVersion: 0, correlationId: 1, signal: new AbortController().signal, session: anonymousSession(), tls: false, clusterAccess: true }

/** Call a node's handler as the wire would: msgpack both ways. */
async function call(registry: Registry, apiKey: number, body: unknown): Promise<{ errorCode: number; body: any }> {
  const decoded = unpackValue(packValue(body))
  if (!decoded.ok) throw new Error(decoded.message)
  const r = (await registry.get(apiKey)!(decoded.value, { ...ctx, apiKey })) as NonNullable<HandlerResult>
  const back = unpackValue(packValue(r.body))
  if (!back.ok) throw new Error(back.message)
  return { errorCode: r.errorCode, body: back.value }
}

/** PeerClients over in-process registries; `seen` records every forwarded body. */
function peersOver(nodes: Map<number, Registry>, seen: Array<{ to: number; apiKey: number; body: any }>): PeerClients {
  return {
    async request<B>(to: number, apiKey: number, body: unknown): Promise<RpcResponse<B>> {
      const target = nodes.get(to)
      if (!target) throw new TributaryError(ErrorCode.NETWORK_EXCEPTION, `node ${to} is down`)
      seen.push({ to, apiKey, body })
      return (await call(target, apiKey, body)) as RpcResponse<B>
    },
    send() {},
  }
}

describe('controller requests on a node that is not the controller', () => {
  const CONTROLLER = 1
  const OTHER = 2
  const nodes = new Map<number, Registry>()
  const seen: Array<{ to: number; apiKey: number; body: any }> = []
  const active = controllerHarness()
  const inactive = controllerHarness()
  let leaderKnownToOther = CONTROLLER

  beforeAll(async () => {
    const peers = peersOver(nodes, seen)
    const wire = (nodeId: number, h: ReturnType<typeof controllerHarness>, leaderId: () => number): Registry => {
      const registry: Registry = new Map()
      const router = new ControllerRouter({ nodeId, clock: h.clock, controller: h.controller, peers, leaderId, voters: [1, 2, 3] })
      registerControllerApis({ register: (k, fn) => void registry.set(k, fn) }, { controller: h.controller, router, leaderId, defaultTimeoutMs: 1000 })
      return registry
    }
    nodes.set(CONTROLLER, wire(CONTROLLER, active, () => CONTROLLER))
    nodes.set(OTHER, wire(OTHER, inactive, () => leaderKnownToOther))
    active.controller.activate()
    const reg = await call(nodes.get(CONTROLLER)!, ApiKey.BrokerRegistration, { nodeId: 1, endpoint: 'ws://h1:9092', incarnationId: 'inc-1' })
    await call(nodes.get(CONTROLLER)!, ApiKey.BrokerHeartbeat, {
      nodeId: 1, brokerEpoch: reg.body.brokerEpoch, currentMetadataOffset: active.metadata.image().offset, wantFence: false, wantShutdown: false,
    })
  })
  afterAll(() => active.controller.deactivate())
  beforeEach(() => {
    seen.length = 0
    leaderKnownToOther = CONTROLLER
  })

  test('a client\'s CreateTopics is forwarded to the controller, marked forwardedBy, and succeeds', async () => {
    const r = await call(nodes.get(OTHER)!, ApiKey.CreateTopics, { topics: [{ name: 'via-other', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 })
    expect(r.errorCode).toBe(ErrorCode.NONE)
    expect(r.body.topics[0]).toMatchObject({ name: 'via-other', errorCode: ErrorCode.NONE })
    expect(seen).toEqual([{ to: CONTROLLER, apiKey: ApiKey.CreateTopics, body: expect.objectContaining({ forwardedBy: OTHER }) }])
    expect(active.metadata.image().topicsByName.has('via-other')).toBe(true)
    expect(inactive.metadata.image().topicsByName.has('via-other')).toBe(false) // nothing was decided on the other node
  })

  test('a forwarded request reaching a non-controller is NOT_CONTROLLER with the controller id, and goes nowhere else', async () => {
    const r = await call(nodes.get(OTHER)!, ApiKey.CreateTopics, { topics: [{ name: 'bounced', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000, forwardedBy: 3 })
    expect(r).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER, body: { controllerId: CONTROLLER } })
    expect(seen).toEqual([])
    expect(active.metadata.image().topicsByName.has('bounced')).toBe(false)
  })

  test('with no controller known the hint is -1', async () => {
    leaderKnownToOther = 0
    const r = await call(nodes.get(OTHER)!, ApiKey.DeleteTopics, { topicNames: ['x'], timeoutMs: 1000, forwardedBy: 3 })
    expect(r).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER, body: { controllerId: -1 } })
  })
})

describe('quorum APIs on a node that is not the Raft leader', () => {
  let h: QuorumHarness
  afterEach(async () => h?.stop())

  test('DescribeQuorum is forwarded to the leader once; a forwarded one at a follower is NOT_CONTROLLER with the leader id', async () => {
    h = await QuorumHarness.start([1, 2, 3], { seed: 21 })
    const leader = await h.waitForController()
    const follower = [1, 2, 3].find((id) => id !== leader.id)!
    const nodes = new Map<number, Registry>()
    const seen: Array<{ to: number; apiKey: number; body: any }> = []
    const peers = peersOver(nodes, seen)
    for (const id of [1, 2, 3]) {
      const registry: Registry = new Map()
      const n = h.node(id)
      registerQuorumApis({ register: (k, fn) => void registry.set(k, fn) }, {
        nodeId: id, quorum: n.quorum, controller: { heartbeatAgeMs: () => null } as unknown as Controller, metadata: n.metadata, peers,
        learnEndpoint: () => {}, requestTimeoutMs: 1000, clock: h.clock,
      })
      nodes.set(id, registry)
    }

    const viaFollower = await call(nodes.get(follower)!, ApiKey.DescribeQuorum, {})
    expect(viaFollower).toMatchObject({ errorCode: ErrorCode.NONE, body: { leaderId: leader.id } })
    expect(viaFollower.body.voters.map((v: { nodeId: number }) => v.nodeId)).toEqual([1, 2, 3])
    expect(seen).toEqual([{ to: leader.id, apiKey: ApiKey.DescribeQuorum, body: { forwardedBy: follower } }])

    const bounced = await call(nodes.get(follower)!, ApiKey.DescribeQuorum, { forwardedBy: 3 })
    expect(bounced).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER, body: { controllerId: leader.id } })
    expect(seen).toHaveLength(1)
  })
})

describe('ControllerRouter waiting for a controller', () => {
  test('wake() sends a request on as soon as the controller is active, not after the backoff it had grown to', async () => {
    const h = controllerHarness()
    const peers: PeerClients = { request: () => Promise.reject(new Error('no peers here')), send() {} }
    const router = new ControllerRouter({ nodeId: 1, clock: h.clock, controller: h.controller, peers, leaderId: () => 1, voters: [1] })
    let answered = false
    const pending = router.request(ApiKey.BrokerRegistration, { nodeId: 1, endpoint: 'ws://h1:9092', incarnationId: 'inc-1' }, { timeoutMs: 60_000 })
    void pending.then(() => (answered = true))
    await h.clock.advance(1_000) // leads, but the controller is not active: retries back off to their cap
    expect(answered).toBe(false)
    h.controller.activate()
    router.wake()
    const r = await pending // the manual clock does not move again
    expect(r.errorCode).toBe(ErrorCode.NONE)
    h.controller.deactivate()
  })
})
