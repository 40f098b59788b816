/** EndpointSlices derived through the API from services, pods and nodes. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { base, build, newCluster, node, pod, svc } from '../helper.ts'

interface Slice { metadata: { name: string, labels: Record<string, string> }, endpoints: Array<{ addresses: string[], conditions: { ready: boolean }, nodeName?: string, targetRef?: { name: string } }>, ports: Array<{ port: number, name?: string }> | null }

describe('endpointslices', () => {
  it('follow the selector, readiness and named target ports, and change with the pods', async (t) => {
    const { api } = await build(t)
    await newCluster(api, 'c')
    const ns = base('c') + '/namespaces/default'
    await api.post(base('c') + '/nodes').send(node('n1', '192.168.5.10'))
    const ports = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]
    await api.post(ns + '/pods').send(pod('a', 'n1', { app: 'web' }, { ports }))
    await api.post(ns + '/pods').send(pod('b', 'n1', { app: 'web' }, { ports, ready: false }))
    await api.post(ns + '/pods').send(pod('other', 'n1', { app: 'db' }, { ports }))
    assert.equal((await api.post(ns + '/services').send(svc('web', { selector: { app: 'web' }, ports: [{ name: 'h', port: 80, targetPort: 'http' }] }))).status, 201)

    const get = async (): Promise<Slice[]> => {
      const r = await api.get(ns + '/endpointslices')
      assert.equal(r.status, 200)
      assert.equal(r.body.kind, 'EndpointSliceList')
      assert.equal(r.body.apiVersion, 'discovery.k8s.io/v1')
      return (r.body.items as Slice[]).filter(s => s.metadata.labels['kubernetes.io/service-name'] === 'web')
    }
    let slices = await get()
    assert.equal(slices.length, 1)
    const eps = slices[0].endpoints.map(e => [e.addresses[0], e.conditions.ready, e.targetRef?.name, e.nodeName]).sort()
    assert.deepEqual(eps, [['10.244.0.2', true, 'a', 'n1'], ['10.244.0.3', false, 'b', 'n1']])
    assert.deepEqual(slices[0].ports?.map(p => [p.name, p.port]), [['h', 8080]])

    assert.equal((await api.delete(ns + '/pods/a')).status, 200)
    slices = await get()
    assert.deepEqual(slices[0].endpoints.map(e => e.addresses[0]), ['10.244.0.3'])
    assert.equal((await api.get(base('c') + '/namespaces/kube-system/endpointslices')).body.items.length, 0)
  })
})
