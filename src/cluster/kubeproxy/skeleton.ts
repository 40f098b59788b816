/**
 * The fixed part of a node's kube-proxy rules (§3, §7.1): jump rules from built-in chains, canary and
 * kubelet chains (not part of the restore data), and the top-level chains/rules kube-proxy writes on
 * every sync.
 */
import { comment, rule } from './service-rules.ts'
import { parseCIDR, parseIP, isLoopback, cidrContains } from './ip.ts'
import type { KpTable, ProxierConfig, RuleProvenance, RuleRecord } from './types.ts'

export interface StaticChain {
  table: KpTable
  chain: string
  prov: RuleProvenance
}

/** What a clean node has outside kube-proxy's restore data. */
export interface StaticPart {
  chains: StaticChain[]
  /** rules in their final order on the node (built-in chains and static user chains) */
  rules: RuleRecord[]
}

interface JumpSpec { table: KpTable, src: string, dst: string, extra: string[], comment: string }

const CURRENT_JUMPS: JumpSpec[] = [
  { table: 'filter', src: 'INPUT', dst: 'KUBE-EXTERNAL-SERVICES', extra: ['-m', 'conntrack', '--ctstate', 'NEW'], comment: 'kubernetes externally-visible service portals' },
  { table: 'filter', src: 'FORWARD', dst: 'KUBE-EXTERNAL-SERVICES', extra: ['-m', 'conntrack', '--ctstate', 'NEW'], comment: 'kubernetes externally-visible service portals' },
  { table: 'filter', src: 'INPUT', dst: 'KUBE-NODEPORTS', extra: [], comment: 'kubernetes health check service ports' },
  { table: 'filter', src: 'FORWARD', dst: 'KUBE-SERVICES', extra: ['-m', 'conntrack', '--ctstate', 'NEW'], comment: 'kubernetes service portals' },
  { table: 'filter', src: 'OUTPUT', dst: 'KUBE-SERVICES', extra: ['-m', 'conntrack', '--ctstate', 'NEW'], comment: 'kubernetes service portals' },
  { table: 'filter', src: 'FORWARD', dst: 'KUBE-FORWARD', extra: [], comment: 'kubernetes forwarding rules' },
  { table: 'filter', src: 'INPUT', dst: 'KUBE-PROXY-FIREWALL', extra: ['-m', 'conntrack', '--ctstate', 'NEW'], comment: 'kubernetes load balancer firewall' },
  { table: 'filter', src: 'OUTPUT', dst: 'KUBE-PROXY-FIREWALL', extra: ['-m', 'conntrack', '--ctstate', 'NEW'], comment: 'kubernetes load balancer firewall' },
  { table: 'filter', src: 'FORWARD', dst: 'KUBE-PROXY-FIREWALL', extra: ['-m', 'conntrack', '--ctstate', 'NEW'], comment: 'kubernetes load balancer firewall' },
  { table: 'nat', src: 'OUTPUT', dst: 'KUBE-SERVICES', extra: [], comment: 'kubernetes service portals' },
  { table: 'nat', src: 'PREROUTING', dst: 'KUBE-SERVICES', extra: [], comment: 'kubernetes service portals' },
  { table: 'nat', src: 'POSTROUTING', dst: 'KUBE-POSTROUTING', extra: [], comment: 'kubernetes postrouting rules' }
]

const CURRENT_KUBELET_JUMPS: JumpSpec[] = [
  { table: 'filter', src: 'INPUT', dst: 'KUBE-FIREWALL', extra: [], comment: '' },
  { table: 'filter', src: 'OUTPUT', dst: 'KUBE-FIREWALL', extra: [], comment: '' }
]

/** v1.12–v1.16 era (as in real 2018/2019 dumps). */
const LEGACY_JUMPS: JumpSpec[] = [
  { table: 'filter', src: 'INPUT', dst: 'KUBE-EXTERNAL-SERVICES', extra: ['-m', 'conntrack', '--ctstate', 'NEW'], comment: 'kubernetes externally-visible service portals' },
  { table: 'filter', src: 'OUTPUT', dst: 'KUBE-SERVICES', extra: ['-m', 'conntrack', '--ctstate', 'NEW'], comment: 'kubernetes service portals' },
  { table: 'nat', src: 'OUTPUT', dst: 'KUBE-SERVICES', extra: [], comment: 'kubernetes service portals' },
  { table: 'nat', src: 'PREROUTING', dst: 'KUBE-SERVICES', extra: [], comment: 'kubernetes service portals' },
  { table: 'nat', src: 'POSTROUTING', dst: 'KUBE-POSTROUTING', extra: [], comment: 'kubernetes postrouting rules' },
  { table: 'filter', src: 'FORWARD', dst: 'KUBE-FORWARD', extra: [], comment: 'kubernetes forwarding rules' }
]

function jumpRule (j: JumpSpec, origin: RuleProvenance['origin']): RuleRecord {
  const words = [...j.extra, ...(j.comment !== '' ? ['-m', 'comment', '--comment', comment(j.comment)] : []), '-j', j.dst]
  return rule(j.table, j.src, words, { origin, note: `jump from built-in ${j.src} to ${j.dst}${origin === 'kubelet' ? ' (kubelet)' : ' (kube-proxy EnsureRule, prepended)'}` })
}

/** Applies EnsureRule(Prepend) in order: each new rule goes first unless already present. */
function prependAll (existing: RuleRecord[], jumps: RuleRecord[]): RuleRecord[] {
  const out = [...existing]
  for (const r of jumps) {
    if (out.some(x => x.table === r.table && x.text === r.text)) continue
    const first = out.findIndex(x => x.table === r.table && x.chain === r.chain)
    if (first < 0) out.push(r)
    else out.splice(first, 0, r)
  }
  return out
}

function markBits (bit: number): number { return 1 << bit }

/** Go's `%#08x`: `0x` + at least 8 hex digits. */
export function goMark (v: number): string {
  return '0x' + v.toString(16).padStart(8, '0')
}

export function staticPart (cfg: ProxierConfig): StaticPart {
  const chains: StaticChain[] = []
  let rules: RuleRecord[] = []
  const kubelet: RuleProvenance = { origin: 'kubelet', note: 'created by kubelet' }
  if (cfg.profile === 'current') {
    for (const t of ['mangle', 'nat', 'filter'] as KpTable[]) {
      chains.push({ table: t, chain: 'KUBE-PROXY-CANARY', prov: { origin: 'kube-proxy-static', note: 'canary: kube-proxy resyncs fully if it disappears' } })
      chains.push({ table: t, chain: 'KUBE-KUBELET-CANARY', prov: { ...kubelet, note: 'kubelet canary' } })
    }
    chains.push({ table: 'mangle', chain: 'KUBE-IPTABLES-HINT', prov: { ...kubelet, note: 'kubelet hint: this host uses iptables-nft' } })
    if (cfg.family === 'IPv4' && cfg.localhostNodePorts) {
      rules = prependAll(rules, CURRENT_KUBELET_JUMPS.map(j => jumpRule(j, 'kube-proxy-static')))
    }
    rules = prependAll(rules, CURRENT_JUMPS.map(j => jumpRule(j, 'kube-proxy-static')))
  } else {
    // kubelet of that era: KUBE-MARK-DROP (nat) and a KUBE-FIREWALL chain dropping marked packets
    const drop = markBits(15)
    chains.push({ table: 'nat', chain: 'KUBE-MARK-DROP', prov: kubelet })
    chains.push({ table: 'filter', chain: 'KUBE-FIREWALL', prov: kubelet })
    rules.push(rule('filter', 'INPUT', ['-j', 'KUBE-FIREWALL'], { ...kubelet, note: 'kubelet: drop packets marked for drop' }))
    rules.push(rule('filter', 'OUTPUT', ['-j', 'KUBE-FIREWALL'], { ...kubelet, note: 'kubelet: drop packets marked for drop' }))
    rules.push(rule('filter', 'KUBE-FIREWALL', ['-m', 'comment', '--comment', comment('kubernetes firewall for dropping marked packets'), '-m', 'mark', '--mark', `${goMark(drop)}/${goMark(drop)}`, '-j', 'DROP'], { ...kubelet, note: 'kubelet: drop packets marked by KUBE-MARK-DROP' }))
    rules.push(rule('nat', 'KUBE-MARK-DROP', ['-j', 'MARK', '--set-xmark', `${goMark(drop)}/${goMark(drop)}`], { ...kubelet, note: 'kubelet: mark packets to be dropped' }))
    rules = prependAll(rules, LEGACY_JUMPS.map(j => jumpRule(j, 'kube-proxy-static')))
  }
  return { chains, rules }
}

export interface TopLevel {
  filterChains: string[]
  /** rules written before the per-service filter rules */
  filterHead: RuleRecord[]
  /** rules written after them */
  filterTail: RuleRecord[]
  natChains: string[]
  natHead: RuleRecord[]
  natTail: RuleRecord[]
}

const sys = (note: string): RuleProvenance => ({ origin: 'kube-proxy', note })

export function topLevel (cfg: ProxierConfig): TopLevel {
  return cfg.profile === 'current' ? currentTopLevel(cfg) : legacyTopLevel(cfg)
}

function nodePortsTail (cfg: ProxierConfig, legacy: boolean): RuleRecord[] {
  const c = ['-m', 'comment', '--comment', comment('kubernetes service nodeports; NOTE: this must be the last rule in this chain')]
  const matchAll = cfg.nodePortAddresses.length === 0 ||
    cfg.nodePortAddresses.some(x => x === '0.0.0.0/0' || x === '::/0')
  if (matchAll) {
    const extra: string[] = []
    if (!legacy) {
      if (cfg.family === 'IPv4' && !cfg.localhostNodePorts) extra.push('!', '-d', '127.0.0.0/8')
      if (cfg.family === 'IPv6') extra.push('!', '-d', '::1/128')
    }
    return [rule('nat', 'KUBE-SERVICES', [...c, '-m', 'addrtype', '--dst-type', 'LOCAL', ...extra, '-j', 'KUBE-NODEPORTS'],
      sys('node ports: traffic to any local address goes to KUBE-NODEPORTS (must stay last)'))]
  }
  const cidrs = cfg.nodePortAddresses.map(x => parseCIDR(x)).filter(x => x != null)
  const out: RuleRecord[] = []
  for (const a of cfg.localAddresses) {
    const ip = parseIP(a)
    if (ip == null || ip.family !== cfg.family) continue
    if (!cidrs.some(c => cidrContains(c, ip))) continue
    if (!legacy && isLoopback(ip) && (cfg.family === 'IPv6' || !cfg.localhostNodePorts)) continue
    const d = legacy ? (cfg.family === 'IPv4' ? `${ip.canonical}/32` : `${ip.canonical}/128`) : ip.canonical
    out.push(rule('nat', 'KUBE-SERVICES', [...c, '-d', d, '-j', 'KUBE-NODEPORTS'],
      { origin: 'kube-proxy', field: 'kubeProxy.nodePortAddresses', note: `node ports on ${ip.canonical} (inside --nodeport-addresses)` }))
  }
  return out
}

function currentTopLevel (cfg: ProxierConfig): TopLevel {
  const mark = cfg.masqMark
  const filterHead: RuleRecord[] = []
  const filterChains = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']
  if (cfg.family === 'IPv4' && cfg.localhostNodePorts) {
    filterChains.push('KUBE-FIREWALL')
    filterHead.push(rule('filter', 'KUBE-FIREWALL', ['-m', 'comment', '--comment', comment('block incoming localnet connections'), '-d', '127.0.0.0/8', '!', '-s', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'DROP'],
      { origin: 'kube-proxy', field: 'kubeProxy.localhostNodePorts', note: 'localhost node ports: drop non-local sources to 127.0.0.0/8 (route_localnet)' }))
  }
  const filterTail: RuleRecord[] = []
  if (!cfg.conntrackTCPLiberal) {
    filterTail.push(rule('filter', 'KUBE-FORWARD', ['-m', 'conntrack', '--ctstate', 'INVALID', ...(cfg.nfacctInvalid ? ['-m', 'nfacct', '--nfacct-name', 'ct_state_invalid_dropped_pkts'] : []), '-j', 'DROP'],
      sys('drop conntrack-INVALID forwarded packets')))
  }
  filterTail.push(rule('filter', 'KUBE-FORWARD', ['-m', 'comment', '--comment', comment('kubernetes forwarding rules'), '-m', 'mark', '--mark', `${mark}/${mark}`, '-j', 'ACCEPT'], sys('accept forwarded traffic marked for masquerade')))
  filterTail.push(rule('filter', 'KUBE-FORWARD', ['-m', 'comment', '--comment', comment('kubernetes forwarding conntrack rule'), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'], sys('accept forwarded replies')))
  const natHead = [
    rule('nat', 'KUBE-POSTROUTING', ['-m', 'mark', '!', '--mark', `${mark}/${mark}`, '-j', 'RETURN'], sys('not marked for masquerade: leave')),
    rule('nat', 'KUBE-POSTROUTING', ['-j', 'MARK', '--xor-mark', mark], sys('clear the masquerade mark (the packet may be re-traversed)')),
    rule('nat', 'KUBE-POSTROUTING', ['-m', 'comment', '--comment', comment('kubernetes service traffic requiring SNAT'), '-j', 'MASQUERADE', ...(cfg.randomFully ? ['--random-fully'] : [])], sys('masquerade marked service traffic')),
    rule('nat', 'KUBE-MARK-MASQ', ['-j', 'MARK', '--or-mark', mark], sys('mark the packet for masquerade in KUBE-POSTROUTING'))
  ]
  return {
    filterChains,
    filterHead,
    filterTail,
    natChains: ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'],
    natHead,
    natTail: nodePortsTail(cfg, false)
  }
}

function legacyTopLevel (cfg: ProxierConfig): TopLevel {
  const mark = `${cfg.masqMark}/${cfg.masqMark}`
  const filterTail: RuleRecord[] = [
    rule('filter', 'KUBE-FORWARD', ['-m', 'comment', '--comment', comment('kubernetes forwarding rules'), '-m', 'mark', '--mark', mark, '-j', 'ACCEPT'], sys('accept forwarded traffic marked for masquerade'))
  ]
  if (cfg.clusterCIDR != null) {
    filterTail.push(rule('filter', 'KUBE-FORWARD', ['-s', cfg.clusterCIDR, '-m', 'comment', '--comment', comment('kubernetes forwarding conntrack pod source rule'), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
      { origin: 'kube-proxy', field: 'clusterCIDR', note: 'accept forwarded replies from pods' }))
    filterTail.push(rule('filter', 'KUBE-FORWARD', ['-m', 'comment', '--comment', comment('kubernetes forwarding conntrack pod destination rule'), '-d', cfg.clusterCIDR, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
      { origin: 'kube-proxy', field: 'clusterCIDR', note: 'accept forwarded replies to pods' }))
  }
  return {
    filterChains: ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD'],
    filterHead: [],
    filterTail,
    natChains: ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'],
    natHead: [
      rule('nat', 'KUBE-POSTROUTING', ['-m', 'comment', '--comment', comment('kubernetes service traffic requiring SNAT'), '-m', 'mark', '--mark', mark, '-j', 'MASQUERADE'], sys('masquerade marked service traffic')),
      rule('nat', 'KUBE-MARK-MASQ', ['-j', 'MARK', '--set-xmark', mark], sys('mark the packet for masquerade in KUBE-POSTROUTING'))
    ],
    natTail: nodePortsTail(cfg, true)
  }
}
