/**
 * The repository's service writes are plain SQL (bulk.ts): the database's unique indexes must still
 * come back as UniqueViolation naming the table that refused the row, as the use cases expect.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Repo, UniqueViolation } from '../../src/store/index.ts'
import { createCluster } from '../../src/cluster/actions/index.ts'
import type { Service } from '../../src/cluster/model.ts'
import { openStore } from '../helper.ts'

const svc = (name: string): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', resourceVersion: '2' }, spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30001 }] }, status: { loadBalancer: {} } } as unknown as Service)

describe('repo service writes', () => {
  it('raise UniqueViolation for the table whose unique index refused the row; the rows read back', async (t) => {
    const store = await openStore(t)
    await createCluster(store, { metadata: { name: 'c' } })
    const id = (await store.prisma.cluster.findUniqueOrThrow({ where: { name: 'c' } })).id
    const alloc = (port: number, ip: string) => ({ nodePorts: [{ port, protocols: ['TCP', 'UDP'], field: 'spec.ports[0].nodePort' }], clusterIPs: [ip] })
    const refused = async (fn: (repo: Repo) => Promise<unknown>): Promise<UniqueViolation> => {
      try {
        // a fresh repository (no allocation cache) inside a transaction that is rolled back either way
        await store.prisma.$transaction(async tx => { await fn(new Repo(tx)); throw new Error('not refused') })
      } catch (e) {
        if (e instanceof UniqueViolation) return e
        throw e
      }
      throw new Error('unreachable')
    }
    const sid = await store.prisma.$transaction(async tx => await new Repo(tx).insertService(id, svc('a'), alloc(30001, '10.96.0.10')))
    const row = await store.prisma.service.findUniqueOrThrow({ where: { id: sid }, include: { nodePorts: true, clusterIPs: true } })
    assert.equal(row.name, 'a')
    assert.deepEqual(row.nodePorts.map(p => [p.port, p.protocols, p.field]), [[30001, 'TCP,UDP', 'spec.ports[0].nodePort']])
    assert.deepEqual(row.clusterIPs.map(r => r.ip), ['10.96.0.10'])
    assert.equal((await refused(async r => await r.insertService(id, svc('a'), alloc(30002, '10.96.0.11')))).table, 'Service')
    assert.equal((await refused(async r => await r.insertService(id, svc('b'), alloc(30001, '10.96.0.11')))).table, 'NodePortAllocation')
    assert.equal((await refused(async r => await r.insertService(id, svc('b'), alloc(30002, '10.96.0.10')))).table, 'ClusterIPAllocation')
    const other = await store.prisma.$transaction(async tx => await new Repo(tx).insertService(id, svc('b'), alloc(30002, '10.96.0.11')))
    assert.equal((await refused(async r => await r.updateService(id, other, svc('b'), alloc(30001, '10.96.0.11')))).table, 'NodePortAllocation')
    // an update keeping its own rows is no conflict
    await store.prisma.$transaction(async tx => { await new Repo(tx).updateService(id, other, svc('b'), alloc(30002, '10.96.0.11')) })
    assert.equal(await store.prisma.nodePortAllocation.count(), 2)
  })
})
