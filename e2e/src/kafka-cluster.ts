/**
 * A test cluster whose nodes also open a Kafka listener, each on its own port the
 * OS picked (node N on `kafkaPorts[N - 1]`): the set-up every Kafka-listener test
 * shares.
 */
import { createRequire } from 'node:module'
import type { Tributary } from '@tributary/client'
import { sdkClient } from './cluster-client.js'
import { freePort, startCluster, type ClusterOptions, type TestCluster } from './cluster.js'

const require = createRequire(import.meta.url)

export interface KafkaTestCluster {
  cluster: TestCluster
  kafkaPorts: number[]
  /** `127.0.0.1:port` of each node's Kafka listener, node 1 first. */
  kafkaBrokers: string[]
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < count) {
    const p = await freePort()
    if (!ports.includes(p)) ports.push(p)
  }
  return ports
}

/** `brokerArgs`: more flags for node N (the Kafka listener's are added). */
export async function startKafkaCluster(opts: Omit<ClusterOptions, 'brokerArgs'> & { brokerArgs?: (nodeId: number) => string[] } = {}): Promise<KafkaTestCluster> {
  const nodes = opts.nodes ?? 3
  const kafkaPorts = await freePorts(nodes)
  const kafkaBrokers = kafkaPorts.map((p) => `127.0.0.1:${p}`)
  const cluster = await startCluster({
    logLevel: 'warn',
    ...opts,
    nodes,
    brokerArgs: (id) => [...(opts.brokerArgs?.(id) ?? []), '--kafka-listen', kafkaBrokers[id - 1]!],
  })
  return { cluster, kafkaPorts, kafkaBrokers }
}

/** A started Kafka-listener cluster and an SDK client on it. */
export async function startKafkaClusterAndClient(clientId: string, opts: Parameters<typeof startKafkaCluster>[0] = {}): Promise<KafkaTestCluster & { client: Tributary }> {
  const started = await startKafkaCluster(opts)
  return { ...started, client: sdkClient(started.cluster, clientId) }
}

/** A KafkaJS client on the Kafka listeners, quiet, retrying `retries` times. */
export function kafkajsClient(clientId: string, kafkaBrokers: string[], retries: number): any {
  const { Kafka, logLevel } = require('kafkajs')
  return new Kafka({ clientId, brokers: kafkaBrokers, logLevel: logLevel.NOTHING, retry: { retries } })
}
