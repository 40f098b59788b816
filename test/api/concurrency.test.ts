/**
 * Allocation under concurrency, through HTTP: the database's unique (cluster, port) and the store's
 * serialized transactions must give exactly one winner per port and no duplicates.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { base, build, newCluster, nodePortSvc } from '../helper.ts'

describe('concurrent NodePort allocation', () => {
  it('200 creates asking for the same nodePort: exactly one 201, 199 × "provided port is already allocated"', async (t) => {
    const { api } = await build(t)
    await newCluster(api, 'c')
    const results = await Promise.all(Array.from({ length: 200 }, async (_, i) =>
      await api.post(base('c') + '/namespaces/default/services').send(nodePortSvc(`same-${i}`, 30500))))
    const ok = results.filter(r => r.status === 201)
    const rejected = results.filter(r => r.status === 422)
    assert.equal(ok.length, 1)
    assert.equal(rejected.length, 199)
    for (const r of rejected) {
      const name = r.body.details.name as string
      assert.equal(r.body.kind, 'Status')
      assert.equal(r.body.reason, 'Invalid')
      assert.equal(r.body.message, `Service "${name}" is invalid: spec.ports[0].nodePort: Invalid value: 30500: provided port is already allocated`)
      assert.deepEqual(r.body.details.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 30500: provided port is already allocated', field: 'spec.ports[0].nodePort' }])
    }
    const table = await api.get(base('c') + '/nodeports')
    assert.deepEqual(table.body.items.map((x: { port: number, service: string }) => [x.port, x.service]), [[30500, ok[0].body.metadata.name]])
    const list = await api.get(base('c') + '/namespaces/default/services')
    assert.equal(list.body.items.length, 1, 'the losers left no service behind')
  })

  it('500 concurrent auto-allocating creates: 500 distinct ports, and the table equals the services', async (t) => {
    const { api } = await build(t)
    await newCluster(api, 'c')
    const results = await Promise.all(Array.from({ length: 500 }, async (_, i) =>
      await api.post(base('c') + '/namespaces/default/services').send(nodePortSvc(`auto-${i}`))))
    assert.deepEqual([...new Set(results.map(r => r.status))], [201])
    const ports = results.map(r => r.body.spec.ports[0].nodePort as number)
    assert.equal(new Set(ports).size, 500)
    for (const p of ports) assert.ok(p >= 30000 && p <= 32767, `port ${p} in range`)
    const ips = results.map(r => r.body.spec.clusterIP as string)
    assert.equal(new Set(ips).size, 500, 'ClusterIPs are distinct too')

    const table = await api.get(base('c') + '/nodeports')
    const fromTable = table.body.items.map((x: { port: number, namespace: string, service: string }) => `${x.port} ${x.namespace}/${x.service}`).sort()
    const list = await api.get(base('c') + '/namespaces/default/services')
    assert.equal(list.body.items.length, 500)
    const fromServices = list.body.items.map((s: { spec: { ports: Array<{ nodePort: number }> }, metadata: { name: string } }) => `${s.spec.ports[0].nodePort} default/${s.metadata.name}`).sort()
    assert.deepEqual(fromTable, fromServices)
  })
})
