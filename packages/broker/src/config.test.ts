import { resolveBrokerConfig, parseVoters, BROKER_OPTIONS, namedListeners } from './config.js'

const base = { nodeId: '1', listen: 'ws://127.0.0.1:9092', dataDir: '/tmp/d', voters: '1@ws://127.0.0.1:9092,2@ws://127.0.0.1:9093' }

test('flags fill a config with defaults; advertise defaults to listen', () => {
  const r = resolveBrokerConfig({ flags: base })
  expect(r.ok).toBe(true)
  if (!r.ok) return
  expect(r.value).toMatchObject({ nodeId: 1, advertise: 'ws://127.0.0.1:9092', brokerHeartbeatIntervalMs: 250, brokerSessionTimeoutMs: 2000, raftTickMs: 50, logLevel: 'info' })
  expect(r.value.voters).toEqual([{ nodeId: 1, endpoint: 'ws://127.0.0.1:9092' }, { nodeId: 2, endpoint: 'ws://127.0.0.1:9093' }])
})

test('flag beats env beats file', () => {
  const r = resolveBrokerConfig({
    flags: { ...base, raftTickMs: '20' },
    env: { TRIBUTARY_RAFT_TICK_MS: '30', TRIBUTARY_BROKER_SESSION_TIMEOUT_MS: '3000' },
    file: { 'raft-tick-ms': 40, brokerSessionTimeoutMs: 4000, logLevel: 'warn' },
  })
  expect(r.ok && r.value).toMatchObject({ raftTickMs: 20, brokerSessionTimeoutMs: 3000, logLevel: 'warn' })
})

test('every option has an env twin', () => {
  for (const o of BROKER_OPTIONS) expect(o.env).toMatch(/^TRIBUTARY_[A-Z_]+$/)
  const r = resolveBrokerConfig({ env: { TRIBUTARY_NODE_ID: '2', TRIBUTARY_LISTEN: 'ws://0.0.0.0:9093', TRIBUTARY_ADVERTISE: 'ws://127.0.0.1:9093', TRIBUTARY_DATA_DIR: '/d', TRIBUTARY_VOTERS: base.voters } })
  expect(r.ok && r.value.nodeId).toBe(2)
})

test.each([
  [{ ...base, nodeId: 'x' }, /--node-id \(TRIBUTARY_NODE_ID\): 'x' is not an integer/],
  [{ ...base, nodeId: '0' }, /--node-id .*below the minimum 1/],
  [{ ...base, listen: 'http://h:1' }, /--listen .*ws:\/\//],
  [{ ...base, listen: 'ws://h' }, /--listen .*explicit port/],
  [{ ...base, voters: '1@ws://a:1,1@ws://b:2' }, /--voters .*listed twice/],
  [{ ...base, voters: 'ws://a:1' }, /--voters .*id@ws/],
  [{ ...base, logLevel: 'loud' }, /--log-level/],
  [{ nodeId: '1', listen: base.listen, voters: base.voters }, /--data-dir \(TRIBUTARY_DATA_DIR\) is required/],
  [{ ...base, brokerSessionTimeoutMs: '100', brokerHeartbeatIntervalMs: '200' }, /--broker-session-timeout-ms must exceed/],
  [{ ...base, saslMechanisms: 'scram-sha-256,kerberos' }, /--sasl-mechanisms .*'KERBEROS' is not one of scram-sha-256/],
  [{ ...base, saslMechanisms: 'scram-sha-256' }, /--sasl-mechanisms needs --cluster-secret-file/],
])('a bad value is one message naming the flag: %j', (flags, message) => {
  const r = resolveBrokerConfig({ flags })
  expect(r.ok).toBe(false)
  if (!r.ok) expect(r.message).toMatch(message)
})

test('authentication options: off by default; mechanisms upper-cased and deduplicated; the secret file by flag or env', () => {
  const off = resolveBrokerConfig({ flags: base })
  expect(off.ok && off.value).toMatchObject({ clusterSecretFile: null, saslMechanisms: [], saslHandshakeTimeoutMs: 10_000, failedAuthenticationDelayMs: 100, unauthenticatedConnectionsPerAddressMax: 64 })
  const on = resolveBrokerConfig({ flags: { ...base, saslMechanisms: 'scram-sha-512, SCRAM-SHA-512,plain' }, env: { TRIBUTARY_CLUSTER_SECRET_FILE: '/run/secrets/cluster_secret' } })
  expect(on.ok && on.value).toMatchObject({ clusterSecretFile: '/run/secrets/cluster_secret', saslMechanisms: ['SCRAM-SHA-512', 'PLAIN'] })
})

test('the web console: on by default, off with --console false or TRIBUTARY_CONSOLE=false, a bad value named', () => {
  expect(resolveBrokerConfig({ flags: base })).toMatchObject({ ok: true, value: { console: true } })
  expect(resolveBrokerConfig({ flags: { ...base, console: false } })).toMatchObject({ ok: true, value: { console: false } })
  expect(resolveBrokerConfig({ flags: base, env: { TRIBUTARY_CONSOLE: 'false' } })).toMatchObject({ ok: true, value: { console: false } })
  const bad = resolveBrokerConfig({ flags: { ...base, console: 'maybe' } })
  expect(!bad.ok && bad.message).toMatch(/--console \(TRIBUTARY_CONSOLE\): 'maybe' is not true or false/)
})

test('a voter address may differ from the advertised one (peer vs client listener, as in docker-compose)', () => {
  const r = resolveBrokerConfig({ flags: { ...base, voters: '1@ws://node1:9092', advertise: 'ws://localhost:9092' } })
  expect(r.ok && [r.value.voters[0].endpoint, r.value.advertise]).toEqual(['ws://node1:9092', 'ws://localhost:9092'])
})

test('unknown keys in the config file are refused', () => {
  const r = resolveBrokerConfig({ flags: base, file: { nodeID: 3 } })
  expect(!r.ok && r.message).toMatch(/unknown option 'nodeID'/)
})

test('parseVoters normalises URLs', () => {
  const r = parseVoters(' 1@ws://h1:9092/ , 2@ws://h2:9092')
  expect(r.ok && r.value).toEqual([{ nodeId: 1, endpoint: 'ws://h1:9092' }, { nodeId: 2, endpoint: 'ws://h2:9092' }])
})

describe('named listeners (--listeners / --advertised-listeners)', () => {
  test('each named listener binds its own address and advertises its own (default: the bind address)', () => {
    const r = resolveBrokerConfig({ flags: { ...base, listeners: 'external=ws://0.0.0.0:19092,lan=ws://0.0.0.0:29092', advertisedListeners: 'external=ws://localhost:9092' } })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(namedListeners(r.value)).toEqual([
      { name: 'external', listen: 'ws://0.0.0.0:19092', advertise: 'ws://localhost:9092' },
      { name: 'lan', listen: 'ws://0.0.0.0:29092', advertise: 'ws://0.0.0.0:29092' },
    ])
  })

  test('none by default', () => {
    const r = resolveBrokerConfig({ flags: base })
    expect(r.ok && namedListeners(r.value)).toEqual([])
  })

  test.each([
    [{ listeners: 'ws://0.0.0.0:1' }, /--listeners \(TRIBUTARY_LISTENERS\): 'ws:\/\/0.0.0.0:1' is not name=ws:\/\/host:port/],
    [{ listeners: 'a=ws://h:1,a=ws://h:2' }, /listener 'a' is listed twice/],
    [{ listeners: '1x=ws://h:1' }, /'1x' is not a listener name/],
    [{ listeners: 'a=http://h:1' }, /must start with ws:\/\/ or wss:\/\//],
    [{ listeners: 'a=ws://h:1', advertisedListeners: 'b=ws://h:1' }, /--advertised-listeners .*'b' is not in --listeners/],
  ])('%j is refused naming the option', (flags, message) => {
    const r = resolveBrokerConfig({ flags: { ...base, ...flags } })
    expect(r.ok ? 'accepted' : r.message).toMatch(message)
  })
})

describe('TLS options', () => {
  const tlsBase = { ...base, listen: 'wss://127.0.0.1:9092', tlsCert: '/c/broker-1.crt', tlsKey: '/c/broker-1.key' }

  test('a plain primary listener may sit beside a wss:// named one (TLS for outside clients only)', () => {
    const r = resolveBrokerConfig({ flags: { ...base, tlsCert: '/c/a.crt', tlsKey: '/c/a.key', listeners: 'external=wss://0.0.0.0:19092' } })
    expect(r.ok).toBe(true)
  })

  test('default to a plain port with no client certificates; env twins are TRIBUTARY_TLS_*', () => {
    const plain = resolveBrokerConfig({ flags: base })
    expect(plain.ok && plain.value).toMatchObject({ tlsCert: null, tlsKey: null, tlsCa: null, tlsClientAuth: 'none', tlsPrincipalMapping: null })
    const r = resolveBrokerConfig({
      flags: { ...base, listen: 'wss://127.0.0.1:9092' },
      env: { TRIBUTARY_TLS_CERT: '/c/a.crt', TRIBUTARY_TLS_KEY: '/c/a.key', TRIBUTARY_TLS_CA: '/c/ca.crt', TRIBUTARY_TLS_CLIENT_AUTH: 'required', TRIBUTARY_TLS_PRINCIPAL_MAPPING: 'RULE:^CN=(.*?),.*$/$1/,DEFAULT' },
    })
    expect(r.ok && r.value).toMatchObject({ tlsCert: '/c/a.crt', tlsKey: '/c/a.key', tlsCa: '/c/ca.crt', tlsClientAuth: 'required', tlsPrincipalMapping: 'RULE:^CN=(.*?),.*$/$1/,DEFAULT' })
  })

  test.each([
    [{ ...tlsBase, tlsKey: undefined }, /--tls-cert and --tls-key go together/],
    [{ ...tlsBase, listen: 'ws://127.0.0.1:9092' }, /--tls-cert is given but no listener is wss:\/\//],
    [{ ...base, listen: 'wss://127.0.0.1:9092' }, /wss:\/\/127.0.0.1:9092 is a wss:\/\/ listener: it needs --tls-cert and --tls-key/],
    [{ ...base, listeners: 'external=wss://0.0.0.0:19092' }, /wss:\/\/0.0.0.0:19092 is a wss:\/\/ listener: it needs --tls-cert/],
    [{ ...tlsBase, tlsClientAuth: 'required' }, /--tls-client-auth required needs .*--tls-ca/],
    [{ ...tlsBase, tlsClientAuth: 'always' }, /--tls-client-auth \(TRIBUTARY_TLS_CLIENT_AUTH\): 'always' is not one of required\|requested\|none/],
    [{ ...tlsBase, tlsPrincipalMapping: 'RULE:^CN=(.*$/$1/' }, /--tls-principal-mapping \(TRIBUTARY_TLS_PRINCIPAL_MAPPING\): .*bad pattern/],
  ])('a TLS setting that cannot work is one message naming the flag: %j', (flags, message) => {
    const r = resolveBrokerConfig({ flags })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toMatch(message)
  })
})

describe('the Kafka listener (--kafka-listen / --kafka-advertise)', () => {
  test('off by default; advertise defaults to the listen address; env twins work', () => {
    const off = resolveBrokerConfig({ flags: base })
    expect(off.ok && [off.value.kafkaListen, off.value.kafkaAdvertise]).toEqual([null, null])
    const on = resolveBrokerConfig({ flags: base, env: { TRIBUTARY_KAFKA_LISTEN: '0.0.0.0:9192' } })
    expect(on.ok && [on.value.kafkaListen, on.value.kafkaAdvertise]).toEqual(['0.0.0.0:9192', '0.0.0.0:9192'])
    const both = resolveBrokerConfig({ flags: { ...base, kafkaListen: '[::]:0', kafkaAdvertise: 'kafka1.example:19192' } })
    expect(both.ok && [both.value.kafkaListen, both.value.kafkaAdvertise]).toEqual(['[::]:0', 'kafka1.example:19192'])
  })

  test.each([
    [{ kafkaListen: 'ws://h:9192' }, /--kafka-listen \(TRIBUTARY_KAFKA_LISTEN\): 'ws:\/\/h:9192' is not host:port/],
    [{ kafkaListen: 'h:70000' }, /is not host:port/],
    [{ kafkaListen: 'h' }, /is not host:port/],
    [{ kafkaAdvertise: 'h:9192' }, /--kafka-advertise .*needs --kafka-listen/],
    [{ kafkaListen: 'h:9192', listeners: 'kafka=ws://h:1' }, /'kafka' is the Kafka listener's name/],
    [{ kafkaListen: 'h:9192', kafkaTls: true }, /--kafka-tls .*needs --kafka-listen and --tls-cert/],
    [{ kafkaTls: true }, /--kafka-tls .*needs --kafka-listen/],
  ])('%j is refused naming the option', (flags, message) => {
    const r = resolveBrokerConfig({ flags: { ...base, ...flags } })
    expect(r.ok ? 'accepted' : r.message).toMatch(message)
  })
})

test('leader balance and reassignment throttle: Kafka\'s defaults, settable by flag and env, bounded', () => {
  const d = resolveBrokerConfig({ flags: base })
  expect(d.ok && d.value).toMatchObject({ autoLeaderRebalance: true, leaderImbalancePerBrokerPercentage: 10, leaderImbalanceCheckIntervalMs: 300_000, reassignmentThrottleBytes: 0 })
  const set = resolveBrokerConfig({
    flags: { ...base, autoLeaderRebalance: false, leaderImbalanceCheckIntervalMs: '2000' },
    env: { TRIBUTARY_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE: '25', TRIBUTARY_REASSIGNMENT_THROTTLE_BYTES: '20000000' },
  })
  expect(set.ok && set.value).toMatchObject({ autoLeaderRebalance: false, leaderImbalancePerBrokerPercentage: 25, leaderImbalanceCheckIntervalMs: 2000, reassignmentThrottleBytes: 20_000_000 })
  const bad = resolveBrokerConfig({ flags: { ...base, leaderImbalancePerBrokerPercentage: '101' } })
  expect(!bad.ok && bad.message).toMatch(/--leader-imbalance-per-broker-percentage/)
})

test('--process-roles: voters default to broker,controller, others to broker; a listed voter may not be broker-only', () => {
  const roles = (flags: Record<string, string>) => {
    const r = resolveBrokerConfig({ flags: { ...base, ...flags } })
    return r.ok ? r.value.processRoles : r.message
  }
  expect(roles({})).toBe('broker,controller')
  expect(roles({ nodeId: '5' })).toBe('broker')
  expect(roles({ nodeId: '5', processRoles: 'controller,broker' })).toBe('broker,controller')
  expect(roles({ nodeId: '5', processRoles: 'broker' })).toBe('broker')
  expect(roles({ processRoles: 'broker' })).toMatch(/node 1 is in --voters, but a broker-only node never votes/)
  expect(roles({ processRoles: 'controller' })).toMatch(/controller-only nodes are not supported/)
  expect(roles({ processRoles: 'broker,voter' })).toMatch(/'broker,voter' is not broker or broker,controller/)
})
