/**
 * Deterministic pseudo-random numbers for the evaluator. The engine never uses Math.random: callers
 * pass a seed (kept in the engine state) so every sampled trace can be reproduced.
 */

/** Mutable PRNG state (a single 32-bit word, mulberry32). Plain data so it can be cloned/serialised. */
export interface RngState {
  s: number
}

export function createRng (seed = 1): RngState {
  return { s: (seed >>> 0) || 0x9e3779b9 }
}

/** Next unsigned 32-bit value. */
export function nextU32 (r: RngState): number {
  r.s = (r.s + 0x6d2b79f5) >>> 0
  let t = r.s
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return (t ^ (t >>> 14)) >>> 0
}

/** Small stable hash of numbers (FNV-1a over 32-bit words), used for deterministic "hashed" choices. */
export function hashWords (...words: number[]): number {
  let h = 0x811c9dc5
  for (const w of words) {
    for (let i = 0; i < 4; i++) {
      h ^= (w >>> (i * 8)) & 255
      h = Math.imul(h, 0x01000193) >>> 0
    }
  }
  return h >>> 0
}
