/**
 * The automatic preferred-leader rebalance (auto.leader.rebalance.enable) on
 * the active controller: every leader.imbalance.check.interval it commits the
 * elections leader-balance.ts `rebalanceChanges` proposes, through the
 * controller's write queue.
 *
 * A broker may take its leaderships back only after a whole check interval
 * live (unfenced): one that flaps is never stable that long, so leadership does
 * not follow it back and forth. Liveness times are this controller's own; a new
 * controller counts every live broker as live since its activation.
 */
import type { Logger } from 'pino'
import type { BrokerConfig } from '../config.js'
import { errorFields, type RateLimitedLog } from '../log-limit.js'
import type { MetadataImage } from '../metadata/image-types.js'
import type { MetadataRecord } from '../metadata/records.js'
import type { Clock } from '../seams.js'
import { rebalanceChanges } from './leader-balance.js'
import { isLive } from './partition-election.js'

/** Kafka's defaults, for configs (tests) that leave the settings out. */
export const LEADER_IMBALANCE_PERCENTAGE_DEFAULT = 10
export const LEADER_IMBALANCE_CHECK_INTERVAL_MS_DEFAULT = 300_000

export interface LeaderRebalancerDeps {
  clock: Clock
  image(): MetadataImage
  config: Partial<Pick<BrokerConfig, 'autoLeaderRebalance' | 'leaderImbalancePerBrokerPercentage' | 'leaderImbalanceCheckIntervalMs'>>
  logger: Logger
  limitedLog: RateLimitedLog
  isActive(): boolean
  /** Runs in the controller's write queue: plans the records against the image then, and commits them. */
  write(records: () => MetadataRecord[]): Promise<void>
}

export class LeaderRebalancer {
  private cancelTimer: (() => void) | null = null
  /** When each live broker was last unfenced (or live at activation). */
  private readonly liveSince = new Map<number, number>()

  constructor(private readonly deps: LeaderRebalancerDeps) {}

  private get intervalMs(): number {
    return this.deps.config.leaderImbalanceCheckIntervalMs ?? LEADER_IMBALANCE_CHECK_INTERVAL_MS_DEFAULT
  }

  /** The controller became active. */
  start(): void {
    const image = this.deps.image()
    const now = this.deps.clock.now()
    this.liveSince.clear()
    for (const id of image.brokers.keys()) if (isLive(image, id)) this.liveSince.set(id, now)
    this.schedule()
  }

  stop(): void {
    this.cancelTimer?.()
    this.cancelTimer = null
  }

  /** The broker was unfenced. */
  brokerBack(nodeId: number): void {
    this.liveSince.set(nodeId, this.deps.clock.now())
  }

  /** The broker was fenced, re-registered or is shutting down. */
  brokerLeft(nodeId: number): void {
    this.liveSince.delete(nodeId)
  }

  private schedule(): void {
    if (this.deps.config.autoLeaderRebalance === false) return
    this.cancelTimer = this.deps.clock.setTimeout(() => {
      this.cancelTimer = null
      if (!this.deps.isActive()) return
      let moved = 0
      void this.deps.write(() => {
        const moves = this.proposals()
        moved = moves.length
        return moves
      })
        .then(() => { if (moved > 0) this.deps.logger.info({ partitionsChanged: moved }, 'leadership moved back to preferred replicas') })
        .catch((err) => this.deps.limitedLog.warn('leader rebalance failed', errorFields(err), 'leader rebalance failed'))
        .finally(() => {
          // a controller deactivated and activated again meanwhile has scheduled its own check
          if (this.deps.isActive() && this.cancelTimer === null) this.schedule()
        })
    }, this.intervalMs)
  }

  /** One check's elections, against the image as it is now. */
  private proposals(): MetadataRecord[] {
    const image = this.deps.image()
    const now = this.deps.clock.now()
    const stable = (id: number) => isLive(image, id) && now - (this.liveSince.get(id) ?? now) >= this.intervalMs
    const ratioMax = (this.deps.config.leaderImbalancePerBrokerPercentage ?? LEADER_IMBALANCE_PERCENTAGE_DEFAULT) / 100
    return rebalanceChanges(image, ratioMax, stable)
  }
}
