/**
 * The cluster network model the trace walks: every node is a netfilter host (`lo`, `eth0` with its
 * node IPs, `cni0` with the pod-CIDR gateway `.1`), routed host-gateway style (own pod CIDR on cni0,
 * other nodes' pod CIDRs via their node IPs, a default route out of eth0), with the sysctls kube-proxy
 * relies on (ip_forward=1, route_localnet=1 when localhost NodePorts are on). Plus an address book:
 * who owns an address (node, pod, gateway, Service VIP) so the walk knows where a packet lands.
 *
 * Pure: built from the cluster objects; the caller caches the result per cluster generation.
 */
import type { ClusterSettings, Node, Pod, Service } from '../model.ts'
import { createHost, type Host, type HostRouteSpec } from '../../netfilter/index.ts'
import { ipToU32, u32ToIp, parseCidr, inNet } from '../../netfilter/eval/ipv4.ts'

export interface NodeNet {
  name: string
  /** IPv4 InternalIP/ExternalIP addresses, InternalIP first */
  ips: string[]
  /** primary node IP (first InternalIP) */
  ip: string
  podCIDR?: string
  /** cni0 address (first host of the pod CIDR) */
  gateway?: string
  /** default gateway on eth0 (not a node) */
  defaultGateway: string
  host: Host
}

export interface PodRef {
  key: string
  namespace: string
  name: string
  node: string
  ip: string
  hostNetwork: boolean
  ready: boolean
  terminating: boolean
}

export type Owner =
  | { kind: 'node', node: string }
  | { kind: 'gateway', node: string }
  | { kind: 'pod', pod: PodRef }
  | { kind: 'clusterIP', service: string }
  | { kind: 'externalIP', service: string }
  | { kind: 'loadBalancerIP', service: string }

export interface ClusterNet {
  settings: ClusterSettings
  nodes: Map<string, NodeNet>
  /** node names sorted */
  nodeNames: string[]
  pods: Map<string, PodRef>
  /** address (u32) → owners (a Service VIP may also be a node address) */
  owners: Map<number, Owner[]>
  serviceCIDR?: { addr: number, mask: number, len: number }
  clusterCIDR?: { addr: number, mask: number, len: number }
  podCIDRs: Array<{ node: string, addr: number, mask: number }>
}

const ETH0_PREFIX = 24

const parsed = new Map<string, number | null>()

/** Dotted quad → u32 (null when malformed), memoised: traces look the same addresses up again and again. */
function ipv4 (s: string | undefined): number | null {
  if (s === undefined || s === '') return null
  let v = parsed.get(s)
  if (v !== undefined) return v
  try { v = ipToU32(s) } catch { v = null }
  if (parsed.size > 200_000) parsed.clear()
  parsed.set(s, v)
  return v
}

function cidr4 (s: string | undefined): { addr: number, mask: number, len: number } | undefined {
  if (s === undefined || s === '' || s.includes(':')) return undefined
  try { return parseCidr(s) } catch { return undefined }
}

export function nodeIPs (n: Node): string[] {
  const internal = n.status.addresses.filter(a => a.type === 'InternalIP').map(a => a.address)
  const external = n.status.addresses.filter(a => a.type === 'ExternalIP').map(a => a.address)
  const out: string[] = []
  for (const a of [...internal, ...external]) if (ipv4(a) !== null && !out.includes(a)) out.push(a)
  return out
}

export function podCIDROf (n: Node): string | undefined {
  for (const c of [n.spec.podCIDR, ...(n.spec.podCIDRs ?? [])]) if (cidr4(c) !== undefined) return c
  return undefined
}

function podIP (p: Pod): string | undefined {
  for (const ip of [p.status?.podIP, ...(p.status?.podIPs ?? []).map(x => x.ip)]) if (ipv4(ip) !== null) return ip
  return undefined
}

function addOwner (m: Map<number, Owner[]>, a: number | null, o: Owner): void {
  if (a === null) return
  const l = m.get(a)
  if (l === undefined) m.set(a, [o]); else l.push(o)
}

/** Route to an address on eth0's /24, or a host route on eth0 when it is elsewhere. */
function onLinkRoutes (ownIPs: number[], others: number[]): HostRouteSpec[] {
  const mask = (0xffffffff << (32 - ETH0_PREFIX)) >>> 0
  const out: HostRouteSpec[] = []
  for (const o of others) {
    if (ownIPs.some(a => inNet(o, (a & mask) >>> 0, mask))) continue
    out.push({ dst: `${u32ToIp(o)}/32`, dev: 'eth0' })
  }
  return out
}

export interface ClusterObjects {
  settings: ClusterSettings
  nodes: Node[]
  pods: Pod[]
  services: Service[]
  /** effective localhostNodePorts per node (route_localnet is set by kube-proxy only then) */
  routeLocalnet?: (node: string) => boolean
}

/** Builds hosts and the address book for the whole cluster. */
export function buildClusterNet (o: ClusterObjects): ClusterNet {
  const owners = new Map<number, Owner[]>()
  const pods = new Map<string, PodRef>()
  const nodeObjs = [...o.nodes].sort((a, b) => a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0)
  const podCIDRs: ClusterNet['podCIDRs'] = []
  const info = nodeObjs.map(n => {
    const ips = nodeIPs(n)
    const pc = podCIDROf(n)
    const c = cidr4(pc)
    if (c !== undefined) podCIDRs.push({ node: n.metadata.name, addr: c.addr, mask: c.mask })
    return { n, ips, pc, c, gw: c !== undefined && c.len < 31 ? u32ToIp((c.addr + 1) >>> 0) : undefined }
  })
  const nodeNames = info.map(i => i.n.metadata.name)
  const nodeSet = new Set(nodeNames)
  // pods: scheduled, with an IPv4 address
  const strayByNode = new Map<string, string[]>()
  for (const p of o.pods) {
    const node = p.spec?.nodeName
    const ip = podIP(p)
    if (node === undefined || node === '' || !nodeSet.has(node) || ip === undefined) continue
    const ns = p.metadata.namespace ?? 'default'
    const ref: PodRef = {
      key: `${ns}/${p.metadata.name}`,
      namespace: ns,
      name: p.metadata.name,
      node,
      ip,
      hostNetwork: p.spec.hostNetwork === true,
      ready: (p.status?.conditions ?? []).some(c => c.type === 'Ready' && c.status === 'True'),
      terminating: p.metadata.deletionTimestamp != null
    }
    pods.set(ref.key, ref)
    if (ref.hostNetwork) continue
    addOwner(owners, ipv4(ip), { kind: 'pod', pod: ref })
    const nc = info.find(i => i.n.metadata.name === node)?.c
    if (nc === undefined || !inNet(ipToU32(ip), nc.addr, nc.mask)) {
      const l = strayByNode.get(node)
      if (l === undefined) strayByNode.set(node, [ip]); else l.push(ip)
    }
  }
  const nodes = new Map<string, NodeNet>()
  const allNodeIPs = info.flatMap(i => i.ips.map(a => ipToU32(a)))
  for (const i of info) {
    const name = i.n.metadata.name
    const own = i.ips.map(a => ipToU32(a))
    for (const a of own) addOwner(owners, a, { kind: 'node', node: name })
    if (i.gw !== undefined) addOwner(owners, ipv4(i.gw), { kind: 'gateway', node: name })
    const routes: HostRouteSpec[] = []
    if (own.length > 0) routes.push(...onLinkRoutes(own, allNodeIPs.filter(a => !own.includes(a))))
    for (const j of info) {
      if (j === i || j.ips.length === 0) continue
      if (j.pc !== undefined && j.c !== undefined) routes.push({ dst: `${u32ToIp(j.c.addr)}/${j.c.len}`, via: j.ips[0], dev: 'eth0' })
      for (const ip of strayByNode.get(j.n.metadata.name) ?? []) routes.push({ dst: `${ip}/32`, via: j.ips[0], dev: 'eth0' })
    }
    for (const ip of strayByNode.get(name) ?? []) routes.push({ dst: `${ip}/32`, dev: 'cni0' })
    let defaultGateway = ''
    if (own.length > 0) {
      const net = (own[0] & 0xffffff00) >>> 0
      let g = (net + 1) >>> 0
      if (allNodeIPs.includes(g)) g = (net + 254) >>> 0
      defaultGateway = u32ToIp(g)
      routes.push({ dst: 'default', via: defaultGateway, dev: 'eth0' })
    }
    const host = createHost({
      name,
      interfaces: [
        { name: 'lo', addresses: ['127.0.0.1/8'], loopback: true },
        { name: 'eth0', addresses: i.ips.map(a => `${a}/${ETH0_PREFIX}`) },
        { name: 'cni0', addresses: i.gw !== undefined && i.c !== undefined ? [`${i.gw}/${i.c.len}`] : [] }
      ],
      routes,
      ipForward: true,
      routeLocalnet: o.routeLocalnet?.(name) ?? true
    })
    nodes.set(name, { name, ips: i.ips, ip: i.ips[0] ?? '', ...(i.pc !== undefined ? { podCIDR: i.pc } : {}), ...(i.gw !== undefined ? { gateway: i.gw } : {}), defaultGateway, host })
  }
  for (const s of o.services) {
    const key = `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`
    for (const ip of [s.spec.clusterIP, ...(s.spec.clusterIPs ?? [])]) addOwnerOnce(owners, ipv4(ip), { kind: 'clusterIP', service: key })
    for (const ip of s.spec.externalIPs ?? []) addOwnerOnce(owners, ipv4(ip), { kind: 'externalIP', service: key })
    if (s.spec.type === 'LoadBalancer') for (const ing of s.status?.loadBalancer?.ingress ?? []) addOwnerOnce(owners, ipv4(ing.ip), { kind: 'loadBalancerIP', service: key })
  }
  return { settings: o.settings, nodes, nodeNames, pods, owners, serviceCIDR: cidr4(o.settings.serviceCIDR), clusterCIDR: cidr4(o.settings.clusterCIDR), podCIDRs }
}

function addOwnerOnce (m: Map<number, Owner[]>, a: number | null, o: Owner): void {
  if (a === null) return
  const l = m.get(a)
  if (l?.some(x => JSON.stringify(x) === JSON.stringify(o)) === true) return
  addOwner(m, a, o)
}

export function ownersOf (net: ClusterNet, addr: string): Owner[] {
  const a = ipv4(addr)
  return a === null ? [] : (net.owners.get(a) ?? [])
}

export function nodeOwning (net: ClusterNet, addr: string): string | undefined {
  for (const o of ownersOf(net, addr)) if (o.kind === 'node' || o.kind === 'gateway') return o.node
  return undefined
}

export function podAt (net: ClusterNet, addr: string): PodRef | undefined {
  for (const o of ownersOf(net, addr)) if (o.kind === 'pod') return o.pod
  return undefined
}

/** Which node (if any) an address is routed to: node address, pod IP, or inside a node's pod CIDR. */
export function nodeForAddress (net: ClusterNet, addr: string): string | undefined {
  const n = nodeOwning(net, addr)
  if (n !== undefined) return n
  const p = podAt(net, addr)
  if (p !== undefined) return p.node
  const a = ipv4(addr)
  if (a === null) return undefined
  for (const c of net.podCIDRs) if (inNet(a, c.addr, c.mask)) return c.node
  return undefined
}

/** Is the address part of some network of the cluster (what a trace may target)? */
export function knownDestination (net: ClusterNet, addr: string): boolean {
  const a = ipv4(addr)
  if (a === null) return false
  if ((a >>> 24) === 127) return true
  if (net.owners.has(a)) return true
  if (net.serviceCIDR !== undefined && inNet(a, net.serviceCIDR.addr, net.serviceCIDR.mask)) return true
  if (net.clusterCIDR !== undefined && inNet(a, net.clusterCIDR.addr, net.clusterCIDR.mask)) return true
  for (const c of net.podCIDRs) if (inNet(a, c.addr, c.mask)) return true
  return false
}

/** Human name of an address, e.g. `node-1`, `pod default/web-1`, `cluster IP of default/web`. */
export function describeAddress (net: ClusterNet, addr: string): string {
  const os = ownersOf(net, addr)
  if (os.length === 0) {
    const a = ipv4(addr)
    if (a !== null && (a >>> 24) === 127) return 'loopback'
    if (a !== null && net.serviceCIDR !== undefined && inNet(a, net.serviceCIDR.addr, net.serviceCIDR.mask)) return 'unallocated address in the service CIDR'
    const n = nodeForAddress(net, addr)
    if (n !== undefined) return `unused address in the pod CIDR of ${n}`
    return 'outside the cluster'
  }
  return os.map(o => {
    switch (o.kind) {
      case 'node': return `node ${o.node}`
      case 'gateway': return `cni0 gateway of ${o.node}`
      case 'pod': return `pod ${o.pod.key}`
      case 'clusterIP': return `cluster IP of ${o.service}`
      case 'externalIP': return `external IP of ${o.service}`
      case 'loadBalancerIP': return `load-balancer IP of ${o.service}`
    }
  }).join(', ')
}
