/**
 * generateNodeRules: the rules kube-proxy (iptables mode) programs on one node, in the `current` or
 * `legacy` era, with per-rule provenance. The restore text is produced in kube-proxy's emission order
 * (services in `ns/name` order, where kube-proxy iterates a Go map).
 */
import type { ClusterSettings, EndpointSlice, Node, Service } from '../model.ts'
import { endpointsFor, indexSlices, type EndpointInfo } from './endpoints.ts'
import { cidrContains, parseCIDR, parseIP, type IPFamily } from './ip.ts'
import { legacyServicePortRules } from './legacy.ts'
import { currentServicePortRules } from './service-rules.ts'
import { servicePorts, skipReason, type ServicePortInfo } from './service-info.ts'
import { goMark, staticPart, topLevel, type StaticPart, type TopLevel } from './skeleton.ts'
import type { ProxierConfig, RuleRecord, ServiceFragment } from './types.ts'

/** Knobs of the simulated kube-proxy/host that are not cluster settings. Defaults model a real node. */
export interface GeneratorOptions {
  /** proxier IP family; default: family of the cluster's service CIDR */
  family?: IPFamily
  /** `kube-proxy` (default): marks as `%#08x` (`0x00004000`); `unit-test`: `0x4000` as in kube-proxy's tests */
  markStyle?: 'kube-proxy' | 'unit-test'
  /** iptables supports `--random-fully` (default true: iptables 1.8.9) */
  randomFully?: boolean
  /** sysctl nf_conntrack_tcp_be_liberal set (default false) */
  conntrackTCPLiberal?: boolean
  /** nfacct counters could be created (default true) */
  nfacct?: boolean | { invalid: boolean, localhost: boolean }
  /** feature LoadBalancerIPMode (default true: GA) */
  lbIPModeEnabled?: boolean
  /** `ClusterCIDR` (default when settings.clusterCIDR is set) or `none` */
  localDetector?: 'ClusterCIDR' | 'none'
  /** local interface addresses (default: loopback + the node's addresses) */
  localAddresses?: string[]
}

export interface GenerateInput {
  settings: ClusterSettings
  /** the node being rendered */
  node: Node
  nodes?: Node[]
  services: Service[]
  endpointSlices: EndpointSlice[]
  options?: GeneratorOptions
}

export interface NodeRules {
  node: string
  profile: ProxierConfig['profile']
  config: ProxierConfig
  largeClusterMode: boolean
  /** jump rules from built-in chains, canaries, kubelet chains: on the node but not in the restore data */
  static: StaticPart
  top: TopLevel
  /** one per Service, in emission order (skipped Services included with `skipped` set) */
  fragments: ServiceFragment[]
  /** what kube-proxy feeds `iptables-restore --noflush --counters` */
  restore: string
  /** all restore rules in emission order (filter then nat) */
  rules: RuleRecord[]
}

export function resolveConfig (settings: ClusterSettings, node: Node, options: GeneratorOptions = {}): ProxierConfig {
  const kp = settings.kubeProxy
  const family: IPFamily = options.family ?? parseCIDR(settings.serviceCIDR)?.family ?? 'IPv4'
  const addrs = node.status.addresses.filter(a => a.type === 'InternalIP' || a.type === 'ExternalIP')
  const famAddrs = addrs.map(a => parseIP(a.address)).filter(a => a != null && a.family === family).map(a => a!.canonical)
  const internal = node.status.addresses.filter(a => a.type === 'InternalIP').map(a => parseIP(a.address)).find(a => a != null && a.family === family)
  const nodeIP = internal?.canonical ?? famAddrs[0] ?? null
  const loopback = family === 'IPv4' ? '127.0.0.1' : '::1'
  const localAddresses = (options.localAddresses ?? [loopback, ...famAddrs])
    .map(a => parseIP(a)).filter(a => a != null && a.family === family).map(a => a!.canonical)
  const npa = kp.nodePortAddresses.map(c => parseCIDR(c)).filter(c => c != null && c.family === family)
  const nodePortAddresses = npa.map(c => c!.canonical)
  let localhostNodePorts = kp.localhostNodePorts && family === 'IPv4'
  if (localhostNodePorts && nodePortAddresses.length > 0) {
    const lo = parseIP('127.0.0.1')!
    if (!npa.some(c => c!.prefix === 0 || cidrContains(c!, lo))) localhostNodePorts = false
  }
  const detector = options.localDetector ?? (settings.clusterCIDR !== '' ? 'ClusterCIDR' : 'none')
  const cc = detector === 'ClusterCIDR' ? parseCIDR(settings.clusterCIDR) : null
  const markValue = 1 << kp.masqueradeBit
  const nf = options.nfacct ?? true
  return {
    profile: kp.profile,
    family,
    nodeName: node.metadata.name,
    nodeIP,
    localAddresses,
    masqMark: options.markStyle === 'unit-test' ? '0x' + markValue.toString(16) : goMark(markValue),
    masqueradeAll: kp.masqueradeAll,
    clusterCIDR: cc != null && cc.family === family ? cc.canonical : null,
    localhostNodePorts,
    nodePortAddresses,
    randomFully: options.randomFully ?? true,
    conntrackTCPLiberal: options.conntrackTCPLiberal ?? false,
    nfacctInvalid: typeof nf === 'boolean' ? nf : nf.invalid,
    nfacctLocalhost: typeof nf === 'boolean' ? nf : nf.localhost,
    lbIPModeEnabled: options.lbIPModeEnabled ?? true
  }
}

export const LARGE_CLUSTER_THRESHOLD = 1000

export interface ServiceWork {
  key: string
  service: Service
  ports: ServicePortInfo[]
  endpoints: EndpointInfo[][]
  endpointCount: number
  skipped: string | null
}

export function prepareService (svc: Service, slices: EndpointSlice[], cfg: ProxierConfig): ServiceWork {
  const key = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`
  const skipped = skipReason(svc, cfg.family)
  const ports = skipped == null ? servicePorts(svc, { profile: cfg.profile, family: cfg.family, lbIPModeEnabled: cfg.profile === 'current' && cfg.lbIPModeEnabled }) : []
  const endpoints = ports.map(sp => endpointsFor(sp, slices, cfg.family, cfg.nodeName))
  let endpointCount = 0
  for (const e of endpoints) endpointCount += e.length
  return { key, service: svc, ports, endpoints, endpointCount, skipped }
}

export function buildFragment (w: ServiceWork, cfg: ProxierConfig, largeClusterMode: boolean): ServiceFragment {
  const frag: ServiceFragment = { service: w.key, filterRules: [], natChains: [], natRules: [], endpointCount: 0 }
  if (w.skipped != null) { frag.skipped = w.skipped; return frag }
  w.ports.forEach((sp, i) => {
    if (cfg.profile === 'legacy') legacyServicePortRules(sp, w.endpoints[i], cfg, frag)
    else currentServicePortRules(sp, w.endpoints[i], cfg, largeClusterMode, frag)
  })
  return frag
}

export function sortServices (services: Service[]): Service[] {
  const keyed = services.map(s => ({ k: `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s }))
  keyed.sort((a, b) => a.k < b.k ? -1 : a.k > b.k ? 1 : 0)
  return keyed.map(x => x.s)
}

/** Joins the parts into kube-proxy's restore document (§2 layout). */
export function assembleRestore (top: TopLevel, fragments: ServiceFragment[]): { restore: string, rules: RuleRecord[] } {
  const rules: RuleRecord[] = []
  const out: string[] = ['*filter']
  for (const c of top.filterChains) out.push(`:${c} - [0:0]`)
  const add = (r: RuleRecord): void => { rules.push(r); out.push(r.text) }
  top.filterHead.forEach(add)
  for (const f of fragments) f.filterRules.forEach(add)
  top.filterTail.forEach(add)
  out.push('COMMIT', '*nat')
  for (const c of top.natChains) out.push(`:${c} - [0:0]`)
  for (const f of fragments) for (const c of f.natChains) out.push(`:${c} - [0:0]`)
  top.natHead.forEach(add)
  for (const f of fragments) f.natRules.forEach(add)
  top.natTail.forEach(add)
  out.push('COMMIT')
  return { restore: out.join('\n') + '\n', rules }
}

export function generateNodeRules (input: GenerateInput): NodeRules {
  const cfg = resolveConfig(input.settings, input.node, input.options)
  const byService = indexSlices(input.endpointSlices)
  const works = sortServices(input.services).map(svc =>
    prepareService(svc, byService.get(`${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`) ?? [], cfg))
  let total = 0
  for (const w of works) total += w.endpointCount
  const largeClusterMode = cfg.profile === 'current' && total > LARGE_CLUSTER_THRESHOLD
  const fragments = works.map(w => buildFragment(w, cfg, largeClusterMode))
  const top = topLevel(cfg)
  const { restore, rules } = assembleRestore(top, fragments)
  return { node: cfg.nodeName, profile: cfg.profile, config: cfg, largeClusterMode, static: staticPart(cfg), top, fragments, restore, rules }
}
