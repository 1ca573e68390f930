/** The broker options that must agree with each other, checked once every option has its value. */
import { ErrorCode, fail, ok, type Result } from '@tributary/protocol'
import type { BrokerConfig } from './config.js'
import { parsePrincipalMapping } from './net/principal-mapping.js'

/** The options agree; normalises --process-roles. A failure names the options as a user types them. */
export function checkOptionsAgree(cfg: BrokerConfig): Result<void> {
  const listeners = checkListeners(cfg)
  if (!listeners.ok) return listeners
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
  return checkBrokerIdentity(cfg)
}

/** The Kafka listener's options go together; every advertised named listener is a listener. */
function checkListeners(cfg: BrokerConfig): Result<void> {
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
  return ok(undefined)
}

/** Client SASL and ACLs need brokers to prove they are brokers. */
function checkBrokerIdentity(cfg: BrokerConfig): Result<void> {
  const brokersProveIdentity = cfg.clusterSecretFile !== null || (cfg.tlsCa !== null && cfg.tlsClientAuth !== 'none')
  // With client SASL on, every connection must authenticate, peers included: they need a broker identity
  // (the cluster secret, or a broker certificate from the cluster CA).
  if (cfg.saslMechanisms.length > 0 && !brokersProveIdentity) {
    return fail(ErrorCode.INVALID_CONFIG, '--sasl-mechanisms needs --cluster-secret-file (or --tls-ca with --tls-client-auth): brokers must authenticate to each other too')
  }
  // ACLs mean nothing if a client can pass for a broker (brokers are always allowed).
  if (cfg.authorizer === 'acl' && !brokersProveIdentity) {
    return fail(ErrorCode.INVALID_CONFIG, '--authorizer acl needs --cluster-secret-file (or --tls-ca with --tls-client-auth): otherwise a client could pass for a broker')
  }
  return ok(undefined)
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
