/**
 * The multi-node walk. The packet is injected where it starts (an external client's packet in the
 * ingress node's PREROUTING on eth0, a pod's in its node's PREROUTING from cni0, a host process's in
 * OUTPUT), evaluated by the engine on that node, and its per-node outcome is followed: out of cni0 to a
 * local pod (delivered), across eth0 to another node's IP (evaluated again there, with that node's
 * own conntrack), to the host itself (a local process), or out of the cluster; drops, rejects and
 * missing routes end the path. In `all` mode every random branch of every node is followed and the
 * path probability is the product of the kernel-quantised draws along the path.
 */
import { evaluatePacket, snapshotToPacket, type Backend, type Branch, type EngineState, type HookName, type Host, type Outcome, type Packet, type PacketSnapshot, type Prepared, type Step } from '../../netfilter/index.ts'
import { nodeOwning, podAt, type ClusterNet } from './topology.ts'
import type { Final, Hop, Path, TraceRequest } from './types.ts'

export const MAX_NODE_HOPS = 8
export const MAX_PATHS = 4096

export interface NodeRuntime {
  prepared: Prepared
  host: Host
  /**
   * Which iptables the node runs: today's nodes use iptables-nft (only built-in chains that hold rules
   * are hooked), the seed's era iptables-legacy (every built-in chain of a loaded table is hooked).
   */
  backend?: Backend
}

export interface WalkEnv {
  net: ClusterNet
  runtime: (node: string) => NodeRuntime
  /** fresh per-trace state of a node (empty conntrack; the cluster's recent tables; seeded PRNG; clock) */
  baseState: (node: string) => EngineState
  detail: 'full' | 'matched'
  /** most paths an `all` walk may enumerate (KUBENETSIM_MAX_TRACE_BRANCHES; default MAX_PATHS) */
  maxPaths?: number
}

export class TraceLimitError extends Error {}

/** Why an `all` walk stopped, naming the server's limit when the route set one. */
export function pathLimitMessage (env: Pick<WalkEnv, 'maxPaths'>): string {
  const max = env.maxPaths ?? MAX_PATHS
  return `more than ${max} possible paths${env.maxPaths !== undefined ? ' (the server\'s limit, KUBENETSIM_MAX_TRACE_BRANCHES)' : ''}; use mode sample`
}

interface Acc { probability: number, hops: Hop[], states: Map<string, EngineState> }

function hooksOf (steps: Step[]): HookName[] {
  const out: HookName[] = []
  for (const s of steps) {
    const h = s.hook
    if (h !== undefined && out[out.length - 1] !== h) out.push(h)
  }
  return out
}

function firstPacket (b: Branch): PacketSnapshot {
  for (const s of b.steps) if (s.packet !== undefined) return s.packet
  return b.packetAfter
}

function makeHop (node: string, origin: 'ingress' | 'local', inIface: string, b: Branch): Hop {
  return {
    node,
    entry: origin === 'local' ? 'OUTPUT' : 'PREROUTING',
    inIface,
    packetIn: firstPacket(b),
    packetOut: b.outcome.packet,
    hooks: hooksOf(b.steps),
    steps: b.steps,
    outcome: b.outcome,
    probability: b.probability,
    choices: b.choices
  }
}

type Next = { kind: 'continue', node: string, packet: Packet } | { kind: 'final', final: Final }

/** What happens after a node's verdict. */
export function classify (net: ClusterNet, node: string, o: Outcome): Next {
  switch (o.kind) {
    case 'EGRESS': {
      const p = o.packet
      if (o.outIface === 'cni0') {
        const pod = podAt(net, o.nextHop)
        if (pod !== undefined && pod.node === node) {
          return { kind: 'final', final: { kind: 'DELIVERED', node, pod, address: p.dst, ...(p.dport !== undefined ? { port: p.dport } : {}), seenSource: p.src, ...(p.sport !== undefined ? { seenPort: p.sport } : {}) } }
        }
        return { kind: 'final', final: { kind: 'NO_ROUTE', node, engineReason: `no pod has address ${o.nextHop} on ${node}: the neighbour lookup on cni0 fails (host unreachable)` } }
      }
      const next = o.outIface === 'eth0' ? nodeOwning(net, o.nextHop) : undefined
      if (next !== undefined && next !== node && net.nodes.has(next)) {
        const pk = snapshotToPacket(p)
        pk.inIface = 'eth0'
        pk.mark = 0 // skb->mark does not cross the wire
        return { kind: 'continue', node: next, packet: pk }
      }
      return { kind: 'final', final: { kind: 'EXTERNAL', node, nextHop: o.nextHop, packet: p } }
    }
    case 'DELIVERED': {
      const p = o.packet
      return { kind: 'final', final: { kind: 'LOCAL', node, address: p.dst, ...(p.dport !== undefined ? { port: p.dport } : {}), seenSource: p.src, ...(p.sport !== undefined ? { seenPort: p.sport } : {}) } }
    }
    case 'REJECTED': return { kind: 'final', final: { kind: 'REJECTED', node, with: o.with, at: o.at } }
    case 'DROPPED': return { kind: 'final', final: { kind: 'DROPPED', node, ...(o.at !== undefined ? { at: o.at } : {}), engineReason: o.reason } }
    case 'NO_ROUTE': return { kind: 'final', final: { kind: 'NO_ROUTE', node, engineReason: o.reason } }
    case 'QUEUED': return { kind: 'final', final: { kind: 'UNKNOWN', node, at: o.at, engineReason: 'queued to userspace (NFQUEUE): the verdict is not known' } }
    case 'UNKNOWN': return { kind: 'final', final: { kind: 'UNKNOWN', node, at: o.at, engineReason: o.reason } }
  }
}

/** Evaluates `packet` on `node` and follows every resulting branch; appends finished paths to `out`. */
export function walkFrom (env: WalkEnv, mode: 'all' | 'sample', node: string, packet: Packet, origin: 'ingress' | 'local', acc: Acc, out: Path[], depth = 0): void {
  const rt = env.runtime(node)
  const st = acc.states.get(node) ?? env.baseState(node)
  const max = env.maxPaths ?? MAX_PATHS
  const res = evaluatePacket(rt.prepared, rt.host, packet, st, { mode, detail: env.detail, origin, maxBranches: max, backend: rt.backend ?? 'legacy' })
  for (const b of res.branches) {
    const states = mode === 'all' && res.branches.length > 1 ? new Map(acc.states) : acc.states
    states.set(node, b.state)
    const hops = [...acc.hops, makeHop(node, origin, origin === 'local' ? '' : (packet.inIface ?? ''), b)]
    const probability = acc.probability * b.probability
    const next = classify(env.net, node, b.outcome)
    if (next.kind === 'continue') {
      if (depth + 1 >= MAX_NODE_HOPS) {
        out.push({ probability, hops, states, final: { kind: 'DROPPED', node, engineReason: `the packet crossed ${MAX_NODE_HOPS} nodes: routing loop (TTL would expire)` } })
      } else {
        walkFrom(env, mode, next.node, next.packet, 'ingress', { probability, hops, states }, out, depth + 1)
      }
    } else {
      out.push({ probability, hops, states, final: next.final })
    }
    if (out.length > max) throw new TraceLimitError(pathLimitMessage(env))
  }
}

/** The first packet of the connection and where it starts. */
export function initialPacket (req: TraceRequest): { node: string, origin: 'ingress' | 'local', packet: Packet } {
  const s = req.source
  // built in place, not spread from a base object (see buildResponse in result.ts: spreads made
  // V8 promote each trace's young objects)
  const packet: Packet = { dst: req.destination.address, proto: req.proto, ttl: 64 }
  if (req.proto === 'icmp') { packet.icmpType = 8; packet.icmpCode = 0; packet.icmpId = s.port; packet.length = 84 } else { packet.sport = s.port; packet.dport = req.destination.port }
  if (req.proto === 'tcp') packet.tcpFlags = ['SYN']
  switch (s.kind) {
    case 'external': packet.src = s.address; packet.inIface = 'eth0'; return { node: s.node, origin: 'ingress', packet }
    case 'pod': packet.src = s.address; packet.inIface = 'cni0'; return { node: s.pod.node, origin: 'ingress', packet }
    case 'node': packet.uid = 0; packet.gid = 0; return { node: s.node, origin: 'local', packet }
  }
}

/** All forward paths (one in `sample` mode). */
export function forwardWalk (env: WalkEnv, req: TraceRequest): Path[] {
  const start = initialPacket(req)
  const out: Path[] = []
  walkFrom(env, req.mode, start.node, start.packet, start.origin, { probability: 1, hops: [], states: new Map() }, out)
  return out
}
