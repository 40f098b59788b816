/**
 * IP helpers with the parsing rules kube-proxy applies to API data: "sloppy" IPv4 (leading zeros are
 * decimal, `010` = 10) and canonical printing (IPv6 per RFC 5952, as Go's net.IP.String does).
 */

export type IPFamily = 'IPv4' | 'IPv6'

export interface ParsedIP {
  family: IPFamily
  /** 4 or 16 bytes */
  bytes: number[]
  canonical: string
}

function parseV4 (s: string): number[] | null {
  const out: number[] = []
  let n = 0
  let digits = 0
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46
    if (c === 46 /* . */) {
      if (digits === 0 || n > 255 || out.length === 4) return null
      out.push(n)
      n = 0
      digits = 0
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return null
      n = n * 10 + (c - 48)
    } else return null
  }
  return out.length === 4 ? out : null
}

function parseV6 (s: string): number[] | null {
  if (s.includes('%')) return null
  let tailV4: number[] | null = null
  let str = s
  const lastColon = str.lastIndexOf(':')
  if (str.slice(lastColon + 1).includes('.')) {
    tailV4 = parseV4(str.slice(lastColon + 1))
    if (tailV4 == null) return null
    str = str.slice(0, lastColon + 1) + '0:0'
  }
  const dbl = str.indexOf('::')
  if (dbl !== str.lastIndexOf('::')) return null
  const groupsOf = (x: string): string[] => x === '' ? [] : x.split(':')
  let groups: string[]
  if (dbl >= 0) {
    const head = groupsOf(str.slice(0, dbl))
    const tail = groupsOf(str.slice(dbl + 2))
    const missing = 8 - head.length - tail.length
    if (missing < 1) return null
    groups = [...head, ...Array<string>(missing).fill('0'), ...tail]
  } else {
    groups = str.split(':')
  }
  if (groups.length !== 8) return null
  const out: number[] = []
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null
    const n = Number.parseInt(g, 16)
    out.push(n >> 8, n & 0xff)
  }
  if (tailV4 != null) out.splice(12, 4, ...tailV4)
  return out
}

export function formatIP (bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.')
  const words: number[] = []
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1])
  // IPv4-mapped addresses print dotted, as Go does
  if (words.slice(0, 5).every(w => w === 0) && words[5] === 0xffff) {
    return bytes.slice(12).join('.')
  }
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLen) { bestStart = i; bestLen = j - i }
    i = j
  }
  if (bestLen < 2) bestStart = -1
  const hex = (w: number): string => w.toString(16)
  if (bestStart < 0) return words.map(hex).join(':')
  const head = words.slice(0, bestStart).map(hex).join(':')
  const tail = words.slice(bestStart + bestLen).map(hex).join(':')
  return `${head}::${tail}`
}

/** Parses like Go's netutils.ParseIPSloppy; null when invalid. */
export function parseIP (s: string): ParsedIP | null {
  const t = s.trim()
  if (t.includes(':')) {
    const b = parseV6(t)
    if (b == null) return null
    // an IPv4-mapped IPv6 address is an IPv4 address for Go
    if (b.slice(0, 10).every(x => x === 0) && b[10] === 0xff && b[11] === 0xff) {
      const v4 = b.slice(12)
      return { family: 'IPv4', bytes: v4, canonical: formatIP(v4) }
    }
    return { family: 'IPv6', bytes: b, canonical: formatIP(b) }
  }
  const b = parseV4(t)
  if (b == null) return null
  return { family: 'IPv4', bytes: b, canonical: formatIP(b) }
}

export function canonicalIP (s: string): string | null {
  return parseIP(s)?.canonical ?? null
}

export function ipFamilyOf (s: string): IPFamily | null {
  return parseIP(s)?.family ?? null
}

export interface ParsedCIDR {
  family: IPFamily
  /** network address bytes (host bits cleared) */
  bytes: number[]
  prefix: number
  /** `a.b.c.d/len` with host bits cleared, as Go's IPNet.String() prints */
  canonical: string
}

/** Parses like Go's netutils.ParseCIDRSloppy (whitespace trimmed); null when invalid. */
export function parseCIDR (s: string): ParsedCIDR | null {
  const t = s.trim()
  const slash = t.indexOf('/')
  if (slash < 0) return null
  const ip = parseIP(t.slice(0, slash))
  const lenStr = t.slice(slash + 1)
  if (ip == null || !/^[0-9]{1,3}$/.test(lenStr)) return null
  const prefix = Number.parseInt(lenStr, 10)
  const bits = ip.bytes.length * 8
  if (prefix > bits) return null
  const bytes = ip.bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8))
    return b & ((0xff << (8 - keep)) & 0xff)
  })
  return { family: ip.family, bytes, prefix, canonical: `${formatIP(bytes)}/${prefix}` }
}

export function cidrContains (cidr: ParsedCIDR, ip: ParsedIP): boolean {
  if (cidr.bytes.length !== ip.bytes.length) return false
  for (let i = 0; i < cidr.bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, cidr.prefix - i * 8))
    const mask = (0xff << (8 - keep)) & 0xff
    if ((ip.bytes[i] & mask) !== cidr.bytes[i]) return false
  }
  return true
}

export function isLoopback (ip: ParsedIP): boolean {
  if (ip.family === 'IPv4') return ip.bytes[0] === 127
  return ip.bytes.slice(0, 15).every(b => b === 0) && ip.bytes[15] === 1
}

/** `net.JoinHostPort`: IPv6 hosts get brackets. */
export function joinHostPort (ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}
