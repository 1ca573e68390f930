/**
 * One broker node, composed from parts that take their collaborators as
 * parameters (clock, random, connector, durable Raft log, partition log store,
 * logger). main.ts passes the real ones; tests may pass memory ones.
 *
 *   server (one port) ─ Handlers ─┬─ metadata APIs (any node, from the image)
 *                                 ├─ quorum APIs (Raft, DescribeQuorum, DescribeCluster)
 *                                 ├─ controller APIs (local controller or forwarded)
 *                                 ├─ replication/ (Produce, Fetch, ...)
 *                                 └─ group/ (consumer groups)
 *   MetadataQuorum (Raft Ready loop) → MetadataPublisher (image) → listeners
 *   BrokerLifecycle: register + heartbeat through the ControllerRouter
 *
 * Named listeners (--listeners) are more servers on the same Handlers; a request
 * carries the listener it came in on, so clients learn that listener's addresses.
 */
import { ApiKey, authenticate, type Connector } from '@tributary/protocol'
import type { DurableRaftLog, RaftMessage } from '@tributary/raft'
import type { LogStore } from '@tributary/storage'
import type { Logger } from 'pino'
import { setUpAuthorization } from './authorizer/index.js'
import { BrokerLifecycle } from './broker-lifecycle.js'
import { listenAddress, namedListeners, type BrokerConfig } from './config.js'
import { Controller } from './controller/controller.js'
import { ControllerRouter, registerControllerApis } from './controller/controller-channel.js'
import { createGroupCoordinator, GROUP_CONFIG_DEFAULTS, groupLag, type GroupCoordinator } from './group/index.js'
import { registerMetadataApis } from './metadata/metadata-handlers.js'
import { MetadataPublisher } from './metadata/metadata-publisher.js'
import type { MetadataView } from './metadata/image-types.js'
import { BrokerMetrics, type NodeGauges } from './metrics.js'
import { ControlPlaneTimings } from './control-plane-timings.js'
import { RateLimitedLog } from './log-limit.js'
import { Handlers } from './net/handler-registry.js'
import { WsPeerClients } from './net/peer-clients.js'
import { SERVER_API_KEYS, type TlsReload } from './net/server.js'
import { openServers, reloadAllTls, type ServeFn, type Servers } from './node-servers.js'
import type { Authenticator } from './security/authenticator.js'
import type { ServerTls } from './net/tls.js'
import { KAFKA_LISTENER } from './kafka/endpoint.js'
import { MetadataQuorum } from './quorum/metadata-quorum.js'
import { registerQuorumApis } from './quorum/quorum-handlers.js'
import { createReplicaManager, type HostedReplica, type ReplicaManager } from './replication/index.js'
import { sleep, type Clock, type Random } from './seams.js'
import { BrokerClientMechanism, clusterKey } from './security/broker-mechanism.js'
import { clientMechanisms, clusterProtected, createAuthenticator, warnIfOpen } from './security/node-security.js'
import { authorizeUserAdmin, registerUserApis, type UserAdminPolicy } from './security/user-apis.js'
import type { SaslMechanismProvider } from './security/sasl.js'
import type { JwtKeys } from './security/jwt.js'
import type { UserScramCredentialRecord } from './metadata/records.js'
import { userMechanismProviders } from './security/user-mechanisms.js'

export interface NodeDeps {
  config: BrokerConfig
  clock: Clock
  random: Random
  logger: Logger
  connector: Connector
  durable: DurableRaftLog
  logStore: LogStore
  /** Fresh unique ids (topic ids, incarnation ids, the cluster id). */
  newId(): string
  processMetrics?: boolean
  /** The port speaks TLS with these settings (main.ts reads them from --tls-*). */
  tls?: ServerTls
  /** Storage failed under the Raft loop: the node must not go on. */
  onFatal?(err: unknown): void
  /** The bytes of --cluster-secret-file (main.ts reads it): peers then authenticate as brokers (TRIBUTARY-BROKER). */
  clusterSecret?: Uint8Array
  /** Server sides of client SASL mechanisms (tests); by default the node serves SCRAM, PLAIN and OAUTHBEARER itself (security/user-mechanisms.ts). */
  saslMechanisms?: SaslMechanismProvider[]
  /** OAUTHBEARER verification keys (main.ts reads the files). */
  jwtKeys?: JwtKeys
  /** Credentials from --bootstrap-scram-users (main.ts reads and hashes them), created when the cluster is new. */
  bootstrapUsers?: UserScramCredentialRecord[]
  /** The web console's built files (main.ts finds them), served at / on every listener unless --console false. */
  consoleDir?: string | null
  /** Opens the WebSocket listeners (default: startServer, real ports); the simulation serves in-memory connections. */
  serve?: ServeFn
}

export interface BrokerHandle {
  readonly nodeId: number
  /** ws:// URL clients and peers use (the advertised one; the bound port when listening on 0). */
  readonly address: string
  readonly port: number
  /** Bound port of each named listener (--listeners), by name. */
  readonly listenerPorts: ReadonlyMap<string, number>
  readonly metadata: MetadataView
  /** controlled: move leadership away first (what SIGTERM does). */
  stop(opts?: { controlled?: boolean }): Promise<void>
  /** Whether this node is the active controller now. */
  isController(): boolean
  /** Re-read the TLS certificate files for new connections (SIGHUP); never throws. */
  reloadTls(): TlsReload
  /** Every replica this node hosts, as it stands now (read-only: the simulation's data-plane invariants). */
  hostedReplicas(): HostedReplica[]
}

/** How long a controlled shutdown waits for the controller before stopping anyway, in broker sessions. */
export const CONTROLLED_SHUTDOWN_SESSIONS = 2
/** How long a leaving controller waits for its Raft successor to take over. */
export const HANDOFF_WAIT_MS = 2000

/**
 * Build the node from its parts in dependency order, each from the ones before
 * it (nothing is reached before it exists), then start them: servers, data
 * plane, groups, the Raft loop, the lifecycle. The data plane and groups
 * subscribe to metadata before the Raft loop applies anything new.
 */
export async function startNode(deps: NodeDeps): Promise<BrokerHandle> {
  const { config, logger } = deps
  const meta = await openMetadataPlane(deps)
  const control = buildControlPlane(deps, meta)
  const apis = buildApis(deps, meta, control)
  const servers = await openServers(deps, { ...apis, readiness: () => control.lifecycle.readiness(), endpoints: control.endpoints }).catch((err) => {
    meta.peers.close()
    throw err
  })
  const address = listenAddress(config.listen).port === 0 ? config.advertise.replace(/:0$/, `:${servers.primary.port}`) : config.advertise

  await apis.replicas.start()
  await apis.groups.start()
  meta.timings.start()
  meta.quorum.start({
    // The previous controller was silent to us for at least the election timeout: its broker session counts that time as spent.
    controllerChanged: (active) => {
      if (active) control.controller.activate({ nodeId: meta.quorum.previousLeaderId, silentMs: config.electionTimeoutTicks * config.raftTickMs })
      else control.controller.deactivate()
      control.router.wake()
    },
    leaderChanged: () => control.router.wake(),
  })
  control.lifecycle.start()
  logger.info({ listen: config.listen, advertise: address, listeners: namedListeners(config), kafka: control.endpoints[KAFKA_LISTENER], voters: meta.voterIds }, 'broker started')
  warnIfOpen(logger, config, clusterProtected(config, meta.clusterKey !== undefined))

  let stopping: Promise<void> | null = null
  return {
    nodeId: config.nodeId,
    address,
    port: servers.primary.port,
    listenerPorts: new Map([...servers.named, ...(servers.kafka ? [[KAFKA_LISTENER, servers.kafka] as const] : [])].map(([name, s]) => [name, s.port])),
    metadata: meta.metadata,
    isController: () => control.controller.isActive(),
    reloadTls: () => reloadAllTls(servers.all()),
    hostedReplicas: () => apis.replicas.hostedReplicas(),
    stop: (opts) => (stopping ??= stopNode(deps, meta, control, apis, servers, opts)),
  }
}

/** The metadata side every node has: the image, connections to peers, the Raft quorum over the durable log (loaded, not yet running). */
interface MetadataPlane {
  voterIds: number[]
  incarnationId: string
  metadata: MetadataPublisher
  peers: WsPeerClients
  clusterKey: Uint8Array | undefined
  quorum: MetadataQuorum
  timings: ControlPlaneTimings
  /** a peer's endpoint, learned from its Raft frames (voters are known from config) */
  learnEndpoint(id: number, endpoint: string): void
}

async function openMetadataPlane(deps: NodeDeps): Promise<MetadataPlane> {
  const { config, clock, logger } = deps
  const nodeId = config.nodeId
  const voterIds = config.voters.map((v) => v.nodeId)
  // This process's incarnation: after a restart the image replays the previous one's registration, which is not ours.
  const incarnationId = deps.newId()
  const metadata = new MetadataPublisher(nodeId, { onListenerError: (err) => logger.error({ err }, 'metadata listener threw'), incarnationId })
  // Peer endpoints: the voters list, what peers told us in Raft frames, then registrations.
  const learned = new Map<number, string>()
  const resolve = (id: number): string | undefined =>
    config.voters.find((v) => v.nodeId === id)?.endpoint ?? learned.get(id) ?? metadata.image().brokers.get(id)?.endpoint
  const key = deps.clusterSecret ? clusterKey(deps.clusterSecret) : undefined
  const peers = new WsPeerClients({
    nodeId, connector: deps.connector, clock, random: deps.random, logger, resolve, requestTimeoutMs: config.requestTimeoutMs,
    authenticate: key && (async (rpc, peerId) => { await authenticate(rpc, new BrokerClientMechanism(key, nodeId, peerId), { timeoutMs: config.requestTimeoutMs }) }),
  })
  const timings = new ControlPlaneTimings(new RateLimitedLog(logger, clock))
  const quorum = await MetadataQuorum.open({
    nodeId,
    voters: voterIds,
    brokerOnly: config.processRoles === 'broker',
    clock,
    random: deps.random,
    durable: deps.durable,
    metadata,
    logger: logger.child({ part: 'raft' }),
    tickMs: config.raftTickMs,
    electionTimeoutTicks: config.electionTimeoutTicks,
    heartbeatTicks: config.heartbeatTicks,
    snapshotIntervalEntries: config.metadataSnapshotIntervalEntries,
    send: (to: number, messages: RaftMessage[]) => peers.send(to, ApiKey.Raft, { from: nodeId, endpoint: config.advertise, messages }),
    onFatal: (err) => {
      logger.fatal({ err }, 'metadata log storage failed')
      deps.onFatal?.(err)
    },
    timings,
  }).catch((err) => {
    peers.close()
    throw err
  })
  const learnEndpoint = (id: number, endpoint: string) => { if (!config.voters.some((v) => v.nodeId === id)) learned.set(id, endpoint) }
  return { voterIds, incarnationId, metadata, peers, clusterKey: key, quorum, timings, learnEndpoint }
}

/** The controller (active while this node leads Raft), the way to it from here, and this broker's registration and heartbeats. */
interface ControlPlane {
  controller: Controller
  router: ControllerRouter
  lifecycle: BrokerLifecycle
  /** named client listeners' advertised addresses; the Kafka listener's joins once its port is bound, before the lifecycle registers */
  endpoints: Record<string, string>
}

function buildControlPlane(deps: NodeDeps, meta: MetadataPlane): ControlPlane {
  const { config, clock, logger } = deps
  const { metadata, quorum } = meta
  const controller = new Controller({
    nodeId: config.nodeId,
    clock,
    image: () => metadata.image(),
    quorum,
    config,
    logger: logger.child({ part: 'controller' }),
    newTopicId: deps.newId,
    newClusterId: deps.newId,
    timings: meta.timings,
    bootstrapRecords: deps.bootstrapUsers,
  })
  const router = new ControllerRouter({ nodeId: config.nodeId, clock, controller, peers: meta.peers, leaderId: () => quorum.leaderId, voters: meta.voterIds })
  const endpoints: Record<string, string> = Object.fromEntries(namedListeners(config).map((l) => [l.name, l.advertise]))
  const lifecycle = new BrokerLifecycle({
    nodeId: config.nodeId,
    endpoint: config.advertise,
    endpoints,
    rack: config.rack,
    incarnationId: meta.incarnationId,
    clock,
    controller: router,
    metadata,
    heartbeatIntervalMs: config.brokerHeartbeatIntervalMs,
    sessionTimeoutMs: config.brokerSessionTimeoutMs,
    logger: logger.child({ part: 'lifecycle' }),
  })
  return { controller, router, lifecycle, endpoints }
}

/** Every API's handler on one table, behind authorization, with the data plane and groups serving theirs; metrics and the authenticator over them. */
interface Apis {
  handlers: Handlers
  replicas: ReplicaManager
  groups: GroupCoordinator
  metrics: BrokerMetrics
  authenticator: Authenticator
}

function buildApis(deps: NodeDeps, meta: MetadataPlane, control: ControlPlane): Apis {
  const { config, clock, logger } = deps
  const nodeId = config.nodeId
  const { metadata, quorum, peers } = meta
  const handlers = new Handlers()
  const authorization = setUpAuthorization({ config, metadata, handlers, clock, logger: logger.child({ part: 'authorizer' }) })
  registerMetadataApis(handlers, {
    nodeId,
    config,
    metadata,
    controllerId: () => quorum.leaderId || -1,
    supportedApis: () => [...handlers.keys(), ...SERVER_API_KEYS].sort((a, b) => a - b),
    log: (from, max) => quorum.entries(from, max),
    snapshots: () => quorum.snapshots(),
  })
  registerQuorumApis(handlers, {
    nodeId, quorum, controller: control.controller, metadata, peers, learnEndpoint: meta.learnEndpoint, requestTimeoutMs: config.requestTimeoutMs, clock,
  })
  const userPolicy: UserAdminPolicy = { saslEnabled: config.saslMechanisms.length > 0, superUsers: config.superUsers, aclAuthorizer: config.authorizer === 'acl', session: (ctx) => ctx.session }
  registerUserApis(handlers, { metadata, policy: userPolicy })
  registerControllerApis(handlers, {
    controller: control.controller, router: control.router, leaderId: () => quorum.leaderId, defaultTimeoutMs: config.requestTimeoutMs, authorize: authorizeUserAdmin(userPolicy),
  })
  const replicas = createReplicaManager({
    nodeId, clock, metadata, logStore: deps.logStore, peers, controller: control.router,
    config: {
      replicaLagTimeMaxMs: config.replicaLagTimeMaxMs,
      replicaFetchWaitMaxMs: config.replicaFetchWaitMaxMs,
      replicaFetchMaxBytes: config.replicaFetchMaxBytes,
      reassignmentThrottleBytes: config.reassignmentThrottleBytes,
      messageMaxBytes: config.messageMaxBytes,
      logCleanerIntervalMs: config.logCleanerIntervalMs,
      fetchSessionCacheSlots: config.fetchSessionCacheSlots,
      fetchSessionCachePartitions: config.fetchSessionCachePartitions,
      tailCacheIdleMs: config.tailCacheIdleMs,
      producerStateEntriesMax: config.producerStateEntriesMax,
      storageBudgetBytes: { leveldb_write_buffer: config.storageWriteBufferBytes, leveldb_block_cache: config.storageBlockCacheBytes },
    },
    logger: logger.child({ part: 'replication' }),
  })
  const groups = createGroupCoordinator({
    nodeId, clock, random: deps.random, metadata, replicas, controller: control.router,
    config: { ...GROUP_CONFIG_DEFAULTS, offsetsTopicPartitions: config.offsetsTopicPartitions, offsetsTopicReplicationFactor: config.offsetsTopicReplicationFactor },
    logger: logger.child({ part: 'group' }),
    expectedBrokers: meta.voterIds.length,
    topicAccess: authorization.topicAccess,
  })
  replicas.register(handlers)
  groups.register(handlers)
  const metrics = new BrokerMetrics(
    nodeId,
    {
      gauges: gaugesFor(quorum, metadata, () => control.controller.isActive()),
      dataPlane: () => replicas.metricsSnapshot(),
      groupLag: () => groupLag(groups.committedOffsets(), { nodeId, metadata, localHighWatermark: (t, p) => replicas.highWatermark(t, p), peers }),
    },
    { processMetrics: deps.processMetrics },
  )
  meta.timings.register(metrics.registry)
  // The node's own SCRAM, PLAIN and OAUTHBEARER (on this image's credentials); a test's provider of the same name wins.
  const saslMechanisms = clientMechanisms(config, [...userMechanismProviders({ config, clock, metadata, jwtKeys: deps.jwtKeys }), ...(deps.saslMechanisms ?? [])])
  const authenticator = createAuthenticator({ config, mechanisms: saslMechanisms, clusterKey: meta.clusterKey, clock, metrics, logger: logger.child({ part: 'auth' }) })
  authorization.registerMetrics(metrics.registry)
  authorization.guard()
  return { handlers, replicas, groups, metrics, authenticator }
}

async function stopNode(deps: NodeDeps, meta: MetadataPlane, control: ControlPlane, apis: Apis, servers: Servers, opts: { controlled?: boolean } = {}): Promise<void> {
  const { config, clock, logger } = deps
  const { quorum } = meta
  if (opts.controlled) {
    const acked = await control.lifecycle.controlledShutdown(CONTROLLED_SHUTDOWN_SESSIONS * config.brokerSessionTimeoutMs)
    logger.info({ acked }, 'controlled shutdown finished')
    if (quorum.isLeader() && handOffLeadership(quorum, meta.voterIds.filter((v) => v !== config.nodeId))) {
      // Keep the Raft loop running until the successor has taken over (TimeoutNow must go out).
      const deadline = clock.now() + HANDOFF_WAIT_MS
      while (quorum.isLeader() && clock.now() < deadline) await sleep(clock, 10)
      logger.info({ leader: quorum.leaderId }, 'Raft leadership handed over')
    }
  }
  control.lifecycle.stop()
  await apis.groups.stop().catch((err) => logger.error({ err }, 'group coordinator stop failed'))
  await apis.replicas.stop().catch((err) => logger.error({ err }, 'replica manager stop failed'))
  await quorum.stop()
  await Promise.all(servers.all().map((s) => s.close()))
  meta.peers.close()
  meta.timings.stop()
  logger.info('broker stopped')
}

/** The controller leaves: hand Raft leadership to the most caught-up voter so a new controller appears at once. */
function handOffLeadership(quorum: MetadataQuorum, others: number[]): boolean {
  const progress = quorum.status().progress
  const best = others
    .map((id) => ({ id, match: progress.get(id)?.match ?? -1, active: progress.get(id)?.recentActive ?? false }))
    .filter((p) => p.active)
    .sort((a, b) => b.match - a.match)[0]
  return best !== undefined && quorum.transferLeadership(best.id)
}

function gaugesFor(quorum: MetadataQuorum, metadata: MetadataView, activeController: () => boolean): NodeGauges {
  const partitions = () => [...metadata.image().topicsById.values()].flatMap((t) => t.partitions)
  return {
    raftTerm: () => quorum.term,
    raftCommitIndex: () => quorum.status().commit,
    raftLeaderId: () => quorum.leaderId || -1,
    metadataOffset: () => metadata.image().offset,
    fencedBrokers: () => [...metadata.image().brokers.values()].filter((b) => b.fenced).length,
    activeController,
    clusterPartitions: () => partitions().length,
    clusterUnderReplicatedPartitions: () => partitions().filter((p) => p.isr.length < p.replicas.length).length,
    clusterOfflinePartitions: () => partitions().filter((p) => p.leader === -1).length,
  }
}
