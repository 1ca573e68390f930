import type { Random } from './types.js'

// Module-scope builtins: this runs hot in simulations inside vm contexts (jest).
const { imul, floor } = Math

/**
 * A small, fast, seedable PRNG (xoshiro128**, seeded through splitmix32). Same seed,
 * same sequence, on every platform: the simulator's reproducibility rests on it.
 */
export interface SeededRandom extends Random {
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** True with probability p. */
  chance(p: number): boolean
  /** A new independent generator derived from this one (for splitting streams). */
  fork(): SeededRandom
}

export function seededRandom(seed: number): SeededRandom {
  let x = (floor(seed) ^ floor(seed / 0x100000000)) >>> 0
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) >>> 0
    let z = x
    z = imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  if ((a | b | c | d) === 0) a = 1
  const nextU32 = (): number => {
    const result = imul(rotl(imul(b, 5) >>> 0, 7), 9) >>> 0
    const t = (b << 9) >>> 0
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return result
  }
  const rng: SeededRandom = {
    next: () => nextU32() / 0x100000000,
    int: (n) => floor((nextU32() / 0x100000000) * n),
    chance: (p) => nextU32() / 0x100000000 < p,
    fork: () => seededRandom(nextU32() * 0x100000 + (nextU32() & 0xfffff)),
  }
  return rng
}

function rotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0
}
