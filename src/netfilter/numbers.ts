/**
 * Strict number parsing the way libxtables does it (`strtoul` with base 0, whole string consumed):
 * `0x10` is hex, `010` is octal, `10` is decimal. No signs, no whitespace.
 */

/** Parse an unsigned integer with C base-0 rules; null if malformed or above `max`. */
export function parseUint (s: string, max = 0xffffffff): number | null {
  const n = s.length
  if (n === 0 || n > 40) return null
  let v = 0
  let i = 0
  let base = 10
  if (s.charCodeAt(0) === 48 /* 0 */) {
    if (n > 1 && (s.charCodeAt(1) | 0x20) === 120 /* x */) {
      base = 16
      i = 2
      if (n === 2) return null
    } else {
      base = 8
      i = 1
    }
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    let d: number
    if (c >= 48 && c <= 57) d = c - 48
    else if (base === 16 && (c | 0x20) >= 97 && (c | 0x20) <= 102) d = (c | 0x20) - 87
    else return null
    if (d >= base) return null
    v = v * base + d
    if (v > max) return null
  }
  return v
}

/** Parse a C `strtod`-style decimal fraction (digits, optional dot, optional exponent); null if malformed. */
export function parseDecimal (s: string): number | null {
  if (s.length === 0 || s.length > 64) return null
  let i = 0
  let digits = 0
  const n = s.length
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) { i++; digits++ }
  if (i < n && s.charCodeAt(i) === 46) {
    i++
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) { i++; digits++ }
  }
  if (digits === 0) return null
  if (i < n && (s.charCodeAt(i) | 0x20) === 101) {
    i++
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++
    const start = i
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
    if (i === start) return null
  }
  if (i !== n) return null
  return Number(s)
}

/** Well-known service names (a subset of /etc/services), per protocol. */
const SERVICES: Record<string, Record<string, number>> = {
  tcp: {
    'ftp-data': 20, ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, www: 80, kerberos: 88, pop3: 110,
    sunrpc: 111, bgp: 179, snmp: 161, 'snmp-trap': 162, ldap: 389, https: 443, 'microsoft-ds': 445, submission: 587,
    ldaps: 636, rsync: 873, imaps: 993, pop3s: 995, nfs: 2049, mysql: 3306, postgresql: 5432
  },
  udp: {
    domain: 53, bootps: 67, bootpc: 68, tftp: 69, kerberos: 88, sunrpc: 111, ntp: 123, 'netbios-ns': 137, snmp: 161,
    'snmp-trap': 162, ldap: 389, https: 443, syslog: 514, ldaps: 636, nfs: 2049
  }
}

/**
 * Parse one port: a base-0 number 0..65535 or a service name known for the protocol
 * (`xtables_parse_port`). Returns null when invalid.
 */
export function parsePort (s: string, proto?: string): number | null {
  const v = parseUint(s, 65535)
  if (v !== null) return v
  const table = SERVICES[proto ?? 'tcp']
  if (table === undefined) return null
  const p = Object.hasOwn(table, s) ? table[s] : undefined
  return p ?? null
}

/** Render a 32-bit unsigned value as lower-case `0x…` like iptables' `0x%x`. */
export function hex (v: number): string {
  return '0x' + (v >>> 0).toString(16)
}
