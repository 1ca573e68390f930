/**
 * The shapes the Raft state machine exchanges with its caller. Every message is a
 * plain object of numbers, strings and Uint8Arrays only, because the broker
 * msgpack-encodes it onto the wire as-is.
 */

export type EntryType = 'normal' | 'noop' | 'config'

/**
 * One log entry. `data` is opaque to Raft for a `normal` entry; a `noop` entry has
 * empty data; a `config` entry's data is a voter set (membership.ts `decodeVoters`).
 */
export interface Entry {
  index: number
  term: number
  type: EntryType
  data: Uint8Array
}

/** What must be durable before any message that depends on it goes out. */
export interface HardState {
  term: number
  /** Node id voted for in `term`, 0 for none (node ids are positive). */
  vote: number
  commit: number
}

/**
 * The application's state at `index`, plus the membership it was taken under.
 * An empty snapshot (index 0) means "none".
 */
export interface Snapshot {
  index: number
  term: number
  voters: number[]
  observers: number[]
  data: Uint8Array
}

/** Injected randomness: next() returns a float in [0, 1). */
export interface Random {
  next(): number
}

export const emptyHardState = (): HardState => ({ term: 0, vote: 0, commit: 0 })

export const emptySnapshot = (): Snapshot => ({ index: 0, term: 0, voters: [], observers: [], data: new Uint8Array(0) })
