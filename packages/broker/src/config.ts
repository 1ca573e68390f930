/**
 * The broker's configuration: one schema table (flag, env twin, default, parser)
 * shared by the CLI (`tributary broker`), the e2e helpers and docker-compose.
 *
 * Precedence: flag > TRIBUTARY_* env > --config file.json > default.
 * Bad input is a value (`Result`) naming the offending option, never a throw:
 * the CLI prints that one line and exits 2.
 */
import { ErrorCode, fail, ok, type Result } from '@tributary/protocol'
import { parsePrincipalMapping } from './net/principal-mapping.js'
import { REPLICA_CONFIG_DEFAULTS } from './replication/config.js'
import { parseHostPort, parseNamedUrls, parseVoters, parseWsUrl, type NamedEndpoint, type NamedListener, type Voter } from './config-addresses.js'

export { listenAddress, NAMED_LISTENERS_MAX, parseHostPort, parseNamedUrls, parseVoters, parseWsUrl, type NamedEndpoint, type NamedListener, type Voter } from './config-addresses.js'

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

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

export type TlsClientAuth = 'required' | 'requested' | 'none'
const TLS_CLIENT_AUTH: readonly TlsClientAuth[] = ['required', 'requested', 'none']

/** Client mechanisms --sasl-mechanisms may name. */
export const CLIENT_SASL_MECHANISMS: readonly string[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN', 'OAUTHBEARER']

type Kind = 'int' | 'string' | 'url' | 'voters' | 'loglevel' | 'nullable-string' | 'named-urls' | 'tls-client-auth' | 'host-port' | 'sasl-mechanisms' | 'bool' | 'principals' | 'authorizer'

interface OptionSpec {
  key: keyof BrokerConfig
  flag: string
  env: string
  kind: Kind
  describe: string
  /** undefined = required */
  default?: unknown
  min?: number
  max?: number
}

const opt = (key: keyof BrokerConfig, kind: Kind, describe: string, extra: Partial<OptionSpec> = {}): OptionSpec => {
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

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']

function parseValue(spec: OptionSpec, raw: unknown): Result<unknown> {
  switch (spec.kind) {
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN
      if (!Number.isSafeInteger(n)) return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not an integer`)
      if (spec.min !== undefined && n < spec.min) return fail(ErrorCode.INVALID_CONFIG, `${n} is below the minimum ${spec.min}`)
      if (spec.max !== undefined && n > spec.max) return fail(ErrorCode.INVALID_CONFIG, `${n} is above the maximum ${spec.max}`)
      return ok(n)
    }
    case 'string':
      if (typeof raw !== 'string' || raw === '') return fail(ErrorCode.INVALID_CONFIG, 'must be a non-empty string')
      return ok(raw)
    case 'nullable-string':
      if (raw === null || raw === '') return ok(null)
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be a string')
      return ok(raw)
    case 'url':
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be a ws:// URL')
      return parseWsUrl(raw)
    case 'voters':
      if (Array.isArray(raw)) return parseVoters(raw.map((v) => (typeof v === 'string' ? v : `${v?.nodeId}@${v?.endpoint}`)).join(','))
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be id@ws://host:port,...')
      return parseVoters(raw)
    case 'named-urls':
      if (Array.isArray(raw)) return parseNamedUrls(raw.map((v) => (typeof v === 'string' ? v : `${v?.name}=${v?.endpoint}`)).join(','))
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be name=ws://host:port,...')
      return parseNamedUrls(raw)
    case 'tls-client-auth':
      if (!TLS_CLIENT_AUTH.includes(raw as TlsClientAuth)) return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not one of ${TLS_CLIENT_AUTH.join('|')}`)
      return ok(raw)
    case 'host-port':
      if (raw === null || raw === '') return ok(null)
      if (typeof raw !== 'string') return fail(ErrorCode.INVALID_CONFIG, 'must be host:port')
      return parseHostPort(raw)
    case 'sasl-mechanisms': {
      const names = (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [null]).map((n) => (typeof n === 'string' ? n.trim().toUpperCase() : n))
      const bad = names.find((n) => typeof n !== 'string' || (n !== '' && !CLIENT_SASL_MECHANISMS.includes(n)))
      if (bad !== undefined) return fail(ErrorCode.INVALID_CONFIG, `'${String(bad)}' is not one of ${CLIENT_SASL_MECHANISMS.join(', ').toLowerCase()}`)
      return ok([...new Set(names.filter((n) => n !== ''))])
    }
    case 'bool':
      if (raw === true || raw === 'true' || raw === '1') return ok(true)
      if (raw === false || raw === 'false' || raw === '0' || raw === '') return ok(false)
      return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not true or false`)
    case 'principals': {
      const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',').map((x) => x.trim()).filter(Boolean) : null
      if (!list) return fail(ErrorCode.INVALID_CONFIG, 'must be User:name,...')
      const badOne = list.find((p) => !/^[A-Za-z]+:.+$/.test(p))
      if (badOne !== undefined) return fail(ErrorCode.INVALID_CONFIG, `'${badOne}' is not a principal like User:alice`)
      return ok(list)
    }
    case 'authorizer':
      if (raw !== 'none' && raw !== 'acl') return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not none or acl`)
      return ok(raw)
    case 'loglevel':
      if (!LOG_LEVELS.includes(raw as LogLevel)) return fail(ErrorCode.INVALID_CONFIG, `'${String(raw)}' is not one of ${LOG_LEVELS.join('|')}`)
      return ok(raw)
  }
}

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
  if (cfg.kafkaTls && (cfg.kafkaListen === null || cfg.tlsCert === null)) {
    return fail(ErrorCode.INVALID_CONFIG, '--kafka-tls (TRIBUTARY_KAFKA_TLS) needs --kafka-listen and --tls-cert/--tls-key')
  }
  if (cfg.kafkaListen === null && cfg.kafkaAdvertise !== null) {
    return fail(ErrorCode.INVALID_CONFIG, '--kafka-advertise (TRIBUTARY_KAFKA_ADVERTISE) needs --kafka-listen')
  }
  if (cfg.kafkaListen !== null && cfg.listeners.some((l) => l.name === 'kafka')) {
    return fail(ErrorCode.INVALID_CONFIG, `--listeners (TRIBUTARY_LISTENERS): 'kafka' is the Kafka listener's name (--kafka-listen)`)
  }
  // A node's entry in --voters is the address peers use (e.g. a compose hostname);
  // --advertise is what clients are told (e.g. a published host port). They may
  // differ, as with Kafka's separate inter-broker and client listeners: peer
  // traffic resolves voters through this list first.
  for (const a of cfg.advertisedListeners) {
    if (!cfg.listeners.some((l) => l.name === a.name)) {
      return fail(ErrorCode.INVALID_CONFIG, `--advertised-listeners (TRIBUTARY_ADVERTISED_LISTENERS): '${a.name}' is not in --listeners`)
    }
  }
  const roles = checkProcessRoles(cfg)
  if (!roles.ok) return roles
  if (cfg.brokerSessionTimeoutMs <= cfg.brokerHeartbeatIntervalMs) {
    return fail(ErrorCode.INVALID_CONFIG, '--broker-session-timeout-ms must exceed --broker-heartbeat-interval-ms')
  }
  if (cfg.heartbeatTicks >= cfg.electionTimeoutTicks) {
    return fail(ErrorCode.INVALID_CONFIG, '--heartbeat-ticks must be below --election-timeout-ticks')
  }
  const tls = checkTlsConfig(cfg)
  if (!tls.ok) return tls
  // With client SASL on, every connection must authenticate, peers included: they need a broker identity
  // (the cluster secret, or a broker certificate from the cluster CA).
  if (cfg.saslMechanisms.length > 0 && cfg.clusterSecretFile === null && (cfg.tlsCa === null || cfg.tlsClientAuth === 'none')) {
    return fail(ErrorCode.INVALID_CONFIG, '--sasl-mechanisms needs --cluster-secret-file (or --tls-ca with --tls-client-auth): brokers must authenticate to each other too')
  }
  // ACLs mean nothing if a client can pass for a broker (brokers are always allowed).
  if (cfg.authorizer === 'acl' && cfg.clusterSecretFile === null && (cfg.tlsCa === null || cfg.tlsClientAuth === 'none')) {
    return fail(ErrorCode.INVALID_CONFIG, '--authorizer acl needs --cluster-secret-file (or --tls-ca with --tls-client-auth): otherwise a client could pass for a broker')
  }
  return ok(cfg)
}

/**
 * The TLS options agree with each other and with the listeners: a wss:// listener
 * (--listen or a named one) serves TLS with --tls-cert, a ws:// one stays plain.
 */
function checkTlsConfig(cfg: BrokerConfig): Result<void> {
  if ((cfg.tlsCert === null) !== (cfg.tlsKey === null)) return fail(ErrorCode.INVALID_CONFIG, '--tls-cert and --tls-key go together: give both or neither')
  const secure = cfg.tlsCert !== null
  const wss = [cfg.listen, ...cfg.listeners.map((l) => l.endpoint)].filter((u) => u.startsWith('wss:'))
  if (!secure && wss.length > 0) return fail(ErrorCode.INVALID_CONFIG, `${wss[0]} is a wss:// listener: it needs --tls-cert and --tls-key`)
  if (secure && wss.length === 0) return fail(ErrorCode.INVALID_CONFIG, `--tls-cert is given but no listener is wss:// (--listen ${cfg.listen})`)
  if (cfg.tlsClientAuth !== 'none' && (!secure || cfg.tlsCa === null)) {
    return fail(ErrorCode.INVALID_CONFIG, `--tls-client-auth ${cfg.tlsClientAuth} needs --tls-cert, --tls-key and --tls-ca (the CA that signs client certificates)`)
  }
  const mapping = parsePrincipalMapping(cfg.tlsPrincipalMapping)
  if (!mapping.ok) return fail(mapping.code, `--tls-principal-mapping (TRIBUTARY_TLS_PRINCIPAL_MAPPING): ${mapping.message}`)
  return ok(undefined)
}

/** Every named listener with the address its clients are told. */
export function namedListeners(cfg: Pick<BrokerConfig, 'listeners' | 'advertisedListeners'>): NamedListener[] {
  return cfg.listeners.map((l) => ({ name: l.name, listen: l.endpoint, advertise: cfg.advertisedListeners.find((a) => a.name === l.name)?.endpoint ?? l.endpoint }))
}

/** --process-roles: normalised to 'broker' or 'broker,controller'; a node in --voters may not be broker-only. */
function checkProcessRoles(cfg: BrokerConfig): Result<void> {
  const raw = cfg.processRoles as string | null
  const listed = cfg.voters.some((v) => v.nodeId === cfg.nodeId)
  if (raw === null) {
    cfg.processRoles = listed ? 'broker,controller' : 'broker'
    return ok(undefined)
  }
  const roles = new Set(raw.split(',').map((r) => r.trim()))
  if ([...roles].some((r) => r !== 'broker' && r !== 'controller')) return fail(ErrorCode.INVALID_CONFIG, `--process-roles (TRIBUTARY_PROCESS_ROLES): '${raw}' is not broker or broker,controller`)
  if (!roles.has('broker')) return fail(ErrorCode.INVALID_CONFIG, '--process-roles: every Tributary node is a broker; controller-only nodes are not supported (use broker,controller)')
  cfg.processRoles = roles.has('controller') ? 'broker,controller' : 'broker'
  if (cfg.processRoles === 'broker' && listed) {
    return fail(ErrorCode.INVALID_CONFIG, `--process-roles broker: node ${cfg.nodeId} is in --voters, but a broker-only node never votes`)
  }
  return ok(undefined)
}
