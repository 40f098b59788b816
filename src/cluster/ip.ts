/**
 * Strict IPv4/IPv6 address and CIDR arithmetic on bigints.
 * Parsing rejects the legacy forms some libraries accept: octal or leading-zero octets, short
 * forms like `10.1`, zones (`%eth0`), and prefix lengths with leading zeros.
 */

export type IPFamily = 4 | 6

export interface IP { family: IPFamily, value: bigint }

export interface CIDR {
  family: IPFamily
  /** the address as written (may have host bits set) */
  ip: bigint
  /** network address (host bits cleared) */
  network: bigint
  prefix: number
}

const DEC_OCTET = /^(0|[1-9][0-9]{0,2})$/

function parseV4 (s: string): bigint | null {
  const parts = s.split('.')
  if (parts.length !== 4) return null
  let v = 0n
  for (const p of parts) {
    if (!DEC_OCTET.test(p)) return null
    const n = Number(p)
    if (n > 255) return null
    v = (v << 8n) | BigInt(n)
  }
  return v
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/

function parseV6 (s: string): bigint | null {
  if (s.length === 0 || s.includes('%')) return null
  let head: string[]
  let tail: string[]
  const dbl = s.indexOf('::')
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null
    const a = s.slice(0, dbl)
    const b = s.slice(dbl + 2)
    head = a === '' ? [] : a.split(':')
    tail = b === '' ? [] : b.split(':')
  } else {
    head = s.split(':')
    tail = []
  }
  const groups: number[] = []
  const all = [...head, ...tail]
  // an embedded IPv4 address may only be the last part
  let v4: bigint | null = null
  const last = all[all.length - 1]
  if (last !== undefined && last.includes('.')) {
    // an embedded IPv4 address must end the text (`1.2.3.4::` is not an address)
    if (dbl >= 0 && tail.length === 0) return null
    v4 = parseV4(last)
    if (v4 === null) return null
    if (tail.length > 0) tail = tail.slice(0, -1)
    else head = head.slice(0, -1)
  }
  for (const g of [...head, ...tail]) if (!HEXTET.test(g)) return null
  const want = v4 === null ? 8 : 6
  const have = head.length + tail.length
  if (dbl >= 0) {
    if (have > want - 1) return null
  } else if (have !== want) return null
  for (const g of head) groups.push(parseInt(g, 16))
  for (let i = 0; i < want - have; i++) groups.push(0)
  for (const g of tail) groups.push(parseInt(g, 16))
  let v = 0n
  for (const g of groups) v = (v << 16n) | BigInt(g)
  if (v4 !== null) v = (v << 32n) | v4
  return v
}

/** Parses an IPv4 or IPv6 address strictly; null when invalid. */
export function parseIP (s: string): IP | null {
  if (typeof s !== 'string') return null
  if (s.includes(':')) {
    const v = parseV6(s)
    return v === null ? null : { family: 6, value: v }
  }
  const v = parseV4(s)
  return v === null ? null : { family: 4, value: v }
}

export function isIP (s: string): boolean { return parseIP(s) !== null }
export function isIPv4 (s: string): boolean { return parseIP(s)?.family === 4 }
export function isIPv6 (s: string): boolean { return parseIP(s)?.family === 6 }

export function bits (family: IPFamily): number { return family === 4 ? 32 : 128 }

/** Canonical text: dotted quad, or RFC 5952 for IPv6 (lower case, longest zero run compressed). */
export function formatIP (family: IPFamily, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map(sh => String((value >> sh) & 255n)).join('.')
  }
  const g: number[] = []
  for (let i = 7; i >= 0; i--) g.push(Number((value >> BigInt(i * 16)) & 0xffffn))
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) { bestStart = i; bestLen = j - i }
    i = j
  }
  if (bestLen < 2) return g.map(x => x.toString(16)).join(':')
  const left = g.slice(0, bestStart).map(x => x.toString(16)).join(':')
  const right = g.slice(bestStart + bestLen).map(x => x.toString(16)).join(':')
  return `${left}::${right}`
}

export function ipToString (ip: IP): string { return formatIP(ip.family, ip.value) }

/** Canonical form of an address string (null when invalid). */
export function canonicalIP (s: string): string | null {
  const ip = parseIP(s)
  return ip === null ? null : ipToString(ip)
}

function mask (family: IPFamily, prefix: number): bigint {
  const b = BigInt(bits(family))
  return ((1n << b) - 1n) ^ ((1n << (b - BigInt(prefix))) - 1n)
}

/** Parses `addr/prefix` strictly; null when invalid. Host bits may be set (see `isCanonicalCIDR`). */
export function parseCIDR (s: string): CIDR | null {
  if (typeof s !== 'string') return null
  const slash = s.indexOf('/')
  if (slash < 0 || slash !== s.lastIndexOf('/')) return null
  const ip = parseIP(s.slice(0, slash))
  const ps = s.slice(slash + 1)
  if (ip === null || !/^(0|[1-9][0-9]{0,2})$/.test(ps)) return null
  const prefix = Number(ps)
  if (prefix > bits(ip.family)) return null
  return { family: ip.family, ip: ip.value, network: ip.value & mask(ip.family, prefix), prefix }
}

/** True when the CIDR is written as its network address in canonical text. */
export function isCanonicalCIDR (s: string): boolean {
  const c = parseCIDR(s)
  return c !== null && cidrToString(c) === s
}

export function cidrToString (c: CIDR): string { return `${formatIP(c.family, c.network)}/${c.prefix}` }

/** Number of addresses in the CIDR. */
export function cidrSize (c: CIDR): bigint { return 1n << BigInt(bits(c.family) - c.prefix) }

export function cidrLast (c: CIDR): bigint { return c.network + cidrSize(c) - 1n }

export function cidrContains (c: CIDR, ip: IP): boolean {
  return ip.family === c.family && (ip.value & mask(c.family, c.prefix)) === c.network
}

export function cidrContainsString (cidr: string, ip: string): boolean {
  const c = parseCIDR(cidr)
  const a = parseIP(ip)
  return c !== null && a !== null && cidrContains(c, a)
}

export function cidrsOverlap (a: CIDR, b: CIDR): boolean {
  if (a.family !== b.family) return false
  return a.network <= cidrLast(b) && b.network <= cidrLast(a)
}

/** `network + offset` as text. */
export function cidrAddress (c: CIDR, offset: bigint): string { return formatIP(c.family, c.network + offset) }

export function isUnspecified (ip: IP): boolean { return ip.value === 0n }
export function isLoopback (ip: IP): boolean {
  return ip.family === 4 ? (ip.value >> 24n) === 127n : ip.value === 1n
}
export function isLinkLocalUnicast (ip: IP): boolean {
  return ip.family === 4 ? (ip.value >> 16n) === 0xa9fen : (ip.value >> 118n) === (0xfe80n >> 6n)
}
export function isLinkLocalMulticast (ip: IP): boolean {
  return ip.family === 4 ? (ip.value >> 8n) === 0xe00000n : (ip.value >> 112n) === 0xff02n
}
