/**
 * One packet-fates differential run over a cluster: build its namespace topology, program every node
 * as kube-proxy would, send real TCP/UDP for each request, and compare each kernel outcome with the
 * engine's set of possible outcomes; for load-balanced services, repeat connections and check the set
 * of pods reached and the proportions against the engine's `all`-mode probabilities.
 */
import type { Lab } from './netns.ts'
import { buildTopology } from './topology.ts'
import type { Topology } from './topology.ts'
import { send } from './traffic.ts'
import type { Result } from './traffic.ts'
import { loadNode } from './kube-node.ts'
import { clusterTopology, clusterRequests, nodeInput } from './random-cluster.ts'
import type { RandomCluster, ClusterRequest } from './random-cluster.ts'
import { EngineCluster, fateDistribution, fateKey } from './engine-cluster.ts'
import type { EngineApi } from './engine-cluster.ts'
import { ProductTracer } from './product-trace.ts'
import { generateNodeRules, saveView } from '../../src/cluster/kubeproxy/index.ts'
import type { GenerateInput } from '../../src/cluster/kubeproxy/index.ts'

export interface FateCase {
  what: string
  request: ClusterRequest
  kernel: string
  engine: Array<{ key: string, probability: number, path: string[] }>
  agree: boolean
  /** the product's cluster trace (src/cluster/trace): its outcomes, and whether the kernel's is one of
   * them; null when the kernel's outcome came from the lab's plain pod bridge (same-node pod → pod
   * answer without the node's conntrack), which the product deliberately models as a real node does */
  product: { keys: string[], agree: boolean } | null
}

export interface BalanceCase {
  what: string
  n: number
  expected: Record<string, number>
  observed: Record<string, number>
  ok: boolean
  reason?: string
}

export interface FateReport {
  cases: FateCase[]
  balance: BalanceCase[]
}

export function kernelKey (r: Result): string {
  if (r.outcome !== 'ok' || r.reply === undefined) return r.outcome === 'error' ? `error ${r.code ?? ''}` : r.outcome
  return fateKey({ kind: 'ok', pod: r.reply.name, sawSrc: r.reply.from, replyFrom: (r.peer ?? '').replace(/:\d+$/, '') })
}

function sourceNs (topo: Topology, from: ClusterRequest['from']): string {
  if (from.kind === 'client') return topo.clientNs
  if (from.kind === 'pod') return topo.podNs.get(from.name)!
  return topo.nodeNs.get(from.name)!
}

/**
 * Statistical bound for balancing: with N connections and engine probability p for a pod, the count
 * must lie within N·p ± (5·sqrt(N·p·(1−p)) + 1) — a 5-sigma band, so a correct engine fails a pod's
 * check with probability below 1e-6 — and the set of pods reached must equal the engine's set. Only
 * sets whose smallest p is ≥ 0.2 are balance-tested, so with N = 60 a pod is missed by chance with
 * probability ≤ 0.8^60 ≈ 2e-6.
 */
export function balanceVerdict (n: number, expected: Record<string, number>, observed: Record<string, number>): string | null {
  const pods = new Set([...Object.keys(expected), ...Object.keys(observed)])
  for (const k of pods) {
    const p = expected[k] ?? 0
    const c = observed[k] ?? 0
    if (p === 0 && c > 0) return `${k} reached ${c}× but the engine gives it probability 0`
    if (p > 0 && c === 0) return `${k} never reached in ${n} tries although the engine gives it p=${p.toFixed(4)}`
    const sd = Math.sqrt(n * p * (1 - p))
    if (Math.abs(c - n * p) > 5 * sd + 1) return `${k}: ${c}/${n} outside ${(n * p).toFixed(1)} ± ${(5 * sd + 1).toFixed(1)}`
  }
  return null
}

export async function runClusterFates (lab: Lab, api: EngineApi, c: RandomCluster, opts: { balanceN?: number, maxBalance?: number, requests?: ClusterRequest[], parallel?: boolean } = {}): Promise<FateReport> {
  const spec = clusterTopology(c)
  const topo = await buildTopology(lab, spec)
  const rulesByNode = new Map<string, string>()
  for (const n of c.nodes) {
    const nr = generateNodeRules(nodeInput(c, n.name) as GenerateInput)
    loadNode(lab, topo.nodeNs.get(n.name)!, nr)
    rulesByNode.set(n.name, saveView(nr, { date: 'X' }))
  }
  const engine = new EngineCluster(api, spec, rulesByNode)
  const tracer = new ProductTracer(c)
  const cases: FateCase[] = []
  const balance: BalanceCase[] = []
  const reqs = opts.requests ?? clusterRequests(c)
  // all requests at once, grouped per source namespace (each its own socket and conntrack entry);
  // ClientIP affinity makes later kernel answers sticky, which stays inside the engine's set
  const groups = new Map<string, number[]>()
  reqs.forEach((req, i) => {
    const ns = sourceNs(topo, req.from)
    if (!groups.has(ns)) groups.set(ns, [])
    groups.get(ns)!.push(i)
  })
  const results: Result[] = new Array(reqs.length)
  await Promise.all([...groups.entries()].map(async ([ns, idx]) => {
    const res = await send(lab, ns, idx.map(i => ({ proto: reqs[i].proto, host: reqs[i].dst, port: reqs[i].port, timeoutMs: 1500 })), { parallel: opts.parallel ?? true })
    idx.forEach((i, k) => { results[i] = res[k] })
  }))
  let balanced = 0
  for (const [i, req] of reqs.entries()) {
    const dist = fateDistribution(engine.fates(req))
    const engineList = [...dist.entries()].map(([key, v]) => ({ key, probability: v.probability, path: v.example.path }))
    const k = kernelKey(results[i])
    const viaBridge = engineList.some(e => e.key === k && e.path.some(x => x.includes('answers over the bridge')))
    let product: FateCase['product'] = null
    if (!viaBridge) {
      const pf = tracer.fates(req)
      product = { keys: [...pf.keys()], agree: pf.has(k) }
    }
    cases.push({ what: req.what, request: req, kernel: k, engine: engineList, agree: dist.has(k), product })
    const oks = engineList.filter(e => e.key.startsWith('ok '))
    const svc = c.services.find(s => req.what.includes(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}:`))
    const sticky = svc?.spec.sessionAffinity === 'ClientIP'
    if (req.from.kind === 'client' && oks.length >= 2 && oks.length === engineList.length && Math.min(...oks.map(o => o.probability)) >= 0.2 &&
        balanced < (opts.maxBalance ?? 2) && dist.has(k)) {
      balanced++
      const n = opts.balanceN ?? 60
      const rs = await send(lab, topo.clientNs, Array.from({ length: n }, () => ({ proto: req.proto, host: req.dst, port: req.port, timeoutMs: 1500 })), { parallel: true })
      const observed: Record<string, number> = {}
      for (const r of rs) { const kk = kernelKey(r); observed[kk] = (observed[kk] ?? 0) + 1 }
      const expected: Record<string, number> = {}
      for (const o of oks) expected[o.key] = o.probability
      let reason: string | null
      if (sticky) {
        // ClientIP affinity: every repeat sticks to the pod the client already has an affinity entry for
        const keys = Object.keys(observed)
        reason = keys.length === 1 && dist.has(keys[0]) ? null : `affinity: expected one pod of the engine's set, got ${JSON.stringify(observed)}`
      } else {
        reason = balanceVerdict(n, expected, observed)
      }
      balance.push({ what: req.what + (sticky ? ' (ClientIP affinity)' : ''), n, expected, observed, ok: reason === null, ...(reason !== null ? { reason } : {}) })
    }
  }
  return { cases, balance }
}

export function describeCase (c: FateCase): string {
  return `${c.what}: kernel ${c.kernel}; engine ${c.engine.map(e => `${e.key} (p=${e.probability.toFixed(4)})`).join(' | ')}\n    engine path: ${c.engine[0]?.path.join(' → ') ?? ''}` +
    (c.product !== null ? `\n    product cluster trace: ${c.product.keys.join(' | ')}` : '')
}

