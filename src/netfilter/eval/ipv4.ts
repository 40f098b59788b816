/** Small IPv4 helpers private to the evaluator (u32 numbers, dotted quads, prefixes). */

/** Parse a dotted quad into an unsigned 32-bit number; throws on malformed input. */
export function ipToU32 (s: string): number {
  // fast path for the usual plain dotted quad (no allocation); anything else takes the strict path
  let n = 0
  let v = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48)
      if (++digits > 3) return ipToU32Strict(s)
    } else if (c === 46 && digits > 0 && dots < 3) {
      if (v > 255) return ipToU32Strict(s)
      n = n * 256 + v
      v = 0
      digits = 0
      dots++
    } else return ipToU32Strict(s)
  }
  if (dots !== 3 || digits === 0 || v > 255) return ipToU32Strict(s)
  return (n * 256 + v) >>> 0
}

function ipToU32Strict (s: string): number {
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

// a small direct-mapped memo of formatted addresses: traces format the same few addresses over and
// over (every packet snapshot, every message); every slot starts as the valid pair 0 → '0.0.0.0'
const IP_MEMO_SIZE = 1024
const ipMemoKey = new Uint32Array(IP_MEMO_SIZE)
const ipMemoText: string[] = new Array<string>(IP_MEMO_SIZE).fill('0.0.0.0')

export function u32ToIp (n: number): string {
  const u = n >>> 0
  if (u !== n && (n | 0) !== n) return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
  const slot = (u ^ (u >>> 10) ^ (u >>> 20)) & (IP_MEMO_SIZE - 1)
  if (ipMemoKey[slot] === u) return ipMemoText[slot]
  const text = `${u >>> 24}.${(u >>> 16) & 255}.${(u >>> 8) & 255}.${u & 255}`
  ipMemoKey[slot] = u
  ipMemoText[slot] = text
  return text
}

export function prefixToMask (len: number): number {
  return len <= 0 ? 0 : (len >= 32 ? 0xffffffff : ((0xffffffff << (32 - len)) >>> 0))
}

export function maskToPrefix (mask: number): number | null {
  if (mask >>> 0 === 0xffffffff) return 32
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
