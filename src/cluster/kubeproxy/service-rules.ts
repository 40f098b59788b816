/**
 * Per-service-port rules of today's kube-proxy (iptables mode, ≈ v1.33), §5 of the reference.
 * Emission order follows syncProxyRules: filter rules and KUBE-SERVICES/KUBE-NODEPORTS entry rules,
 * then the internal masquerade rule, KUBE-EXT, KUBE-FW, KUBE-SVC, KUBE-SVL and the KUBE-SEP chains.
 */
import { categorize, type EndpointInfo } from './endpoints.ts'
import { endpointChain, servicePortChain } from './hash.ts'
import { probability } from './probability.ts'
import { externallyAccessible, usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from './service-info.ts'
import type { ProxierConfig, RuleProvenance, RuleRecord, ServiceFragment } from './types.ts'
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

/** What both eras' emitters share for one service port: provenance builders and rule appenders. */
export function portEmitters (sp: ServicePortInfo, frag: ServiceFragment): {
  base: RuleProvenance
  prov: (field: string | undefined, note: string, extra?: { endpoint: string }) => RuleProvenance
  F: (chain: string, words: string[], pv: RuleProvenance) => void
  N: (chain: string, words: string[], pv: RuleProvenance) => void
} {
  const base: RuleProvenance = { origin: 'kube-proxy', service: sp.service, servicePort: sp.portString }
  return {
    base,
    prov: (field, note, extra) => ({ ...base, field, note, endpoint: extra?.endpoint }),
    F: (chain, words, pv) => { frag.filterRules.push(rule('filter', chain, words, pv)) },
    N: (chain, words, pv) => { frag.natRules.push(rule('nat', chain, words, pv)) }
  }
}

/** Appends one service port's rules (current era) to the fragment. */
export function currentServicePortRules (sp: ServicePortInfo, eps: EndpointInfo[], cfg: ProxierConfig, largeClusterMode: boolean, frag: ServiceFragment): void {
  const ns = sp.portString
  const p = sp.proto
  const pf = `spec.ports[${sp.portIndex}]`
  const { base, prov, F, N } = portEmitters(sp, frag)

  const svcChain = servicePortChain('SVC', ns, p)
  const svlChain = servicePortChain('SVL', ns, p)
  const extChain = servicePortChain('EXT', ns, p)
  const fwChain = servicePortChain('FW', ns, p)

  const cat = categorize(sp, eps)
  const sepNames = new Map<EndpointInfo, string>()
  const sepOf = (ep: EndpointInfo): string => {
    let n = sepNames.get(ep)
    if (n == null) sepNames.set(ep, n = endpointChain(ns, p, ep.str))
    return n
  }
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
  const noEpNote = (t: string): string => t === 'REJECT' ? 'no usable endpoints: reject' : 'no local endpoints on this node: drop'

  // cluster IP
  if (hasInternalEndpoints) {
    N('KUBE-SERVICES', ['-m', 'comment', '--comment', comment(`${ns} cluster IP`), '-m', p, '-p', p, '-d', sp.clusterIP, '--dport', String(sp.port), '-j', internalChain],
      prov('spec.clusterIP', `cluster IP ${sp.clusterIP}:${sp.port} → ${internalChain === svcChain ? 'service chain' : 'local endpoints chain'}`))
  } else {
    F('KUBE-SERVICES', ['-m', 'comment', '--comment', comment(internalComment), '-m', p, '-p', p, '-d', sp.clusterIP, '--dport', String(sp.port), '-j', internalTarget],
      prov('spec.clusterIP', noEpNote(internalTarget)))
  }
  // external IPs
  sp.externalIPs.forEach((eip, k) => {
    const field = `spec.externalIPs[${sp.externalIPIdx[k]}]`
    if (hasEndpoints) {
      N('KUBE-SERVICES', ['-m', 'comment', '--comment', comment(`${ns} external IP`), '-m', p, '-p', p, '-d', eip, '--dport', String(sp.port), '-j', extChain],
        prov(field, `external IP ${eip}:${sp.port} → external chain`))
    }
    if (!hasExternalEndpoints) {
      F('KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', comment(externalComment), '-m', p, '-p', p, '-d', eip, '--dport', String(sp.port), '-j', externalTarget],
        prov(field, noEpNote(externalTarget)))
    }
  })
  // load-balancer ingress
  sp.lbIPs.forEach((lb, k) => {
    const field = `status.loadBalancer.ingress[${sp.lbIPIdx[k]}].ip`
    if (hasEndpoints) {
      N('KUBE-SERVICES', ['-m', 'comment', '--comment', comment(`${ns} loadbalancer IP`), '-m', p, '-p', p, '-d', lb, '--dport', String(sp.port), '-j', lbChain],
        prov(field, `load-balancer IP ${lb}:${sp.port} → ${usesFW ? 'source-range firewall chain' : 'external chain'}`))
    }
    if (usesFW) {
      F('KUBE-PROXY-FIREWALL', ['-m', 'comment', '--comment', comment(`${ns} traffic not accepted by ${fwChain}`), '-m', p, '-p', p, '-d', lb, '--dport', String(sp.port), '-j', 'DROP'],
        prov('spec.loadBalancerSourceRanges', `drop traffic to ${lb} from outside the source ranges`))
    }
  })
  if (!hasExternalEndpoints) {
    sp.lbIPs.forEach((lb, k) => {
      F('KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', comment(externalComment), '-m', p, '-p', p, '-d', lb, '--dport', String(sp.port), '-j', externalTarget],
        prov(`status.loadBalancer.ingress[${sp.lbIPIdx[k]}].ip`, noEpNote(externalTarget)))
    })
  }
  // node ports
  if (sp.nodePort !== 0) {
    const field = `${pf}.nodePort`
    if (hasEndpoints) {
      if (cfg.family === 'IPv4' && cfg.localhostNodePorts && cfg.nfacctLocalhost) {
        N('KUBE-NODEPORTS', ['-m', 'comment', '--comment', comment(ns), '-m', p, '-p', p, '-d', '127.0.0.0/8', '--dport', String(sp.nodePort), '-m', 'nfacct', '--nfacct-name', 'localhost_nps_accepted_pkts', '-j', extChain],
          prov(field, `node port ${sp.nodePort} on localhost (counted) → external chain`))
      }
      N('KUBE-NODEPORTS', ['-m', 'comment', '--comment', comment(ns), '-m', p, '-p', p, '--dport', String(sp.nodePort), '-j', extChain],
        prov(field, `node port ${sp.nodePort} → external chain`))
    }
    if (!hasExternalEndpoints) {
      F('KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', comment(externalComment), '-m', 'addrtype', '--dst-type', 'LOCAL', '-m', p, '-p', p, '--dport', String(sp.nodePort), '-j', externalTarget],
        prov(field, noEpNote(externalTarget)))
    }
  }
  // health check node port
  if (sp.healthCheckNodePort !== 0) {
    F('KUBE-NODEPORTS', ['-m', 'comment', '--comment', comment(`${ns} health check node port`), '-m', 'tcp', '-p', 'tcp', '--dport', String(sp.healthCheckNodePort), '-j', 'ACCEPT'],
      prov('spec.healthCheckNodePort', `accept health checks on ${sp.healthCheckNodePort}`))
  }

  // internal traffic masquerade
  if (hasInternalEndpoints) {
    const args = ['-m', 'comment', '--comment', comment(`${ns} cluster IP`), '-m', p, '-p', p, '-d', sp.clusterIP, '--dport', String(sp.port)]
    if (cfg.masqueradeAll) {
      N(internalChain, [...args, '-j', 'KUBE-MARK-MASQ'], prov('spec.clusterIP', 'masquerade all traffic to the cluster IP (--masquerade-all)'))
    } else {
      const d = detectorArgs(cfg, false)
      if (d != null) N(internalChain, [...args, ...d, '-j', 'KUBE-MARK-MASQ'], prov('spec.clusterIP', 'masquerade traffic to the cluster IP from outside the cluster CIDR'))
    }
  }
  // external traffic chain
  if (usesExt) {
    frag.natChains.push(extChain)
    if (!sp.externalPolicyLocal) {
      N(extChain, ['-m', 'comment', '--comment', comment(`masquerade traffic for ${ns} external destinations`), '-j', 'KUBE-MARK-MASQ'],
        prov('spec.externalTrafficPolicy', 'externalTrafficPolicy Cluster: masquerade external traffic'))
    } else {
      const d = detectorArgs(cfg, true)
      if (d != null) {
        N(extChain, ['-m', 'comment', '--comment', comment(`pod traffic for ${ns} external destinations`), ...d, '-j', svcChain],
          prov('spec.externalTrafficPolicy', 'externalTrafficPolicy Local: pods reach all endpoints (short-circuit)'))
      }
      N(extChain, ['-m', 'comment', '--comment', comment(`masquerade LOCAL traffic for ${ns} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'KUBE-MARK-MASQ'],
        prov('spec.externalTrafficPolicy', 'externalTrafficPolicy Local: masquerade traffic from the node itself'))
      N(extChain, ['-m', 'comment', '--comment', comment(`route LOCAL traffic for ${ns} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', svcChain],
        prov('spec.externalTrafficPolicy', 'externalTrafficPolicy Local: the node itself reaches all endpoints'))
    }
    if (hasExternalEndpoints) {
      N(extChain, ['-j', externalPolicyChain], prov('spec.externalTrafficPolicy', `external traffic → ${externalPolicyChain === svcChain ? 'all endpoints' : 'local endpoints'}`))
    }
  }
  // firewall chain
  if (usesFW) {
    frag.natChains.push(fwChain)
    const args = ['-m', 'comment', '--comment', comment(`${ns} loadbalancer IP`)]
    const nodeIP = cfg.nodeIP != null ? parseIP(cfg.nodeIP) : null
    let allowFromNode = false
    sp.lbSourceRanges.forEach((src, i) => {
      N(fwChain, [...args, '-s', src, '-j', extChain], prov(`spec.loadBalancerSourceRanges[${i}]`, `source range ${src} allowed`))
      const c = parseCIDR(src)
      if (nodeIP != null && c != null && cidrContains(c, nodeIP)) allowFromNode = true
    })
    if (allowFromNode) {
      sp.lbIPs.forEach((lb, k) => {
        N(fwChain, [...args, '-s', lb, '-j', extChain], prov(`status.loadBalancer.ingress[${sp.lbIPIdx[k]}].ip`, 'the node IP is in a source range: allow hairpin traffic SNATed to the LB IP'))
      })
    }
    N(fwChain, ['-m', 'comment', '--comment', comment(`other traffic to ${ns} will be dropped by KUBE-PROXY-FIREWALL`)],
      prov('spec.loadBalancerSourceRanges', 'no-op marker: unmatched traffic falls through and is dropped in filter KUBE-PROXY-FIREWALL'))
  }
  if (usesSVC) {
    frag.natChains.push(svcChain)
    writeServiceToEndpointRules(sp, svcChain, cat.cluster, largeClusterMode, frag, base, sepOf)
  }
  if (usesSVL) {
    frag.natChains.push(svlChain)
    writeServiceToEndpointRules(sp, svlChain, cat.local, largeClusterMode, frag, base, sepOf)
  }
  for (const ep of cat.allReachable) {
    const sep = sepOf(ep)
    frag.natChains.push(sep)
    const args = largeClusterMode ? [] : ['-m', 'comment', '--comment', comment(ns)]
    const field = endpointField(ep)
    const epProv = (note: string): RuleProvenance => ({ origin: 'kube-proxy', service: sp.service, servicePort: ns, field, note, endpoint: ep.str })
    N(sep, [...args, '-s', ep.ip, '-j', 'KUBE-MARK-MASQ'], epProv('hairpin: masquerade the endpoint reaching itself'))
    const dnat = sp.affinityTimeout > 0 ? [...args, '-m', 'recent', '--name', sep, '--set'] : args
    N(sep, [...dnat, '-m', p, '-p', p, '-j', 'DNAT', '--to-destination', ep.str], epProv('DNAT to the endpoint'))
  }
  frag.endpointCount += eps.length
}

/** `endpointslice ns/name endpoints[i]`, shared by the rules of one endpoint */
const fieldMemo = new WeakMap<EndpointInfo, string>()
export function endpointField (ep: EndpointInfo): string {
  let f = fieldMemo.get(ep)
  if (f == null) fieldMemo.set(ep, f = `endpointslice ${ep.slice} endpoints[${ep.index}]`)
  return f
}

function writeServiceToEndpointRules (sp: ServicePortInfo, chain: string, eps: EndpointInfo[], largeClusterMode: boolean, frag: ServiceFragment, base: RuleProvenance, sepOf: (ep: EndpointInfo) => string): void {
  const ns = sp.portString
  const p = sp.proto
  const cmt = (ep: EndpointInfo): string[] => largeClusterMode ? [] : ['-m', 'comment', '--comment', comment(`${ns} -> ${ep.str}`)]
  if (sp.affinityTimeout > 0) {
    for (const ep of eps) {
      const sep = sepOf(ep)
      frag.natRules.push(rule('nat', chain, [...cmt(ep), '-m', 'recent', '--name', sep, '--rcheck', '--seconds', String(sp.affinityTimeout), '--reap', '-j', sep],
        { origin: 'kube-proxy', service: base.service, servicePort: ns, field: 'spec.sessionAffinity', note: `ClientIP affinity: clients seen within ${sp.affinityTimeout}s return to ${ep.str}`, endpoint: ep.str }))
    }
  }
  const n = eps.length
  eps.forEach((ep, i) => {
    const sep = sepOf(ep)
    const stat = i < n - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(n - i, 10)] : []
    frag.natRules.push(rule('nat', chain, [...cmt(ep), ...stat, '-j', sep],
      { origin: 'kube-proxy', service: base.service, servicePort: ns, field: endpointField(ep), note: i < n - 1 ? 'pick this endpoint with probability 1/(endpoints remaining)' : 'remaining traffic goes to the last endpoint', endpoint: ep.str }))
  })
}
