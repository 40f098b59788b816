/**
 * EndpointSlice derivation as the endpointslice controller does it (service-api.md §5), made
 * deterministic: endpoints sorted by address, slices grouped by their resolved port list, names
 * `<svc>-<5 chars>` hashed from the service uid, address family and slice index.
 */
import { createHash } from 'node:crypto'
import { isHeadless } from './defaults.ts'
import { parseIP } from './ip.ts'
import { selectorMatches } from './labels.ts'
import type { Endpoint, EndpointConditions, EndpointPort, EndpointSlice, Node, Pod, Service, ServicePort } from './model.ts'
import { NAME_SUFFIX_ALPHABET } from './names.ts'

export const MAX_ENDPOINTS_PER_SLICE = 100
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name'
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by'
export const LABEL_HEADLESS = 'service.kubernetes.io/headless'
export const MANAGED_BY = 'endpointslice-controller.k8s.io'
export const LABEL_ZONE = 'topology.kubernetes.io/zone'

/**
 * What each derived slice was computed from, when every object involved has a uid and a
 * resourceVersion: a digest of the Service's, its matching pods' and their nodes' `uid@version`
 * (all of them, for every slice of the Service), with the slice's address type and index. Two slices
 * with the same source are equal (the derivation is deterministic), so a cache can tell that a slice
 * derived again for a new snapshot is unchanged without printing it (see sliceSource).
 */
const SOURCES = new WeakMap<EndpointSlice, string>()

/** The source digest of a slice this module derived, if it has one (see SOURCES). */
export function sliceSource (slice: EndpointSlice): string | undefined {
  return SOURCES.get(slice)
}

const versionOf = (o: { metadata: { uid?: string, resourceVersion?: string } }): string | null => {
  const m = o.metadata
  return m.uid !== undefined && m.uid !== '' && m.resourceVersion !== undefined && m.resourceVersion !== '' ? `${m.uid}@${m.resourceVersion}` : null
}

function sourceDigest (svc: Service, pods: Pod[], nodeByName: Map<string, Node>): string | null {
  const v = versionOf(svc)
  if (v === null) return null
  const ids: string[] = [v]
  for (const p of pods) {
    const pv = versionOf(p)
    if (pv === null) return null
    ids.push(pv)
    const nodeName = p.spec?.nodeName
    if (nodeName !== undefined && nodeName !== '') {
      const n = nodeByName.get(nodeName)
      const nv = n === undefined ? '-' : versionOf(n)
      if (nv === null) return null
      ids.push(nv)
    } else ids.push('')
  }
  return createHash('sha1').update(JSON.stringify(ids)).digest('base64')
}

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

/** The pod's first address of the family (podIPs, then podIP), as a one-element list; empty if none. */
function podAddresses (pod: Pod, family: 4 | 6): string[] {
  const ips = pod.status?.podIPs
  if (ips != null) {
    for (const p of ips) {
      const ip = p.ip
      if (ip !== undefined && ip !== '' && parseIP(ip)?.family === family) return [ip]
    }
  }
  const ip = pod.status?.podIP
  if (ip !== undefined && ip !== '' && parseIP(ip)?.family === family) return [ip]
  return []
}

/**
 * An endpoint's conditions take one of eight values: one frozen object each, shared by every endpoint
 * of every slice (a cluster of 100k pods would otherwise hold 100k copies of three booleans).
 */
const CONDITIONS: EndpointConditions[] = Array.from({ length: 8 }, (_, i) =>
  Object.freeze({ ready: (i & 4) !== 0, serving: (i & 2) !== 0, terminating: (i & 1) !== 0 }))

function conditionsOf (ready: boolean, serving: boolean, terminating: boolean): EndpointConditions {
  return CONDITIONS[(ready ? 4 : 0) | (serving ? 2 : 0) | (terminating ? 1 : 0)]
}

/**
 * The EndpointSlices of one service. `pods` may hold pods of other namespaces (they are
 * ignored). ExternalName and selector-less services get none (the controller leaves them alone).
 */
export function deriveEndpointSlices (svc: Service, pods: Pod[], nodes: Node[]): EndpointSlice[] {
  return slicesOf(svc, pods, new Map(nodes.map(n => [n.metadata.name, n])))
}

/** Non-empty selector, or null (such Services get no slices). */
function selectorOf (svc: Service): Record<string, string> | null {
  const sel = svc.spec.selector
  return sel === undefined || sel === null || Object.keys(sel).length === 0 ? null : sel
}

/**
 * The EndpointSlices of every Service of a cluster, in Service order: for each, what
 * deriveEndpointSlices gives with all the pods. A Service's candidate pods come from an index by
 * namespace and label (the smallest list among its selector's key=value pairs, in pod order, then
 * matched in full as before) rather than from a scan of its namespace, which costs Services × pods
 * (about 24 s at 10k Services of 10 pods each in 10 namespaces).
 */
export function deriveAllEndpointSlices (services: Service[], pods: Pod[], nodes: Node[]): EndpointSlice[] {
  const nodeByName = new Map(nodes.map(n => [n.metadata.name, n]))
  // namespace → label key → label value → pods
  const index = new Map<string, Map<string, Map<string, Pod[]>>>()
  for (const p of pods) {
    const labels = p.metadata.labels
    if (labels === undefined || labels === null) continue
    const ns = p.metadata.namespace ?? 'default'
    let byKey = index.get(ns)
    if (byKey === undefined) index.set(ns, byKey = new Map())
    for (const k of Object.keys(labels)) {
      let byValue = byKey.get(k)
      if (byValue === undefined) byKey.set(k, byValue = new Map())
      const v = labels[k]
      const list = byValue.get(v)
      if (list === undefined) byValue.set(v, [p])
      else list.push(p)
    }
  }
  const out: EndpointSlice[] = []
  const none: Pod[] = []
  for (const svc of services) {
    const sel = selectorOf(svc)
    let candidates = none
    if (sel !== null) {
      const byKey = index.get(svc.metadata.namespace ?? 'default')
      let best: Pod[] | undefined
      for (const k of Object.keys(sel)) {
        const list = byKey?.get(k)?.get(sel[k])
        if (list === undefined) { best = none; break }
        if (best === undefined || list.length < best.length) best = list
      }
      candidates = best ?? none
    }
    for (const sl of slicesOf(svc, candidates, nodeByName)) out.push(sl)
  }
  return out
}

function slicesOf (svc: Service, pods: Pod[], nodeByName: Map<string, Node>): EndpointSlice[] {
  const spec = svc.spec
  if (spec.type === 'ExternalName') return []
  if (selectorOf(svc) === null) return []
  const ns = svc.metadata.namespace ?? 'default'
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
  const source = sourceDigest(svc, matching, nodeByName)
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
      const conditions = conditionsOf(pnra || (serving && !terminating), serving, terminating)
      const nodeName = pod.spec?.nodeName
      const onNode = nodeName !== undefined && nodeName !== ''
      const zone = onNode ? nodeByName.get(nodeName)?.metadata.labels?.[LABEL_ZONE] : undefined
      const hostname = pod.spec?.hostname !== undefined && pod.spec.hostname !== '' && pod.spec.subdomain === svc.metadata.name ? pod.spec.hostname : undefined
      const uid = pod.metadata.uid
      const targetRef: NonNullable<Endpoint['targetRef']> = uid !== undefined
        ? { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid }
        : { kind: 'Pod', namespace: ns, name: pod.metadata.name }
      // keys in the order the API prints them; the usual endpoint is built as one literal, whose
      // properties V8 keeps inside the object (added ones would go to a separate property array)
      let ep: Endpoint
      if (onNode && zone === undefined && hostname === undefined) ep = { addresses, conditions, nodeName, targetRef }
      else {
        ep = { addresses, conditions }
        if (onNode) {
          ep.nodeName = nodeName
          if (zone !== undefined) ep.zone = zone
        }
        if (hostname !== undefined) ep.hostname = hostname
        ep.targetRef = targetRef
      }
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
      const slice: EndpointSlice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata,
        addressType,
        endpoints: c.endpoints,
        ports: c.ports.length > 0 ? c.ports : null
      }
      if (source !== null) SOURCES.set(slice, `${source}/${addressType}/${i}`)
      slices.push(slice)
    })
  }
  return slices
}
