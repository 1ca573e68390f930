/**
 * A Controller over a fake quorum that commits at once: for testing the
 * controller's decisions (validation, placement, fencing, ISR rules) as a pure
 * unit, with a manual clock.
 */
import { pino } from 'pino'
import type { BrokerConfig } from '../config.js'
import { Controller, type ControllerDeps, type ControllerQuorum } from '../controller/controller.js'
import { MetadataPublisher } from '../metadata/metadata-publisher.js'
import type { MetadataRecord } from '../metadata/records.js'
import { ManualClock } from './manual-clock.js'

export class InstantQuorum implements ControllerQuorum {
  index = 0
  readonly committed: Array<{ index: number; records: MetadataRecord[] }> = []
  constructor(private readonly metadata: MetadataPublisher) {}
  async commit(records: MetadataRecord[]): Promise<number> {
    const index = ++this.index
    this.committed.push({ index, records })
    this.metadata.apply(records, index)
    return index
  }
}

export type HarnessConfig = Partial<Pick<BrokerConfig, 'autoLeaderRebalance' | 'leaderImbalancePerBrokerPercentage' | 'leaderImbalanceCheckIntervalMs'>>

export function controllerHarness(opts: { sessionMs?: number; config?: HarnessConfig; timings?: ControllerDeps['timings'] } = {}) {
  const clock = new ManualClock()
  const metadata = new MetadataPublisher(1)
  const quorum = new InstantQuorum(metadata)
  let ids = 0
  const controller = new Controller({
    nodeId: 1,
    clock,
    image: () => metadata.image(),
    quorum,
    config: { brokerSessionTimeoutMs: opts.sessionMs ?? 2000, brokerHeartbeatIntervalMs: 250, defaultReplicationFactor: 3, numPartitions: 1, ...opts.config },
    logger: pino({ level: 'silent' }),
    newTopicId: () => `topic-${++ids}`,
    newClusterId: () => 'cluster-1',
    timings: opts.timings,
  })
  return { clock, metadata, quorum, controller }
}
