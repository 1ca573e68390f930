/**
 * The broker side of registration and failure detection: register with the
 * controller (a new incarnation id per process start), then heartbeat every
 * brokerHeartbeatIntervalMs with the metadata offset applied here. The controller
 * unfences this broker once that offset reaches its own registration record.
 *
 * Controlled shutdown: heartbeats carry wantShutdown until the controller has
 * moved leadership away and answers shouldShutdown.
 */
import { ApiKey, ErrorCode, type BrokerHeartbeatResponse } from '@tributary/protocol'
import type { Logger } from 'pino'
import type { MetadataView } from './metadata/image-types.js'
import { sleep, type Clock, type ControllerChannel } from './seams.js'

export interface BrokerLifecycleDeps {
  nodeId: number
  endpoint: string
  /** named client listeners: name → advertised URL */
  endpoints?: Record<string, string>
  rack: string | null
  incarnationId: string
  clock: Clock
  controller: ControllerChannel
  metadata: MetadataView
  heartbeatIntervalMs: number
  sessionTimeoutMs: number
  logger: Logger
}

export class BrokerLifecycle {
  private brokerEpoch = -1
  private caughtUp = false
  private fencedByController = true
  private wantShutdown = false
  private shutdownAcked = false
  private stopped = false
  private beating = false
  private cancelTimer: (() => void) | null = null
  private registering: Promise<void> | null = null

  constructor(private readonly deps: BrokerLifecycleDeps) {}

  start(): void {
    this.schedule(0)
  }

  stop(): void {
    this.stopped = true
    this.cancelTimer?.()
  }

  epoch(): number {
    return this.brokerEpoch
  }

  /** /readyz: registered, unfenced in the image, metadata caught up. */
  readiness(): { ready: boolean; reason: string } {
    if (this.brokerEpoch < 0) return { ready: false, reason: 'not registered' }
    const me = this.deps.metadata.image().brokers.get(this.deps.nodeId)
    if (!me || me.brokerEpoch !== this.brokerEpoch) return { ready: false, reason: 'registration not applied yet' }
    if (me.fenced) return { ready: false, reason: 'fenced' }
    if (!this.caughtUp) return { ready: false, reason: 'metadata catching up' }
    return { ready: true, reason: 'ready' }
  }

  /** Ask the controller to move leadership away; resolves when it agrees or `timeoutMs` passes. */
  async controlledShutdown(timeoutMs: number): Promise<boolean> {
    if (this.brokerEpoch < 0) return true
    this.wantShutdown = true
    const deadline = this.deps.clock.now() + timeoutMs
    while (!this.shutdownAcked && this.deps.clock.now() < deadline && !this.stopped) {
      await this.beat()
      if (this.shutdownAcked) break
      await sleep(this.deps.clock, Math.min(this.deps.heartbeatIntervalMs, 100))
    }
    return this.shutdownAcked
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.cancelTimer = this.deps.clock.setTimeout(() => {
      void this.beat().finally(() => this.schedule(this.deps.heartbeatIntervalMs))
    }, ms)
  }

  private async register(): Promise<void> {
    const { nodeId, endpoint, endpoints, incarnationId, rack } = this.deps
    const r = await this.deps.controller.request(ApiKey.BrokerRegistration, { nodeId, endpoint, ...(endpoints ? { endpoints } : {}), incarnationId, rack }, { timeoutMs: this.deps.sessionTimeoutMs })
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`registration refused: ${r.errorCode} ${r.body?.errorMessage ?? ''}`)
    this.brokerEpoch = r.body.brokerEpoch
    this.deps.logger.info({ brokerEpoch: this.brokerEpoch, incarnationId }, 'registered with the controller')
  }

  private async beat(): Promise<void> {
    if (this.beating || this.stopped) return
    this.beating = true
    try {
      if (this.brokerEpoch < 0) {
        this.registering ??= this.register().finally(() => { this.registering = null })
        await this.registering
      }
      const r = await this.deps.controller.request<BrokerHeartbeatResponse>(ApiKey.BrokerHeartbeat, {
        nodeId: this.deps.nodeId,
        brokerEpoch: this.brokerEpoch,
        currentMetadataOffset: this.deps.metadata.image().offset,
        wantFence: false,
        wantShutdown: this.wantShutdown,
      }, { timeoutMs: this.deps.sessionTimeoutMs })
      if (r.errorCode === ErrorCode.STALE_BROKER_EPOCH || r.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED) {
        this.deps.logger.warn({ brokerEpoch: this.brokerEpoch, error: r.errorCode }, 'registration lost; registering again')
        this.brokerEpoch = -1
        this.caughtUp = false
        return
      }
      if (r.errorCode !== ErrorCode.NONE) return
      this.caughtUp = r.body.isCaughtUp
      if (this.fencedByController !== r.body.isFenced) {
        this.fencedByController = r.body.isFenced
        this.deps.logger.info({ fenced: r.body.isFenced }, r.body.isFenced ? 'fenced' : 'unfenced')
      }
      if (r.body.shouldShutdown) this.shutdownAcked = true
    } catch (err) {
      this.deps.logger.debug({ err: (err as Error).message }, 'heartbeat failed')
    } finally {
      this.beating = false
    }
  }
}
