/** Small IPv4 helpers private to the evaluator (u32 numbers, dotted quads, prefixes). */

/** Parse a dotted quad into an unsigned 32-bit number; throws on malformed input. */
export function ipToU32 (s: string): number {
  const parts = s.trim().split('.')
  if (parts.length !== 4) throw new Error(`invalid IPv4 address '${s}'`)
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) throw new Error(`invalid IPv4 address '${s}'`)
    const v = Number(p)
    if (v > 255) throw new Error(`invalid IPv4 address '${s}'`)
    n = n * 256 + v
  }
  return n >>> 0
}

export function u32ToIp (n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

export function prefixToMask (len: number): number {
  return len <= 0 ? 0 : (len >= 32 ? 0xffffffff : ((0xffffffff << (32 - len)) >>> 0))
}

export function maskToPrefix (mask: number): number | null {
  let len = 0
  while (len < 32 && ((mask >>> (31 - len)) & 1) === 1) len++
  return prefixToMask(len) === (mask >>> 0) ? len : null
}

/** `a.b.c.d/len` (len = 32 when absent). */
export function parseCidr (s: string): { addr: number, mask: number, len: number } {
  const [a, l] = s.split('/')
  const len = l === undefined ? 32 : Number(l)
  if (!Number.isInteger(len) || len < 0 || len > 32) throw new Error(`invalid prefix in '${s}'`)
  const mask = prefixToMask(len)
  return { addr: (ipToU32(a) & mask) >>> 0, mask, len }
}

export function inNet (addr: number, net: number, mask: number): boolean {
  return ((addr & mask) >>> 0) === (net >>> 0)
}

export function formatAddrMask (addr: number, mask: number): string {
  const len = maskToPrefix(mask)
  return `${u32ToIp(addr)}/${len === null ? u32ToIp(mask) : len}`
}

export const LOOPBACK_NET = 0x7f000000
export const LOOPBACK_MASK = 0xff000000
export function isLoopback (a: number): boolean { return ((a & LOOPBACK_MASK) >>> 0) === LOOPBACK_NET }
export function isMulticast (a: number): boolean { return (a >>> 28) === 0xe }
