/**
 * Seeded random clusters for the differential runs: 1–3 nodes on 192.168.50.0/24 (client .2), pod
 * CIDRs 10.244.<i+1>.0/24, services of every type and policy (ClusterIP, NodePort, LoadBalancer with
 * ingress IPs and source ranges, externalIPs, externalTrafficPolicy / internalTrafficPolicy Local,
 * ClientIP affinity, TCP/UDP, one or two ports) over endpoints that are ready, terminating (serving or
 * not) or not ready, in the `current` or `legacy` kube-proxy profile. Pods serve TCP and UDP on 8080
 * and 8081, so every generated target port has a real listener.
 */
import type { ClusterSettings, EndpointSlice, Node, Service, Protocol } from '../../src/cluster/model.ts'
import { rng, int, pick, chance } from './random-rules.ts'
import type { Rng } from './random-rules.ts'
import type { TopologySpec } from './topology.ts'

export const POD_PORTS = [8080, 8081]
export const CLIENT_IP = '192.168.50.2'

export interface ClusterNode {
  node: Node
  name: string
  ip: string
  podCidr: string
  pods: Array<{ name: string, ip: string }>
}

export interface RandomCluster {
  seed: number
  settings: ClusterSettings
  nodes: ClusterNode[]
  services: Service[]
  slices: EndpointSlice[]
  /** generator options matching a real node (iptables 1.8.9 has --random-fully; no nfacct tool here) */
  options: { markStyle: 'kube-proxy', randomFully: boolean, nfacct: boolean }
  /** external client address on the node network (default CLIENT_IP) */
  clientIp?: string
  /** ports every pod serves, TCP and UDP (default POD_PORTS) */
  podPorts?: number[]
}

function uniq (r: Rng, used: Set<string>, make: () => string): string {
  for (;;) {
    const v = make()
    if (!used.has(v)) { used.add(v); return v }
  }
}

export function randomCluster (seed: number, opts: { maxNodes?: number, maxServices?: number, profile?: 'current' | 'legacy' } = {}): RandomCluster {
  const r = rng(seed * 7919 + 17)
  const profile = opts.profile ?? (chance(r, 0.75) ? 'current' : 'legacy')
  const settings: ClusterSettings = {
    name: `rc${seed}`,
    serviceCIDR: '10.96.0.0/12',
    clusterCIDR: '10.244.0.0/16',
    nodePortRange: { min: 30000, max: 32767 },
    kubeProxy: {
      profile,
      masqueradeAll: chance(r, 0.1),
      nodePortAddresses: [],
      localhostNodePorts: chance(r, 0.8),
      masqueradeBit: 14
    }
  }
  const nodeCount = int(r, 1, opts.maxNodes ?? 3)
  const nodes: ClusterNode[] = []
  for (let i = 0; i < nodeCount; i++) {
    const name = `node-${i + 1}`
    const ip = `192.168.50.${10 + i}`
    const podCidr = `10.244.${i + 1}.0/24`
    const pods = Array.from({ length: int(r, 1, 3) }, (_, j) => ({ name: `pod-${i + 1}-${j + 1}`, ip: `10.244.${i + 1}.${10 + j}` }))
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      spec: { podCIDR: podCidr, podCIDRs: [podCidr] },
      status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] }
    }
    nodes.push({ node, name, ip, podCidr, pods })
  }
  const allPods = nodes.flatMap(n => n.pods.map(p => ({ ...p, node: n.name })))
  const usedIPs = new Set<string>()
  const usedNodePorts = new Set<string>()
  const services: Service[] = []
  const slices: EndpointSlice[] = []
  const svcCount = int(r, 1, opts.maxServices ?? 4)
  for (let s = 0; s < svcCount; s++) {
    const name = `svc-${s + 1}`
    const namespace = pick(r, ['default', 'team-a'])
    const type = pick(r, ['ClusterIP', 'ClusterIP', 'NodePort', 'NodePort', 'LoadBalancer'] as const)
    const portCount = chance(r, 0.25) ? 2 : 1
    const ports = Array.from({ length: portCount }, (_, k) => {
      const protocol: Protocol = chance(r, 0.7) ? 'TCP' : 'UDP'
      return {
        name: portCount === 1 && chance(r, 0.5) ? '' : pick(r, ['http', 'dns', 'metrics']) + (k > 0 ? `-${k}` : ''),
        protocol,
        port: pick(r, [80, 443, 53, 8080, 9000]) + k,
        targetPort: POD_PORTS[k % 2],
        ...(type !== 'ClusterIP' ? { nodePort: Number(uniq(r, usedNodePorts, () => String(int(r, 30000, 32767)))) } : {})
      }
    })
    const external = type !== 'ClusterIP'
    const spec: Service['spec'] = {
      type,
      clusterIP: uniq(r, usedIPs, () => `10.96.${int(r, 0, 15)}.${int(r, 1, 254)}`),
      ports,
      selector: { app: name },
      sessionAffinity: chance(r, 0.2) ? 'ClientIP' : 'None',
      ...(external ? { externalTrafficPolicy: chance(r, 0.35) ? 'Local' as const : 'Cluster' as const } : {}),
      ...(chance(r, 0.15) ? { internalTrafficPolicy: 'Local' as const } : {}),
      ...(chance(r, 0.15) ? { externalIPs: [uniq(r, usedIPs, () => `198.51.100.${int(r, 1, 254)}`)] } : {})
    }
    if (spec.sessionAffinity === 'ClientIP') spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: pick(r, [10800, 60]) } }
    const ingress: Array<{ ip: string }> = []
    if (type === 'LoadBalancer') {
      ingress.push({ ip: uniq(r, usedIPs, () => `203.0.113.${int(r, 1, 254)}`) })
      if (chance(r, 0.4)) spec.loadBalancerSourceRanges = [pick(r, ['192.168.50.0/24', '10.0.0.0/8', '198.18.0.0/15'])]
      if (spec.externalTrafficPolicy === 'Local') spec.healthCheckNodePort = Number(uniq(r, usedNodePorts, () => String(int(r, 30000, 32767))))
    }
    services.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec, status: { loadBalancer: ingress.length > 0 ? { ingress } : {} } })
    // endpoints: a random subset of pods, mostly ready
    const members = allPods.filter(() => chance(r, 0.45))
    if (members.length === 0 && chance(r, 0.8)) members.push(pick(r, allPods))
    slices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-abcde`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: members.map(p => {
        const k = r()
        const conditions = k < 0.75 ? { ready: true, serving: true, terminating: false }
          : k < 0.88 ? { ready: false, serving: true, terminating: true }
            : k < 0.94 ? { ready: false, serving: false, terminating: true }
              : { ready: false, serving: false, terminating: false }
        return { addresses: [p.ip], conditions, nodeName: p.node, targetRef: { kind: 'Pod' as const, namespace, name: p.name } }
      }),
      ports: ports.map(p => ({ name: p.name, protocol: p.protocol, port: p.targetPort }))
    })
  }
  return { seed, settings, nodes, services, slices, options: { markStyle: 'kube-proxy', randomFully: true, nfacct: false } }
}

/** GenerateInput for one node of the cluster. */
export function nodeInput (c: RandomCluster, nodeName: string): { settings: ClusterSettings, node: Node, nodes: Node[], services: Service[], endpointSlices: EndpointSlice[], options: RandomCluster['options'] } {
  const n = c.nodes.find(x => x.name === nodeName)
  if (n === undefined) throw new Error(`no node ${nodeName}`)
  return { settings: c.settings, node: n.node, nodes: c.nodes.map(x => x.node), services: c.services, endpointSlices: c.slices, options: c.options }
}

/** The namespace topology of the cluster: client on the node network, every node and pod. */
export function clusterTopology (c: RandomCluster): TopologySpec {
  const first = c.nodes[0].name
  const vips: string[] = []
  for (const s of c.services) {
    for (const ip of s.spec.externalIPs ?? []) vips.push(`${ip}/32`)
    for (const i of s.status.loadBalancer.ingress ?? []) if (i.ip !== undefined) vips.push(`${i.ip}/32`)
  }
  return {
    client: { ip: c.clientIp ?? CLIENT_IP },
    nodes: c.nodes.map(n => ({ name: n.name, ip: n.ip, podCidr: n.podCidr, pods: n.pods })),
    // the client reaches service IPs and pod CIDRs through the first node (its "ingress" node)
    clientRoutesVia: [{ dst: '10.96.0.0/12', node: first }, { dst: '10.244.0.0/16', node: first }, ...vips.map(dst => ({ dst, node: first }))],
    podTcpPorts: c.podPorts ?? POD_PORTS,
    podUdpPorts: c.podPorts ?? POD_PORTS
  }
}

export interface ClusterRequest {
  from: { kind: 'client' } | { kind: 'pod', name: string } | { kind: 'node', name: string }
  proto: 'tcp' | 'udp'
  dst: string
  port: number
  /** what the request exercises, for reports */
  what: string
}

/**
 * Requests worth sending in a cluster: per service port, from the external client to the ClusterIP,
 * every node's NodePort, the load-balancer and external IPs; from a pod and from a node process to the
 * ClusterIP; a node process to 127.0.0.1:nodePort; an endpoint pod to its own service (hairpin).
 */
export function clusterRequests (c: RandomCluster): ClusterRequest[] {
  const r = rng(c.seed * 31 + 7)
  const out: ClusterRequest[] = []
  const pods = c.nodes.flatMap(n => n.pods)
  for (const s of c.services) {
    const id = `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`
    for (const p of s.spec.ports) {
      const proto = p.protocol === 'UDP' ? 'udp' : 'tcp'
      const tag = `${id}:${p.name ?? ''}/${proto}`
      out.push({ from: { kind: 'client' }, proto, dst: s.spec.clusterIP!, port: p.port, what: `client → ClusterIP ${tag}` })
      if (p.nodePort !== undefined) {
        for (const n of c.nodes) out.push({ from: { kind: 'client' }, proto, dst: n.ip, port: p.nodePort, what: `client → NodePort on ${n.name} ${tag}` })
        const n = pick(r, c.nodes)
        out.push({ from: { kind: 'node', name: n.name }, proto, dst: '127.0.0.1', port: p.nodePort, what: `${n.name} process → 127.0.0.1 NodePort ${tag}` })
      }
      for (const i of s.status.loadBalancer.ingress ?? []) if (i.ip !== undefined) out.push({ from: { kind: 'client' }, proto, dst: i.ip, port: p.port, what: `client → LoadBalancer ${i.ip} ${tag}` })
      for (const ip of s.spec.externalIPs ?? []) out.push({ from: { kind: 'client' }, proto, dst: ip, port: p.port, what: `client → externalIP ${ip} ${tag}` })
      const pod = pick(r, pods)
      out.push({ from: { kind: 'pod', name: pod.name }, proto, dst: s.spec.clusterIP!, port: p.port, what: `${pod.name} → ClusterIP ${tag}` })
      const n = pick(r, c.nodes)
      out.push({ from: { kind: 'node', name: n.name }, proto, dst: s.spec.clusterIP!, port: p.port, what: `${n.name} process → ClusterIP ${tag}` })
      const slice = c.slices.find(x => x.metadata.labels?.['kubernetes.io/service-name'] === s.metadata.name && x.metadata.namespace === s.metadata.namespace)
      const ep = slice?.endpoints.find(e => e.conditions.ready === true)
      const self = ep !== undefined ? pods.find(x => x.ip === ep.addresses[0]) : undefined
      if (self !== undefined) out.push({ from: { kind: 'pod', name: self.name }, proto, dst: s.spec.clusterIP!, port: p.port, what: `${self.name} → own service (hairpin) ${tag}` })
    }
  }
  return out
}
