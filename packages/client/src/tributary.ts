/**
 * The client entry point, shaped like kafkajs's `new Kafka({ clientId, brokers })`:
 * one shared connection layer, from which admin, producers and consumers are made.
 */
import { Admin } from './admin.js'
import { Cluster, type ClientConfig } from './cluster.js'
import { Consumer, type ConsumerConfig } from './consumer.js'
import { Producer, type ProducerConfig } from './producer.js'

export class Tributary {
  private readonly cluster: Cluster
  private readonly owned = new Set<{ disconnect(): Promise<void> }>()

  constructor(config: ClientConfig) {
    this.cluster = new Cluster(config)
  }

  admin(): Admin {
    return new Admin(this.cluster)
  }

  producer(config: ProducerConfig = {}): Producer {
    return this.track(new Producer(this.cluster, config))
  }

  consumer(config: ConsumerConfig = {}): Consumer {
    return this.track(new Consumer(this.cluster, config))
  }

  /** Flush producers, stop consumers (committing), then close every connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.owned].map((x) => x.disconnect()))
    this.owned.clear()
    this.cluster.close()
  }

  private track<T extends { disconnect(): Promise<void> }>(x: T): T {
    this.owned.add(x)
    return x
  }
}
