import { seededRandom } from '@tributary/raft'

/**
 * The seeded PRNG behind every random choice of a fault run (@tributary/raft's
 * seededRandom, the Raft simulator's generator), so a printed seed replays the
 * same schedule. What a choice lands on at run time (which node leads partition 2 now) still depends
 * on the cluster, so a replay repeats the schedule, not every interleaving.
 */
export interface Prng {
  /** uniform in [0, 1) */
  next(): number
  /** integer in [min, max] */
  int(min: number, max: number): number
  pick<T>(items: readonly T[]): T
  /** one of the keys, with probability proportional to its weight */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K
  chance(p: number): boolean
}

export const DEFAULT_FAULT_SEED = 20_250_901

export function createPrng(seed: number): Prng {
  const next = seededRandom(seed).next
  const prng: Prng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list')
      return items[Math.floor(next() * items.length)]!
    },
    weighted: (weights) => {
      const entries = Object.entries(weights) as Array<[never, number]>
      const total = entries.reduce((n, [, w]) => n + w, 0)
      let x = next() * total
      for (const [k, w] of entries) {
        x -= w
        if (x < 0) return k
      }
      return entries[entries.length - 1]![0]
    },
    chance: (p) => next() < p,
  }
  return prng
}

/** A seed from --seed / TRIBUTARY_FAULT_SEED: a decimal integer, else the string's FNV-1a hash. */
export function parseSeed(raw: string | undefined, fallback = DEFAULT_FAULT_SEED): number {
  if (raw === undefined || raw.trim() === '') return fallback
  const t = raw.trim()
  if (/^\d+$/.test(t)) return Number(BigInt(t) % 4294967296n)
  let h = 0x811c9dc5
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193) >>> 0
  return h
}
