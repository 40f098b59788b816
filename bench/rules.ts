/**
 * Rule-generation benchmark: one node's kube-proxy rules for N services × 10 endpoints (every tenth
 * service a NodePort), full render (restore text; save view when the engine renderer is available),
 * re-render after changing one service, and RSS.  Run: npx tsx bench/rules.ts [sizes...]
 */
import type { EndpointSlice, Node, Service } from '../src/cluster/model.ts'
import { KubeProxyRulesCache, type GenerateInput } from '../src/cluster/kubeproxy/index.ts'
import { saveView } from '../src/cluster/kubeproxy/save.ts'

const node: Node = {
  apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: {},
  status: { addresses: [{ type: 'InternalIP', address: '192.168.0.10' }] }
}

function ip (base: number, n: number): string {
  const v = base + n
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

function cluster (n: number): GenerateInput {
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

function ms (t0: bigint): string { return (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1) }

const sizes = process.argv.slice(2).map(Number).filter(x => x > 0)
for (const n of sizes.length > 0 ? sizes : [1000, 10000, 30000]) {
  const input = cluster(n)
  const cache = new KubeProxyRulesCache()
  let t = process.hrtime.bigint()
  const nr = cache.render(input, 1)
  const restoreMs = ms(t)
  t = process.hrtime.bigint()
  const save = saveView(nr, { date: new Date(0) }, cache)
  const saveMs = ms(t)
  // change one service (new object, new resourceVersion) and re-render
  const k = Math.floor(n / 2)
  const svc = input.services[k]
  input.services[k] = { ...svc, metadata: { ...svc.metadata, resourceVersion: '2' }, spec: { ...svc.spec, ports: [{ ...svc.spec.ports[0], port: 81 }] } }
  t = process.hrtime.bigint()
  const nr2 = cache.render(input, 2)
  const reMs = ms(t)
  const rebuilt = cache.lastRebuilt
  t = process.hrtime.bigint()
  const save2 = saveView(nr2, { date: new Date(0) }, cache)
  const reSaveMs = ms(t)
  const rss = (process.memoryUsage().rss / 1048576).toFixed(0)
  const lines = nr.restore.split('\n').length
  console.log(`${n} services × 10 endpoints: ${lines} restore lines, save ${save.length} chars` +
    ` | full render: restore ${restoreMs} ms, save view ${saveMs} ms` +
    ` | after 1 change (${rebuilt} rebuilt): restore ${reMs} ms, save view ${reSaveMs} ms (${save2.length} chars) | RSS ${rss} MiB`)
}
