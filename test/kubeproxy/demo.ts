/** The seed note's cluster: node vortex-dev, three nginx pods behind NodePort default/k8s-nginx-node. */
import type { ClusterSettings, EndpointSlice, Node, Service } from '../../src/cluster/model.ts'
import type { GenerateInput } from '../../src/cluster/kubeproxy/index.ts'

export const DEMO_NODE: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'vortex-dev' },
  spec: { podCIDR: '10.244.0.0/24' },
  status: { addresses: [{ type: 'InternalIP', address: '172.17.8.100' }, { type: 'Hostname', address: 'vortex-dev' }] }
}

export const DEMO_SETTINGS: ClusterSettings = {
  name: 'demo',
  serviceCIDR: '10.96.0.0/12',
  clusterCIDR: '10.244.0.0/16',
  nodePortRange: { min: 30000, max: 32767 },
  kubeProxy: { profile: 'legacy', masqueradeAll: false, nodePortAddresses: [], localhostNodePorts: true, masqueradeBit: 14 }
}

export const DEMO_SERVICE: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'k8s-nginx-node', namespace: 'default' },
  spec: {
    type: 'NodePort',
    clusterIP: '10.98.128.179',
    ports: [{ protocol: 'TCP', port: 80, targetPort: 80, nodePort: 30136 }],
    selector: { app: 'nginx' },
    sessionAffinity: 'None',
    externalTrafficPolicy: 'Cluster'
  },
  status: { loadBalancer: {} }
}

export const DEMO_SLICE: EndpointSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'k8s-nginx-node-x7k2p', namespace: 'default', labels: { 'kubernetes.io/service-name': 'k8s-nginx-node' } },
  addressType: 'IPv4',
  endpoints: ['10.244.0.114', '10.244.0.113', '10.244.0.115'].map((ip, i) => ({
    addresses: [ip],
    conditions: { ready: true },
    nodeName: 'vortex-dev',
    targetRef: { kind: 'Pod' as const, namespace: 'default', name: `nginx-${i}` }
  })),
  ports: [{ name: '', protocol: 'TCP', port: 80 }]
}

export function demoInput (): GenerateInput {
  return { settings: DEMO_SETTINGS, node: DEMO_NODE, nodes: [DEMO_NODE], services: [DEMO_SERVICE], endpointSlices: [DEMO_SLICE] }
}

/** The rule lines of the seed note's `iptables-save | grep default/k8s-nginx-node` block. */
export function seedLines (text: string): string[] {
  const start = text.indexOf('$sudo iptables-save  | grep default/k8s-nginx-node')
  const block = text.slice(start, text.indexOf('```', start))
  return block.split('\n').map(l => l.trim()).filter(l => l.startsWith('-A '))
}
