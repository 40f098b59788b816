/**
 * generateNodeRules: the rules kube-proxy (iptables mode) programs on one node, in the `current` or
 * `legacy` era, with per-rule provenance. The restore text is produced in kube-proxy's emission order
 * (services in `ns/name` order, where kube-proxy iterates a Go map).
 */
import type { ClusterSettings, EndpointSlice, Node, Service } from '../model.ts'
import { endpointsFor, indexSlices, type EndpointInfo } from './endpoints.ts'
import { cidrContains, parseCIDR, parseIP, type IPFamily } from './ip.ts'
import { legacyServicePortRules } from './legacy.ts'
import { currentServicePortRules, RuleWriter } from './service-rules.ts'
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
  /** `restore` as pieces in order (cheap after an incremental change; join or stream them) */
  restoreChunks: () => string[]
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
  /** the Service's EndpointSlices it was prepared from */
  slices: EndpointSlice[]
  ports: ServicePortInfo[]
  endpoints: EndpointInfo[][]
  endpointCount: number
  skipped: string | null
  /**
   * true when the rule text may depend on the node (local endpoints by node name, the node IP in a
   * source range): such a Service's rules are not shared between nodes
   */
  nodeSensitive: boolean
}

export function prepareService (svc: Service, slices: EndpointSlice[], cfg: ProxierConfig): ServiceWork {
  const key = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`
  const skipped = skipReason(svc, cfg.family)
  const ports = skipped == null ? servicePorts(svc, { profile: cfg.profile, family: cfg.family, lbIPModeEnabled: cfg.profile === 'current' && cfg.lbIPModeEnabled }) : []
  const endpoints = ports.map(sp => endpointsFor(sp, slices, cfg.family, cfg.nodeName))
  let endpointCount = 0
  for (const e of endpoints) endpointCount += e.length
  const nodeSensitive = ports.some(sp => sp.internalPolicyLocal || sp.externalPolicyLocal || sp.lbSourceRanges.length > 0)
  return { key, service: svc, slices, ports, endpoints, endpointCount, skipped, nodeSensitive }
}

function writeRules (w: ServiceWork, cfg: ProxierConfig, largeClusterMode: boolean, records: boolean): RuleWriter {
  const out = new RuleWriter(records)
  if (w.skipped != null) return out
  for (let i = 0; i < w.ports.length; i++) {
    if (cfg.profile === 'legacy') legacyServicePortRules(w.ports[i], w.endpoints[i], cfg, out)
    else currentServicePortRules(w.ports[i], w.endpoints[i], cfg, largeClusterMode, out)
  }
  return out
}

/** the lines, each ending in a newline, as one flat string (`join` + '\n' would make a rope, copied again on first read) */
const joinLines = (a: string[]): string => a.length === 0 ? '' : a.concat('').join('\n')

/**
 * One Service's rules: the texts are kept; the records (with provenance) are generated again from the
 * same Service and EndpointSlice objects on each read, so the prepared ports and endpoints are not
 * kept either.
 */
class Fragment implements ServiceFragment {
  readonly service: string
  readonly filterText: string
  readonly natText: string
  readonly natChains: string[]
  readonly endpointCount: number
  readonly skipped?: string
  /** the objects the records are generated from (replaced by equal ones: see rebaseFragment) */
  svc: Service
  slices: EndpointSlice[]

  constructor (work: ServiceWork, private readonly cfg: ProxierConfig, private readonly large: boolean) {
    this.svc = work.service
    this.slices = work.slices
    const w = writeRules(work, cfg, large, false)
    this.service = work.key
    this.filterText = joinLines(w.filter)
    this.natText = joinLines(w.nat)
    this.natChains = w.natChains
    this.endpointCount = w.endpointCount
    if (work.skipped != null) this.skipped = work.skipped
  }

  private records (): RuleWriter {
    return writeRules(prepareService(this.svc, this.slices, this.cfg), this.cfg, this.large, true)
  }

  get filterRules (): RuleRecord[] { return this.records().filterRecs! }
  get natRules (): RuleRecord[] { return this.records().natRecs! }
  get rules (): RuleRecord[] {
    const w = this.records()
    return [...w.filterRecs!, ...w.natRecs!]
  }
}

export function buildFragment (w: ServiceWork, cfg: ProxierConfig, largeClusterMode: boolean): ServiceFragment {
  return new Fragment(w, cfg, largeClusterMode)
}

/**
 * Points a fragment at other Service and EndpointSlice objects with the same content (those of a
 * newer snapshot), so that it stops holding the older ones.
 */
export function rebaseFragment (f: ServiceFragment, svc: Service, slices: EndpointSlice[]): void {
  if (f instanceof Fragment) {
    f.svc = svc
    f.slices = slices
  }
}

export function sortServices (services: Service[]): Service[] {
  const keyed = services.map(s => ({ k: `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s }))
  keyed.sort((a, b) => a.k < b.k ? -1 : a.k > b.k ? 1 : 0)
  return keyed.map(x => x.s)
}

const recordLines = (rs: RuleRecord[]): string => rs.length === 0 ? '' : rs.map(r => r.text).join('\n') + '\n'

const declMemo = new WeakMap<ServiceFragment, { n: number, text: string }>()

/** A fragment's nat chain declarations, a line each: kept, as a fragment outlives many renders. */
function natDeclarations (f: ServiceFragment): string {
  const m = declMemo.get(f)
  if (m !== undefined && m.n === f.natChains.length) return m.text
  // (joined: a flat string, where `+=` would make a rope copied again when first read)
  const text = f.natChains.map(c => `:${c} - [0:0]\n`).join('')
  declMemo.set(f, { n: f.natChains.length, text })
  return text
}

/** kube-proxy's restore document (§2 layout) as pieces in order: join them, or stream them. */
export function restoreChunks (top: TopLevel, fragments: ServiceFragment[]): string[] {
  const parts: string[] = ['*filter\n']
  for (const c of top.filterChains) parts.push(`:${c} - [0:0]\n`)
  parts.push(recordLines(top.filterHead))
  for (const f of fragments) if (f.filterText !== '') parts.push(f.filterText)
  parts.push(recordLines(top.filterTail), 'COMMIT\n*nat\n')
  for (const c of top.natChains) parts.push(`:${c} - [0:0]\n`)
  for (const f of fragments) if (f.natChains.length > 0) parts.push(natDeclarations(f))
  parts.push(recordLines(top.natHead))
  for (const f of fragments) if (f.natText !== '') parts.push(f.natText)
  parts.push(recordLines(top.natTail), 'COMMIT\n')
  return parts
}

/** A node's rules from its parts; the restore text and the rule list are built on first read. */
export function assembleNodeRules (cfg: ProxierConfig, largeClusterMode: boolean, top: TopLevel, fragments: ServiceFragment[]): NodeRules {
  let restoreMemo: string | null = null
  let rulesMemo: RuleRecord[] | null = null
  return {
    node: cfg.nodeName,
    profile: cfg.profile,
    config: cfg,
    largeClusterMode,
    static: staticPart(cfg),
    top,
    fragments,
    restoreChunks: () => restoreMemo != null ? [restoreMemo] : restoreChunks(top, fragments),
    /** built on first use (the restore text of a large node is tens of MB) */
    get restore (): string {
      if (restoreMemo == null) restoreMemo = restoreChunks(top, fragments).join('')
      return restoreMemo
    },
    get rules (): RuleRecord[] {
      if (rulesMemo == null) {
        const all = [...top.filterHead]
        for (const f of fragments) for (const r of f.filterRules) all.push(r)
        for (const r of top.filterTail) all.push(r)
        for (const r of top.natHead) all.push(r)
        for (const f of fragments) for (const r of f.natRules) all.push(r)
        for (const r of top.natTail) all.push(r)
        rulesMemo = all
      }
      return rulesMemo
    }
  }
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
  return assembleNodeRules(cfg, largeClusterMode, topLevel(cfg), fragments)
}
