/**
 * Per-service-port rules of today's kube-proxy (iptables mode, ≈ v1.33), §5 of the reference.
 * Emission order follows syncProxyRules: filter rules and KUBE-SERVICES/KUBE-NODEPORTS entry rules,
 * then the internal masquerade rule, KUBE-EXT, KUBE-FW, KUBE-SVC, KUBE-SVL and the KUBE-SEP chains.
 * Rules go to a RuleWriter: a render keeps only their text; provenance is built when records are asked for.
 */
import { categorize, type EndpointInfo } from './endpoints.ts'
import { endpointChainOf, servicePortChain } from './hash.ts'
import { probability } from './probability.ts'
import { externallyAccessible, usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from './service-info.ts'
import type { KpTable, ProxierConfig, RuleProvenance, RuleRecord } from './types.ts'
import { parseCIDR, parseIP, cidrContains } from './ip.ts'

/** `--comment` argument as kube-proxy writes it: multi-word comments pre-quoted, single words bare. */
export function comment (s: string): string {
  return s.includes(' ') ? `"${s}"` : s
}

export function rule (table: RuleRecord['table'], chain: string, words: string[], prov: RuleProvenance): RuleRecord {
  return { table, chain, text: `-A ${chain} ${words.join(' ')}`, prov }
}

export function detectorArgs (cfg: ProxierConfig, local: boolean): string[] | null {
  if (cfg.clusterCIDR == null) return null
  return local ? ['-s', cfg.clusterCIDR] : ['!', '-s', cfg.clusterCIDR]
}

/** `endpointslice ns/name endpoints[i]`: the provenance field of an endpoint's rules */
export function endpointField (ep: EndpointInfo): string {
  return `endpointslice ${ep.slice} endpoints[${ep.index}]`
}

/**
 * Collects one Service's rules: restore lines per table, the nat chains it owns, and (only when
 * `records` is set) a RuleRecord with provenance per rule. `rest` is the rule line after `-A CHAIN `.
 */
export class RuleWriter {
  readonly natChains: string[] = []
  readonly filter: string[] = []
  readonly nat: string[] = []
  readonly filterRecs: RuleRecord[] | null
  readonly natRecs: RuleRecord[] | null
  endpointCount = 0
  /** provenance of the port being written */
  service = ''
  servicePort = ''

  constructor (records: boolean) {
    this.filterRecs = records ? [] : null
    this.natRecs = records ? [] : null
  }

  port (sp: ServicePortInfo): void {
    this.service = sp.service
    this.servicePort = sp.portString
  }

  private prov (field: string, note: string, endpoint: string | undefined): RuleProvenance {
    return { origin: 'kube-proxy', service: this.service, servicePort: this.servicePort, field, note, endpoint }
  }

  private add (table: KpTable, chain: string, rest: string, field: string, note: string, endpoint: string | undefined): void {
    const text = `-A ${chain} ${rest}`
    if (table === 'filter') {
      this.filter.push(text)
      if (this.filterRecs != null) this.filterRecs.push({ table, chain, text, prov: this.prov(field, note, endpoint) })
    } else {
      this.nat.push(text)
      if (this.natRecs != null) this.natRecs.push({ table, chain, text, prov: this.prov(field, note, endpoint) })
    }
  }

  /** a filter rule */
  F (chain: string, rest: string, field: string, note: string, endpoint?: string): void {
    this.add('filter', chain, rest, field, note, endpoint)
  }

  /** a nat rule */
  N (chain: string, rest: string, field: string, note: string, endpoint?: string): void {
    this.add('nat', chain, rest, field, note, endpoint)
  }

  /** a nat rule of one endpoint (field and endpoint from it, built only for records) */
  NE (chain: string, rest: string, ep: EndpointInfo, note: string): void {
    const text = `-A ${chain} ${rest}`
    this.nat.push(text)
    if (this.natRecs != null) this.natRecs.push({ table: 'nat', chain, text, prov: this.prov(endpointField(ep), note, ep.str) })
  }

  /** true when provenance notes are wanted (callers skip building costly notes otherwise) */
  get records (): boolean { return this.natRecs != null }
}

/** KUBE-SEP chain names of one service port's endpoints, hashed once each. */
class SepNames {
  private readonly names = new Map<EndpointInfo, string>()
  constructor (private readonly portPrefix: string) {}
  get (ep: EndpointInfo): string {
    let n = this.names.get(ep)
    if (n == null) this.names.set(ep, n = endpointChainOf(this.portPrefix, ep.str))
    return n
  }
}

function noEpNote (t: string): string {
  return t === 'REJECT' ? 'no usable endpoints: reject' : 'no local endpoints on this node: drop'
}

/** `-m comment --comment "ns/name:port -> ip:port" ` (always quoted: it has spaces), none in large-cluster mode */
function epComment (ns: string, ep: EndpointInfo, largeClusterMode: boolean): string {
  return largeClusterMode ? '' : `-m comment --comment "${ns} -> ${ep.str}" `
}

/** A filter rule from words (the rules written once per port). */
function F (w: RuleWriter, chain: string, words: string[], field: string, note: string): void { w.F(chain, words.join(' '), field, note) }
/** A nat rule from words. */
function N (w: RuleWriter, chain: string, words: string[], field: string, note: string): void { w.N(chain, words.join(' '), field, note) }

/** Writes one service port's rules (current era). */
export function currentServicePortRules (sp: ServicePortInfo, eps: EndpointInfo[], cfg: ProxierConfig, largeClusterMode: boolean, w: RuleWriter): void {
  const ns = sp.portString
  const p = sp.proto
  const pf = `spec.ports[${sp.portIndex}]`
  w.port(sp)

  const svcChain = servicePortChain('SVC', ns, p)
  const svlChain = servicePortChain('SVL', ns, p)
  const extChain = servicePortChain('EXT', ns, p)
  const fwChain = servicePortChain('FW', ns, p)

  const cat = categorize(sp, eps)
  const sepOf = new SepNames(ns + p)
  const hasEndpoints = cat.hasAny
  const internalChain = sp.internalPolicyLocal ? svlChain : svcChain
  const externalPolicyChain = sp.externalPolicyLocal ? svlChain : svcChain
  const hasInternalEndpoints = sp.internalPolicyLocal ? cat.local.length > 0 : hasEndpoints
  const hasExternalEndpoints = sp.externalPolicyLocal ? cat.local.length > 0 : hasEndpoints
  const usesExt = hasEndpoints && externallyAccessible(sp)
  const usesFW = hasEndpoints && sp.lbIPs.length > 0 && sp.lbSourceRanges.length > 0
  const usesSVC = cat.cluster.length > 0 && usesClusterEndpoints(sp)
  const usesSVL = cat.local.length > 0 && usesLocalEndpoints(sp)
  const lbChain = usesFW ? fwChain : extChain

  let internalTarget = 'ACCEPT'
  let internalComment = ''
  let externalTarget = 'ACCEPT'
  let externalComment = ''
  if (!hasEndpoints) {
    internalTarget = externalTarget = 'REJECT'
    internalComment = externalComment = `${ns} has no endpoints`
  } else {
    if (!hasInternalEndpoints) { internalTarget = 'DROP'; internalComment = `${ns} has no local endpoints` }
    if (!hasExternalEndpoints) { externalTarget = 'DROP'; externalComment = `${ns} has no local endpoints` }
  }
  const cipMatch = `-m ${p} -p ${p} -d ${sp.clusterIP} --dport ${sp.port}`

  // cluster IP
  if (hasInternalEndpoints) {
    w.N('KUBE-SERVICES', `-m comment --comment ${comment(`${ns} cluster IP`)} ${cipMatch} -j ${internalChain}`,
      'spec.clusterIP', `cluster IP ${sp.clusterIP}:${sp.port} → ${internalChain === svcChain ? 'service chain' : 'local endpoints chain'}`)
  } else {
    w.F('KUBE-SERVICES', `-m comment --comment ${comment(internalComment)} ${cipMatch} -j ${internalTarget}`,
      'spec.clusterIP', noEpNote(internalTarget))
  }
  // external IPs
  sp.externalIPs.forEach((eip, k) => {
    const field = `spec.externalIPs[${sp.externalIPIdx[k]}]`
    if (hasEndpoints) {
      N(w, 'KUBE-SERVICES', ['-m', 'comment', '--comment', comment(`${ns} external IP`), '-m', p, '-p', p, '-d', eip, '--dport', String(sp.port), '-j', extChain],
        field, `external IP ${eip}:${sp.port} → external chain`)
    }
    if (!hasExternalEndpoints) {
      F(w, 'KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', comment(externalComment), '-m', p, '-p', p, '-d', eip, '--dport', String(sp.port), '-j', externalTarget],
        field, noEpNote(externalTarget))
    }
  })
  // load-balancer ingress
  sp.lbIPs.forEach((lb, k) => {
    const field = `status.loadBalancer.ingress[${sp.lbIPIdx[k]}].ip`
    if (hasEndpoints) {
      N(w, 'KUBE-SERVICES', ['-m', 'comment', '--comment', comment(`${ns} loadbalancer IP`), '-m', p, '-p', p, '-d', lb, '--dport', String(sp.port), '-j', lbChain],
        field, `load-balancer IP ${lb}:${sp.port} → ${usesFW ? 'source-range firewall chain' : 'external chain'}`)
    }
    if (usesFW) {
      F(w, 'KUBE-PROXY-FIREWALL', ['-m', 'comment', '--comment', comment(`${ns} traffic not accepted by ${fwChain}`), '-m', p, '-p', p, '-d', lb, '--dport', String(sp.port), '-j', 'DROP'],
        'spec.loadBalancerSourceRanges', `drop traffic to ${lb} from outside the source ranges`)
    }
  })
  if (!hasExternalEndpoints) {
    sp.lbIPs.forEach((lb, k) => {
      F(w, 'KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', comment(externalComment), '-m', p, '-p', p, '-d', lb, '--dport', String(sp.port), '-j', externalTarget],
        `status.loadBalancer.ingress[${sp.lbIPIdx[k]}].ip`, noEpNote(externalTarget))
    })
  }
  // node ports
  if (sp.nodePort !== 0) {
    const field = `${pf}.nodePort`
    if (hasEndpoints) {
      if (cfg.family === 'IPv4' && cfg.localhostNodePorts && cfg.nfacctLocalhost) {
        N(w, 'KUBE-NODEPORTS', ['-m', 'comment', '--comment', comment(ns), '-m', p, '-p', p, '-d', '127.0.0.0/8', '--dport', String(sp.nodePort), '-m', 'nfacct', '--nfacct-name', 'localhost_nps_accepted_pkts', '-j', extChain],
          field, `node port ${sp.nodePort} on localhost (counted) → external chain`)
      }
      N(w, 'KUBE-NODEPORTS', ['-m', 'comment', '--comment', comment(ns), '-m', p, '-p', p, '--dport', String(sp.nodePort), '-j', extChain],
        field, `node port ${sp.nodePort} → external chain`)
    }
    if (!hasExternalEndpoints) {
      F(w, 'KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', comment(externalComment), '-m', 'addrtype', '--dst-type', 'LOCAL', '-m', p, '-p', p, '--dport', String(sp.nodePort), '-j', externalTarget],
        field, noEpNote(externalTarget))
    }
  }
  // health check node port
  if (sp.healthCheckNodePort !== 0) {
    F(w, 'KUBE-NODEPORTS', ['-m', 'comment', '--comment', comment(`${ns} health check node port`), '-m', 'tcp', '-p', 'tcp', '--dport', String(sp.healthCheckNodePort), '-j', 'ACCEPT'],
      'spec.healthCheckNodePort', `accept health checks on ${sp.healthCheckNodePort}`)
  }

  // internal traffic masquerade
  if (hasInternalEndpoints) {
    const args = `-m comment --comment ${comment(`${ns} cluster IP`)} ${cipMatch}`
    if (cfg.masqueradeAll) {
      w.N(internalChain, `${args} -j KUBE-MARK-MASQ`, 'spec.clusterIP', 'masquerade all traffic to the cluster IP (--masquerade-all)')
    } else if (cfg.clusterCIDR != null) {
      w.N(internalChain, `${args} ! -s ${cfg.clusterCIDR} -j KUBE-MARK-MASQ`, 'spec.clusterIP', 'masquerade traffic to the cluster IP from outside the cluster CIDR')
    }
  }
  // external traffic chain
  if (usesExt) {
    w.natChains.push(extChain)
    if (!sp.externalPolicyLocal) {
      N(w, extChain, ['-m', 'comment', '--comment', comment(`masquerade traffic for ${ns} external destinations`), '-j', 'KUBE-MARK-MASQ'],
        'spec.externalTrafficPolicy', 'externalTrafficPolicy Cluster: masquerade external traffic')
    } else {
      const d = detectorArgs(cfg, true)
      if (d != null) {
        N(w, extChain, ['-m', 'comment', '--comment', comment(`pod traffic for ${ns} external destinations`), ...d, '-j', svcChain],
          'spec.externalTrafficPolicy', 'externalTrafficPolicy Local: pods reach all endpoints (short-circuit)')
      }
      N(w, extChain, ['-m', 'comment', '--comment', comment(`masquerade LOCAL traffic for ${ns} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'KUBE-MARK-MASQ'],
        'spec.externalTrafficPolicy', 'externalTrafficPolicy Local: masquerade traffic from the node itself')
      N(w, extChain, ['-m', 'comment', '--comment', comment(`route LOCAL traffic for ${ns} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', svcChain],
        'spec.externalTrafficPolicy', 'externalTrafficPolicy Local: the node itself reaches all endpoints')
    }
    if (hasExternalEndpoints) {
      N(w, extChain, ['-j', externalPolicyChain], 'spec.externalTrafficPolicy', `external traffic → ${externalPolicyChain === svcChain ? 'all endpoints' : 'local endpoints'}`)
    }
  }
  // firewall chain
  if (usesFW) {
    w.natChains.push(fwChain)
    const args = ['-m', 'comment', '--comment', comment(`${ns} loadbalancer IP`)]
    const nodeIP = cfg.nodeIP != null ? parseIP(cfg.nodeIP) : null
    let allowFromNode = false
    sp.lbSourceRanges.forEach((src, i) => {
      N(w, fwChain, [...args, '-s', src, '-j', extChain], `spec.loadBalancerSourceRanges[${i}]`, `source range ${src} allowed`)
      const c = parseCIDR(src)
      if (nodeIP != null && c != null && cidrContains(c, nodeIP)) allowFromNode = true
    })
    if (allowFromNode) {
      sp.lbIPs.forEach((lb, k) => {
        N(w, fwChain, [...args, '-s', lb, '-j', extChain], `status.loadBalancer.ingress[${sp.lbIPIdx[k]}].ip`, 'the node IP is in a source range: allow hairpin traffic SNATed to the LB IP')
      })
    }
    N(w, fwChain, ['-m', 'comment', '--comment', comment(`other traffic to ${ns} will be dropped by KUBE-PROXY-FIREWALL`)],
      'spec.loadBalancerSourceRanges', 'no-op marker: unmatched traffic falls through and is dropped in filter KUBE-PROXY-FIREWALL')
  }
  if (usesSVC) {
    w.natChains.push(svcChain)
    writeServiceToEndpointRules(sp, svcChain, cat.cluster, largeClusterMode, w, sepOf)
  }
  if (usesSVL) {
    w.natChains.push(svlChain)
    writeServiceToEndpointRules(sp, svlChain, cat.local, largeClusterMode, w, sepOf)
  }
  const args = largeClusterMode ? '' : `-m comment --comment ${comment(ns)} `
  for (const ep of cat.allReachable) {
    const sep = sepOf.get(ep)
    w.natChains.push(sep)
    w.NE(sep, `${args}-s ${ep.ip} -j KUBE-MARK-MASQ`, ep, 'hairpin: masquerade the endpoint reaching itself')
    const dnat = sp.affinityTimeout > 0 ? `${args}-m recent --name ${sep} --set ` : args
    w.NE(sep, `${dnat}-m ${p} -p ${p} -j DNAT --to-destination ${ep.str}`, ep, 'DNAT to the endpoint')
  }
  w.endpointCount += eps.length
}

function writeServiceToEndpointRules (sp: ServicePortInfo, chain: string, eps: EndpointInfo[], largeClusterMode: boolean, w: RuleWriter, sepOf: SepNames): void {
  const ns = sp.portString
  if (sp.affinityTimeout > 0) {
    for (const ep of eps) {
      const sep = sepOf.get(ep)
      w.N(chain, `${epComment(ns, ep, largeClusterMode)}-m recent --name ${sep} --rcheck --seconds ${sp.affinityTimeout} --reap -j ${sep}`,
        'spec.sessionAffinity', w.records ? `ClientIP affinity: clients seen within ${sp.affinityTimeout}s return to ${ep.str}` : '', ep.str)
    }
  }
  const n = eps.length
  for (let i = 0; i < n; i++) {
    const ep = eps[i]
    const sep = sepOf.get(ep)
    if (i < n - 1) {
      w.NE(chain, `${epComment(ns, ep, largeClusterMode)}-m statistic --mode random --probability ${probability(n - i, 10)} -j ${sep}`, ep, 'pick this endpoint with probability 1/(endpoints remaining)')
    } else {
      w.NE(chain, `${epComment(ns, ep, largeClusterMode)}-j ${sep}`, ep, 'remaining traffic goes to the last endpoint')
    }
  }
}
