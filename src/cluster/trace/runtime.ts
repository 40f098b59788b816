/**
 * Per-cluster trace runtime kept between requests: the kube-proxy rule cache (incremental per node,
 * keyed by cluster generation), the cluster network model and each node's parsed + prepared ruleset
 * for the current generation (built lazily, once per node per generation: a trace never re-parses a
 * ruleset), and the cluster's session-affinity state.
 */
import type { ClusterSettings, EndpointSlice, Node, Pod, Service } from '../model.ts'
import { KubeProxyRulesCache, nodeRuleset, resolveConfig, type NodeRules } from '../kubeproxy/index.ts'
import { prepareRuleset, renderRule, type Prepared, type Rule, type Ruleset, type Match } from '../../netfilter/index.ts'
import { buildClusterNet, type ClusterNet } from './topology.ts'
import { AffinityState } from './affinity.ts'
import type { NodeRuntime } from './walk.ts'

export interface ClusterInputs {
  generation: number
  settings: ClusterSettings
  nodes: Node[]
  pods: Pod[]
  services: Service[]
  endpointSlices: EndpointSlice[]
}

export interface PreparedNode extends NodeRuntime {
  rules: NodeRules
}

export class ClusterTraceRuntime {
  readonly rules = new KubeProxyRulesCache()
  readonly affinity = new AffinityState()
  #generation = -1
  #inputs: ClusterInputs | undefined
  #net: ClusterNet | undefined
  readonly #nodes = new Map<string, PreparedNode>()
  readonly #prepared = new WeakMap<object, Prepared>()

  /** Switches to the inputs' generation (drops the previous generation's network and rulesets). */
  use (inputs: ClusterInputs): ClusterNet {
    if (inputs.generation !== this.#generation || this.#net === undefined) {
      this.#generation = inputs.generation
      this.#inputs = inputs
      this.#nodes.clear()
      this.#net = buildClusterNet({
        settings: inputs.settings,
        nodes: inputs.nodes,
        pods: inputs.pods,
        services: inputs.services,
        routeLocalnet: (name) => {
          if (inputs.settings.kubeProxy.profile === 'legacy') return true
          const n = inputs.nodes.find(x => x.metadata.name === name)
          return n !== undefined && resolveConfig(inputs.settings, n).localhostNodePorts
        }
      })
    }
    return this.#net
  }

  /** The node's rules, parsed and prepared for evaluation (cached for this generation). */
  node (name: string): PreparedNode {
    const hit = this.#nodes.get(name)
    if (hit !== undefined) return hit
    const inputs = this.#inputs
    const net = this.#net
    const nodeObj = inputs?.nodes.find(n => n.metadata.name === name)
    const nn = net?.nodes.get(name)
    if (inputs === undefined || nodeObj === undefined || nn === undefined) throw new Error(`node ${name} is not part of the current cluster generation`)
    const rules = this.rules.render({ settings: inputs.settings, node: nodeObj, nodes: inputs.nodes, services: inputs.services, endpointSlices: inputs.endpointSlices }, inputs.generation)
    const rs = nodeRuleset(rules)
    let prepared = this.#prepared.get(rs)
    if (prepared === undefined) this.#prepared.set(rs, prepared = prepareForTrace(rs))
    const pn: PreparedNode = { rules, prepared, host: nn.host }
    this.#nodes.set(name, pn)
    return pn
  }

  get generation (): number { return this.#generation }
}

/** Runtimes per cluster (keyed by cluster uid so a re-created cluster starts clean). */
export class TraceRuntimes {
  readonly #byCluster = new Map<string, { uid: string, rt: ClusterTraceRuntime }>()

  get (cluster: string, uid: string): ClusterTraceRuntime {
    const e = this.#byCluster.get(cluster)
    if (e !== undefined && e.uid === uid) return e.rt
    const rt = new ClusterTraceRuntime()
    this.#byCluster.set(cluster, { uid, rt })
    return rt
  }

  /** Existing runtime or undefined (no state created). */
  peek (cluster: string, uid: string): ClusterTraceRuntime | undefined {
    const e = this.#byCluster.get(cluster)
    return e !== undefined && e.uid === uid ? e.rt : undefined
  }

  drop (cluster: string): void {
    this.#byCluster.delete(cluster)
  }
}

function isNfacct (m: Match): boolean {
  return m.kind === 'unknown' && (m as { module?: string }).module === 'nfacct'
}

/**
 * Prepares a node ruleset for tracing. Workaround until the engine models `-m nfacct` (see
 * .notes/trace-needs.md): the kernel's nfacct match only counts and returns true for accounting objects
 * without a quota (kube-proxy's), so rules carrying it are evaluated from a private copy where that match
 * is always true; rule text (rendered from the original rule) and provenance are unchanged.
 */
export function prepareForTrace (rs: Ruleset): Prepared {
  const original = new Map<Rule, Rule>()
  let patched: Ruleset | undefined
  for (const [tn, t] of rs.tables) {
    for (const [cn, c] of t.chains) {
      c.rules.forEach((r, i) => {
        if (!r.matches.some(isNfacct)) return
        if (patched === undefined) patched = { tables: new Map([...rs.tables].map(([k, v]) => [k, { ...v, chains: new Map(v.chains) }])) }
        const pt = patched.tables.get(tn)!
        let pc = pt.chains.get(cn)!
        if (pc === c) { pc = { ...c, rules: [...c.rules] }; pt.chains.set(cn, pc) }
        const copy: Rule = { ...r, matches: r.matches.map(m => isNfacct(m) ? { kind: 'comment', comment: 'nfacct (counts, always matches)' } : m) }
        original.set(copy, r)
        pc.rules[i] = copy
      })
    }
  }
  if (patched === undefined) return prepareRuleset(rs)
  return prepareRuleset(patched, { renderRule: (chain, rule) => renderRule(chain, original.get(rule) ?? rule) })
}
