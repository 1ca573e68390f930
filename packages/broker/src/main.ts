/**
 * The only place the real seams are wired: Date.now and timers, Math.random,
 * `ws`, LevelDB, pino to stderr. Everything else takes them as parameters.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openLevelStorage } from '@tributary/storage'
import { pino, type Logger } from 'pino'
import type { BrokerConfig } from './config.js'
import { parsePrincipalMapping } from './net/principal-mapping.js'
import { readPemFile, readTlsFiles, type ServerTls } from './net/tls.js'
import { wsConnector, type ClientTlsOptions } from './net/ws-transport.js'
import { startNode, type BrokerHandle } from './node.js'
import { systemClock, systemRandom } from './seams.js'
import { bootstrapUserRecords } from './security/bootstrap-users.js'
import { loadJwtKeys } from './security/user-mechanisms.js'
import { readClusterSecret } from './security/cluster-secret.js'

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
  /** Re-read the TLS certificate files on SIGHUP (default true). */
  reloadOnSighup?: boolean
}

/** The port's TLS settings from --tls-*, or undefined for a plain port. Reads the files now: bad ones fail start-up. */
function serverTls(config: BrokerConfig): ServerTls | undefined {
  if (!config.tlsCert || !config.tlsKey) return undefined
  const files = { cert: config.tlsCert, key: config.tlsKey, ca: config.tlsCa }
  const mapper = parsePrincipalMapping(config.tlsPrincipalMapping)
  if (!mapper.ok) throw new Error(mapper.message)
  readTlsFiles(files)
  return { load: () => readTlsFiles(files), clientAuth: config.tlsClientAuth ?? 'none', mapper: mapper.value }
}

/** What this node trusts and presents when it dials wss:// peers: --tls-ca, and its own certificate for mTLS clusters. */
function peerTls(config: BrokerConfig): ClientTlsOptions {
  const read = (flag: string, file: string | null | undefined) => (file ? readPemFile(flag, file) : undefined)
  return { ca: read('--tls-ca', config.tlsCa), cert: read('--tls-cert', config.tlsCert), key: read('--tls-key', config.tlsKey) }
}

/** Where @tributary/console's build lives (its dist/), or null when the package is not installed. */
function consoleDir(logger: Logger): string | null {
  try {
    return path.join(path.dirname(fileURLToPath(import.meta.resolve('@tributary/console/package.json'))), 'dist')
  } catch (err) {
    logger.warn({ error: (err as Error).message }, 'the web console package is not installed: / is not served (--console false silences this)')
    return null
  }
}

/** Open the data dir and start a node with the real seams. */
export async function startBroker(config: BrokerConfig, opts: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const logger = opts.logger ?? createLogger(config)
  let clusterSecret: Uint8Array | undefined
  if (config.clusterSecretFile) {
    const secret = await readClusterSecret(config.clusterSecretFile)
    if (!secret.ok) throw new Error(secret.message)
    if (secret.value.readableByOthers) logger.warn({ file: config.clusterSecretFile }, 'the cluster secret file is readable by group or others: chmod 600 it')
    clusterSecret = secret.value.bytes
  }
  const jwtKeys = await loadJwtKeys(config)
  const bootstrapUsers = config.bootstrapScramUsers
    ? await bootstrapUserRecords(await readFile(config.bootstrapScramUsers, 'utf8'), `--bootstrap-scram-users ${config.bootstrapScramUsers}`)
    : undefined
  await mkdir(config.dataDir, { recursive: true })
  const tls = serverTls(config)
  let peerTlsNow = peerTls(config)
  const storage = await openLevelStorage(config.dataDir, {
    tailCacheBytesTotalMax: config.tailCacheBytes,
    tailCacheBytesPerPartitionMax: config.tailCachePartitionBytesMax,
    writeBufferBytes: config.storageWriteBufferBytes,
    blockCacheBytes: config.storageBlockCacheBytes,
  })
  let handle: BrokerHandle
  try {
    handle = await startNode({
      config,
      clock: systemClock,
      random: systemRandom,
      logger,
      connector: wsConnector({ maxPayload: config.frameBytesMax, tls: () => peerTlsNow }),
      tls,
      durable: storage.raft,
      logStore: storage.logs,
      newId,
      processMetrics: opts.processMetrics,
      onFatal: opts.onFatal,
      clusterSecret,
      jwtKeys,
      bootstrapUsers,
      consoleDir: config.console ? consoleDir(logger) : null,
    })
  } catch (err) {
    await storage.close().catch(() => {})
    throw err
  }
  // SIGHUP rotates certificates: new connections (served and dialled) get the new ones.
  const onSighup = (): void => {
    if (!tls) {
      logger.info('SIGHUP: no --tls-cert, nothing to reload')
      return
    }
    if (!handle.reloadTls().ok) return
    try {
      peerTlsNow = peerTls(config)
    } catch (err) {
      logger.error({ error: (err as Error).message }, 'TLS peer certificate reload failed: peers keep the previous one')
    }
  }
  if (opts.reloadOnSighup !== false) process.on('SIGHUP', onSighup)
  return {
    ...handle,
    async stop(stopOpts) {
      process.off('SIGHUP', onSighup)
      await handle.stop(stopOpts)
      await storage.close()
    },
  }
}
