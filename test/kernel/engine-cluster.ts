/**
 * The engine's prediction of a packet's fate in a namespace cluster (client, nodes, pods as
 * topology.ts builds them), used until the product's cluster trace (`POST /api/v1/clusters/{c}/traces`)
 * exists: each node is an engine host with its generated rules; a packet is evaluated in `all` mode on
 * the node it enters, follows EGRESS to the next node or to a pod on cni0, and the pod's reply (SYN-ACK
 * / UDP answer) is evaluated back through the nodes with each branch's own conntrack state. The result
 * is every possible outcome with its probability, in the same terms the kernel run reports: which pod
 * answered, the source address it saw, the address the client saw the reply from, refused, timeout.
 */
import type { TopologySpec } from './topology.ts'
import { nodeHostSpec } from './topology.ts'

type AnyFn = (...args: any[]) => any

export interface EngineApi {
  parseRuleset: AnyFn
  prepareRuleset: AnyFn
  evaluatePacket: AnyFn
  createEngineState: AnyFn
  createHost: AnyFn
}

export type FateKind = 'ok' | 'refused' | 'timeout' | 'unreachable' | 'unknown'

export interface Fate {
  probability: number
  kind: FateKind
  pod?: string
  /** source address the pod saw */
  sawSrc?: string
  /** address the client saw the reply from (address only; ports of random NAT aside) */
  replyFrom?: string
  /** how the engine got there, for reports */
  path: string[]
}

export interface FateRequest {
  from: { kind: 'client' } | { kind: 'pod', name: string } | { kind: 'node', name: string }
  proto: 'tcp' | 'udp'
  dst: string
  port: number
}

/** The comparable key of a fate: `ok pod-1-2 saw=10.244.1.1 reply=10.96.0.10`, `refused`, `timeout`, ... */
export function fateKey (f: { kind: string, pod?: string, sawSrc?: string, replyFrom?: string }): string {
  return f.kind === 'ok' ? `ok ${f.pod ?? '?'} saw=${f.sawSrc ?? '?'} reply=${f.replyFrom ?? '?'}` : f.kind
}

function inCidr (ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/')
  const toN = (x: string): number => x.split('.').reduce((acc, b) => acc * 256 + Number(b), 0)
  const size = Math.pow(2, 32 - Number(len))
  return Math.floor(toN(ip) / size) === Math.floor(toN(net) / size)
}

interface NodeEngine { name: string, ip: string, podCidr: string, prepared: unknown, host: unknown }

export class EngineCluster {
  private readonly nodes = new Map<string, NodeEngine>()
  private readonly podByIp = new Map<string, { name: string, node: string }>()

  constructor (private readonly api: EngineApi, private readonly spec: TopologySpec, rulesByNode: Map<string, string>) {
    for (const n of spec.nodes) {
      const parsed = api.parseRuleset(rulesByNode.get(n.name) ?? '')
      this.nodes.set(n.name, { name: n.name, ip: n.ip, podCidr: n.podCidr, prepared: api.prepareRuleset(parsed), host: api.createHost(nodeHostSpec(spec, n.name)) })
      for (const p of n.pods) this.podByIp.set(p.ip, { name: p.name, node: n.name })
    }
  }

  private nodeByIp (ip: string): NodeEngine | undefined {
    for (const n of this.nodes.values()) if (n.ip === ip) return n
    return undefined
  }

  /** Every possible fate of the request with its probability (they sum to 1). */
  fates (req: FateRequest, sport = 40000): Fate[] {
    const states = new Map<string, unknown>()
    for (const n of this.nodes.values()) states.set(n.name, this.api.createEngineState({ seed: 1 }))
    const pkt: Record<string, unknown> = { dst: req.dst, proto: req.proto, sport, dport: req.port }
    if (req.proto === 'tcp') pkt.tcpFlags = ['SYN']
    const orig = { addr: req.dst, port: req.port }
    if (req.from.kind === 'client') {
      pkt.src = this.spec.client.ip
      pkt.inIface = 'eth0'
      const direct = this.nodeByIp(req.dst)
      const first = direct ?? this.nodes.get(this.spec.clientRoutesVia?.[0]?.node ?? this.spec.nodes[0].name)!
      return this.hop(first, pkt, 'ingress', states, 1, [`client → ${first.name}`], orig, 0)
    }
    if (req.from.kind === 'pod') {
      const pod = [...this.podByIp.entries()].find(([, p]) => p.name === (req.from as { name: string }).name)
      if (pod === undefined) throw new Error(`unknown pod ${req.from.name}`)
      pkt.src = pod[0]
      pkt.inIface = 'cni0'
      return this.hop(this.nodes.get(pod[1].node)!, pkt, 'ingress', states, 1, [`${pod[1].name} → ${pod[1].node}`], orig, 0)
    }
    const node = this.nodes.get(req.from.name)!
    return this.hop(node, pkt, 'local', states, 1, [`process on ${node.name}`], orig, 0)
  }

  private hop (node: NodeEngine, pkt: Record<string, unknown>, origin: 'ingress' | 'local', states: Map<string, unknown>, prob: number, path: string[], orig: { addr: string, port: number }, depth: number): Fate[] {
    if (depth > 6) return [{ probability: prob, kind: 'unknown', path: [...path, 'too many hops'] }]
    const res = this.api.evaluatePacket(node.prepared, node.host, pkt, states.get(node.name), { mode: 'all', backend: 'nft', origin })
    const out: Fate[] = []
    for (const b of res.branches as any[]) {
      const st = new Map(states)
      st.set(node.name, b.state)
      const p = prob * b.probability
      const o = b.outcome
      const here = [...path, `${node.name}: ${o.kind}${o.outIface !== undefined ? ` via ${o.outIface as string} → ${o.nextHop as string}` : ''}${o.reason !== undefined ? ` (${o.reason as string})` : ''}`]
      switch (o.kind) {
        case 'DELIVERED':
          // no listener on the node for service ports: TCP answers RST, UDP port unreachable
          out.push({ probability: p, kind: 'refused', path: [...here, 'no listener on the node'] })
          break
        case 'REJECTED':
          out.push({ probability: p, kind: ['icmp-port-unreachable', 'tcp-reset'].includes(o.with) ? 'refused' : 'unreachable', path: here })
          break
        case 'DROPPED':
        case 'QUEUED':
          out.push({ probability: p, kind: 'timeout', path: here })
          break
        case 'NO_ROUTE':
          out.push({ probability: p, kind: 'unreachable', path: here })
          break
        case 'EGRESS': {
          const snap = o.packet
          const next: Record<string, unknown> = { src: snap.src, dst: snap.dst, proto: pkt.proto, sport: snap.sport, dport: snap.dport, inIface: 'eth0' }
          if (pkt.tcpFlags !== undefined) next.tcpFlags = pkt.tcpFlags
          if (o.outIface === 'cni0') {
            const pod = this.podByIp.get(snap.dst)
            if (pod === undefined || pod.node !== node.name) { out.push({ probability: p, kind: 'timeout', path: [...here, `no pod ${snap.dst as string} on ${node.name}`] }); break }
            out.push(...this.reply(pod, snap, st, p, here, orig, pkt, depth))
          } else {
            const nn = this.nodeByIp(o.nextHop) ?? this.nodeByIp(snap.dst)
            if (nn !== undefined && nn !== node) out.push(...this.hop(nn, next, 'ingress', st, p, here, orig, depth + 1))
            else out.push({ probability: p, kind: 'timeout', path: [...here, 'left the cluster'] })
          }
          break
        }
        default:
          out.push({ probability: p, kind: 'unknown', path: here })
      }
    }
    return out
  }

  /** The pod answers the packet it received; follow the answer back to the requester. */
  private reply (pod: { name: string, node: string }, seen: any, states: Map<string, unknown>, prob: number, path: string[], orig: { addr: string, port: number }, req: Record<string, unknown>, depth: number): Fate[] {
    const base = { pod: pod.name, sawSrc: String(seen.src) }
    const rpkt: Record<string, unknown> = { src: seen.dst, dst: seen.src, proto: req.proto, sport: seen.dport, dport: seen.sport, inIface: 'cni0' }
    if (req.proto === 'tcp') rpkt.tcpFlags = ['SYN', 'ACK']
    const node = this.nodes.get(pod.node)!
    const done = (from: string, port: number, p: number, how: string[]): Fate => {
      const ok = from === orig.addr && port === orig.port
      return { probability: p, kind: ok ? 'ok' : 'timeout', ...base, replyFrom: from, path: [...how, ok ? `reply from ${from}:${port}` : `reply from ${from}:${port} ≠ ${orig.addr}:${orig.port}: the requester's socket ignores it`] }
    }
    // a requester in the same pod subnet (not the cni0 gateway, which is the node itself) gets the
    // answer over the bridge, without the node's netfilter (br_netfilter is off in the lab)
    const gateway = node.podCidr.replace(/\.0\/\d+$/, '.1')
    if (String(seen.src) !== gateway && inCidr(String(seen.src), node.podCidr)) return [done(String(seen.dst), Number(seen.dport), prob, [...path, `${pod.name} answers over the bridge`])]
    const walk = (n: NodeEngine, pkt: Record<string, unknown>, st: Map<string, unknown>, p: number, how: string[], d: number): Fate[] => {
      if (d > 6) return [{ probability: p, kind: 'unknown', ...base, path: [...how, 'too many hops'] }]
      const res = this.api.evaluatePacket(n.prepared, n.host, pkt, st.get(n.name), { mode: 'all', backend: 'nft', origin: 'ingress' })
      const out: Fate[] = []
      for (const b of res.branches as any[]) {
        const st2 = new Map(st)
        st2.set(n.name, b.state)
        const o = b.outcome
        const q = p * b.probability
        const here = [...how, `reply on ${n.name}: ${o.kind}${o.outIface !== undefined ? ` via ${o.outIface as string} → ${o.nextHop as string}` : ''}`]
        if (o.kind === 'DELIVERED') { out.push(done(o.packet.src, o.packet.sport, q, here)); continue }
        if (o.kind !== 'EGRESS') { out.push({ probability: q, kind: 'timeout', ...base, path: here }); continue }
        const snap = o.packet
        const nn = this.nodeByIp(o.nextHop)
        if (o.outIface === 'eth0' && nn !== undefined && nn !== n) {
          out.push(...walk(nn, { src: snap.src, dst: snap.dst, proto: pkt.proto, sport: snap.sport, dport: snap.dport, inIface: 'eth0', ...(pkt.tcpFlags !== undefined ? { tcpFlags: pkt.tcpFlags } : {}) }, st2, q, here, d + 1))
        } else {
          out.push(done(snap.src, snap.sport, q, here))
        }
      }
      return out
    }
    return walk(node, rpkt, states, prob, [...path, `${pod.name} saw ${String(seen.src)}`], depth + 1)
  }
}

/** Merges fates with the same key, summing probabilities. */
export function fateDistribution (fates: Fate[]): Map<string, { probability: number, example: Fate }> {
  const m = new Map<string, { probability: number, example: Fate }>()
  for (const f of fates) {
    const k = fateKey(f)
    const e = m.get(k)
    if (e === undefined) m.set(k, { probability: f.probability, example: f })
    else e.probability += f.probability
  }
  return m
}
