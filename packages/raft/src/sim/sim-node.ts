import type { SeededRandom } from '../random.js'
import type { RaftNode } from '../raft-node.js'
import { MemoryRaftStorage } from '../storage.js'
import { SimDisk } from './sim-disk.js'

/** One simulated node: its disk, what it reads, its Raft node while up, and its app's state machine. */
export interface SimNode {
  id: number
  isVoter: boolean
  /** The node's disk (DurableRaftLog semantics); survives crashes. */
  disk: SimDisk
  /** What the node reads: mirrors the disk, rebuilt from it on restart. */
  memory: MemoryRaftStorage
  raft: RaftNode | null
  joined: boolean
  downUntilTick: number
  lastCommit: number
  lastRole: string
  /** The app's state machine: applied index and a hash chained over every applied entry. */
  appIndex: number
  appHash: number
  rng: SeededRandom
}

export function newSimNode(id: number, isVoter: boolean, rng: SeededRandom): SimNode {
  return {
    id,
    isVoter,
    disk: new SimDisk(),
    memory: new MemoryRaftStorage(),
    raft: null,
    joined: false,
    downUntilTick: 0,
    lastCommit: 0,
    lastRole: 'follower',
    appIndex: 0,
    appHash: 0,
    rng,
  }
}

/** The app's snapshot: its applied index and the hash chained over every applied entry. */
export function encodeState(index: number, hash: number): Uint8Array {
  const b = new Uint8Array(12)
  const v = new DataView(b.buffer)
  v.setFloat64(0, index)
  v.setUint32(8, hash)
  return b
}

export function decodeState(b: Uint8Array): { index: number; hash: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return { index: v.getFloat64(0), hash: v.getUint32(8) }
}

