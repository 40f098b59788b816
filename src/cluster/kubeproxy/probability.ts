/**
 * kube-proxy's probability strings: `fmt.Sprintf("%0.10f", 1.0/n)` today, `%0.5f` in the legacy era.
 * Go formats the exact binary value and breaks exact ties to even; JS `toFixed` breaks them upwards.
 * 1/n is exactly representable only for powers of two, so only those can tie (e.g. 1/2048 at 10 digits).
 */
/** results by digits, then n */
const cache = new Map<number, string[]>()

export function probability (n: number, digits: number): string {
  let byN = cache.get(digits)
  if (byN == null) cache.set(digits, byN = [])
  const hit = Number.isInteger(n) && n >= 0 && n < 65536 ? byN[n] : undefined
  if (hit !== undefined) return hit
  let s = (1 / n).toFixed(digits)
  if (n > 0 && (n & (n - 1)) === 0) {
    const scale = 10n ** BigInt(digits)
    const twice = 2n * scale
    const bn = BigInt(n)
    if (twice % bn === 0n && (twice / bn) % 2n === 1n) {
      // exact tie: round half to even
      let q = (twice / bn - 1n) / 2n
      if (q % 2n === 1n) q += 1n
      const str = q.toString().padStart(digits + 1, '0')
      s = `${str.slice(0, str.length - digits)}.${str.slice(str.length - digits)}`
    }
  }
  if (Number.isInteger(n) && n >= 0 && n < 65536) byN[n] = s
  return s
}

/** What iptables-save prints for a probability string: `%.11f` of lround(p·2^31)/2^31. */
export function kernelProbability (p: string): string {
  const n = Math.round(Number.parseFloat(p) * 2147483648)
  return (n / 2147483648).toFixed(11)
}
