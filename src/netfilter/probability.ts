/**
 * `statistic --mode random` probability arithmetic (libxt_statistic): the kernel stores
 * `lround(p · 2^31)` and iptables-save prints `%.11f` of that value divided by 2^31.
 */

const TWO31 = 2147483648

/** Quantise a probability 0..1 to the kernel's u32 (`lround(p · 2^31)`). */
export function quantizeProbability (p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError('probability must be within 0..1')
  return Math.round(p * TWO31)
}

/** The probability a quantised u32 stands for (exact double: value / 2^31). */
export function probabilityValue (u32: number): number {
  return u32 / TWO31
}

/**
 * `%.11f` of `u32 / 2^31`, computed exactly (round-half-even on exact ties like glibc printf).
 * e.g. 715827883 → "0.33333333349".
 */
export function formatProbability (u32: number): string {
  const num = BigInt(u32) * 100000000000n
  const den = BigInt(TWO31)
  let q = num / den
  const r = num % den
  const twice = r * 2n
  if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n
  const s = q.toString().padStart(12, '0')
  return `${s.slice(0, s.length - 11)}.${s.slice(s.length - 11)}`
}
