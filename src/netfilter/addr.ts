/**
 * IPv4 helpers (strict; no hostname resolution). Addresses and masks are unsigned 32-bit numbers.
 */

import { parseUint } from './numbers.ts'

/**
 * Parse a numeric IPv4 address the way `xtables_numeric_to_ipaddr` does: 1 to 4 dot-separated
 * components (each base-0, 0..255), missing trailing components are zero (`10.1` → 10.1.0.0).
 * Returns null when malformed.
 */
export function parseIPv4 (s: string): number | null {
  if (s.length === 0 || s.length > 64) return null
  let v = 0
  let parts = 0
  let start = 0
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s.charCodeAt(i) === 46) {
      if (parts === 4) return null
      const b = parseUint(s.slice(start, i), 255)
      if (b === null) return null
      v = v * 256 + b
      parts++
      start = i + 1
    }
  }
  for (; parts < 4; parts++) v = v * 256
  return v >>> 0
}

/**
 * Strict dotted quad like glibc `inet_pton`: exactly 4 decimal components 0..255, no leading zeros
 * (what iptables uses for NAT addresses and dotted masks).
 */
export function parseDottedQuad (s: string): number | null {
  if (s.length < 7 || s.length > 15) return null
  let v = 0
  let parts = 0
  let cur = -1
  let digits = 0
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46
    if (c === 46) {
      if (digits === 0 || parts === 4) return null
      v = v * 256 + cur
      parts++
      cur = -1
      digits = 0
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && cur === 0) return null
      cur = (cur < 0 ? 0 : cur * 10) + (c - 48)
      digits++
      if (cur > 255) return null
    } else return null
  }
  return parts === 4 ? v >>> 0 : null
}

function dotCount (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 46) n++
  return n
}

/** Format an address as a.b.c.d */
export function formatIPv4 (a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`
}

/** Netmask number for a prefix length 0..32 */
export function prefixToMask (len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
}

/** Prefix length of a contiguous mask, or -1 if the mask is not contiguous */
export function maskToPrefix (mask: number): number {
  const m = mask >>> 0
  const inv = (~m) >>> 0
  if ((inv & (inv + 1)) !== 0) return -1
  let len = 0
  for (let b = 31; b >= 0; b--) {
    if ((m >>> b) & 1) len++
    else break
  }
  return len
}

/** `len` for contiguous masks, dotted form otherwise (iptables-save style). */
export function formatMask (mask: number): string {
  const p = maskToPrefix(mask)
  return p >= 0 ? String(p) : formatIPv4(mask)
}

export type AddrParseResult = { addr: number, mask: number } | { error: string }

/**
 * Parse `addr[/mask]` where mask is a prefix length (base 0, 0..32) or a dotted mask. The address is
 * ANDed with the mask when `applyMask` is true (what `-s`/`-d` do); without a mask it is /32.
 */
export function parseAddrMask (s: string, applyMask: boolean): AddrParseResult {
  const slash = s.indexOf('/')
  const a = slash < 0 ? s : s.slice(0, slash)
  let mask = 0xffffffff
  if (slash >= 0) {
    const m = s.slice(slash + 1)
    if (m.indexOf('.') >= 0) {
      const mm = dotCount(m) === 3 ? parseIPv4(m) : null
      if (mm === null) return { error: `invalid mask \`${m}' specified` }
      mask = mm
    } else {
      const len = parseUint(m, 32)
      if (len === null) return { error: `invalid mask \`${m}' specified` }
      mask = prefixToMask(len)
    }
  }
  const addr = parseIPv4(a)
  if (addr === null) return { error: `host/network \`${a}' not found` }
  return { addr: applyMask ? (addr & mask) >>> 0 : addr, mask }
}
