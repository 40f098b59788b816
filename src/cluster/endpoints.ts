/**
 * EndpointSlice derivation as the endpointslice controller does it (service-api.md §5), made
 * deterministic: endpoints sorted by address, slices grouped by their resolved port list, names
 * `<svc>-<5 chars>` hashed from the service uid, address family and slice index.
 */
import { isHeadless } from './defaults.ts'
import { parseIP } from './ip.ts'
import { selectorMatches } from './labels.ts'
import type { Endpoint, EndpointPort, EndpointSlice, Node, Pod, Service, ServicePort } from './model.ts'
import { NAME_SUFFIX_ALPHABET } from './names.ts'

export const MAX_ENDPOINTS_PER_SLICE = 100
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name'
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by'
export const LABEL_HEADLESS = 'service.kubernetes.io/headless'
export const MANAGED_BY = 'endpointslice-controller.k8s.io'
export const LABEL_ZONE = 'topology.kubernetes.io/zone'

/** FNV-1a 32-bit. */
function fnv1a (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** Five suffix characters from the generateName alphabet, derived from `seed`. */
export function sliceSuffix (seed: string): string {
  let h = fnv1a(seed)
  let out = ''
  for (let i = 0; i < 5; i++) {
    if (i === 3) h = fnv1a(seed + '#' + String(h))
    out += NAME_SUFFIX_ALPHABET[h % NAME_SUFFIX_ALPHABET.length]
    h = Math.floor(h / NAME_SUFFIX_ALPHABET.length)
  }
  return out
}

/** podutil.IsPodReady: a Ready condition with status True. */
export function isPodReady (pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some(c => c.type === 'Ready' && c.status === 'True')
}

/** podutil.FindPort: number targetPort as is; a name resolves to the first container port with that name and protocol. */
export function findPort (pod: Pod, sp: ServicePort): number | null {
  const tp = sp.targetPort
  if (typeof tp === 'number') return tp
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === tp && (p.protocol ?? 'TCP') === sp.protocol) return p.containerPort
    }
  }
  return null
}

function endpointPorts (svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = []
  for (const sp of svc.spec.ports ?? []) {
    const port = findPort(pod, sp)
    if (port === null) continue
    const ep: EndpointPort = { name: sp.name ?? '', protocol: sp.protocol, port }
    if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol
    out.push(ep)
  }
  return out
}

function podAddresses (pod: Pod, family: 4 | 6): string[] {
  const ips = (pod.status?.podIPs?.map(p => p.ip) ?? []).concat(pod.status?.podIP !== undefined ? [pod.status.podIP] : [])
  const seen = new Set<string>()
  for (const ip of ips) {
    if (ip === undefined || ip === '' || seen.has(ip)) continue
    if (parseIP(ip)?.family === family) seen.add(ip)
  }
  return [...seen].slice(0, 1)
}

/**
 * The EndpointSlices of one service. `pods` may hold pods of other namespaces (they are
 * ignored). ExternalName and selector-less services get none (the controller leaves them alone).
 */
export function deriveEndpointSlices (svc: Service, pods: Pod[], nodes: Node[]): EndpointSlice[] {
  const spec = svc.spec
  if (spec.type === 'ExternalName') return []
  if (spec.selector === undefined || spec.selector === null || Object.keys(spec.selector).length === 0) return []
  const ns = svc.metadata.namespace ?? 'default'
  const nodeByName = new Map(nodes.map(n => [n.metadata.name, n]))
  const pnra = spec.publishNotReadyAddresses === true
  const families: Array<4 | 6> = []
  for (const f of spec.ipFamilies ?? ['IPv4']) {
    const fam = f === 'IPv6' ? 6 : 4
    if (!families.includes(fam)) families.push(fam)
  }
  if (families.length === 0) families.push(4)

  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) }
  if (isHeadless(svc) || (spec.clusterIP ?? '') === '') labels[LABEL_HEADLESS] = ''
  else delete labels[LABEL_HEADLESS]
  labels[LABEL_SERVICE_NAME] = svc.metadata.name
  labels[LABEL_MANAGED_BY] = MANAGED_BY

  const matching = pods
    .filter(p => (p.metadata.namespace ?? 'default') === ns)
    .filter(p => selectorMatches(spec.selector!, p.metadata.labels))
    .filter(p => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .filter(p => pnra || p.spec?.nodeName === undefined || p.spec.nodeName === '' || nodeByName.has(p.spec.nodeName))

  const slices: EndpointSlice[] = []
  const names = new Set<string>()
  for (const family of families) {
    const groups = new Map<string, { ports: EndpointPort[], endpoints: Endpoint[] }>()
    for (const pod of matching) {
      const addresses = podAddresses(pod, family)
      if (addresses.length === 0) continue
      const ports = endpointPorts(svc, pod)
      const key = JSON.stringify(ports)
      let g = groups.get(key)
      if (g === undefined) {
        g = { ports, endpoints: [] }
        groups.set(key, g)
      }
      const serving = isPodReady(pod)
      const terminating = pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null
      const ep: Endpoint = {
        addresses,
        conditions: { ready: pnra || (serving && !terminating), serving, terminating }
      }
      const nodeName = pod.spec?.nodeName
      if (nodeName !== undefined && nodeName !== '') {
        ep.nodeName = nodeName
        const zone = nodeByName.get(nodeName)?.metadata.labels?.[LABEL_ZONE]
        if (zone !== undefined) ep.zone = zone
      }
      if (pod.spec?.hostname !== undefined && pod.spec.hostname !== '' && pod.spec.subdomain === svc.metadata.name) ep.hostname = pod.spec.hostname
      ep.targetRef = { kind: 'Pod', namespace: ns, name: pod.metadata.name }
      if (pod.metadata.uid !== undefined) ep.targetRef.uid = pod.metadata.uid
      g.endpoints.push(ep)
    }
    const ordered = [...groups.entries()].sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0).map(e => e[1])
    const chunks: Array<{ ports: EndpointPort[], endpoints: Endpoint[] }> = []
    for (const g of ordered) {
      const keyed = g.endpoints.map(e => ({ e, v: parseIP(e.addresses[0])?.value ?? 0n, n: e.targetRef!.name }))
      keyed.sort((a, b) => a.v < b.v ? -1 : a.v > b.v ? 1 : a.n < b.n ? -1 : a.n > b.n ? 1 : 0)
      g.endpoints = keyed.map(k => k.e)
      for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
        chunks.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) })
      }
    }
    if (chunks.length === 0) chunks.push({ ports: [], endpoints: [] })
    const addressType = family === 4 ? 'IPv4' : 'IPv6'
    chunks.forEach((c, i) => {
      const prefix = `${svc.metadata.name}-`.slice(0, 58)
      const seed = `${svc.metadata.uid ?? `${ns}/${svc.metadata.name}`}/${addressType}/${i}`
      let name = prefix + sliceSuffix(seed)
      for (let k = 1; names.has(name); k++) name = prefix + sliceSuffix(`${seed}~${k}`)
      names.add(name)
      const metadata: EndpointSlice['metadata'] = {
        name,
        namespace: ns,
        generateName: `${svc.metadata.name}-`,
        labels: { ...labels },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }]
      }
      if (svc.metadata.creationTimestamp !== undefined) metadata.creationTimestamp = svc.metadata.creationTimestamp
      slices.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata,
        addressType,
        endpoints: c.endpoints,
        ports: c.ports.length > 0 ? c.ports : null
      })
    })
  }
  return slices
}
