/** Store behaviour other helpers rely on: change events after commit, per-generation snapshots. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { memo, type ClusterChange } from '../../src/store/index.ts'
import { createCluster, createService, deleteCluster, clusterSnapshot } from '../../src/cluster/actions/index.ts'
import { openStore } from '../helper.ts'

describe('store', () => {
  it('fires onClusterChanged after each committed write and rebuilds the snapshot per generation', async (t) => {
    const store = await openStore(t)
    const events: ClusterChange[] = []
    const off = store.onClusterChanged(c => events.push(c))
    await createCluster(store, { metadata: { name: 'c' } })
    const s1 = await clusterSnapshot(store, 'c')
    assert.equal(s1, await clusterSnapshot(store, 'c'), 'cached while nothing changes')
    let built = 0
    memo(s1, 'x', () => ++built)
    memo(s1, 'x', () => ++built)
    assert.equal(built, 1)
    await createService(store, 'c', 'default', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } })
    const s2 = await clusterSnapshot(store, 'c')
    assert.notEqual(s2, s1)
    assert.equal(s2.services.length, 1)
    assert.equal(s2.generation, s1.generation + 1)
    await assert.rejects(createService(store, 'c', 'default', { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } }))
    assert.equal(await clusterSnapshot(store, 'c'), s2, 'a failed write changes nothing')
    await deleteCluster(store, 'c')
    off()
    assert.deepEqual(events.map(e => [e.cluster, e.generation, e.deleted]), [['c', 1, false], ['c', 2, false], ['c', 3, true]])
    assert.equal(await store.snapshot('c'), null)
  })
})
