/**
 * Human explanations: one line per matched rule (from the generator's provenance, or what the
 * target did), and the reason of each outcome ("service default/web has no endpoints",
 * "loadBalancerSourceRanges do not include 203.0.113.130", "externalTrafficPolicy Local and no local
 * endpoint on node-2", ...), found from the deciding rule's provenance and the path's earlier steps.
 */
import type { Prepared, RuleRef, RuleStep, Step, Rule } from '../../netfilter/index.ts'
import type { RuleProvenance } from '../kubeproxy/index.ts'
import type { Final, Hop } from './types.ts'

export function ruleAt (p: Prepared, table: string, chain: string, n: number): Rule | undefined {
  return p.tables.get(table as never)?.chains.get(chain)?.source.rules[n - 1]
}

export function provenanceOf (p: Prepared, ref: { table: string, chain: string, n: number, kind?: string }): RuleProvenance | undefined {
  if (ref.kind !== undefined && ref.kind !== 'rule') return undefined
  return ruleAt(p, ref.table, ref.chain, ref.n)?.provenance as RuleProvenance | undefined
}

function commentOf (r: Rule | undefined): string | undefined {
  for (const m of r?.matches ?? []) if (m.kind === 'comment') return (m as { comment?: string }).comment
  return undefined
}

const REJECT_TEXT: Record<string, string> = {
  'icmp-port-unreachable': 'ICMP port unreachable (type 3 code 3): the client gets "connection refused"',
  'icmp-net-unreachable': 'ICMP network unreachable (type 3 code 0)',
  'icmp-host-unreachable': 'ICMP host unreachable (type 3 code 1)',
  'icmp-proto-unreachable': 'ICMP protocol unreachable (type 3 code 2)',
  'icmp-net-prohibited': 'ICMP network prohibited (type 3 code 9)',
  'icmp-host-prohibited': 'ICMP host prohibited (type 3 code 10)',
  'icmp-admin-prohibited': 'ICMP administratively prohibited (type 3 code 13)',
  'tcp-reset': 'TCP RST: the client gets "connection refused"'
}

export function rejectKind (w: string): string {
  return REJECT_TEXT[w] ?? w
}

function policyOf (prov: RuleProvenance | undefined, text: string): 'internal' | 'external' {
  const f = prov?.field ?? ''
  if (f === 'spec.clusterIP' || f.startsWith('spec.internalTrafficPolicy')) return 'internal'
  if (f.includes('nodePort') || f.startsWith('spec.externalIPs') || f.startsWith('status.loadBalancer') || f.startsWith('spec.externalTrafficPolicy')) return 'external'
  return text.includes('KUBE-EXTERNAL-SERVICES') ? 'external' : 'internal'
}

/** Why a rule ended the path (REJECT/DROP in filter, or a legacy KUBE-MARK-DROP consequence). */
function ruleReason (p: Prepared, at: RuleRef, node: string, src: string, hops: Hop[]): string {
  const r = ruleAt(p, at.table, at.chain, at.n)
  const prov = r?.provenance as RuleProvenance | undefined
  const comment = commentOf(r) ?? ''
  const text = at.ruleText ?? ''
  const svc = prov?.service ?? comment.split(/[ :]/)[0]
  if (comment.includes('has no local endpoints')) {
    return policyOf(prov, text) === 'internal'
      ? `internalTrafficPolicy Local and no local endpoint on ${node} (service ${svc})`
      : `externalTrafficPolicy Local and no local endpoint on ${node} (service ${svc})`
  }
  if (comment.includes('has no endpoints')) return `service ${svc} has no endpoints`
  if (at.chain === 'KUBE-PROXY-FIREWALL' || comment.includes('traffic not accepted by')) return `loadBalancerSourceRanges do not include ${src} (service ${svc})`
  if (comment.includes('block incoming localnet')) return `connections to 127.0.0.0/8 that do not come from the node itself are blocked (localnet firewall)`
  if (text.includes('--ctstate INVALID')) return 'conntrack classifies the packet as INVALID and kube-proxy drops invalid packets in FORWARD'
  if (comment.includes('dropping marked packets')) {
    // legacy: something marked the packet with KUBE-MARK-DROP earlier on this node
    const steps = hops[hops.length - 1]?.steps ?? []
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i]
      if (s.type === 'rule' && s.matched === true && s.jumpTo === 'KUBE-MARK-DROP') {
        const c = commentOf(ruleAt(p, s.table, s.chain, s.n)) ?? ''
        const pv = provenanceOf(p, s)
        const sv = pv?.service ?? c.split(/[ :]/)[0]
        if (s.chain.startsWith('KUBE-FW-')) return `loadBalancerSourceRanges do not include ${src} (service ${sv})`
        if (c.includes('has no local endpoints') || s.chain.startsWith('KUBE-XLB-')) return `externalTrafficPolicy Local and no local endpoint on ${node} (service ${sv})`
        return `marked for dropping by ${s.table} ${s.chain} rule ${s.n}${pv?.note !== undefined ? ` (${pv.note})` : ''}`
      }
    }
    return 'the packet carries the drop mark 0x8000 (KUBE-MARK-DROP)'
  }
  if (prov?.note !== undefined) return `${at.table} ${at.chain} rule ${at.n}: ${prov.note}`
  return `${at.table} ${at.chain} rule ${at.n}${text !== '' ? ` (${text})` : ''}`
}

/** The one-line reason of a final outcome. */
/** Did a SNAT/MASQUERADE binding happen on these hops (the source was rewritten, maybe only its port)? */
export function sourceNatted (hops: Hop[]): boolean {
  for (const h of hops) {
    for (const s of h.steps) {
      if (s.type === 'rule' && s.matched === true && s.note !== undefined && (s.note.startsWith('MASQUERADE binding') || s.note.startsWith('SNAT binding'))) return true
    }
  }
  return false
}

export function finalReason (final: Final, hops: Hop[], prepared: (node: string) => Prepared, clientSrc: string): string {
  const lastIn = hops[hops.length - 1]?.packetIn
  const src = lastIn?.src ?? clientSrc
  switch (final.kind) {
    case 'DELIVERED': {
      const masq = sourceNatted(hops) || final.seenSource !== clientSrc
      return `delivered to pod ${final.pod.key} at ${final.address}${final.port !== undefined ? ':' + final.port : ''} on ${final.node}; the pod sees the connection coming from ${final.seenSource}${final.seenPort !== undefined ? ':' + final.seenPort : ''}${masq ? ` (source NAT: masqueraded${final.seenSource === clientSrc ? ', same address, new port' : ''})` : ' (the client address is preserved)'}`
    }
    case 'LOCAL':
      return `no rule redirected it: ${final.address}${final.port !== undefined ? ':' + final.port : ''} is an address of ${final.node}, so it goes to a host process there (if nothing listens the client gets a RST / port unreachable)`
    case 'REJECTED': return `${ruleReason(prepared(final.node), final.at, final.node, src, hops)}; rejected with ${rejectKind(final.with)}`
    case 'DROPPED': {
      if (final.at !== undefined && final.at.n > 0) {
        const c = final.at
        const r = ruleAt(prepared(final.node), c.table, c.chain, c.n)
        if (r !== undefined || c.ruleText !== undefined) return ruleReason(prepared(final.node), c, final.node, src, hops)
        return `${c.table} ${c.chain}: ${final.engineReason}`
      }
      return final.engineReason
    }
    case 'NO_ROUTE': return final.engineReason
    case 'EXTERNAL': {
      const marked = (final.packet.mark & 0x8000) !== 0 ? ` (it carries the drop mark 0x8000 from KUBE-MARK-DROP, but no rule on its forwarding path drops marked packets)` : ''
      return `no rule redirected it, so ${final.node} routes ${final.packet.dst} out of eth0 towards ${final.nextHop}: the packet leaves the cluster${marked}`
    }
    case 'UNKNOWN': return `the engine cannot decide: ${final.engineReason}`
  }
}

/** One line for a matched rule step (what it means for the packet). */
export function explainStep (p: Prepared, s: RuleStep): string {
  if (s.kind !== 'rule') return s.kind === 'policy' ? `end of ${s.chain}: policy ${s.verdict ?? 'ACCEPT'}` : `end of ${s.chain}: back to the calling chain`
  if (s.matched !== true) return s.why ?? 'no match'
  const prov = provenanceOf(p, s)
  const parts: string[] = []
  if (prov?.note !== undefined) parts.push(prov.note)
  else if (s.jumpTo !== undefined) parts.push(staticJump(s.jumpTo))
  if (s.note !== undefined && (prov?.note === undefined || s.verdict !== 'JUMP')) parts.push(s.note)
  if (parts.length === 0) parts.push(s.verdict === 'ACCEPT' ? 'accepted' : s.verdict === 'CONTINUE' ? 'continue' : (s.verdict ?? '').toLowerCase())
  if (prov?.service !== undefined && !parts[0].includes(prov.service)) parts.push(`[${prov.service}${prov.field !== undefined ? ` ${prov.field}` : ''}]`)
  return parts.join('; ')
}

const STATIC_JUMPS: Record<string, string> = {
  'KUBE-SERVICES': 'into kube-proxy\'s service portals',
  'KUBE-NODEPORTS': 'destination is a local address: check the node ports',
  'KUBE-MARK-MASQ': 'mark the packet for masquerading (SNAT on the way out)',
  'KUBE-MARK-DROP': 'mark the packet to be dropped',
  'KUBE-POSTROUTING': 'kube-proxy\'s postrouting: masquerade marked packets',
  'KUBE-FORWARD': 'kube-proxy\'s forwarding rules',
  'KUBE-FIREWALL': 'kubelet/kube-proxy firewall checks',
  'KUBE-EXTERNAL-SERVICES': 'checks for external traffic to services without endpoints',
  'KUBE-PROXY-FIREWALL': 'load-balancer source-range firewall'
}

function staticJump (c: string): string {
  return STATIC_JUMPS[c] ?? `jump to ${c}`
}

/** Steps of a hop that a learner reads (rule steps that matched, routing/NAT/conntrack events). */
export function isMatchedRule (s: Step): s is RuleStep {
  return s.type === 'rule' && s.matched === true
}
