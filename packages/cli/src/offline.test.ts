import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { encodeImage, encodeRecords, emptyImage, applyRecords, type MetadataRecord } from '@tributary/broker'
import { encodeVoters, type Entry } from '@tributary/raft'
import { openLevelStorage, RAFT_DB_MARKER } from '@tributary/storage'
import { main } from './cli.js'
import { findStorageDir, offlineView } from './offline.js'

const entry = (index: number, term: number, records: MetadataRecord[]) => ({ index, term, type: 'normal' as const, data: encodeRecords(records) })
const topic: MetadataRecord[] = [
  { type: 'Topic', version: 0, name: 'orders', topicId: 't1', internal: false },
  { type: 'Partition', version: 0, topicId: 't1', partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
]

describe('offline view of a stopped node', () => {
  it('lists committed records only and rebuilds the image with the broker applier', async () => {
    const v = offlineView({
      hardState: { term: 4, vote: 1, commit: 2 },
      snapshot: null,
      entries: [
        entry(1, 1, [{ type: 'ClusterId', version: 0, clusterId: 'c1' }]),
        entry(2, 4, topic),
        entry(3, 4, [{ type: 'RemoveTopic', version: 0, topicId: 't1' }]), // not committed: not shown, not applied
      ],
    })
    const log = await v.metadataLog(0, 1000)
    expect(log.entries.map((e) => [e.index, e.term, e.type])).toEqual([[1, 1, 'ClusterId'], [2, 4, 'Topic'], [2, 4, 'Partition']])
    const img = (await v.metadataImage()).image as { clusterId: string; topics: Array<{ name: string }> }
    expect(img.clusterId).toBe('c1')
    expect(img.topics.map((t) => t.name)).toEqual(['orders'])
    expect(await v.describeQuorum()).toMatchObject({ clusterId: 'c1', leaderId: -1, leaderEpoch: 4, highWatermark: 2 })
  })

  it('starts from the snapshot and applies only the entries after it', async () => {
    const base = applyRecords(emptyImage(), [{ type: 'ClusterId', version: 0, clusterId: 'c2' }], 5).image
    const v = offlineView({
      hardState: { term: 2, vote: 0, commit: 6 },
      snapshot: { index: 5, term: 2, voters: [1, 2, 3], observers: [], data: encodeImage(base) },
      entries: [entry(6, 2, topic)],
    })
    expect((await v.metadataLog(0, 1000)).logStartIndex).toBe(6)
    expect((await v.metadataSnapshots()).snapshots).toEqual([{ index: 5, term: 2, bytes: expect.any(Number) }])
    const q = await v.describeQuorum()
    expect(q.voters.map((x) => x.nodeId)).toEqual([1, 2, 3])
    expect(((await v.metadataImage()).image as { clusterId: string }).clusterId).toBe('c2')
  })

  it('takes the voters from the latest config entry after the snapshot, and moves the image past it', async () => {
    const base = applyRecords(emptyImage(), [{ type: 'ClusterId', version: 0, clusterId: 'c3' }], 5).image
    const v = offlineView({
      hardState: { term: 2, vote: 0, commit: 7 },
      snapshot: { index: 5, term: 2, voters: [1, 2, 3], observers: [], data: encodeImage(base) },
      entries: [{ index: 6, term: 2, type: 'config', data: encodeVoters([1, 2, 3, 4]) }, entry(7, 2, topic)],
    })
    expect((await v.describeQuorum()).voters.map((x) => x.nodeId)).toEqual([1, 2, 3, 4])
    expect((await v.metadataImage()).offset).toBe(7)
    expect((await v.metadataLog(6, 1)).entries[0]).toMatchObject({ index: 6, type: 'Voters', record: { voters: [1, 2, 3, 4] } })
  })
})

/** `tributary metadata log --offline --json` over a LevelDB holding `entries`, committed up to `commit`. */
async function offlineLogRows(entries: Entry[], commit: number): Promise<Array<{ index: number; type: string }>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-offline-'))
  try {
    const storage = await openLevelStorage(dir)
    await storage.raft.append(entries)
    await storage.raft.setHardState({ term: 1, vote: 1, commit })
    await storage.close()
    const stdout = new PassThrough()
    let out = ''
    stdout.on('data', (c) => (out += c))
    const code = await main(['metadata', 'log', '--offline', '--data-dir', dir, '--json'], { stdout, stderr: new PassThrough(), stdin: new PassThrough() })
    expect(code).toBe(0)
    return out.trim().split('\n').map((l) => JSON.parse(l))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('offline metadata log', () => {
  it('lists every committed record of a log far past one page, whatever the records per entry', async () => {
    // Three records per entry: 1000 is no multiple of 3, so no page ends exactly at the page size.
    const entries: Entry[] = []
    for (let i = 1; i <= 700; i++) {
      entries.push(entry(i, 1, [
        { type: 'Topic', version: 0, name: `t${i}`, topicId: `id${i}`, internal: false },
        { type: 'Partition', version: 0, topicId: `id${i}`, partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
        { type: 'Partition', version: 0, topicId: `id${i}`, partition: 1, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
      ]))
    }
    const rows = await offlineLogRows(entries, 690)
    expect(rows).toHaveLength(690 * 3)
    expect(rows.at(-1)).toMatchObject({ index: 690, type: 'Partition' })
    expect(new Set(rows.map((r) => r.index)).size).toBe(690)
  })

  it('shows a leader\'s no-op entry as LeaderChange, as a live node does', async () => {
    const rows = await offlineLogRows([
      entry(1, 1, [{ type: 'ClusterId', version: 0, clusterId: 'c1' }]),
      { index: 2, term: 2, type: 'noop', data: new Uint8Array(0) },
      entry(3, 2, topic),
    ], 3)
    expect(rows.map((r) => [r.index, r.type])).toEqual([[1, 'ClusterId'], [2, 'LeaderChange'], [3, 'Topic'], [3, 'Partition']])
  })
})

describe('--offline --data-dir on a dev parent directory', () => {
  const makeNodeDirs = async (root: string, ids: number[]): Promise<void> => {
    for (const id of ids) {
      const marker = path.join(root, `node-${id}`, RAFT_DB_MARKER)
      await mkdir(path.dirname(marker), { recursive: true })
      await writeFile(marker, '')
    }
  }

  it('with one node below it, reads that node and says which', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'offline-one-'))
    try {
      await makeNodeDirs(root, [1])
      expect(findStorageDir(root)).toEqual({ dir: path.join(root, 'node-1'), below: 'node-1' })
      expect(findStorageDir(path.join(root, 'node-1'))).toEqual({ dir: path.join(root, 'node-1'), below: null })
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('with several nodes below it, asks for one and names their paths', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'offline-many-'))
    try {
      await makeNodeDirs(root, [1, 2, 10])
      expect(() => findStorageDir(root)).toThrow(`--data-dir: ${root} holds 3 nodes (node-1, node-2, node-10); name one, e.g. --data-dir ${path.join(root, 'node-1')}`)
      const stderr = new PassThrough()
      let err = ''
      stderr.on('data', (c) => (err += c))
      const code = await main(['metadata', 'status', '--offline', '--data-dir', root], { stdout: new PassThrough(), stderr, stdin: new PassThrough() })
      expect({ code, err }).toEqual({ code: 1, err: expect.stringMatching(/^error: --data-dir: .* holds 3 nodes/) })
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
