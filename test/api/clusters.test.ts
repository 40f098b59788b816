/** Clusters through HTTP: defaults, strict bodies, errors, cascade delete. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { base, build, newCluster, node, nodePortSvc, pod } from '../helper.ts'

describe('clusters', () => {
  it('create with defaults, get, list; duplicate is 409 AlreadyExists', async (t) => {
    const { api } = await build(t)
    const r = await api.post('/api/v1/clusters').send({ metadata: { name: 'lab-1' } })
    assert.equal(r.status, 201)
    assert.equal(r.body.kind, 'Cluster')
    assert.deepEqual(r.body.spec, {
      serviceCIDR: '10.96.0.0/12',
      clusterCIDR: '10.244.0.0/16',
      nodePortRange: '30000-32767',
      kubeProxy: { profile: 'current', masqueradeAll: false, nodePortAddresses: [], localhostNodePorts: true, masqueradeBit: 14 }
    })
    assert.deepEqual((await api.get('/api/v1/clusters/lab-1')).body, r.body)
    const custom = await newCluster(api, 'lab-2', { serviceCIDR: '10.43.0.0/16', nodePortRange: '20000-20100', kubeProxy: { profile: 'legacy', masqueradeAll: true } })
    assert.equal((custom.spec as { nodePortRange: string }).nodePortRange, '20000-20100')
    assert.equal((custom.spec as { kubeProxy: { profile: string } }).kubeProxy.profile, 'legacy')
    const l = await api.get('/api/v1/clusters')
    assert.equal(l.body.kind, 'ClusterList')
    assert.deepEqual(l.body.items.map((c: { metadata: { name: string } }) => c.metadata.name), ['lab-1', 'lab-2'])
    const dup = await api.post('/api/v1/clusters').send({ metadata: { name: 'lab-1' } })
    assert.equal(dup.status, 409)
    assert.equal(dup.body.reason, 'AlreadyExists')
    assert.equal(dup.body.message, 'clusters.kubenetsim.io "lab-1" already exists')
  })

  it('a cluster\'s nodePort range bounds its services', async (t) => {
    const { api } = await build(t)
    await newCluster(api, 'small', { nodePortRange: '20000-20100' })
    const r = await api.post(base('small') + '/namespaces/default/services').send(nodePortSvc('x', 30000))
    assert.equal(r.status, 422)
    assert.equal(r.body.details.causes[0].message, 'Invalid value: 30000: provided port is not in the valid range. The range of valid ports is 20000-20100')
  })

  it('bad bodies: unknown field → 400 (strict decoding); wrong type, bad name, bad CIDR → 422 naming the field', async (t) => {
    const { api } = await build(t)
    const unknown = await api.post('/api/v1/clusters').send({ metadata: { name: 'x' }, spec: { colour: 'red' } })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.reason, 'BadRequest')
    assert.deepEqual(Object.keys(unknown.body), ['kind', 'apiVersion', 'metadata', 'status', 'message', 'reason', 'details', 'code'])
    assert.equal(unknown.body.kind, 'Status')
    assert.equal(unknown.body.details.causes[0].field, 'spec.colour')
    assert.match(unknown.body.message, /unknown field "spec\.colour"/)
    const wrongType = await api.post('/api/v1/clusters').send({ metadata: { name: 'x' }, spec: { kubeProxy: { masqueradeBit: '14' } } })
    assert.equal(wrongType.status, 422)
    assert.equal(wrongType.body.details.causes[0].field, 'spec.kubeProxy.masqueradeBit')
    const badName = await api.post('/api/v1/clusters').send({ metadata: { name: 'Not_Valid' } })
    assert.equal(badName.status, 422)
    assert.equal(badName.body.details.causes[0].field, 'metadata.name')
    const badCidr = await api.post('/api/v1/clusters').send({ metadata: { name: 'x' }, spec: { serviceCIDR: '10.96.0.1/12' } })
    assert.equal(badCidr.status, 422)
    assert.ok(badCidr.body.details.causes.some((c: { field: string }) => /serviceCIDR/.test(c.field)), JSON.stringify(badCidr.body))
    const badRange = await api.post('/api/v1/clusters').send({ metadata: { name: 'x' }, spec: { nodePortRange: 'lots' } })
    assert.equal(badRange.status, 422)
    assert.deepEqual((await api.get('/api/v1/clusters')).body.items, [], 'nothing was created')
  })

  it('404 for a missing cluster, on get and delete', async (t) => {
    const { api } = await build(t)
    const g = await api.get('/api/v1/clusters/ghost')
    assert.equal(g.status, 404)
    assert.equal(g.body.reason, 'NotFound')
    assert.equal((await api.delete('/api/v1/clusters/ghost')).status, 404)
  })

  it('delete cascades: nodes, pods, services and every allocation row go', async (t) => {
    const { api, app } = await build(t)
    await newCluster(api, 'gone')
    await newCluster(api, 'kept')
    for (const c of ['gone', 'kept']) {
      assert.equal((await api.post(base(c) + '/nodes').send(node('n1', '192.168.1.10'))).status, 201)
      assert.equal((await api.post(base(c) + '/namespaces/default/pods').send(pod('p1', 'n1', { app: 'a' }))).status, 201)
      assert.equal((await api.post(base(c) + '/namespaces/default/services').send(nodePortSvc('a', 30100))).status, 201)
    }
    const count = async (): Promise<number[]> => {
      const p = app.store.prisma
      return await Promise.all([p.node.count(), p.pod.count(), p.service.count(), p.nodePortAllocation.count(), p.clusterIPAllocation.count(), p.podIPAllocation.count()])
    }
    assert.deepEqual(await count(), [2, 2, 2, 2, 2, 2])
    const d = await api.delete('/api/v1/clusters/gone')
    assert.equal(d.status, 200)
    assert.equal(d.body.metadata.name, 'gone')
    assert.deepEqual(await count(), [1, 1, 1, 1, 1, 1])
    assert.equal((await api.get(base('gone') + '/nodes')).status, 404)
    await newCluster(api, 'gone')
    assert.deepEqual((await api.get(base('gone') + '/nodeports')).body.items, [])
    assert.equal((await api.post(base('gone') + '/namespaces/default/services').send(nodePortSvc('a', 30100))).status, 201, 'the port is free again')
  })
})
