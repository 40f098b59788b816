/**
 * The ruleset model shared by the parser, the canonical renderer and the evaluator.
 *
 * A ruleset is what `iptables-save` prints: tables, each with built-in and user chains, each chain an
 * ordered rule list. Rules keep their matches in command-line order (the kernel evaluates them in that
 * order, after the fixed IP-header part). Values are stored the way the kernel stores them (addresses
 * pre-masked, probabilities quantised to u32, marks as numbers) so that rendering and evaluating agree.
 *
 * Matches and targets the engine understands are typed variants; anything else is kept verbatim as an
 * `unknown` variant so it still renders, and evaluation reports it as unknown rather than guessing.
 */

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security'

export type HookName = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING'

/** Built-in chains per table, in the order iptables-save prints them. */
export const BUILTIN_CHAINS: Record<TableName, HookName[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT']
}

/** Where a line came from in the parsed text (1-based). */
/** Free-form annotation a producer (e.g. the kube-proxy generator) attaches to a rule. */
export interface Provenance {
  /** e.g. "default/web:http" */
  servicePort?: string
  /** e.g. "10.244.1.5:8080" */
  endpoint?: string
  /** e.g. "spec.ports[0].nodePort" */
  field?: string
  /** short human explanation of why this rule exists */
  note?: string
  [key: string]: unknown
}

export interface Counters {
  packets: bigint
  bytes: bigint
}

/** IPv4 address as an unsigned 32-bit number; mask as a 32-bit netmask number. */
export interface AddrMatch {
  addr: number
  mask: number
  invert: boolean
}

export interface IfaceMatch {
  /** interface name as written, `+` suffix = prefix wildcard */
  name: string
  invert: boolean
}

export interface ProtoMatch {
  /** protocol number (tcp=6, udp=17, sctp=132, icmp=1, ...) */
  proto: number
  invert: boolean
}

export interface PortRange {
  min: number
  max: number
}

export interface Inv<T> {
  value: T
  invert: boolean
}

/** One `-m NAME ...` instance (or an implicit protocol match loaded by `-p tcp --dport`). */
export type Match =
  | { kind: 'tcp', sport?: Inv<PortRange>, dport?: Inv<PortRange>, tcpFlags?: Inv<{ mask: number, comp: number }>, tcpOption?: Inv<number> }
  | { kind: 'udp', sport?: Inv<PortRange>, dport?: Inv<PortRange> }
  | { kind: 'sctp', sport?: Inv<PortRange>, dport?: Inv<PortRange> }
  | { kind: 'icmp', icmpType: Inv<{ type: number, codeMin: number, codeMax: number } | 'any'> }
  | { kind: 'multiport', direction: 'src' | 'dst' | 'any', ports: PortRange[], invert: boolean }
  | { kind: 'comment', comment: string }
  | { kind: 'addrtype', srcType?: Inv<string[]>, dstType?: Inv<string[]>, limitIfaceIn?: boolean, limitIfaceOut?: boolean }
  | { kind: 'statistic', mode: 'random', probability: number /* u32 = lround(p * 2^31) */, invert: boolean }
  | { kind: 'statistic', mode: 'nth', every: number, packet: number, invert: boolean }
  | { kind: 'mark', value: number, mask: number, invert: boolean }
  | { kind: 'connmark', value: number, mask: number, invert: boolean }
  | {
    kind: 'conntrack'
    ctstate?: Inv<string[]>
    ctproto?: Inv<number>
    ctorigsrc?: AddrMatch
    ctorigdst?: AddrMatch
    ctreplsrc?: AddrMatch
    ctrepldst?: AddrMatch
    ctorigsrcport?: Inv<PortRange>
    ctorigdstport?: Inv<PortRange>
    ctreplsrcport?: Inv<PortRange>
    ctrepldstport?: Inv<PortRange>
    ctstatus?: Inv<string[]>
    ctexpire?: Inv<PortRange>
    ctdir?: 'ORIGINAL' | 'REPLY'
  }
  | { kind: 'state', state: Inv<string[]> }
  | {
    kind: 'recent'
    command: 'set' | 'rcheck' | 'update' | 'remove'
    invert: boolean
    name: string
    seconds?: number
    reap: boolean
    hitcount?: number
    rttl: boolean
    mask: number
    side: 'rsource' | 'rdest'
  }
  | { kind: 'physdev', physdevIn?: Inv<string>, physdevOut?: Inv<string>, isIn?: Inv<true>, isOut?: Inv<true>, isBridged?: Inv<true> }
  /** Parsed faithfully but not modelled: evaluation yields "unknown". `args` is the canonical text after `-m NAME`. */
  | { kind: 'unknown', module: string, args: string[] }

export type MatchKind = Match['kind']

export type RejectWith =
  | 'icmp-net-unreachable' | 'icmp-host-unreachable' | 'icmp-port-unreachable' | 'icmp-proto-unreachable'
  | 'icmp-net-prohibited' | 'icmp-host-prohibited' | 'icmp-admin-prohibited' | 'tcp-reset'

export interface NatRange {
  /** address range (inclusive); undefined = keep the address (e.g. `:8080`) */
  minAddr?: number
  maxAddr?: number
  /** port range (inclusive); undefined = keep the port */
  minPort?: number
  maxPort?: number
}

/** What `-j` / `-g` points at. Absent target (`-A C -m comment ...`) is `null` on the rule. */
export type Target =
  | { kind: 'ACCEPT' }
  | { kind: 'DROP' }
  | { kind: 'RETURN' }
  | { kind: 'QUEUE' }
  | { kind: 'jump', chain: string }
  | { kind: 'goto', chain: string }
  | { kind: 'REJECT', rejectWith: RejectWith }
  | { kind: 'MARK', value: number, mask: number /* mark = (mark & ~mask) ^ value */ }
  | { kind: 'CONNMARK', mode: 'set', value: number, mask: number }
  | { kind: 'CONNMARK', mode: 'save' | 'restore', nfmask: number, ctmask: number }
  | { kind: 'DNAT', ranges: NatRange[], random: boolean, persistent: boolean }
  | { kind: 'SNAT', ranges: NatRange[], random: boolean, randomFully: boolean, persistent: boolean }
  | { kind: 'MASQUERADE', minPort?: number, maxPort?: number, random: boolean, randomFully: boolean }
  | { kind: 'REDIRECT', minPort?: number, maxPort?: number, random: boolean }
  | { kind: 'LOG', prefix?: string, level?: number, flags: string[] }
  | { kind: 'TRACE' }
  | { kind: 'NOTRACK' }
  | { kind: 'CT', notrack: boolean, args: string[] }
  /** Parsed faithfully but not modelled. `args` is the canonical text after `-j NAME`. */
  | { kind: 'unknown', name: string, args: string[] }

export interface Rule {
  source?: AddrMatch
  destination?: AddrMatch
  inIface?: IfaceMatch
  outIface?: IfaceMatch
  protocol?: ProtoMatch
  /** `-f` (true) / `! -f` (false as invert) */
  fragment?: { invert: boolean }
  matches: Match[]
  /** null = no target: the rule only counts packets and falls through */
  target: Target | null
  counters?: Counters
  /** line of the text the rule was parsed from (rules of one comma-list line share it) */
  line?: number
  provenance?: Provenance
}

export interface Chain {
  name: string
  builtin: boolean
  /** policy of a built-in chain; null for user chains (`-` in the save format) */
  policy: 'ACCEPT' | 'DROP' | null
  counters?: Counters
  rules: Rule[]
  /**
   * Built-in chains only: false when the chain was not declared (`:NAME POLICY`), given a rule or a
   * policy in the restore input. iptables-nft registers no hook for such a chain (the evaluator's nft
   * backend skips it); undefined = assume it exists.
   */
  declared?: boolean
}

export interface Table {
  name: TableName
  /** built-in chains first (BUILTIN_CHAINS order), then user chains in creation order */
  chains: Map<string, Chain>
}

export interface Ruleset {
  /** only tables present in the text; the evaluator traverses exactly these */
  tables: Map<TableName, Table>
}
