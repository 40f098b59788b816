/**
 * Trace equality on generated node rulesets: every node of a cluster is programmed as kube-proxy
 * would, plus a raw table tracing TCP packets with SYN set (`-j TRACE`, so SYN and SYN-ACK); one
 * `xtables-monitor --trace` per node records what the kernel did while TCP requests are sent one at
 * a time; for every node a request crossed, its SYN and SYN-ACK journeys are compared with the engine
 * evaluating the same packets on that node (same rules, raw table included).
 */
import type { Lab, Background } from './netns.ts'
import { buildTopology, nodeHostSpec } from './topology.ts'
import { send } from './traffic.ts'
import { loadNode } from './kube-node.ts'
import { normalizeSave, parseSaved, parseMonitor, startMonitor } from './kernel-tools.ts'
import type { SavedRules } from './kernel-tools.ts'
import { clusterTopology, clusterRequests, nodeInput } from './random-cluster.ts'
import type { RandomCluster, ClusterRequest } from './random-cluster.ts'
import { kernelJourneys, compareHandshake } from './trace-compare.ts'
import type { TraceSession } from './trace-compare.ts'
import type { EngineApi } from './engine-cluster.ts'
import { generateNodeRules, nodeRuleset } from '../../src/cluster/kubeproxy/index.ts'
import { parseRuleset } from '../../src/netfilter/index.ts'
import type { GenerateInput } from '../../src/cluster/kubeproxy/index.ts'

export const TRACE_RAW = [
  '*raw',
  ':PREROUTING ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A PREROUTING -p tcp -m tcp --tcp-flags SYN SYN -j TRACE',
  '-A OUTPUT -p tcp -m tcp --tcp-flags SYN SYN -j TRACE',
  'COMMIT',
  ''
].join('\n')

export interface TraceCase {
  what: string
  node: string
  /** SYN/SYN-ACK journeys compared on this node */
  compared: number
  problem: string | null
}

export async function runClusterTraces (lab: Lab, api: EngineApi, c: RandomCluster, opts: { requests?: ClusterRequest[], maxRequests?: number, ignoreEngine?: RegExp } = {}): Promise<TraceCase[]> {
  const spec = clusterTopology(c)
  const topo = await buildTopology(lab, spec)
  const sessions = new Map<string, TraceSession>()
  const monitors = new Map<string, Background>()
  const saved = new Map<string, SavedRules>()
  for (const n of c.nodes) {
    const ns = topo.nodeNs.get(n.name)!
    const nr = generateNodeRules(nodeInput(c, n.name) as GenerateInput)
    loadNode(lab, ns, nr)
    lab.restore(ns, TRACE_RAW, ['--noflush'])
    saved.set(n.name, parseSaved(normalizeSave(lab.save(ns))))
    // The engine gets the node's rules the way the product builds them (nodeRuleset: built-in chains
    // exist only where kubelet/kube-proxy put rules, as iptables-nft hooks them), plus the TRACE rules.
    const prepared = api.prepareRuleset(parseRuleset(TRACE_RAW, { noflush: true, base: nodeRuleset(nr) }))
    const host = api.createHost(nodeHostSpec(spec, n.name))
    let state = api.createEngineState({ seed: 1 })
    sessions.set(n.name, {
      evaluate: (p, o = {}) => api.evaluatePacket(prepared, host, p, state, { backend: 'nft', detail: 'matched', ...o }),
      newState: (seed = 1) => { state = api.createEngineState({ seed }) },
      setState: (st: unknown) => { state = st }
    })
  }
  for (const n of c.nodes) monitors.set(n.name, await startMonitor(lab, topo.nodeNs.get(n.name)!))
  const reqs = (opts.requests ?? clusterRequests(c)).filter(r => r.proto === 'tcp').slice(0, opts.maxRequests ?? 12)
  const out: TraceCase[] = []
  for (const req of reqs) {
    const marks = new Map([...monitors].map(([k, m]) => [k, m.out().length]))
    const ns = req.from.kind === 'client' ? topo.clientNs : req.from.kind === 'pod' ? topo.podNs.get(req.from.name)! : topo.nodeNs.get(req.from.name)!
    await send(lab, ns, [{ proto: 'tcp', host: req.dst, port: req.port, timeoutMs: 1500 }])
    await new Promise(resolve => setTimeout(resolve, 200))
    for (const n of c.nodes) {
      const text = monitors.get(n.name)!.out().slice(marks.get(n.name))
      const journeys = kernelJourneys(parseMonitor(text, saved.get(n.name)))
      if (journeys.length === 0) continue
      let r: { compared: number, problem: string | null }
      try {
        r = compareHandshake(journeys, sessions.get(n.name)!, opts.ignoreEngine !== undefined ? { ignoreEngine: opts.ignoreEngine } : {})
      } catch (e) {
        r = { compared: 0, problem: `engine threw ${(e as Error).message}` }
      }
      if (r.compared > 0 || r.problem !== null) out.push({ what: req.what, node: n.name, compared: r.compared, problem: r.problem })
    }
  }
  for (const m of monitors.values()) await m.stop()
  return out
}
