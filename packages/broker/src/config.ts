/**
 * The broker's configuration: one schema table (flag, env twin, default, parser)
 * shared by the CLI (`tributary broker`), the e2e helpers and docker-compose.
 *
 * Precedence: flag > TRIBUTARY_* env > --config file.json > default.
 * Bad input is a value (`Result`) naming the offending option, never a throw:
 * the CLI prints that one line and exits 2.
 */
import { ErrorCode, fail, ok, type Result } from '@tributary/protocol'
import { REPLICA_CONFIG_DEFAULTS } from './replication/config.js'
import type { NamedEndpoint, NamedListener, Voter } from './config-addresses.js'
import { checkOptionsAgree } from './config-checks.js'
import { CLIENT_SASL_MECHANISMS, parseValue, type LogLevel, type OptionKind, type OptionSpec, type TlsClientAuth } from './config-values.js'

export { CLIENT_SASL_MECHANISMS, type LogLevel, type TlsClientAuth } from './config-values.js'
export { listenAddress, NAMED_LISTENERS_MAX, parseHostPort, parseNamedUrls, parseVoters, parseWsUrl, type NamedEndpoint, type NamedListener, type Voter } from './config-addresses.js'

export interface BrokerConfig {
  nodeId: number
  /** ws://host:port this node binds (one port: WebSocket + HTTP). */
  listen: string
  /** ws://host:port others use to reach this node; defaults to listen. */
  advertise: string
  /**
   * More client listeners, each on its own port (--listeners external=ws://0.0.0.0:19092).
   * A client is told the addresses of the listener it connected to, as Kafka does
   * with listener names: one network's clients never see another network's addresses.
   */
  listeners: NamedEndpoint[]
  /** What clients of each named listener are told (--advertised-listeners external=ws://localhost:9092). */
  advertisedListeners: NamedEndpoint[]
  /** host:port of the Kafka protocol listener (null: none). */
  kafkaListen: string | null
  /** host:port Kafka clients are told (default: kafkaListen). */
  kafkaAdvertise: string | null
  /** The Kafka listener speaks TLS with --tls-cert (Kafka's SSL, or SASL_SSL with --sasl-mechanisms). */
  kafkaTls: boolean
  dataDir: string
  /**
   * The bootstrap Raft voters (every voter is also a broker). Nodes not listed join as
   * observers. Once the metadata log holds a voter set (`metadata voters add|remove`),
   * the log's rules; this list then only tells peers where the listed nodes live.
   */
  voters: Voter[]
  /**
   * KRaft's process.roles: 'broker,controller' (a node that may vote; the default for
   * a node in --voters) or 'broker' (never votes, even if made a voter; the default
   * for the others). Every node serves clients: there are no controller-only nodes.
   */
  processRoles: 'broker' | 'broker,controller' | null
  rack: string | null
  logLevel: LogLevel

  // ---- metadata quorum
  raftTickMs: number
  /** Election timeout is randomised in [electionTimeoutTicks, 2 * electionTimeoutTicks). */
  electionTimeoutTicks: number
  heartbeatTicks: number
  /** Take a metadata snapshot every this many applied entries. */
  metadataSnapshotIntervalEntries: number

  // ---- failure detection
  brokerHeartbeatIntervalMs: number
  brokerSessionTimeoutMs: number

  // ---- leader balance (docs/elastic.md): Kafka's auto.leader.rebalance.enable & co
  /** Move leadership back to preferred replicas when a broker's imbalance passes the threshold. */
  autoLeaderRebalance: boolean
  /** leader.imbalance.per.broker.percentage: allowed share (%) of a broker's preferred partitions led elsewhere. */
  leaderImbalancePerBrokerPercentage: number
  /** leader.imbalance.check.interval.seconds, in ms. */
  leaderImbalanceCheckIntervalMs: number
  /** Bytes/s this broker's replicas being added by a reassignment may fetch; 0 = unthrottled. */
  reassignmentThrottleBytes: number

  // ---- network edge
  maxConnections: number
  /** Requests one connection may have in flight; beyond it the broker answers TOO_MANY_IN_FLIGHT. */
  inFlightPerConnectionMax: number
  frameBytesMax: number
  requestTimeoutMs: number

  // ---- data plane / groups (read by replication/ and group/)
  messageMaxBytes: number
  replicaLagTimeMaxMs: number
  replicaFetchWaitMaxMs: number
  replicaFetchMaxBytes: number
  logCleanerIntervalMs: number
  offsetsTopicPartitions: number
  offsetsTopicReplicationFactor: number
  defaultReplicationFactor: number
  numPartitions: number

  // ---- memory budgets (node-wide, not per partition; README "Scale: memory")
  /** Tail cache shared by every partition on the node (bytes). */
  tailCacheBytes: number
  /** Tail cache one partition may hold at most (bytes). */
  tailCachePartitionBytesMax: number
  /** A partition not written for this long gives its tail cache back (0 = never). */
  tailCacheIdleMs: number
  /** LevelDB memtable of the partition logs (bytes). */
  storageWriteBufferBytes: number
  /** LevelDB block cache of the partition logs (bytes). */
  storageBlockCacheBytes: number
  /** Incremental fetch sessions (KIP-227) cached at once; 0 = no sessions. */
  fetchSessionCacheSlots: number
  /** Partitions all cached fetch sessions hold together. */
  fetchSessionCachePartitions: number
  /** Idempotent producer entries (producer × partition) the node remembers. */
  producerStateEntriesMax: number

  // ---- TLS (docs/tls.md): PEM file paths, re-read on SIGHUP
  /** Certificate chain this node presents (switches the port to wss:// and https://). */
  tlsCert: string | null
  tlsKey: string | null
  /** CA bundle trusted for client and peer certificates (and for reaching wss:// peers). */
  tlsCa: string | null
  tlsClientAuth: TlsClientAuth
  /** Kafka ssl.principal.mapping.rules for client certificate subjects; null = DEFAULT. */
  tlsPrincipalMapping: string | null

  // ---- authentication (SECURITY.md)
  /** File holding the cluster secret brokers prove to each other (TRIBUTARY-BROKER); null = none. */
  clusterSecretFile: string | null
  /** Client SASL mechanisms, upper case (SCRAM-SHA-256, ...); empty = client authentication off. */
  saslMechanisms: string[]
  /** An unauthenticated connection is closed after this long when SASL is required. */
  saslHandshakeTimeoutMs: number
  /** A failed authentication is answered only after this delay (Kafka's connection.failed.authentication.delay.ms). */
  failedAuthenticationDelayMs: number
  /** Unauthenticated connections one remote address may hold at once when SASL is required. */
  unauthenticatedConnectionsPerAddressMax: number

  // ---- user authentication (SCRAM, PLAIN, OAUTHBEARER; security/)
  /** An authenticated session must re-authenticate after this long (KIP-368); requests past it are refused. */
  saslSessionMaxMs: number
  /** Accept PLAIN on a connection without TLS (the password then crosses the network in clear). */
  allowPlaintextPasswords: boolean
  /** HS256 token secret (the file's bytes, trailing newline dropped). */
  oauthJwtSecretFile: string | null
  /** RS256/ES256 PEM public key (or certificate). */
  oauthJwtPublicKeyFile: string | null
  /** RS256/ES256 keys as a JWKS document. */
  oauthJwksFile: string | null
  oauthAudience: string | null
  oauthIssuer: string | null
  /** The token claim that names the user (principal User:<claim>). */
  oauthPrincipalClaim: string
  /** Principals (User:name) that may do anything, users included; brokers always may. */
  superUsers: string[]
  /** name:mechanism:password lines: users the first controller creates when the cluster is new. */
  bootstrapScramUsers: string | null

  // ---- authorization (authorizer/; docs/authorization.md)
  /** 'acl': every request is checked against the ACLs in the metadata image; 'none': everything is allowed. */
  authorizer: 'none' | 'acl'
  /** With --authorizer acl: a resource no ACL names is open to everyone (Kafka's allow.everyone.if.no.acl.found). */
  allowEveryoneIfNoAclFound: boolean

  // ---- web console (packages/console; docs/console.md)
  /** Serve the web console at / on the node's port. */
  console: boolean
}

const opt = (key: keyof BrokerConfig, kind: OptionKind, describe: string, extra: Partial<OptionSpec> = {}): OptionSpec => {
  const flag = String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
  return { key, flag, env: `TRIBUTARY_${flag.replace(/-/g, '_').toUpperCase()}`, kind, describe, ...extra }
}

/** Every broker option. The CLI builds its yargs options from this table. */
export const BROKER_OPTIONS: readonly OptionSpec[] = [
  opt('nodeId', 'int', 'this node id (positive integer)', { min: 1, max: 2 ** 31 - 1 }),
  opt('listen', 'url', 'ws://host:port to bind (WebSocket + /healthz /readyz /metrics)'),
  opt('advertise', 'url', 'ws://host:port clients are told to use (default: --listen); peers reach voters at their --voters address', { default: null }),
  opt('listeners', 'named-urls', 'more client listeners, each its own port: name=ws://host:port,... (clients are told the addresses of the listener they connected to)', { default: [] }),
  opt('advertisedListeners', 'named-urls', 'what clients of each named listener are told: name=ws://host:port,... (default: its --listeners address)', { default: [] }),
  opt('kafkaListen', 'host-port', 'host:port of the Kafka protocol listener (Kafka clients and tools; off when unset)', { default: null }),
  opt('kafkaAdvertise', 'host-port', 'host:port Kafka clients are told (default: --kafka-listen)', { default: null }),
  opt('kafkaTls', 'bool', 'the Kafka listener speaks TLS with --tls-cert/--tls-key (security.protocol SSL, or SASL_SSL with --sasl-mechanisms)', { default: false }),
  opt('dataDir', 'string', 'directory for the node\'s LevelDB'),
  opt('voters', 'voters', 'bootstrap Raft voters: id@ws://host:port,... (nodes not listed are observers; once the metadata log holds a voter set, it rules)'),
  opt('processRoles', 'nullable-string', 'broker | broker,controller: a broker-only node never votes (default: broker,controller for a node in --voters, else broker)', { default: null }),
  opt('rack', 'nullable-string', 'rack id for placement', { default: null }),
  opt('logLevel', 'loglevel', 'trace|debug|info|warn|error|fatal|silent', { default: 'info' }),
  opt('raftTickMs', 'int', 'Raft tick length in ms', { default: 50, min: 1, max: 10_000 }),
  opt('electionTimeoutTicks', 'int', 'minimum election timeout in ticks', { default: 10, min: 2, max: 10_000 }),
  opt('heartbeatTicks', 'int', 'Raft leader heartbeat interval in ticks', { default: 1, min: 1, max: 10_000 }),
  opt('metadataSnapshotIntervalEntries', 'int', 'snapshot the metadata image every N applied entries', { default: 1000, min: 1, max: 10_000_000 }),
  opt('brokerHeartbeatIntervalMs', 'int', 'broker -> controller heartbeat interval', { default: 250, min: 10, max: 600_000 }),
  opt('brokerSessionTimeoutMs', 'int', 'a broker silent this long is fenced', { default: 2000, min: 50, max: 3_600_000 }),
  opt('autoLeaderRebalance', 'bool', 'move leadership back to preferred replicas (auto.leader.rebalance.enable)', { default: true }),
  opt('leaderImbalancePerBrokerPercentage', 'int', 'share (%) of a broker\'s preferred partitions others may lead before a rebalance', { default: 10, min: 0, max: 100 }),
  opt('leaderImbalanceCheckIntervalMs', 'int', 'how often the controller checks leader imbalance', { default: 300_000, min: 50, max: 86_400_000 }),
  opt('reassignmentThrottleBytes', 'int', 'bytes/s the replicas a reassignment adds to this broker may copy (0 = unthrottled; Kafka\'s follower.replication.throttled.rate)', { default: REPLICA_CONFIG_DEFAULTS.reassignmentThrottleBytes, min: 0, max: 2 ** 40 }),
  opt('maxConnections', 'int', 'open connections accepted at once', { default: 1024, min: 1, max: 1_000_000 }),
  opt('inFlightPerConnectionMax', 'int', 'requests in flight per connection', { default: 512, min: 1, max: 1_000_000 }),
  opt('frameBytesMax', 'int', 'largest WebSocket frame accepted (bytes)', { default: 16 * 1024 * 1024, min: 1024, max: 1024 * 1024 * 1024 }),
  opt('requestTimeoutMs', 'int', 'timeout of broker-to-broker requests', { default: 30_000, min: 100, max: 3_600_000 }),
  opt('messageMaxBytes', 'int', 'largest record batch accepted (message.max.bytes)', { default: REPLICA_CONFIG_DEFAULTS.messageMaxBytes, min: 1024, max: 1024 * 1024 * 1024 }),
  opt('replicaLagTimeMaxMs', 'int', 'a follower behind this long leaves the ISR', { default: REPLICA_CONFIG_DEFAULTS.replicaLagTimeMaxMs, min: 100, max: 3_600_000 }),
  opt('replicaFetchWaitMaxMs', 'int', 'follower fetch long-poll wait', { default: REPLICA_CONFIG_DEFAULTS.replicaFetchWaitMaxMs, min: 0, max: 60_000 }),
  opt('replicaFetchMaxBytes', 'int', 'follower fetch response bound', { default: REPLICA_CONFIG_DEFAULTS.replicaFetchMaxBytes, min: 1024, max: 1024 * 1024 * 1024 }),
  opt('logCleanerIntervalMs', 'int', 'how often retention and compaction run', { default: REPLICA_CONFIG_DEFAULTS.logCleanerIntervalMs, min: 10, max: 86_400_000 }),
  opt('offsetsTopicPartitions', 'int', '__consumer_offsets partition count', { default: 16, min: 1, max: 10_000 }),
  opt('offsetsTopicReplicationFactor', 'int', '__consumer_offsets replication factor (capped by the cluster size, not by the brokers up)', { default: 3, min: 1, max: 100 }),
  opt('defaultReplicationFactor', 'int', 'replication factor when a CreateTopics asks for -1', { default: 3, min: 1, max: 100 }),
  opt('numPartitions', 'int', 'partition count when a CreateTopics asks for -1', { default: 1, min: 1, max: 100_000 }),
  // ---- memory budgets: node-wide, so memory follows configuration, not the partition count
  opt('tailCacheBytes', 'int', 'tail cache of newest batches shared by all partitions on the node (bytes)', { default: 64 * 1024 * 1024, min: 0, max: 2 ** 40 }),
  opt('tailCachePartitionBytesMax', 'int', 'tail cache one partition may hold (bytes)', { default: 1024 * 1024, min: 0, max: 2 ** 40 }),
  opt('tailCacheIdleMs', 'int', 'a partition not written for this long gives its tail cache back (0 = never)', { default: 60_000, min: 0, max: 86_400_000 }),
  opt('storageWriteBufferBytes', 'int', 'LevelDB memtable of the partition logs (bytes)', { default: 32 * 1024 * 1024, min: 1024 * 1024, max: 2 ** 40 }),
  opt('storageBlockCacheBytes', 'int', 'LevelDB block cache of the partition logs (bytes)', { default: 8 * 1024 * 1024, min: 0, max: 2 ** 40 }),
  opt('fetchSessionCacheSlots', 'int', 'incremental fetch sessions (KIP-227) cached at once (0 = no sessions; Kafka\'s max.incremental.fetch.session.cache.slots)', { default: 1000, min: 0, max: 1_000_000 }),
  opt('fetchSessionCachePartitions', 'int', 'partitions all cached fetch sessions hold together', { default: 100_000, min: 0, max: 100_000_000 }),
  opt('producerStateEntriesMax', 'int', 'idempotent producer entries (producer x partition) the node remembers; past it a partition forgets its oldest producer', { default: REPLICA_CONFIG_DEFAULTS.producerStateEntriesMax, min: 1, max: 100_000_000 }),
  opt('tlsCert', 'nullable-string', 'PEM certificate (chain) file: the port speaks TLS (wss://, https://); re-read on SIGHUP', { default: null }),
  opt('tlsKey', 'nullable-string', 'PEM private key file for --tls-cert; re-read on SIGHUP', { default: null }),
  opt('tlsCa', 'nullable-string', 'PEM CA bundle trusted for client and peer certificates and for wss:// peers', { default: null }),
  opt('tlsClientAuth', 'tls-client-auth', 'client certificates: required|requested|none (needs --tls-ca unless none)', { default: 'none' }),
  opt('tlsPrincipalMapping', 'nullable-string', 'certificate subject -> principal rules, Kafka ssl.principal.mapping.rules style (RULE:pattern/replacement/[LU],DEFAULT)', { default: null }),
  // ---- authentication
  opt('clusterSecretFile', 'nullable-string', 'file with the cluster secret (same on every node; make one with `openssl rand -hex 32`): cluster-internal APIs are then served to brokers only', { default: null }),
  opt('saslMechanisms', 'sasl-mechanisms', `client SASL mechanisms required of every client, comma-separated (${CLIENT_SASL_MECHANISMS.join(',').toLowerCase()}); empty = client authentication off`, { default: [] }),
  opt('saslHandshakeTimeoutMs', 'int', 'close a connection that has not authenticated after this long (when SASL is required)', { default: 10_000, min: 100, max: 3_600_000 }),
  opt('failedAuthenticationDelayMs', 'int', 'delay before answering a failed authentication', { default: 100, min: 0, max: 60_000 }),
  opt('unauthenticatedConnectionsPerAddressMax', 'int', 'unauthenticated connections one remote address may hold (when SASL is required)', { default: 64, min: 1, max: 1_000_000 }),
  opt('saslSessionMaxMs', 'int', 'authenticated sessions must re-authenticate after this many ms (KIP-368)', { default: 3_600_000, min: 100, max: 7 * 86_400_000 }),
  opt('allowPlaintextPasswords', 'bool', 'accept SASL PLAIN on connections without TLS', { default: false }),
  opt('oauthJwtSecretFile', 'nullable-string', 'OAUTHBEARER: file with the HS256 secret', { default: null }),
  opt('oauthJwtPublicKeyFile', 'nullable-string', 'OAUTHBEARER: PEM public key for RS256/ES256 tokens', { default: null }),
  opt('oauthJwksFile', 'nullable-string', 'OAUTHBEARER: JWKS file with RS256/ES256 keys', { default: null }),
  opt('oauthAudience', 'nullable-string', 'OAUTHBEARER: required aud claim', { default: null }),
  opt('oauthIssuer', 'nullable-string', 'OAUTHBEARER: required iss claim', { default: null }),
  opt('oauthPrincipalClaim', 'string', 'OAUTHBEARER: claim naming the user', { default: 'sub' }),
  opt('superUsers', 'principals', 'User:name,... that may do anything, users included (brokers always may)', { default: [] }),
  opt('bootstrapScramUsers', 'nullable-string', 'file of name:mechanism:password lines created when the cluster is first formed (give it to every voter)', { default: null }),
  // ---- authorization
  opt('authorizer', 'authorizer', 'none|acl: acl checks every request against the cluster\'s ACLs (tributary acls)', { default: 'none' }),
  opt('allowEveryoneIfNoAclFound', 'bool', 'with --authorizer acl: a resource no ACL names is open to everyone', { default: false }),
  // ---- web console
  opt('console', 'bool', 'serve the web console at / on the node\'s port (--console false: off)', { default: true }),
]

/** The options with a default, as a config object fragment (tests build configs from it). */
export const BROKER_CONFIG_DEFAULTS: Partial<BrokerConfig> = Object.fromEntries(
  BROKER_OPTIONS.filter((o) => o.default !== undefined && o.default !== null).map((o) => [o.key, o.default]),
)

export interface ConfigSources {
  /** Already-parsed flags keyed by camelCase option name (yargs gives both spellings). */
  flags?: Record<string, unknown>
  env?: Record<string, string | undefined>
  /** The parsed --config JSON file: camelCase or kebab-case keys. */
  file?: Record<string, unknown>
}

/**
 * Resolve and validate a BrokerConfig. On error the message names the option as a
 * user would type it: `--node-id (TRIBUTARY_NODE_ID): 'x' is not an integer`.
 */
export function resolveBrokerConfig(sources: ConfigSources): Result<BrokerConfig> {
  const { flags = {}, env = {}, file = {} } = sources
  for (const key of Object.keys(file)) {
    if (!BROKER_OPTIONS.some((o) => o.key === key || o.flag === key)) return fail(ErrorCode.INVALID_CONFIG, `--config: unknown option '${key}'`)
  }
  const out: Record<string, unknown> = {}
  for (const spec of BROKER_OPTIONS) {
    const name = `--${spec.flag} (${spec.env})`
    let raw: unknown = flags[spec.key] ?? flags[spec.flag]
    if (raw === undefined) raw = env[spec.env]
    if (raw === undefined) raw = file[spec.key] ?? file[spec.flag]
    if (raw === undefined) {
      if (spec.default === undefined) return fail(ErrorCode.INVALID_CONFIG, `${name} is required`)
      out[spec.key] = spec.default
      continue
    }
    const v = parseValue(spec, raw)
    if (!v.ok) return fail(v.code, `${name}: ${v.message}`)
    out[spec.key] = v.value
  }
  const cfg = out as unknown as BrokerConfig
  if (cfg.advertise === null) cfg.advertise = cfg.listen
  if (cfg.kafkaAdvertise === null) cfg.kafkaAdvertise = cfg.kafkaListen
  const agree = checkOptionsAgree(cfg)
  if (!agree.ok) return agree
  return ok(cfg)
}

/** Every named listener with the address its clients are told. */
export function namedListeners(cfg: Pick<BrokerConfig, 'listeners' | 'advertisedListeners'>): NamedListener[] {
  return cfg.listeners.map((l) => ({ name: l.name, listen: l.endpoint, advertise: cfg.advertisedListeners.find((a) => a.name === l.name)?.endpoint ?? l.endpoint }))
}
