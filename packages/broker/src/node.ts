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
import { createGroupCoordinator, DEFAULT_GROUP_CONFIG, groupLag, type GroupCoordinator } from './group/index.js'
import { registerMetadataApis } from './metadata/metadata-handlers.js'
import { MetadataPublisher } from './metadata/metadata-publisher.js'
import type { MetadataView } from './metadata/image-types.js'
import { BrokerMetrics, type NodeGauges } from './metrics.js'
import { ControlPlaneTimings } from './control-plane-timings.js'
import { RateLimitedLog } from './log-limit.js'
import { Handlers } from './net/handler-registry.js'
import { WsPeerClients } from './net/peer-clients.js'
import { NOT_TLS, SERVER_API_KEYS, startServer, type NodeServer, type TlsReload } from './net/server.js'
import type { ServerTls } from './net/tls.js'
import { formatKafkaEndpoint, KAFKA_LISTENER, splitHostPort } from './kafka/endpoint.js'
import { startKafkaServer, type KafkaServer } from './kafka/server.js'
import { MetadataQuorum } from './quorum/metadata-quorum.js'
import { registerQuorumApis } from './quorum/quorum-handlers.js'
import { createReplicaManager, type ReplicaManager } from './replication/index.js'
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
}

/** How long a controlled shutdown waits for the controller before stopping anyway, in broker sessions. */
export const CONTROLLED_SHUTDOWN_SESSIONS = 2
/** How long a leaving controller waits for its Raft successor to take over. */
export const HANDOFF_WAIT_MS = 2000

export async function startNode(deps: NodeDeps): Promise<BrokerHandle> {
  const { config, clock, logger } = deps
  const nodeId = config.nodeId
  const voterIds = config.voters.map((v) => v.nodeId)
  // This process's incarnation: after a restart the image replays the previous one's registration, which is not ours.
  const incarnationId = deps.newId()
  const metadata = new MetadataPublisher(nodeId, { onListenerError: (err) => logger.error({ err }, 'metadata listener threw'), incarnationId })
  // The node's own SCRAM, PLAIN and OAUTHBEARER (on this image's credentials); a test's provider of the same name wins.
  const saslMechanisms = clientMechanisms(config, [...userMechanismProviders({ config, clock, metadata, jwtKeys: deps.jwtKeys }), ...(deps.saslMechanisms ?? [])])
  const handlers = new Handlers()

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
  let controller: Controller | null = null
  let router: ControllerRouter | null = null
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
    // The previous controller was silent to us for at least the election timeout: its broker session counts that time as spent.
    onControllerChange: (active) => {
      if (active) controller?.activate({ nodeId: quorum.previousLeaderId, silentMs: config.electionTimeoutTicks * config.raftTickMs })
      else controller?.deactivate()
      router?.wake()
    },
    onLeaderChange: () => router?.wake(),
    onFatal: (err) => {
      logger.fatal({ err }, 'metadata log storage failed')
      deps.onFatal?.(err)
    },
    timings,
  })
  controller = new Controller({
    nodeId,
    clock,
    image: () => metadata.image(),
    quorum,
    config,
    logger: logger.child({ part: 'controller' }),
    newTopicId: deps.newId,
    newClusterId: deps.newId,
    timings,
    bootstrapRecords: deps.bootstrapUsers,
  })
  router = new ControllerRouter({ nodeId, clock, controller, peers, leaderId: () => quorum.leaderId, voters: voterIds })
  const extra = namedListeners(config)
  // The Kafka listener's address joins these once its port is bound (it may be OS-picked), before the lifecycle registers.
  const endpoints: Record<string, string> = Object.fromEntries(extra.map((l) => [l.name, l.advertise]))
  const lifecycle = new BrokerLifecycle({
    nodeId,
    endpoint: config.advertise,
    endpoints,
    rack: config.rack,
    incarnationId,
    clock,
    controller: router,
    metadata,
    heartbeatIntervalMs: config.brokerHeartbeatIntervalMs,
    sessionTimeoutMs: config.brokerSessionTimeoutMs,
    logger: logger.child({ part: 'lifecycle' }),
  })

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
    nodeId, quorum, controller, metadata, peers,
    learnEndpoint: (id, endpoint) => { if (!config.voters.some((v) => v.nodeId === id)) learned.set(id, endpoint) },
    requestTimeoutMs: config.requestTimeoutMs,
    clock,
  })
  const userPolicy: UserAdminPolicy = { saslEnabled: config.saslMechanisms.length > 0, superUsers: config.superUsers, aclAuthorizer: config.authorizer === 'acl', session: (ctx) => ctx.session }
  registerUserApis(handlers, { metadata, policy: userPolicy })
  registerControllerApis(handlers, { controller, router, leaderId: () => quorum.leaderId, defaultTimeoutMs: config.requestTimeoutMs, authorize: authorizeUserAdmin(userPolicy) })

  const replicas: ReplicaManager = createReplicaManager({
    nodeId, clock, metadata, logStore: deps.logStore, peers, controller: router,
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
  const groups: GroupCoordinator = createGroupCoordinator({
    nodeId, clock, metadata, replicas, controller: router,
    config: { ...DEFAULT_GROUP_CONFIG, offsetsTopicPartitions: config.offsetsTopicPartitions, offsetsTopicReplicationFactor: config.offsetsTopicReplicationFactor },
    logger: logger.child({ part: 'group' }),
    expectedBrokers: voterIds.length,
    topicAccess: authorization.topicAccess,
  })
  replicas.register(handlers)
  groups.register(handlers)
  const metrics = new BrokerMetrics(
    nodeId,
    {
      gauges: gaugesFor(quorum, metadata, () => controller!.isActive()),
      dataPlane: () => replicas.metricsSnapshot(),
      groupLag: () => groupLag(groups.committedOffsets(), { nodeId, metadata, localHighWatermark: (t, p) => replicas.highWatermark(t, p), peers }),
    },
    { processMetrics: deps.processMetrics },
  )
  timings.register(metrics.registry)
  const authenticator = createAuthenticator({ config, mechanisms: saslMechanisms, clusterKey: key, clock, metrics, logger: logger.child({ part: 'auth' }) })
  authorization.registerMetrics(metrics.registry)
  authorization.guard()

  const { port } = listenAddress(config.listen)
  // A wss:// listener serves TLS with the node's certificate; a ws:// one stays plain.
  const serve = (listen: string, listener: string | null): Promise<NodeServer> =>
    startServer({
      ...listenAddress(listen),
      listener,
      maxConnections: config.maxConnections,
      inFlightPerConnectionMax: config.inFlightPerConnectionMax,
      frameBytesMax: config.frameBytesMax,
      handlers, metrics, logger, authenticator,
      readiness: () => lifecycle.readiness(),
      tls: listen.startsWith('wss:') ? deps.tls : undefined,
      consoleDir: config.console ? deps.consoleDir : null,
    })
  let server: NodeServer
  const listenerServers = new Map<string, NodeServer>()
  let kafkaServer: KafkaServer | null = null
  try {
    server = await serve(config.listen, null)
    for (const l of extra) listenerServers.set(l.name, await serve(l.listen, l.name))
    if (config.kafkaListen !== null) {
      // The same Authenticator and guarded handlers as the WebSocket listeners: the Kafka port opens no other door.
      const kafka = await startKafkaServer({
        ...splitHostPort(config.kafkaListen)!,
        maxConnections: config.maxConnections,
        inFlightPerConnectionMax: config.inFlightPerConnectionMax,
        frameBytesMax: config.frameBytesMax,
        handlers, metrics, logger: logger.child({ part: 'kafka' }), authenticator,
        tls: config.kafkaTls ? deps.tls : undefined,
      })
      kafkaServer = kafka
      endpoints[KAFKA_LISTENER] = kafkaAdvertised(config.kafkaAdvertise!, kafka.port)
    }
  } catch (err) {
    await Promise.all([...listenerServers.values(), ...(kafkaServer ? [kafkaServer] : [])].map((s) => s.close()))
    peers.close()
    throw err
  }
  const address = port === 0 ? config.advertise.replace(/:0$/, `:${server.port}`) : config.advertise

  // The data plane and groups subscribe to metadata before the Raft loop applies anything new.
  await replicas.start()
  await groups.start()
  timings.start()
  quorum.start()
  lifecycle.start()
  logger.info({ listen: config.listen, advertise: address, listeners: extra, kafka: endpoints[KAFKA_LISTENER], voters: voterIds }, 'broker started')
  warnIfOpen(logger, config, clusterProtected(config, key !== undefined))

  let stopping: Promise<void> | null = null
  const stop = async (opts: { controlled?: boolean } = {}): Promise<void> => {
    if (opts.controlled) {
      const acked = await lifecycle.controlledShutdown(CONTROLLED_SHUTDOWN_SESSIONS * config.brokerSessionTimeoutMs)
      logger.info({ acked }, 'controlled shutdown finished')
      if (quorum.isLeader() && handOffLeadership(quorum, voterIds.filter((v) => v !== nodeId))) {
        // Keep the Raft loop running until the successor has taken over (TimeoutNow must go out).
        const deadline = clock.now() + HANDOFF_WAIT_MS
        while (quorum.isLeader() && clock.now() < deadline) await sleep(clock, 10)
        logger.info({ leader: quorum.leaderId }, 'Raft leadership handed over')
      }
    }
    lifecycle.stop()
    await groups.stop().catch((err) => logger.error({ err }, 'group coordinator stop failed'))
    await replicas.stop().catch((err) => logger.error({ err }, 'replica manager stop failed'))
    await quorum.stop()
    await Promise.all([server, ...listenerServers.values(), ...(kafkaServer ? [kafkaServer] : [])].map((s) => s.close()))
    peers.close()
    timings.stop()
    logger.info('broker stopped')
  }

  return {
    nodeId,
    address,
    port: server.port,
    listenerPorts: new Map([...listenerServers, ...(kafkaServer ? [[KAFKA_LISTENER, kafkaServer] as const] : [])].map(([name, s]) => [name, s.port])),
    metadata,
    isController: () => controller!.isActive(),
    reloadTls: () => reloadAll([server, ...listenerServers.values(), ...(kafkaServer ? [kafkaServer] : [])]),
    stop: (opts) => (stopping ??= stop(opts)),
  }
}

/** Reload every TLS listener; the first failure, else the first success (every listener serves the same certificate). */
function reloadAll(servers: Array<Pick<NodeServer, 'reloadTls'>>): TlsReload {
  const results = servers.map((s) => s.reloadTls()).filter((r) => r.ok || r.error !== NOT_TLS)
  return results.find((r) => !r.ok) ?? results[0] ?? { ok: false, error: NOT_TLS }
}

/** The advertised Kafka address, with the bound port when the configured one is 0 (the OS picked it). */
function kafkaAdvertised(advertise: string, boundPort: number): string {
  const at = splitHostPort(advertise)!
  return at.port === 0 ? formatKafkaEndpoint(at.host, boundPort) : advertise
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
