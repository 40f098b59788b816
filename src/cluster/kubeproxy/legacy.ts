/**
 * Per-service-port rules of the seed's kube-proxy era (≈ v1.12–v1.16, §7.1): `/32` on every address,
 * masquerade rules in KUBE-SERVICES, the KUBE-NODEPORTS MARK-MASQ + SVC pair, KUBE-FW for every LB
 * ingress IP, KUBE-XLB for externalTrafficPolicy Local, bare `ns/name:port` comments and `%0.5f`
 * probabilities. Only ready endpoints existed (no terminating fallback).
 */
import { legacyEndpoints, type EndpointInfo } from './endpoints.ts'
import { endpointChain, servicePortChain } from './hash.ts'
import { cidrContains, parseCIDR, parseIP } from './ip.ts'
import { probability } from './probability.ts'
import { comment, endpointField, type RuleWriter } from './service-rules.ts'
import type { ServicePortInfo } from './service-info.ts'
import type { ProxierConfig } from './types.ts'

function cidr (ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`
}

/** provenance arguments of one rule: field, note, endpoint */
type Prov = [string, string, string | undefined]

export function legacyServicePortRules (sp: ServicePortInfo, allEps: EndpointInfo[], cfg: ProxierConfig, w: RuleWriter): void {
  const ns = sp.portString
  const p = sp.proto
  const pf = `spec.ports[${sp.portIndex}]`
  w.port(sp)
  const frag = w
  const prov = (field: string, note: string, extra?: { endpoint: string }): Prov => [field, note, extra?.endpoint]
  const F = (chain: string, words: string[], pv: Prov): void => { w.F(chain, words.join(' '), pv[0], pv[1], pv[2]) }
  const N = (chain: string, words: string[], pv: Prov): void => { w.N(chain, words.join(' '), pv[0], pv[1], pv[2]) }

  const eps = legacyEndpoints(allEps)
  const hasEndpoints = eps.length > 0
  const onlyLocal = sp.externalPolicyLocal
  const svcChain = servicePortChain('SVC', ns, p)
  const xlbChain = servicePortChain('XLB', ns, p)
  const fwChain = servicePortChain('FW', ns, p)
  if (hasEndpoints) frag.natChains.push(svcChain)
  if (onlyLocal) frag.natChains.push(xlbChain)

  // cluster IP
  const cipArgs = ['-m', 'comment', '--comment', comment(`${ns} cluster IP`), '-m', p, '-p', p, '-d', cidr(sp.clusterIP), '--dport', String(sp.port)]
  if (hasEndpoints) {
    if (cfg.masqueradeAll) {
      N('KUBE-SERVICES', [...cipArgs, '-j', 'KUBE-MARK-MASQ'], prov('spec.clusterIP', 'masquerade all traffic to the cluster IP (--masquerade-all)'))
    } else if (cfg.clusterCIDR != null) {
      N('KUBE-SERVICES', [...cipArgs, '!', '-s', cfg.clusterCIDR, '-j', 'KUBE-MARK-MASQ'], prov('spec.clusterIP', 'masquerade traffic to the cluster IP from outside the cluster CIDR'))
    }
    N('KUBE-SERVICES', [...cipArgs, '-j', svcChain], prov('spec.clusterIP', `cluster IP ${sp.clusterIP}:${sp.port} → service chain`))
  } else {
    F('KUBE-SERVICES', ['-m', 'comment', '--comment', comment(`${ns} has no endpoints`), '-m', p, '-p', p, '-d', cidr(sp.clusterIP), '--dport', String(sp.port), '-j', 'REJECT'],
      prov('spec.clusterIP', 'no endpoints: reject'))
  }
  // external IPs
  sp.externalIPs.forEach((eip, k) => {
    const field = `spec.externalIPs[${sp.externalIPIdx[k]}]`
    if (hasEndpoints) {
      const args = ['-m', 'comment', '--comment', comment(`${ns} external IP`), '-m', p, '-p', p, '-d', cidr(eip), '--dport', String(sp.port)]
      N('KUBE-SERVICES', [...args, '-j', 'KUBE-MARK-MASQ'], prov(field, 'external IP: always masquerade'))
      N('KUBE-SERVICES', [...args, '-m', 'physdev', '!', '--physdev-is-in', '-m', 'addrtype', '!', '--src-type', 'LOCAL', '-j', svcChain],
        prov(field, `external IP ${eip}:${sp.port} from outside (not bridged, not local) → service chain`))
      N('KUBE-SERVICES', [...args, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', svcChain],
        prov(field, `external IP ${eip}:${sp.port} that is local to this node → service chain`))
    } else {
      F('KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', comment(`${ns} has no endpoints`), '-m', p, '-p', p, '-d', cidr(eip), '--dport', String(sp.port), '-j', 'REJECT'],
        prov(field, 'no endpoints: reject'))
    }
  })
  // load-balancer ingress
  if (hasEndpoints) {
    const nodeIP = cfg.nodeIP != null ? parseIP(cfg.nodeIP) : null
    sp.lbIPs.forEach((lb, k) => {
      const field = `status.loadBalancer.ingress[${sp.lbIPIdx[k]}].ip`
      if (!frag.natChains.includes(fwChain)) frag.natChains.push(fwChain)
      N('KUBE-SERVICES', ['-m', 'comment', '--comment', comment(`${ns} loadbalancer IP`), '-m', p, '-p', p, '-d', cidr(lb), '--dport', String(sp.port), '-j', fwChain],
        prov(field, `load-balancer IP ${lb}:${sp.port} → firewall chain`))
      const args = ['-m', 'comment', '--comment', comment(`${ns} loadbalancer IP`)]
      let chosen = xlbChain
      if (!onlyLocal) {
        N(fwChain, [...args, '-j', 'KUBE-MARK-MASQ'], prov(field, 'load-balancer traffic is masqueraded (externalTrafficPolicy Cluster)'))
        chosen = svcChain
      }
      if (sp.lbSourceRanges.length === 0) {
        N(fwChain, [...args, '-j', chosen], prov(field, 'no source ranges: allow all'))
      } else {
        let allowFromNode = false
        sp.lbSourceRanges.forEach((src, i) => {
          N(fwChain, [...args, '-s', src, '-j', chosen], prov(`spec.loadBalancerSourceRanges[${i}]`, `source range ${src} allowed`))
          const c = parseCIDR(src)
          if (c != null && nodeIP != null && cidrContains(c, nodeIP)) allowFromNode = true
        })
        if (allowFromNode) N(fwChain, [...args, '-s', cidr(lb), '-j', chosen], prov(field, 'node IP is in a source range: allow traffic SNATed to the LB IP'))
      }
      N(fwChain, [...args, '-j', 'KUBE-MARK-DROP'], prov('spec.loadBalancerSourceRanges', 'not allowed by the source ranges: mark for drop'))
    })
  }
  // node ports
  if (sp.nodePort !== 0) {
    const field = `${pf}.nodePort`
    if (hasEndpoints) {
      const args = ['-m', 'comment', '--comment', comment(ns), '-m', p, '-p', p, '--dport', String(sp.nodePort)]
      if (!onlyLocal) {
        N('KUBE-NODEPORTS', [...args, '-j', 'KUBE-MARK-MASQ'], prov(field, 'node port traffic is masqueraded'))
        N('KUBE-NODEPORTS', [...args, '-j', svcChain], prov(field, `node port ${sp.nodePort} → service chain`))
      } else {
        const loopback = cfg.family === 'IPv6' ? '::1/128' : '127.0.0.0/8'
        N('KUBE-NODEPORTS', [...args, '-s', loopback, '-j', 'KUBE-MARK-MASQ'], prov(field, 'localhost to a local-only node port: masquerade (martian source fix)'))
        N('KUBE-NODEPORTS', [...args, '-j', xlbChain], prov(field, `node port ${sp.nodePort} → local endpoints chain`))
      }
    } else {
      F('KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', comment(`${ns} has no endpoints`), '-m', 'addrtype', '--dst-type', 'LOCAL', '-m', p, '-p', p, '--dport', String(sp.nodePort), '-j', 'REJECT'],
        prov(field, 'no endpoints: reject'))
    }
  }
  w.endpointCount += allEps.length
  if (!hasEndpoints) return

  const seps = eps.map(ep => endpointChain(ns, p, ep.str))
  for (const s of seps) frag.natChains.push(s)
  const epField = endpointField
  if (sp.affinityTimeout > 0) {
    eps.forEach((ep, i) => {
      N(svcChain, ['-m', 'comment', '--comment', comment(ns), '-m', 'recent', '--name', seps[i], '--rcheck', '--seconds', String(sp.affinityTimeout), '--reap', '-j', seps[i]],
        prov('spec.sessionAffinity', `ClientIP affinity: clients seen within ${sp.affinityTimeout}s return to ${ep.str}`, { endpoint: ep.str }))
    })
  }
  const n = eps.length
  const local: number[] = []
  eps.forEach((ep, i) => {
    if (onlyLocal && ep.isLocal) local.push(i)
    const stat = i < n - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(n - i, 5)] : []
    N(svcChain, ['-m', 'comment', '--comment', comment(ns), ...stat, '-j', seps[i]],
      prov(epField(ep), i < n - 1 ? `pick ${ep.str} with probability 1/${n - i} of the remaining` : `remaining traffic → ${ep.str}`, { endpoint: ep.str }))
    const args = ['-m', 'comment', '--comment', comment(ns)]
    N(seps[i], [...args, '-s', cidr(ep.ip), '-j', 'KUBE-MARK-MASQ'], prov(epField(ep), 'hairpin: masquerade the endpoint reaching itself', { endpoint: ep.str }))
    const dnat = sp.affinityTimeout > 0 ? [...args, '-m', 'recent', '--name', seps[i], '--set'] : args
    N(seps[i], [...dnat, '-m', p, '-p', p, '-j', 'DNAT', '--to-destination', ep.str], prov(epField(ep), `DNAT to ${ep.str}`, { endpoint: ep.str }))
  })
  if (!onlyLocal) return
  if (cfg.clusterCIDR != null) {
    N(xlbChain, ['-m', 'comment', '--comment', comment('Redirect pods trying to reach external loadbalancer VIP to clusterIP'), '-s', cfg.clusterCIDR, '-j', svcChain],
      prov('spec.externalTrafficPolicy', 'externalTrafficPolicy Local: pods reach all endpoints'))
  }
  if (local.length === 0) {
    N(xlbChain, ['-m', 'comment', '--comment', comment(`${ns} has no local endpoints`), '-j', 'KUBE-MARK-DROP'],
      prov('spec.externalTrafficPolicy', 'externalTrafficPolicy Local and no endpoint on this node: mark for drop'))
    return
  }
  if (sp.affinityTimeout > 0) {
    for (const i of local) {
      N(xlbChain, ['-m', 'comment', '--comment', comment(ns), '-m', 'recent', '--name', seps[i], '--rcheck', '--seconds', String(sp.affinityTimeout), '--reap', '-j', seps[i]],
        prov('spec.sessionAffinity', `ClientIP affinity to local endpoint ${eps[i].str}`, { endpoint: eps[i].str }))
    }
  }
  local.forEach((i, k) => {
    const stat = k < local.length - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(local.length - k, 5)] : []
    N(xlbChain, ['-m', 'comment', '--comment', comment(`Balancing rule ${k} for ${ns}`), ...stat, '-j', seps[i]],
      prov(epField(eps[i]), `local endpoint ${eps[i].str}`, { endpoint: eps[i].str }))
  })
}
