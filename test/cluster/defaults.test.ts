import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultClusterSettings, defaultNode, defaultPod, defaultService } from '../../src/cluster/defaults.ts'
import type { Service } from '../../src/cluster/model.ts'

const raw = (spec: Record<string, unknown>): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec, status: undefined } as unknown as Service)

test('SetDefaults_Service', () => {
  const s = defaultService(raw({ ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] }))
  assert.equal(s.spec.type, 'ClusterIP')
  assert.equal(s.spec.sessionAffinity, 'None')
  assert.deepEqual(s.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }])
  assert.equal(s.spec.externalTrafficPolicy, undefined)
  assert.equal(s.spec.internalTrafficPolicy, 'Cluster')
  assert.equal(s.spec.allocateLoadBalancerNodePorts, undefined)
  assert.deepEqual(s.status, { loadBalancer: {} })
  const np = defaultService(raw({ type: 'NodePort', ports: [{ port: 80, targetPort: 0 }] }))
  assert.equal(np.spec.externalTrafficPolicy, 'Cluster')
  assert.equal(np.spec.ports[0].targetPort, 80)
  const ext = defaultService(raw({ externalIPs: ['192.0.2.1'], ports: [{ port: 80, targetPort: '' }] }))
  assert.equal(ext.spec.externalTrafficPolicy, 'Cluster')
  assert.equal(ext.spec.ports[0].targetPort, 80)
  const lb = defaultService({ ...raw({ type: 'LoadBalancer', ports: [{ port: 80 }] }), status: { loadBalancer: { ingress: [{ ip: '203.0.113.5' }, { hostname: 'lb.example.com' }] } } })
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true)
  assert.deepEqual(lb.status.loadBalancer.ingress, [{ ip: '203.0.113.5', ipMode: 'VIP' }, { hostname: 'lb.example.com' }])
  const en = defaultService(raw({ type: 'ExternalName', externalName: 'example.com' }))
  assert.equal(en.spec.internalTrafficPolicy, undefined)
  const aff = defaultService(raw({ sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }))
  assert.deepEqual(aff.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } })
  const none = defaultService(raw({ sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } }, ports: [{ port: 80 }] }))
  assert.equal(none.spec.sessionAffinityConfig, undefined)
})

test('defaults do not mutate the input', () => {
  const input = raw({ ports: [{ port: 80 }] })
  const copy = structuredClone(input)
  defaultService(input)
  assert.deepEqual(input, copy)
})

test('pod, node and cluster defaults', () => {
  const p = defaultPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { hostNetwork: true, containers: [{ name: 'c', ports: [{ containerPort: 8080 } as never] }] }, status: { podIP: '192.168.1.10' } } as never)
  assert.deepEqual(p.spec.containers[0].ports, [{ containerPort: 8080, protocol: 'TCP', hostPort: 8080 }])
  assert.equal(p.status.phase, 'Running')
  assert.deepEqual(p.status.conditions, [{ type: 'Ready', status: 'True' }])
  assert.deepEqual(p.status.podIPs, [{ ip: '192.168.1.10' }])
  const pending = defaultPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] }, status: { phase: 'Pending' } } as never)
  assert.equal(pending.status.conditions, undefined)
  const n = defaultNode({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'vortex-dev' }, spec: { podCIDRs: ['10.244.0.0/24'] }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.10' }] } })
  assert.equal(n.spec.podCIDR, '10.244.0.0/24')
  assert.equal(n.metadata.labels?.['kubernetes.io/hostname'], 'vortex-dev')
  assert.deepEqual(n.status.addresses, [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'vortex-dev' }])
  const c = defaultClusterSettings({ name: 'demo', kubeProxy: { profile: 'legacy' } })
  assert.deepEqual(c, { name: 'demo', serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16', nodePortRange: { min: 30000, max: 32767 }, kubeProxy: { profile: 'legacy', masqueradeAll: false, nodePortAddresses: [], localhostNodePorts: true, masqueradeBit: 14 } })
})
