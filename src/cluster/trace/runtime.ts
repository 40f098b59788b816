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
    const pn: PreparedNode = { rules, prepared, host: nn.host, backend: rules.profile === 'legacy' ? 'legacy' : 'nft' }
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

/**
 * Prepares a node ruleset for tracing. (Until the engine modelled `-m nfacct` this substituted an
 * always-true match; the engine now evaluates nfacct itself, so this is plain `prepareRuleset`.)
 */
export function prepareForTrace (rs: Ruleset): Prepared {
  return prepareRuleset(rs)
}
