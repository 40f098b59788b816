/**
 * A kube-proxy-shaped cluster of N services × M endpoints, as the objects a user would apply (Nodes,
 * Pods, Services) and as the rule generator's input (the same objects through the domain defaults and
 * the real EndpointSlice derivation). Deterministic: the same shape gives the same cluster.
 *
 * Layout: services `svc-<i>` spread over 10 namespaces `ns-<i % 10>`, one TCP port 80 → 8080 named
 * `http`, ClusterIP 10.96.0.10 + i, every 20th a NodePort (30000 + i/20). Each has M ready pods
 * labelled `app: svc-<i>`; 250 pods per node, node k has podCIDR 10.128.k.0/24 (cluster CIDR
 * 10.128.0.0/9) and InternalIP 192.168.(k/250).(k%250 + 2).
 */
import type { ClusterSettings, EndpointSlice, Node, Pod, Service } from '../../src/cluster/model.ts'
import { defaultNode, defaultPod, defaultService } from '../../src/cluster/defaults.ts'
import { deriveAllEndpointSlices } from '../../src/cluster/endpoints.ts'
import { TreeSharer } from '../../src/store/share.ts'
import type { GenerateInput } from '../../src/cluster/kubeproxy/index.ts'

export interface Shape {
  services: number
  /** endpoints (ready pods) per service */
  endpoints: number
  /** pods per node (default 250) */
  podsPerNode?: number
  /** every n-th service is a NodePort (default 20; 0 = none) */
  nodePortEvery?: number
}

export const SERVICE_CIDR = '10.96.0.0/12'
export const CLUSTER_CIDR = '10.128.0.0/9'
export const NAMESPACES = 10

function ipv4 (n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}

const SVC_BASE = ((10 << 24) | (96 << 16)) >>> 0
const POD_BASE = ((10 << 24) | (128 << 16)) >>> 0

export function clusterIP (i: number): string { return ipv4(SVC_BASE + 10 + i) }
export function serviceName (i: number): string { return `svc-${i}` }
export function serviceNamespace (i: number): string { return `ns-${i % NAMESPACES}` }
export function nodeName (k: number): string { return `node-${k}` }
export function nodeIP (k: number): string { return `192.168.${Math.floor(k / 250)}.${(k % 250) + 2}` }
export function nodePortOf (i: number, every = 20): number | undefined {
  return every > 0 && i % every === 0 ? 30000 + i / every : undefined
}

export function nodeCount (s: Shape): number {
  return Math.max(1, Math.ceil(s.services * s.endpoints / (s.podsPerNode ?? 250)))
}

export function settings (name = 'bench'): ClusterSettings {
  return {
    name,
    serviceCIDR: SERVICE_CIDR,
    clusterCIDR: CLUSTER_CIDR,
    nodePortRange: { min: 30000, max: 32767 },
    kubeProxy: { profile: 'current', masqueradeAll: false, nodePortAddresses: [], localhostNodePorts: true, masqueradeBit: 14 }
  }
}

/** The cluster's spec as POSTed to /api/v1/clusters. */
export function clusterBody (name: string): Record<string, unknown> {
  return {
    metadata: { name },
    spec: { serviceCIDR: SERVICE_CIDR, clusterCIDR: CLUSTER_CIDR, nodePortRange: '30000-32767', kubeProxy: { profile: 'current' } }
  }
}

export interface Manifest {
  nodes: Array<Record<string, unknown>>
  services: Array<Record<string, unknown>>
  pods: Array<Record<string, unknown>>
  /** pod IPs in pod order (the manifest states them; the generator input uses the same) */
  podIPs: string[]
}

export function nodeObject (k: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: nodeName(k) },
    spec: { podCIDR: `${ipv4(POD_BASE + k * 256)}/24` },
    status: { addresses: [{ type: 'InternalIP', address: nodeIP(k) }] }
  }
}

export function serviceObject (i: number, s: Pick<Shape, 'nodePortEvery'> = {}): Record<string, unknown> {
  const np = nodePortOf(i, s.nodePortEvery ?? 20)
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName(i), namespace: serviceNamespace(i) },
    spec: {
      type: np != null ? 'NodePort' : 'ClusterIP',
      clusterIP: clusterIP(i),
      selector: { app: serviceName(i) },
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, ...(np != null ? { nodePort: np } : {}) }]
    }
  }
}

/** Pod `e` of service `i`, the `p`-th pod of the cluster, and its IP. */
function podObject (s: Shape, i: number, e: number, p: number, withIP: boolean): { pod: Record<string, unknown>, ip: string } {
  const perNode = s.podsPerNode ?? 250
  const k = Math.floor(p / perNode)
  const ip = ipv4(POD_BASE + k * 256 + 2 + (p % perNode))
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${serviceName(i)}-${e}`, namespace: serviceNamespace(i), labels: { app: serviceName(i) } },
    spec: { nodeName: nodeName(k), containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }] },
    status: withIP ? { phase: 'Running', podIP: ip } : { phase: 'Running' }
  }
  return { pod, ip }
}

/** The objects of the cluster, as a user would apply them. */
export function manifest (s: Shape, opts: { podIPs?: boolean } = {}): Manifest {
  const nodes = Array.from({ length: nodeCount(s) }, (_, k) => nodeObject(k))
  const services: Array<Record<string, unknown>> = []
  const pods: Array<Record<string, unknown>> = []
  const podIPs: string[] = []
  let p = 0
  for (let i = 0; i < s.services; i++) {
    services.push(serviceObject(i, s))
    for (let e = 0; e < s.endpoints; e++, p++) {
      const { pod, ip } = podObject(s, i, e, p, opts.podIPs !== false)
      podIPs.push(ip)
      pods.push(pod)
    }
  }
  return { nodes, services, pods, podIPs }
}

/** The manifest as one JSON List document (what POST /manifests takes as application/json). */
export function manifestList (m: Manifest): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...m.nodes, ...m.services, ...m.pods] })
}

export interface DomainCluster {
  settings: ClusterSettings
  nodes: Node[]
  services: Service[]
  pods: Pod[]
  endpointSlices: EndpointSlice[]
}

/**
 * The same cluster as domain objects, held as the server holds them: defaults applied and metadata
 * uid/resourceVersion stamped as the store would; then each object stored as JSON text and read back
 * the way the store builds a snapshot (JSON.parse, then one TreeSharer for the whole cluster: frozen,
 * equal subtrees and strings shared), so RSS figures measure the server's representation. The
 * EndpointSlices come from those objects through the function behind the server's endpointSlicesOf,
 * unstamped as there (the rule cache knows them by the versions of the objects they come from).
 */
export function domainCluster (s: Shape): DomainCluster {
  const stamp = <T extends { metadata: { uid?: string, resourceVersion?: string } }>(o: T, uid: string): T => {
    o.metadata.uid = uid
    o.metadata.resourceVersion = '1'
    return o
  }
  const sharer = new TreeSharer()
  const held = <T>(o: T): T => sharer.share(JSON.parse(JSON.stringify(o)) as T)
  // one object at a time: its applied and defaulted forms are garbage as soon as the held one exists
  const nodes = Array.from({ length: nodeCount(s) }, (_, k) => held(stamp(defaultNode(nodeObject(k) as unknown as Node), `node-${k}`)))
  const services: Service[] = []
  const pods: Pod[] = []
  let p = 0
  for (let i = 0; i < s.services; i++) {
    services.push(held(stamp(defaultService(serviceObject(i, s) as unknown as Service), `svc-${i}`)))
    for (let e = 0; e < s.endpoints; e++, p++) {
      pods.push(held(stamp(defaultPod(podObject(s, i, e, p, true).pod as unknown as Pod), `pod-${p}`)))
    }
  }
  return { settings: settings(), nodes, services, pods, endpointSlices: deriveAllEndpointSlices(services, pods, nodes) }
}

/** Rule generator input for one node of the cluster (default node-0). */
export function generateInput (c: DomainCluster, node = 0): GenerateInput {
  return { settings: c.settings, node: c.nodes[node], nodes: c.nodes, services: c.services, endpointSlices: c.endpointSlices }
}

/**
 * The cluster after one service changed (its port 80 → 81, new resourceVersion): a new services
 * array sharing every other object, as the store hands out after an update.
 */
export function withOneChange (c: DomainCluster, i: number, version = '2'): DomainCluster {
  const services = [...c.services]
  const svc = services[i]
  services[i] = { ...svc, metadata: { ...svc.metadata, resourceVersion: version }, spec: { ...svc.spec, ports: [{ ...svc.spec.ports[0], port: svc.spec.ports[0].port === 80 ? 81 : 80 }] } }
  return { ...c, services }
}
