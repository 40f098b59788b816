/** The demo cluster rebuilds the seed note's cluster, through the same use cases as user objects. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { base, build } from '../helper.ts'

describe('demo cluster', () => {
  it('is created on an empty database with the seed note\'s objects', async (t) => {
    const { api } = await build(t, { seedDemo: true, fresh: true })
    const c = await api.get('/api/v1/clusters/demo')
    assert.equal(c.status, 200)
    assert.equal(c.body.spec.clusterCIDR, '10.244.0.0/16')
    assert.equal(c.body.spec.kubeProxy.profile, 'legacy')
    const nodes = (await api.get(base('demo') + '/nodes')).body.items
    assert.deepEqual(nodes.map((n: { metadata: { name: string }, spec: { podCIDR: string } }) => [n.metadata.name, n.spec.podCIDR]), [['vortex-dev', '10.244.0.0/24']])
    const pods = (await api.get(base('demo') + '/namespaces/default/pods')).body.items
    assert.deepEqual(pods.map((p: { status: { podIP: string } }) => p.status.podIP).sort(), ['10.244.0.113', '10.244.0.114', '10.244.0.115'])
    for (const p of pods) {
      assert.equal(p.metadata.labels.app, 'nginx')
      assert.match(p.metadata.name, /^k8s-nginx-[a-z0-9]{10}-[a-z0-9]{5}$/)
      assert.equal(p.spec.containers[0].ports[0].containerPort, 80)
    }
    const s = (await api.get(base('demo') + '/namespaces/default/services/k8s-nginx-node')).body
    assert.equal(s.spec.type, 'NodePort')
    assert.equal(s.spec.clusterIP, '10.98.128.179')
    assert.deepEqual(s.spec.ports.map((p: { port: number, nodePort: number, protocol: string }) => [p.port, p.nodePort, p.protocol]), [[80, 30136, 'TCP']])
    const table = (await api.get(base('demo') + '/nodeports')).body.items
    assert.deepEqual(table.map((x: { port: number, service: string }) => [x.port, x.service]), [[30136, 'k8s-nginx-node']])
    const slices = (await api.get(base('demo') + '/namespaces/default/endpointslices')).body.items
    const addrs = slices.flatMap((sl: { endpoints: Array<{ addresses: string[] }> }) => sl.endpoints.map(e => e.addresses[0])).sort()
    assert.deepEqual(addrs, ['10.244.0.113', '10.244.0.114', '10.244.0.115'])
  })

  it('is not created when clusters exist, nor twice', async (t) => {
    const { app } = await build(t, { seedDemo: true })
    const { seedDemo } = await import('../../src/cluster/actions/demo.ts')
    assert.equal(await seedDemo(app.store), false)
  })
})
