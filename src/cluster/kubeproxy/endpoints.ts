/**
 * EndpointSlices → per-service-port endpoint lists (EndpointSliceCache, §4.2) and their split into the
 * cluster / local lists a node uses (CategorizeEndpoints, §4.3).
 */
import type { EndpointSlice } from '../model.ts'
import { joinHostPort, parseIP, type IPFamily } from './ip.ts'
import type { ServicePortInfo } from './service-info.ts'
import { usesClusterEndpoints, usesLocalEndpoints } from './service-info.ts'

export interface EndpointInfo {
  ip: string
  port: number
  /** `ip:port` (`[v6]:port`), the sort and hash key */
  str: string
  ready: boolean
  serving: boolean
  terminating: boolean
  isLocal: boolean
  nodeName?: string
  zone?: string
  /** `ns/slice-name` and endpoint index, for provenance */
  slice: string
  index: number
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

/** Slices grouped by `ns/serviceName` (label), slice order by name for determinism. */
export function indexSlices (slices: EndpointSlice[]): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>()
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL]
    if (svc == null || svc === '') continue
    const key = `${s.metadata.namespace ?? 'default'}/${svc}`
    let list = out.get(key)
    if (list == null) out.set(key, list = [])
    list.push(s)
  }
  for (const list of out.values()) list.sort((a, b) => a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0)
  return out
}

/**
 * Endpoints of one service port on one node, deduplicated by `ip:port` (a later duplicate wins unless
 * it is terminating) and sorted by that string in plain byte order.
 */
/**
 * `s` when it is an IPv4 address already in canonical dotted form (no leading zeros), else null: the
 * common case of API data, recognised without allocating.
 */
function canonicalV4 (s: string): string | null {
  let parts = 0
  let digits = 0
  let n = 0
  let lead = false
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46
    if (c === 46) {
      if (digits === 0 || n > 255 || (lead && digits > 1) || ++parts > 4) return null
      digits = 0
      n = 0
    } else if (c >= 48 && c <= 57) {
      if (digits === 0) lead = c === 48
      if (++digits > 3) return null
      n = n * 10 + (c - 48)
    } else return null
  }
  return parts === 4 ? s : null
}

/**
 * Endpoints of one service port on one node, deduplicated by `ip:port` (a later duplicate wins unless
 * it is terminating) and sorted by that string in plain byte order.
 */
export function endpointsFor (sp: ServicePortInfo, slices: EndpointSlice[], family: IPFamily, nodeName: string): EndpointInfo[] {
  const byKey = new Map<string, EndpointInfo>()
  for (const slice of slices) {
    if (slice.addressType !== family) continue
    let sliceName: string | null = null
    for (const port of slice.ports ?? []) {
      if ((port.name ?? '') !== sp.portName || port.protocol !== sp.protocol) continue
      if (port.port == null || port.port === 0) continue
      const eps = slice.endpoints
      for (let index = 0; index < eps.length; index++) {
        const ep = eps[index]
        if (ep.addresses.length === 0) continue
        const addr = ep.addresses[0]
        let canonical = family === 'IPv4' ? canonicalV4(addr) : null
        if (canonical == null) {
          const ip = parseIP(addr)
          if (ip == null || ip.family !== family) continue
          canonical = ip.canonical
        }
        const c = ep.conditions ?? {}
        sliceName ??= `${slice.metadata.namespace ?? 'default'}/${slice.metadata.name}`
        const info: EndpointInfo = {
          ip: canonical,
          port: port.port,
          str: joinHostPort(canonical, port.port),
          ready: c.ready == null || c.ready,
          serving: c.serving == null || c.serving,
          terminating: c.terminating === true,
          isLocal: ep.nodeName != null && ep.nodeName === nodeName,
          nodeName: ep.nodeName,
          zone: ep.zone,
          slice: sliceName,
          index
        }
        const prev = byKey.get(info.str)
        if (prev != null && info.terminating) continue
        byKey.set(info.str, info)
      }
    }
  }
  const out = [...byKey.values()]
  // usually already in order (one slice, addresses ascending): check before sorting
  let sorted = true
  for (let i = 1; i < out.length; i++) if (out[i - 1].str > out[i].str) { sorted = false; break }
  return sorted ? out : out.sort((a, b) => a.str < b.str ? -1 : a.str > b.str ? 1 : 0)
}

export interface Categorized {
  cluster: EndpointInfo[]
  local: EndpointInfo[]
  /** endpoints that get a KUBE-SEP chain, in `ip:port` order */
  allReachable: EndpointInfo[]
  hasAny: boolean
}

/** CategorizeEndpoints without topology hints (§4.3). */
export function categorize (sp: ServicePortInfo, eps: EndpointInfo[]): Categorized {
  let cluster: EndpointInfo[] = []
  let local: EndpointInfo[] = []
  let hasAny = false
  const useCluster = usesClusterEndpoints(sp)
  if (useCluster) {
    cluster = eps.filter(e => e.ready)
    if (cluster.length === 0) cluster = eps.filter(e => e.serving && e.terminating)
    hasAny = cluster.length > 0
  }
  if (!usesLocalEndpoints(sp)) return { cluster, local, allReachable: cluster, hasAny }
  let localReady = false
  let localServingTerminating = false
  for (const e of eps) {
    if (e.ready || (e.serving && e.terminating)) hasAny = true
    if (e.isLocal) {
      if (e.ready) localReady = true
      else if (e.serving && e.terminating) localServingTerminating = true
    }
  }
  let usedFallback = false
  if (localReady) local = eps.filter(e => e.isLocal && e.ready)
  else if (localServingTerminating) {
    usedFallback = true
    local = eps.filter(e => e.isLocal && e.serving && e.terminating)
  }
  if (!useCluster) return { cluster, local, allReachable: local, hasAny }
  if (!usedFallback) return { cluster, local, allReachable: cluster, hasAny }
  // union (kube-proxy builds it from a map; we keep ip:port order)
  const set = new Set([...cluster, ...local])
  const allReachable = eps.filter(e => set.has(e))
  return { cluster, local, allReachable, hasAny }
}

/** Legacy era (≤ v1.16): only ready addresses existed in Endpoints; no terminating fallback. */
export function legacyEndpoints (eps: EndpointInfo[]): EndpointInfo[] {
  return eps.filter(e => e.ready)
}
