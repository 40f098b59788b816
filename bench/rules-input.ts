/** Synthetic cluster for the rule benchmarks: N services × 10 endpoints, every tenth a NodePort. */
import type { EndpointSlice, Node, Service } from '../src/cluster/model.ts'
import type { GenerateInput } from '../src/cluster/kubeproxy/index.ts'

const node: Node = {
  apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: {},
  status: { addresses: [{ type: 'InternalIP', address: '192.168.0.10' }] }
}

function ip (base: number, n: number): string {
  const v = base + n
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

export function cluster (n: number): GenerateInput {
  const services: Service[] = []
  const slices: EndpointSlice[] = []
  for (let i = 0; i < n; i++) {
    const name = `svc-${i}`
    const nodePort = i % 10 === 0 ? 30000 + (i / 10) % 2768 : undefined
    services.push({
      apiVersion: 'v1', kind: 'Service',
      metadata: { name, namespace: 'bench', uid: `u${i}`, resourceVersion: '1' },
      spec: { type: nodePort != null ? 'NodePort' : 'ClusterIP', clusterIP: ip(0x0a600000, i + 1), ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, ...(nodePort != null ? { nodePort } : {}) }], sessionAffinity: 'None' },
      status: { loadBalancer: {} }
    })
    slices.push({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `${name}-abc`, namespace: 'bench', uid: `s${i}`, resourceVersion: '1', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: Array.from({ length: 10 }, (_, k) => ({ addresses: [ip(0x0af40000, i * 10 + k + 1)], conditions: { ready: true }, nodeName: k % 3 === 0 ? 'node-1' : 'node-2' })),
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }]
    })
  }
  return {
    settings: { name: 'bench', serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16', nodePortRange: { min: 30000, max: 32767 }, kubeProxy: { profile: 'current', masqueradeAll: false, nodePortAddresses: [], localhostNodePorts: true, masqueradeBit: 14 } },
    node, nodes: [node], services, endpointSlices: slices
  }
}

