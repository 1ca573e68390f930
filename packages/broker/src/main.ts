/**
 * The only place the real seams are wired: Date.now and timers, Math.random,
 * `ws`, LevelDB, pino to stderr. Everything else takes them as parameters.
 */
import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { openLevelStorage } from '@tributary/storage'
import { pino, type Logger } from 'pino'
import type { BrokerConfig } from './config.js'
import { wsConnector } from './net/ws-transport.js'
import { startNode, type BrokerHandle } from './node.js'
import { systemClock, systemRandom } from './seams.js'

/** Kafka-style ids: 16 random bytes, base64url (22 characters). */
export function newId(): string {
  return randomBytes(16).toString('base64url')
}

export function createLogger(config: Pick<BrokerConfig, 'nodeId' | 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { nodeId: config.nodeId }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }))
}

export interface StartBrokerOptions {
  logger?: Logger
  /** Called when the node cannot go on (storage failure); the CLI exits the process. */
  onFatal?(err: unknown): void
  processMetrics?: boolean
}

/** Open the data dir and start a node with the real seams. */
export async function startBroker(config: BrokerConfig, opts: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const logger = opts.logger ?? createLogger(config)
  await mkdir(config.dataDir, { recursive: true })
  const storage = await openLevelStorage(config.dataDir)
  let handle: BrokerHandle
  try {
    handle = await startNode({
      config,
      clock: systemClock,
      random: systemRandom,
      logger,
      connector: wsConnector({ maxPayload: config.frameBytesMax }),
      durable: storage.raft,
      logStore: storage.logs,
      newId,
      processMetrics: opts.processMetrics,
      onFatal: opts.onFatal,
    })
  } catch (err) {
    await storage.close().catch(() => {})
    throw err
  }
  return {
    ...handle,
    async stop(stopOpts) {
      await handle.stop(stopOpts)
      await storage.close()
    },
  }
}
