/**
 * The product's cluster trace (src/cluster/trace, behind `POST /api/v1/clusters/{c}/traces`) as a
 * second engine-side prediction for the packet-fates comparison: the lab cluster is turned into the
 * cluster objects the trace reads (nodes, running pods, services, endpoint slices), each request into
 * a trace body in `all` mode, and every outcome into the kernel's terms (fateKey).
 */
import type { Pod } from '../../src/cluster/model.ts'
import { ClusterTraceRuntime, runTrace } from '../../src/cluster/trace/index.ts'
import type { ClusterInputs, TraceRequestBody } from '../../src/cluster/trace/index.ts'
import type { RandomCluster, ClusterRequest } from './random-cluster.ts'
import { fateKey } from './engine-cluster.ts'

const hostOf = (ipPort: string | undefined): string | undefined => ipPort?.replace(/:\d+$/, '')

export function clusterInputs (c: RandomCluster): ClusterInputs {
  const pods: Pod[] = c.nodes.flatMap(n => n.pods.map(p => ({
    apiVersion: 'v1' as const,
    kind: 'Pod' as const,
    metadata: { name: p.name, namespace: 'default' },
    spec: { nodeName: n.name, containers: [{ name: 'app' }] },
    status: { phase: 'Running' as const, podIP: p.ip, podIPs: [{ ip: p.ip }], hostIP: n.ip, conditions: [{ type: 'Ready', status: 'True' as const }] }
  })))
  return { generation: 1, settings: c.settings, nodes: c.nodes.map(n => n.node), pods, services: c.services, endpointSlices: c.slices }
}

export class ProductTracer {
  private readonly rt = new ClusterTraceRuntime()
  private readonly inputs: ClusterInputs
  constructor (private readonly c: RandomCluster) {
    this.inputs = clusterInputs(c)
  }

  body (req: ClusterRequest): TraceRequestBody {
    const protocol = req.proto === 'udp' ? 'UDP' : 'TCP'
    const destination = { address: req.dst, port: req.port }
    if (req.from.kind === 'pod') return { protocol, destination, source: { pod: `default/${req.from.name}` }, mode: 'all', reply: true }
    if (req.from.kind === 'node') return { protocol, destination, source: { node: req.from.name }, mode: 'all', reply: true }
    // the lab's client reaches node addresses directly and everything else through the first node
    const direct = this.c.nodes.find(n => n.ip === req.dst)
    return { protocol, destination, source: { address: this.c.clientIp ?? '192.168.50.2', node: (direct ?? this.c.nodes[0]).name }, mode: 'all', reply: true }
  }

  /** outcome key → probability, in the kernel's terms */
  fates (req: ClusterRequest): Map<string, number> {
    const out = new Map<string, number>()
    const add = (k: string, p: number): void => { out.set(k, (out.get(k) ?? 0) + p) }
    let run
    try {
      run = runTrace(this.rt, this.inputs, this.c.settings.name, this.body(req))
    } catch (e) {
      add(`error ${(e as Error).message}`, 1)
      return out
    }
    for (const o of run.response.outcomes) {
      switch (o.outcome) {
        case 'DELIVERED': {
          const r = o.reply
          const ok = r !== undefined && r.reachedClient && r.matchesRequest
          add(ok ? fateKey({ kind: 'ok', pod: o.pod?.replace(/^.*\//, ''), sawSrc: hostOf(o.seenSource), replyFrom: hostOf(r.from) }) : 'timeout', o.probability)
          break
        }
        case 'REJECTED':
          add(['icmp-port-unreachable', 'tcp-reset'].includes(o.reject?.with ?? '') ? 'refused' : 'unreachable', o.probability)
          break
        case 'LOCAL':
          // no listener on the node for service ports
          add('refused', o.probability)
          break
        case 'DROPPED':
        case 'EXTERNAL':
          add('timeout', o.probability)
          break
        case 'NO_ROUTE':
          add('unreachable', o.probability)
          break
        default:
          add('unknown', o.probability)
      }
    }
    return out
  }
}
