/**
 * Per-cluster trace runtime kept between requests: the kube-proxy rule cache (incremental per node,
 * keyed by cluster generation), the cluster network model and each node's parsed + prepared ruleset
 * for the current generation (built lazily, once per node per generation: a trace never re-parses a
 * ruleset), and the cluster's session-affinity state.
 */
import type { ClusterSettings, EndpointSlice, Node, Pod, Service } from '../model.ts'
import { KubeProxyRulesCache, nodeRuleset, resolveConfig, type NodeRules } from '../kubeproxy/index.ts'
import { prepareRuleset, type Prepared, type Ruleset } from '../../netfilter/index.ts'
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
  readonly affinity: AffinityState
  #generation = -1
  #inputs: ClusterInputs | undefined
  #net: ClusterNet | undefined
  readonly #nodes = new Map<string, PreparedNode>()
  readonly #prepared = new WeakMap<object, Prepared>()
  /** nodes prepared since the last takeNewlyPrepared() (a worker pool tells its other workers to warm them) */
  #fresh: string[] = []

  constructor (affinity: AffinityState = new AffinityState()) {
    this.affinity = affinity
  }

  /** Switches to the inputs' generation (drops the previous generation's network and rulesets). */
  use (inputs: ClusterInputs): ClusterNet {
    if (inputs.generation !== this.#generation || this.#net === undefined) {
      this.#generation = inputs.generation
      this.#inputs = inputs
      this.#nodes.clear()
      this.#fresh = []
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
    const pn: PreparedNode = { rules, prepared, host: nn.host, backend: rules.profile === 'legacy' ? 'legacy' : 'nft' }
    this.#nodes.set(name, pn)
    this.#fresh.push(name)
    return pn
  }

  /** Names of the nodes prepared since the previous call (for warming other copies of this runtime). */
  takeNewlyPrepared (): string[] {
    const out = this.#fresh
    this.#fresh = []
    return out
  }

  get generation (): number { return this.#generation }
}

/**
 * Runtimes per cluster (keyed by cluster uid so a re-created cluster starts clean). The heavy part
 * (rules, parsed rulesets, network model) is kept for the `maxClusters` most recently traced
 * clusters and rebuilt on demand; the session-affinity state is small and is kept until the cluster
 * is deleted, so evicting a runtime never changes a trace's answer.
 */
export class TraceRuntimes {
  readonly #byCluster = new Map<string, { uid: string, rt: ClusterTraceRuntime }>()
  readonly #affinity = new Map<string, { uid: string, state: AffinityState }>()
  readonly #max: number

  constructor (maxClusters = 64) {
    this.#max = Number.isInteger(maxClusters) && maxClusters > 0 ? maxClusters : 64
  }

  get (cluster: string, uid: string): ClusterTraceRuntime {
    const e = this.#byCluster.get(cluster)
    if (e !== undefined && e.uid === uid) {
      this.#byCluster.delete(cluster)
      this.#byCluster.set(cluster, e)
      return e.rt
    }
    let a = this.#affinity.get(cluster)
    if (a === undefined || a.uid !== uid) this.#affinity.set(cluster, a = { uid, state: new AffinityState() })
    const rt = new ClusterTraceRuntime(a.state)
    this.#byCluster.delete(cluster)
    this.#byCluster.set(cluster, { uid, rt })
    while (this.#byCluster.size > this.#max) {
      const oldest = this.#byCluster.keys().next().value as string
      this.#byCluster.delete(oldest)
    }
    return rt
  }

  /** Existing runtime or undefined (no state created). */
  peek (cluster: string, uid: string): ClusterTraceRuntime | undefined {
    const e = this.#byCluster.get(cluster)
    if (e !== undefined && e.uid === uid) return e.rt
    const a = this.#affinity.get(cluster)
    return a !== undefined && a.uid === uid ? new ClusterTraceRuntime(a.state) : undefined
  }

  drop (cluster: string): void {
    this.#byCluster.delete(cluster)
    this.#affinity.delete(cluster)
  }
}

/**
 * Prepares a node ruleset for tracing. (Until the engine modelled `-m nfacct` this substituted an
 * always-true match; the engine now evaluates nfacct itself, so this is plain `prepareRuleset`.)
 */
export function prepareForTrace (rs: Ruleset): Prepared {
  return prepareRuleset(rs)
}
