/**
 * A test cluster whose nodes also open a Kafka listener, each on its own port the
 * OS picked (node N on `kafkaPorts[N - 1]`): the set-up every Kafka-listener test
 * shares.
 */
import { freePort, startCluster, type ClusterOptions, type TestCluster } from './cluster.js'

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
