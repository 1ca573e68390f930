/**
 * What authentication costs per request after the handshake: the same server and
 * handler over a real loopback socket, once open (no secret, no SASL) and once
 * with a cluster secret and client SASL required, on a connection that
 * authenticated as a broker. Rounds alternate so machine load hits both alike.
 *   node packages/broker/dist/bench/server-auth.js
 */
import { pino } from 'pino'
import { ApiKey, authenticate, RpcConnection } from '@tributary/protocol'
import { BrokerMetrics } from '../metrics.js'
import { Handlers } from '../net/handler-registry.js'
import { startServer, type NodeServer } from '../net/server.js'
import { wsConnector } from '../net/ws-transport.js'
import { systemClock } from '../seams.js'
import { Authenticator } from '../security/authenticator.js'
import { BrokerClientMechanism, brokerMechanismProvider, clusterKey } from '../security/broker-mechanism.js'

const REQUESTS = Number(process.env.TRIBUTARY_BENCH_REQUESTS ?? 50_000)
const ROUNDS = Number(process.env.TRIBUTARY_BENCH_ROUNDS ?? 4)
const IN_FLIGHT = 64
const zero = () => 0
const gauges = {
  raftTerm: zero, raftCommitIndex: zero, raftLeaderId: zero, metadataOffset: zero, fencedBrokers: zero,
  activeController: () => false, clusterPartitions: zero, clusterUnderReplicatedPartitions: zero, clusterOfflinePartitions: zero,
}
const KEY = clusterKey(new TextEncoder().encode('bench cluster secret, 32 bytes!!'))

async function server(secured: boolean): Promise<NodeServer> {
  const logger = pino({ level: 'silent' })
  const metrics = new BrokerMetrics(1, { gauges })
  const handlers = new Handlers()
  handlers.register(ApiKey.Metadata, () => ({ errorCode: 0, body: {} }))
  handlers.register(ApiKey.UnregisterBroker, () => ({ errorCode: 0, body: {} }), { clusterInternal: true })
  const authenticator = secured
    ? new Authenticator({
        mechanisms: [brokerMechanismProvider(KEY, 1)], saslRequired: true, clusterProtected: true,
        saslHandshakeTimeoutMs: 10_000, failedAuthenticationDelayMs: 100, unauthenticatedConnectionsPerAddressMax: 64,
        clock: systemClock, metrics, logger,
      })
    : undefined
  return startServer({
    host: '127.0.0.1', port: 0, maxConnections: 16, inFlightPerConnectionMax: 1024, frameBytesMax: 1 << 20,
    handlers, metrics, logger, authenticator, readiness: () => ({ ready: true, reason: 'ready' }),
  })
}

/** Requests per second of a cluster-internal API (the gate's path) on one connection. */
async function rate(c: RpcConnection): Promise<number> {
  let sent = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (sent++ < REQUESTS) {
      const r = await c.request(ApiKey.UnregisterBroker, { nodeId: 2 })
      if (r.errorCode !== 0) throw new Error(`error ${r.errorCode}`)
    }
  }))
  return REQUESTS / ((performance.now() - started) / 1000)
}

async function main(): Promise<void> {
  const open = await server(false)
  const secured = await server(true)
  const openConn = new RpcConnection(await wsConnector()(`ws://127.0.0.1:${open.port}`), { inFlightMax: IN_FLIGHT })
  const securedConn = new RpcConnection(await wsConnector()(`ws://127.0.0.1:${secured.port}`), { inFlightMax: IN_FLIGHT })
  await authenticate(securedConn, new BrokerClientMechanism(KEY, 2, 1))
  const figures = { open: [] as number[], secured: [] as number[] }
  try {
    await rate(openConn) // warm-up
    await rate(securedConn)
    for (let i = 0; i < ROUNDS; i++) {
      figures.open.push(await rate(openConn))
      figures.secured.push(await rate(securedConn))
    }
  } finally {
    openConn.close()
    securedConn.close()
    await open.close()
    await secured.close()
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const result = { bench: 'server-auth-per-request', requests: REQUESTS, rounds: ROUNDS, openPerSec: Math.round(median(figures.open)), securedPerSec: Math.round(median(figures.secured)) }
  console.log(`one connection, ${IN_FLIGHT} in flight, ${REQUESTS.toLocaleString()} requests x ${ROUNDS} alternating rounds (median)`)
  console.log(`  open:    ${result.openPerSec.toLocaleString()} requests/s   rounds ${figures.open.map(Math.round).join(', ')}`)
  console.log(`  secured: ${result.securedPerSec.toLocaleString()} requests/s   rounds ${figures.secured.map(Math.round).join(', ')} (SASL required, cluster secret, authenticated broker)`)
  console.log(JSON.stringify(result))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
