/**
 * Builds a small cluster-shaped network out of namespaces:
 *
 *   client ──┐                       ┌── pod (eth0 = 10.244.1.5/24, default via 10.244.1.1)
 *            ├── wire (bridge br0) ──┤ node: eth0 = node IP, cni0 (bridge) = pod gateway
 *   node-i ──┘                       └── pod ...
 *
 * Every node forwards (ip_forward=1), has `route_localnet=1` on all interfaces (kube-proxy sets it
 * for localhost NodePorts), routes the other nodes' pod CIDRs via their node IPs (host-gateway style)
 * and a default route to the client (so host processes can reach ClusterIPs, as on a real node).
 * Pod veths are bridge ports of cni0 with hairpin mode on, as CNI bridge plugins configure them.
 * ICMP error rate limiting is off on nodes (net.ipv4.icmp_ratelimit=0): the engine models no timing.
 * All addresses are private test addresses and the wire bridge lives in its own namespace, so nothing
 * reaches the host's network.
 */
import { run } from './netns.ts'
import type { Lab, Background } from './netns.ts'
import { fileURLToPath } from 'node:url'

export const AGENT = fileURLToPath(new URL('./agent.mjs', import.meta.url))

export interface PodSpec { name: string, ip: string }
export interface NodeSpec {
  name: string
  /** node address on the wire, e.g. 192.168.50.1 */
  ip: string
  /** pod CIDR of this node, e.g. 10.244.1.0/24; its first address is the cni0 gateway */
  podCidr: string
  pods: PodSpec[]
  /** host-process servers on the node (ports), e.g. 9000 */
  hostTcpPorts?: number[]
}
export interface TopologySpec {
  /** node network prefix length (all node IPs and the client share it), default 24 */
  wirePrefix?: number
  client: { ip: string }
  nodes: NodeSpec[]
  /** destination prefixes the client routes via the first node (service CIDR etc.) */
  clientRoutesVia?: Array<{ dst: string, node: string }>
  /** ports every pod serves (TCP and UDP) */
  podTcpPorts: number[]
  podUdpPorts: number[]
  /** node default route via the client (default true) */
  nodeDefaultRoute?: boolean
}

export interface Topology {
  spec: TopologySpec
  clientNs: string
  nodeNs: Map<string, string>
  podNs: Map<string, string>
  servers: Map<string, Background>
}

export function gatewayOf (podCidr: string): string {
  const [net, len] = podCidr.split('/')
  const parts = net.split('.').map(Number)
  parts[3] += 1
  return `${parts.join('.')}/${len}`
}

/** Creates the namespaces, links, addresses, routes and sysctls; starts the pod servers. */
export async function buildTopology (lab: Lab, spec: TopologySpec): Promise<Topology> {
  const prefix = spec.wirePrefix ?? 24
  const cmds = new Map<string, string[]>()
  const sh = (ns: string, line: string): void => { if (!cmds.has(ns)) cmds.set(ns, []); cmds.get(ns)!.push(line) }
  // veth pairs are created from the host namespace straight into their namespaces; everything else
  // is configured inside each namespace with one shell per namespace
  const veth = (nsA: string, ifA: string, nsB: string, ifB: string): void => {
    run(['ip', 'link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB])
    sh(nsA, `ip link set ${ifA} up`)
    sh(nsB, `ip link set ${ifB} up`)
  }
  const wire = lab.ns('wire')
  sh(wire, 'ip link add br0 type bridge')
  sh(wire, 'ip link set br0 up')
  const clientNs = lab.ns('client')
  veth(clientNs, 'eth0', wire, 'c0')
  sh(wire, 'ip link set c0 master br0')
  sh(clientNs, `ip addr add ${spec.client.ip}/${prefix} dev eth0`)
  const nodeNs = new Map<string, string>()
  const podNs = new Map<string, string>()
  spec.nodes.forEach((node, i) => {
    const ns = lab.ns(`n${i}`)
    nodeNs.set(node.name, ns)
    veth(ns, 'eth0', wire, `n${i}`)
    sh(wire, `ip link set n${i} master br0`)
    sh(ns, `ip addr add ${node.ip}/${prefix} dev eth0`)
    sh(ns, 'ip link add cni0 type bridge')
    sh(ns, 'ip link set cni0 up')
    sh(ns, `ip addr add ${gatewayOf(node.podCidr)} dev cni0`)
    sh(ns, 'echo 1 > /proc/sys/net/ipv4/ip_forward')
    // the kernel rate-limits ICMP errors per destination (token bucket: burst 6, then 1/s), so a burst
    // of REJECTed connections from one client would partly time out; the engine models no timing, so
    // the lab switches the limit off (a known, deliberate difference, see kernel-disagreements.md)
    sh(ns, 'echo 0 > /proc/sys/net/ipv4/icmp_ratelimit')
    for (const dev of ['all', 'default', 'lo', 'eth0', 'cni0']) sh(ns, `echo 1 > /proc/sys/net/ipv4/conf/${dev}/route_localnet`)
    node.pods.forEach((pod, j) => {
      const pns = lab.ns(`n${i}p${j}`)
      podNs.set(pod.name, pns)
      veth(pns, 'eth0', ns, `veth${j}`)
      // pod veths are bridge ports with hairpin on, as the CNI bridge plugin sets them up
      sh(ns, `ip link set veth${j} master cni0`)
      sh(ns, `ip link set veth${j} type bridge_slave hairpin on`)
      sh(pns, `ip addr add ${pod.ip}/${node.podCidr.split('/')[1]} dev eth0`)
      sh(pns, `ip route add default via ${gatewayOf(node.podCidr).split('/')[0]}`)
    })
  })
  spec.nodes.forEach(node => {
    const ns = nodeNs.get(node.name)!
    for (const other of spec.nodes) {
      if (other !== node) sh(ns, `ip route add ${other.podCidr} via ${other.ip}`)
    }
    if (spec.nodeDefaultRoute ?? true) sh(ns, `ip route add default via ${spec.client.ip}`)
  })
  for (const r of spec.clientRoutesVia ?? []) {
    const node = spec.nodes.find(n => n.name === r.node)
    if (node === undefined) throw new Error(`unknown node ${r.node}`)
    sh(clientNs, `ip route add ${r.dst} via ${node.ip}`)
  }
  for (const [ns, lines] of cmds) lab.script(ns, lines)
  const servers = new Map<string, Background>()
  for (const node of spec.nodes) {
    for (const pod of node.pods) {
      servers.set(pod.name, lab.spawn(podNs.get(pod.name)!, [process.execPath, AGENT, 'serve', pod.name, spec.podTcpPorts.join(',') || '-', spec.podUdpPorts.join(',') || '-']))
    }
    if ((node.hostTcpPorts ?? []).length > 0) {
      servers.set(node.name, lab.spawn(nodeNs.get(node.name)!, [process.execPath, AGENT, 'serve', node.name, node.hostTcpPorts!.join(','), '-']))
    }
  }
  await Promise.all([...servers.values()].map(async s => await s.waitFor(o => o.includes('READY'), 30_000)))
  return { spec, clientNs, nodeNs, podNs, servers }
}

/** The setup.sh topology of the golden captures: client 192.168.50.2, node 192.168.50.1, pod 10.244.1.5. */
export function goldenSpec (): TopologySpec {
  return {
    client: { ip: '192.168.50.2' },
    nodes: [{ name: 'r', ip: '192.168.50.1', podCidr: '10.244.1.0/24', pods: [{ name: 'p', ip: '10.244.1.5' }], hostTcpPorts: [9000] }],
    clientRoutesVia: [{ dst: '10.96.0.0/12', node: 'r' }, { dst: '10.244.0.0/16', node: 'r' }],
    podTcpPorts: [8080],
    podUdpPorts: [8080]
  }
}

/** The engine's host description of a node namespace built by buildTopology (same addresses and routes). */
export function nodeHostSpec (spec: TopologySpec, nodeName: string): {
  name: string
  interfaces: Array<{ name: string, addresses: string[], routeLocalnet: boolean }>
  routes: Array<{ dst: string, via: string }>
  ipForward: boolean
  routeLocalnet: boolean
} {
  const node = spec.nodes.find(n => n.name === nodeName)
  if (node === undefined) throw new Error(`unknown node ${nodeName}`)
  const routes: Array<{ dst: string, via: string }> = []
  for (const other of spec.nodes) if (other !== node) routes.push({ dst: other.podCidr, via: other.ip })
  if (spec.nodeDefaultRoute ?? true) routes.push({ dst: 'default', via: spec.client.ip })
  return {
    name: nodeName,
    interfaces: [
      { name: 'lo', addresses: ['127.0.0.1/8'], routeLocalnet: true },
      { name: 'eth0', addresses: [`${node.ip}/${spec.wirePrefix ?? 24}`], routeLocalnet: true },
      { name: 'cni0', addresses: [gatewayOf(node.podCidr)], routeLocalnet: true }
    ],
    routes,
    ipForward: true,
    routeLocalnet: true
  }
}
