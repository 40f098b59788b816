/**
 * IP protocol names. Parsing accepts numbers (0..255), the names iptables has built in and the
 * /etc/protocols names; saving prints the /etc/protocols name (iptables 1.8.9 behaviour), else the number.
 */

/** /etc/protocols of the reference system (Debian netbase): name → number, primary names in number order. */
const ETC_PROTOCOLS: Array<[string, number]> = [
  ['ip', 0], ['hopopt', 0], ['icmp', 1], ['igmp', 2], ['ggp', 3], ['ipencap', 4], ['st', 5], ['tcp', 6], ['egp', 8],
  ['igp', 9], ['pup', 12], ['udp', 17], ['hmp', 20], ['xns-idp', 22], ['rdp', 27], ['iso-tp4', 29], ['dccp', 33],
  ['xtp', 36], ['ddp', 37], ['idpr-cmtp', 38], ['ipv6', 41], ['ipv6-route', 43], ['ipv6-frag', 44], ['idrp', 45],
  ['rsvp', 46], ['gre', 47], ['esp', 50], ['ah', 51], ['skip', 57], ['ipv6-icmp', 58], ['ipv6-nonxt', 59],
  ['ipv6-opts', 60], ['rspf', 73], ['vmtp', 81], ['eigrp', 88], ['ospf', 89], ['ax.25', 93], ['ipip', 94],
  ['etherip', 97], ['encap', 98], ['pim', 103], ['ipcomp', 108], ['vrrp', 112], ['l2tp', 115], ['isis', 124],
  ['sctp', 132], ['fc', 133], ['mobility-header', 135], ['udplite', 136], ['mpls-in-ip', 137], ['manet', 138],
  ['hip', 139], ['shim6', 140], ['wesp', 141], ['rohc', 142], ['ethernet', 143]
]

/** iptables' built-in protocol names (`xtables_chain_protos`) */
const BUILTIN: Array<[string, number]> = [
  ['tcp', 6], ['sctp', 132], ['udp', 17], ['udplite', 136], ['icmp', 1], ['ipv6-icmp', 58], ['icmpv6', 58],
  ['esp', 50], ['ah', 51], ['mobility-header', 135], ['ipv6-mh', 135], ['mh', 135], ['dccp', 33], ['ipcomp', 108],
  ['all', 0]
]

const BY_NAME = new Map<string, number>()
const BY_NUMBER = new Map<number, string>()
for (const [n, v] of BUILTIN) BY_NAME.set(n, v)
for (const [n, v] of ETC_PROTOCOLS) {
  if (!BY_NAME.has(n)) BY_NAME.set(n, v)
  if (!BY_NUMBER.has(v)) BY_NUMBER.set(v, n)
}

/** Protocol number for a name or base-0 number (case-insensitive); null if unknown or > 255. */
export function parseProtocol (s: string): number | null {
  const lower = s.toLowerCase()
  const named = BY_NAME.get(lower)
  if (named !== undefined) return named
  let v = 0
  let ok = lower.length > 0 && lower.length < 12
  // base-0 like strtoul
  if (ok) {
    if (/^0x[0-9a-f]+$/.test(lower)) v = parseInt(lower.slice(2), 16)
    else if (/^0[0-7]*$/.test(lower)) v = parseInt(lower, 8)
    else if (/^[1-9][0-9]*$/.test(lower)) v = parseInt(lower, 10)
    else ok = false
  }
  if (!ok || v > 255) return null
  return v
}

/** The name iptables-save v1.8.9 prints for a protocol number (number when it has no name). */
export function protocolName (proto: number): string {
  return BY_NUMBER.get(proto) ?? String(proto)
}

/** Name of the match extension `-p NAME` loads implicitly, if there is one. */
export function protocolModule (proto: number): string | undefined {
  switch (proto) {
    case 6: return 'tcp'
    case 17: return 'udp'
    case 132: return 'sctp'
    case 1: return 'icmp'
    case 136: return 'udplite'
    case 33: return 'dccp'
    case 50: return 'esp'
    case 51: return 'ah'
    default: return undefined
  }
}
