/**
 * Example operations shown as GraphiQL tabs (and run by the tests against the demo cluster): the
 * seed note's NodePort service default/k8s-nginx-node with its endpoints and NodePort, its rules on
 * every node, and a trace of a packet to the NodePort.
 */
export interface Example { name: string, query: string, variables?: Record<string, unknown> }

export const EXAMPLES: Example[] = [
  {
    name: 'the seed NodePort service',
    query: `# The seed note's NodePort service: spec, endpoints (with their pods) and its NodePort.
query SeedService {
  service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") {
    metadata { name namespace resourceVersion }
    spec { type clusterIP ports { name protocol port targetPort nodePort } selector }
    endpoints { addresses conditions { ready } nodeName pod { metadata { name } status { podIP } } }
    nodePorts { port protocols field }
  }
}
`
  },
  {
    name: 'the demo cluster',
    query: `# Everything in the demo cluster.
query Demo {
  cluster(name: "demo") {
    spec { serviceCIDR clusterCIDR nodePortRange kubeProxy { profile } }
    nodes { items { metadata { name } spec { podCIDR } status { addresses { type address } } pods { metadata { name } } } }
    services(namespace: "default") { items { metadata { name } spec { type clusterIP ports { port nodePort } } } }
    nodePorts { range items { port namespace service field } }
  }
}
`
  }
]

export const RULES_EXAMPLE: Example = {
  name: 'its rules on every node',
  query: `# The seed service's chains and rules on every node, with the provenance of each rule.
query SeedRules {
  service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") {
    rules { nodes { node profile chains { table chain owned rules { save provenance { servicePort endpoint field note } } } } }
  }
}
`
}

/** Shown when the iptables route is registered (see plugin.ts). */
export const IPTABLES_EXAMPLE: Example = {
  name: 'iptables-save on the node',
  query: `# What iptables-save prints on the node, only the seed service's lines (like grep, but exact).
query SeedIptables {
  iptables(cluster: "demo", node: "vortex-dev", format: save, service: "default/k8s-nginx-node") { text }
}
`
}

export const TRACE_EXAMPLE: Example = {
  name: 'a trace to the NodePort',
  query: `# An external client reaches the NodePort 30136 on the node: every possible pod, with probabilities.
query SeedTrace {
  trace(cluster: "demo", packet: { protocol: TCP, destination: { address: "192.168.33.10", port: 30136 }, source: { address: "192.168.33.1" } }, options: { mode: all }) {
    summary
    outcomes { outcome probability pod address seenSource masqueraded reply { from reachedClient } }
    paths {
      probability
      hops { node hooks steps { table chain n rule verdict explanation provenance { service servicePort endpoint field } } }
    }
  }
}
`
}
