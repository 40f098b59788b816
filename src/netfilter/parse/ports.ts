/** Port and port-range parsing shared by tcp/udp/sctp, multiport and conntrack. */

import type { PortRange } from '../model.ts'
import { parsePort } from '../numbers.ts'

/** `p`, `a:b`, `:b` (0..b), `a:` (a..65535) — errors worded like libxtables. */
export function parsePortRange (s: string, proto: string | undefined): PortRange | string {
  const colon = s.indexOf(':')
  if (colon < 0) {
    const p = parsePort(s, proto)
    if (p === null) return `invalid port/service \`${s}' specified`
    return { min: p, max: p }
  }
  const a = s.slice(0, colon)
  const b = s.slice(colon + 1)
  const min = a === '' ? 0 : parsePort(a, proto)
  if (min === null) return `invalid port/service \`${a}' specified`
  const max = b === '' ? 65535 : parsePort(b, proto)
  if (max === null) return `invalid port/service \`${b}' specified`
  if (min > max) return 'invalid portrange (min > max)'
  return { min, max }
}

export function formatPortRange (r: PortRange): string {
  return r.min === r.max ? String(r.min) : `${r.min}:${r.max}`
}
