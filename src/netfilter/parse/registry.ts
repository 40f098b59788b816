/** Which match and target extensions the parser knows, typed or kept verbatim. */

import type { ExtDef } from './ext.ts'
import { tcpMatch, udpMatch, sctpMatch } from './match-tcpudp.ts'
import { icmpMatch } from './match-icmp.ts'
import { multiportMatch } from './match-multiport.ts'
import { commentMatch, markMatch, connmarkMatch, statisticMatch } from './match-simple.ts'
import { addrtypeMatch } from './match-addrtype.ts'
import { conntrackMatch, stateMatch } from './match-conntrack.ts'
import { recentMatch } from './match-recent.ts'
import { physdevMatch } from './match-physdev.ts'
import { limitMatch } from './match-limit.ts'
import {
  acceptTarget, dropTarget, returnTarget, queueTarget, rejectTarget, logTarget, traceTarget, notrackTarget, ctTarget
} from './target-basic.ts'
import { markTarget, connmarkTarget } from './target-mark.ts'
import { dnatTarget, snatTarget, masqueradeTarget, redirectTarget } from './target-nat.ts'

/** Matches with option tables (typed variants; `limit` is validated and canonicalised but stays `unknown`). */
export const MATCHES = new Map<string, ExtDef>([
  tcpMatch, udpMatch, sctpMatch, icmpMatch, multiportMatch, commentMatch, markMatch, connmarkMatch, statisticMatch,
  addrtypeMatch, conntrackMatch, stateMatch, recentMatch, physdevMatch, limitMatch
].map(d => [d.name, d]))

/** Targets parsed into typed variants. */
export const TARGETS = new Map<string, ExtDef>([
  acceptTarget, dropTarget, returnTarget, queueTarget, rejectTarget, logTarget, traceTarget, notrackTarget, ctTarget,
  markTarget, connmarkTarget, dnatTarget, snatTarget, masqueradeTarget, redirectTarget
].map(d => [d.name, d]))

/** Real iptables match extensions that are accepted and kept verbatim (`unknown`). */
export const VERBATIM_MATCHES = new Set([
  'ah', 'bpf', 'cgroup', 'cluster', 'connbytes', 'connlabel', 'connlimit', 'cpu', 'dccp', 'devgroup', 'dscp', 'ecn',
  'esp', 'hashlimit', 'helper', 'hl', 'ipcomp', 'iprange', 'ipvs', 'length', 'limit', 'mac', 'nfacct', 'osf', 'owner',
  'pkttype', 'policy', 'quota', 'rateest', 'realm', 'rpfilter', 'set', 'socket', 'string', 'tcpmss', 'time', 'tos',
  'ttl', 'u32', 'udplite', 'helper', 'l2tp', 'ipv4options'
])

/** Real iptables target extensions that are accepted and kept verbatim (`unknown`). */
export const VERBATIM_TARGETS = new Set([
  'AUDIT', 'CHECKSUM', 'CLASSIFY', 'CLUSTERIP', 'CONNSECMARK', 'DSCP', 'ECN', 'HMARK', 'IDLETIMER', 'LED', 'NETMAP',
  'NFLOG', 'NFQUEUE', 'RATEEST', 'SECMARK', 'SET', 'SYNPROXY', 'TCPMSS', 'TCPOPTSTRIP', 'TEE', 'TOS', 'TPROXY', 'TTL',
  'ULOG', 'MIRROR'
])

/** Names a user chain may not take. */
export function isTargetName (name: string): boolean {
  return TARGETS.has(name) || VERBATIM_TARGETS.has(name)
}
