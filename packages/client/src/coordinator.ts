/**
 * Group coordinator lookup and calls. The coordinator of a group is the leader
 * of its __consumer_offsets partition; any broker answers FindCoordinator. The
 * answer is cached per group and dropped on NOT_COORDINATOR /
 * COORDINATOR_NOT_AVAILABLE / network errors, then found again.
 */
import { ApiKey, ErrorCode, type RequestBody, type ResponseBody } from '@tributary/protocol'
import { withRetry } from './backoff.js'
import type { BrokerConnection } from './broker-connection.js'
import type { Cluster } from './cluster.js'

const REFIND = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT])

export class Coordinators {
  private readonly known = new Map<string, BrokerConnection>()

  constructor(private readonly cluster: Cluster) {}

  async find(groupId: string): Promise<BrokerConnection> {
    const cached = this.known.get(groupId)
    if (cached && !cached.isClosed) return cached
    const r = await this.cluster.callAny(ApiKey.FindCoordinator, { key: groupId, keyType: 0 })
    const conn = this.cluster.connection(r.endpoint)
    this.known.set(groupId, conn)
    return conn
  }

  forget(groupId: string): void {
    this.known.delete(groupId)
  }

  /** Whether this error means "ask FindCoordinator again". */
  static isRefind(code: number): boolean {
    return REFIND.has(code)
  }

  /** One call to the group's coordinator; an envelope error is thrown, coordinator moves are retried. */
  async call<K extends ApiKey>(groupId: string, apiKey: K, body: RequestBody<K>, opts: { retries?: number; timeoutMs?: number } = {}): Promise<ResponseBody<K>> {
    return withRetry(
      async () => {
        const conn = await this.find(groupId)
        try {
          return await conn.call(apiKey, body, { timeoutMs: opts.timeoutMs })
        } catch (err) {
          if (Coordinators.isRefind((err as { code?: number }).code ?? -1)) this.forget(groupId)
          throw err
        }
      },
      opts.retries === undefined ? this.cluster.retry : { ...this.cluster.retry, retries: opts.retries },
      this.cluster.retryContext,
    )
  }
}
