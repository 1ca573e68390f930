/**
 * `metadata ... --offline --data-dir DIR`: the metadata quorum as a stopped
 * node left it on disk. Reads the node's Raft log, hard state and snapshot from
 * its LevelDB (storage's LevelRaftLog.load()), decodes entries with the
 * broker's record codec and rebuilds the image with the broker's own applier,
 * so what it prints is what the node would have served.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { applyRecords, decodeImage, decodeRecords, emptyImage, imageForInspection, metadataLogPage } from '@tributary/broker'
import { type DescribeClusterResponse, type DescribeQuorumResponse, type MetadataImageResponse, type MetadataLogResponse, type MetadataSnapshotsResponse } from '@tributary/protocol'
import { decodeVoters, type Entry, type HardState, type Snapshot } from '@tributary/raft'
import { openRaftStorage, RAFT_DB_MARKER } from '@tributary/storage'
import { CliError } from './errors.js'
import type { ClusterPort } from './port.js'

export type MetadataSource = Pick<ClusterPort, 'describeQuorum' | 'describeCluster' | 'metadataLog' | 'metadataImage' | 'metadataSnapshots' | 'close'>

export interface RaftDiskState {
  hardState: HardState | null
  snapshot: Snapshot | null
  entries: Entry[]
}

/**
 * Find a node's storage (its Raft database) under a data dir: DIR itself, or
 * the one node directory below it (`dev`'s parent dir of one node). `below`
 * names that directory, so the command can say which node it read. A parent of
 * several nodes (`dev --data-dir .tributary`) is refused with their paths:
 * which one to read is the user's choice.
 */
export function findStorageDir(dataDir: string): { dir: string; below: string | null } {
  const dir = resolve(dataDir)
  if (!existsSync(dir)) throw new CliError(`--data-dir: ${dataDir} does not exist`)
  if (existsSync(join(dir, RAFT_DB_MARKER))) return { dir, below: null }
  const nodes = readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory() && existsSync(join(dir, name, RAFT_DB_MARKER)))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
  if (nodes.length === 1) return { dir: join(dir, nodes[0]!), below: nodes[0]! }
  if (nodes.length > 1) {
    throw new CliError(`--data-dir: ${dataDir} holds ${nodes.length} nodes (${nodes.join(', ')}); name one, e.g. --data-dir ${join(dataDir, nodes[0]!)}`)
  }
  throw new CliError(`--data-dir: no node storage in ${dataDir} (is it a node's data directory?)`)
}

/** Reads the Raft database only: an offline look writes nothing to the node's data. `onChosen` hears which node dir was read below DIR. */
export async function loadRaftState(dataDir: string, onChosen?: (path: string) => void): Promise<RaftDiskState> {
  const { dir: levelDir, below } = findStorageDir(dataDir)
  if (below !== null) onChosen?.(join(dataDir, below))
  let storage: Awaited<ReturnType<typeof openRaftStorage>>
  try {
    storage = await openRaftStorage(levelDir)
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string; message?: string }; message?: string }
    const text = `${e.code ?? ''} ${e.cause?.code ?? ''} ${e.message ?? ''} ${e.cause?.message ?? ''}`
    if (/LOCK|locked|Resource temporarily unavailable/i.test(text)) {
      throw new CliError(`${dataDir} is in use by a running node (LevelDB is locked); stop the node or drop --offline`)
    }
    throw new CliError(`cannot open ${levelDir}: ${e.cause?.message ?? e.message ?? String(err)}`)
  }
  try {
    return await storage.raft.load()
  } finally {
    await storage.close()
  }
}

export async function openOffline(dataDir: string, onChosen?: (path: string) => void): Promise<MetadataSource> {
  return offlineView(await loadRaftState(dataDir, onChosen))
}

/** The inspection answers a live node would give, computed from its disk state. */
export function offlineView(state: RaftDiskState): MetadataSource {
  const commit = state.hardState?.commit ?? 0
  const snap = state.snapshot && state.snapshot.index > 0 ? state.snapshot : null
  const committed = state.entries.filter((e) => e.index <= commit)

  const buildImage = (): MetadataImageResponse => {
    let image = emptyImage()
    if (snap) {
      const d = decodeImage(snap.data)
      if (!d.ok) throw new CliError(`snapshot at index ${snap.index} does not decode: ${d.message}`)
      image = d.value
    }
    for (const e of committed) {
      if (snap && e.index <= snap.index) continue
      if (e.type === 'config') {
        // A voter set, the Raft core's: the image moves past it as a live node's does.
        image = applyRecords(image, [], e.index).image
        continue
      }
      const r = decodeRecords(e.data)
      if (!r.ok) throw new CliError(`entry ${e.index} does not decode (${r.message}); the image stops before it`)
      image = applyRecords(image, r.value, e.index).image
    }
    // The broker's inspection shape: credentials redacted, exactly as a live node answers.
    return { offset: image.offset, image: imageForInspection(image) }
  }
  let cached: MetadataImageResponse | undefined
  const image = (): MetadataImageResponse => (cached ??= buildImage())

  return {
    async describeQuorum(): Promise<DescribeQuorumResponse> {
      const img = image().image as ReturnType<typeof imageForInspection>
      // Voters are Raft's, not the image's: the latest config entry in the log (committed
      // or not, as a live node has it in force), else the snapshot's; without either,
      // the registered brokers stand in.
      const config = state.entries.filter((e) => e.type === 'config' && (!snap || e.index > snap.index)).at(-1)
      const voters = (config && decodeVoters(config.data)) ?? (snap?.voters.length ? snap.voters : img.brokers.map((b) => b.nodeId))
      const replica = (nodeId: number) => ({ nodeId, logEndOffset: -1, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 })
      return {
        clusterId: img.clusterId,
        leaderId: -1, // a stopped node leads nothing
        leaderEpoch: state.hardState?.term ?? 0,
        highWatermark: commit,
        voters: voters.map(replica),
        observers: (snap?.observers ?? []).map(replica),
      }
    },
    async describeCluster(): Promise<DescribeClusterResponse> {
      const img = image().image as ReturnType<typeof imageForInspection>
      return {
        clusterId: img.clusterId,
        controllerId: -1,
        brokers: img.brokers.map((b) => ({ nodeId: b.nodeId, endpoint: b.endpoint, fenced: b.fenced, rack: b.rack, brokerEpoch: b.brokerEpoch, lastHeartbeatAgeMs: null, incarnationId: b.incarnationId })),
      }
    },
    async metadataLog(fromIndex: number, maxRecords: number): Promise<MetadataLogResponse> {
      // The same rows and paging as a live node's MetadataLog (one shared function in the broker).
      const out = metadataLogPage(entriesFrom(committed, fromIndex), maxRecords)
      return { logStartIndex: (snap?.index ?? 0) + 1, commitIndex: commit, entries: out }
    },
    async metadataImage() {
      return image()
    },
    async metadataSnapshots(): Promise<MetadataSnapshotsResponse> {
      return { snapshots: snap ? [{ index: snap.index, term: snap.term, bytes: snap.data.byteLength }] : [] }
    },
    async close() {},
  }
}

/** The entries from `fromIndex` on, lazily: a page reads only what it takes. */
function* entriesFrom<E extends { index: number }>(entries: readonly E[], fromIndex: number): Iterable<E> {
  for (const e of entries) if (e.index >= fromIndex) yield e
}
