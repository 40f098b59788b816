import type { KubeProxyProfile } from '../model.ts'
import type { Provenance } from '../../netfilter/model.ts'
import type { IPFamily } from './ip.ts'

export type KpTable = 'filter' | 'nat' | 'mangle'

/** Where a generated rule came from; stored on the engine's `Rule.provenance`. */
export interface RuleProvenance extends Provenance {
  /** who writes the rule on a real node */
  origin: 'kube-proxy' | 'kube-proxy-static' | 'kubelet'
  /** `ns/name` of the Service, when the rule belongs to one */
  service?: string
  /** kube-proxy's ServicePortName string, e.g. `ns/name:port` */
  servicePort?: string
  /** `ip:port` of the endpoint */
  endpoint?: string
  /** spec field that produced the rule, e.g. `spec.ports[0].nodePort` */
  field?: string
  note?: string
}

/** One `-A CHAIN …` line as kube-proxy (or the skeleton) writes it. */
export interface RuleRecord {
  table: KpTable
  chain: string
  /** the exact restore line, starting with `-A CHAIN` */
  text: string
  prov: RuleProvenance
}

/**
 * Everything one Service contributes (all its ports). A render keeps the restore text only; the
 * per-rule records (with provenance) are generated again from the same inputs when read.
 */
export interface ServiceFragment {
  /** `ns/name` */
  service: string
  /** restore lines of its filter rules, each ending in a newline ('' if none) */
  readonly filterText: string
  /** restore lines of its nat rules, each ending in a newline */
  readonly natText: string
  /** filter rules with provenance (built on each read) */
  readonly filterRules: RuleRecord[]
  /** per-service nat chains declared, in emission order (EXT, FW, SVC, SVL, SEP… per port) */
  natChains: string[]
  /** nat rules with provenance (built on each read) */
  readonly natRules: RuleRecord[]
  /** filter rules then nat rules, with provenance (built on each read) */
  readonly rules: RuleRecord[]
  /** endpoints counted for large-cluster mode */
  endpointCount: number
  /** why the Service produced nothing, if it did not */
  skipped?: string
}

/** The proxier configuration the generator works with (resolved from cluster settings + node). */
export interface ProxierConfig {
  profile: KubeProxyProfile
  family: IPFamily
  nodeName: string
  /** the node's primary IP of the proxier family (for `allowFromNode`), null if none */
  nodeIP: string | null
  /** all local interface addresses of the family, loopback included (`127.0.0.1` / `::1`) */
  localAddresses: string[]
  /** mark text as written in the restore data (`0x00004000` in real kube-proxy, `0x4000` in its tests) */
  masqMark: string
  masqueradeAll: boolean
  /** ClusterCIDR local-traffic detector; null = no detector */
  clusterCIDR: string | null
  /** effective localhostNodePorts (false for IPv6 or when nodePortAddresses exclude loopback) */
  localhostNodePorts: boolean
  /** canonical CIDRs of the proxier family; empty = match all */
  nodePortAddresses: string[]
  randomFully: boolean
  conntrackTCPLiberal: boolean
  nfacctInvalid: boolean
  nfacctLocalhost: boolean
  lbIPModeEnabled: boolean
}
