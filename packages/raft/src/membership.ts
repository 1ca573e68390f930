/**
 * The voter set (the configuration) as the log records it (thesis §4.1, KIP-853).
 *
 * A `config` entry carries a whole voter set. A node's configuration in force is the
 * one in the latest config entry of its log — appended, not committed — or, if the
 * log holds none, the one its snapshot was taken under, or else the bootstrap voters
 * it was started with. So a follower whose uncommitted config entry is cut by a new
 * leader falls back to the configuration before it, and `--voters` only matters to a
 * node whose log and snapshot have never held a configuration.
 *
 * Encoding of a config entry's data (big-endian): version u8 (1) | count u32 | ids f64…
 * (f64 like the snapshot's voter list in packages/storage).
 */
import type { Entry } from './types.js'

const CONFIG_VERSION = 1
const HEADER_BYTES = 5
const ID_BYTES = 8
/** A voter set larger than this is a bug or an attack, not a configuration. */
export const MAX_VOTERS = 255

export function encodeVoters(voters: readonly number[]): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + ID_BYTES * voters.length)
  const v = new DataView(out.buffer)
  v.setUint8(0, CONFIG_VERSION)
  v.setUint32(1, voters.length)
  voters.forEach((id, k) => v.setFloat64(HEADER_BYTES + ID_BYTES * k, id))
  return out
}

/** The voter set in a config entry's data, or undefined if it is not a valid one (non-empty, distinct positive ids). */
export function decodeVoters(data: Uint8Array): number[] | undefined {
  if (data.byteLength < HEADER_BYTES) return undefined
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const count = v.getUint32(1)
  if (v.getUint8(0) !== CONFIG_VERSION || count === 0 || count > MAX_VOTERS || data.byteLength !== HEADER_BYTES + ID_BYTES * count) return undefined
  const ids: number[] = []
  for (let k = 0; k < count; k++) {
    const id = v.getFloat64(HEADER_BYTES + ID_BYTES * k)
    if (!Number.isSafeInteger(id) || id <= 0 || ids.includes(id)) return undefined
    ids.push(id)
  }
  return ids
}

interface Config {
  /** Index of the config entry (or of the snapshot / 0 for the base configuration). */
  index: number
  voters: readonly number[]
}

/**
 * The configurations a node's log holds, oldest first: a base (the snapshot's or the
 * bootstrap one) and one per config entry after it. Usually one or two long; trimmed
 * below the snapshot by `compactTo`.
 */
export class Membership {
  private configs: Config[]

  constructor(base: Config) {
    this.configs = [{ index: base.index, voters: [...base.voters] }]
  }

  /** The configuration in force: the latest one the log holds. */
  get voters(): readonly number[] {
    return this.configs[this.configs.length - 1]!.voters
  }

  /** Index of the entry that set the configuration in force (the base's index if none). */
  get index(): number {
    return this.configs[this.configs.length - 1]!.index
  }

  /** The configuration in force at `index` (for a snapshot taken there). */
  votersAt(index: number): readonly number[] {
    for (let k = this.configs.length - 1; k > 0; k--) if (this.configs[k]!.index <= index) return this.configs[k]!.voters
    return this.configs[0]!.voters
  }

  /**
   * Entries were written to the log from `entries[0].index` on, replacing whatever
   * held those indexes: forget configurations at or past it, take the new ones.
   * Returns whether the configuration in force changed.
   */
  appended(entries: readonly Entry[]): boolean {
    if (entries.length === 0) return false
    const before = this.voters
    const from = entries[0]!.index
    while (this.configs.length > 1 && this.configs[this.configs.length - 1]!.index >= from) this.configs.pop()
    for (const e of entries) {
      if (e.type !== 'config') continue
      const voters = decodeVoters(e.data)
      if (voters) this.configs.push({ index: e.index, voters })
    }
    return !sameSet(before, this.voters)
  }

  /** The log was replaced by a snapshot taken under `voters`. Returns whether the configuration in force changed. */
  restore(index: number, voters: readonly number[]): boolean {
    const before = this.voters
    this.configs = [{ index, voters: [...voters] }]
    return !sameSet(before, this.voters)
  }

  /** Every voter of every configuration held (current and superseded). */
  everyVoter(): Set<number> {
    return new Set(this.configs.flatMap((c) => c.voters))
  }

  /** Forget configurations superseded at or below `index` (the log starts after it now). */
  compactTo(index: number): void {
    let k = 0
    while (k + 1 < this.configs.length && this.configs[k + 1]!.index <= index) k++
    if (k > 0) this.configs = this.configs.slice(k)
  }
}

export function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}
