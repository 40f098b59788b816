/**
 * The render cache across snapshots: the server builds every generation's objects anew (parsed rows,
 * EndpointSlices derived again), so an unchanged Service arrives as other, equal objects. The cache
 * must know them for unchanged (by versions, not by printing them), move its fragments to them (so
 * the previous snapshot can go) and still rebuild what changed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateNodeRules, KubeProxyRulesCache, type GenerateInput } from '../../src/cluster/kubeproxy/index.ts'
import { deriveAllEndpointSlices, sliceSource } from '../../src/cluster/endpoints.ts'
import type { Pod } from '../../src/cluster/model.ts'
import { TreeSharer } from '../../src/store/share.ts'
import { domainCluster, generateInput, type DomainCluster } from '../../bench/lib/cluster.ts'

/** The cluster as the next snapshot holds it: every object parsed again, slices derived again; `edit` may change pods first. */
function nextSnapshot (c: DomainCluster, edit: (pods: Pod[]) => void = () => {}): DomainCluster {
  const sharer = new TreeSharer()
  const again = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T
  const nodes = c.nodes.map(n => sharer.share(again(n)))
  const pods = c.pods.map(p => again(p))
  edit(pods)
  const shared = pods.map(p => sharer.share(p))
  const services = c.services.map(s => sharer.share(again(s)))
  return { ...c, nodes, pods: shared, services, endpointSlices: deriveAllEndpointSlices(services, shared, nodes) }
}

const input = (c: DomainCluster, node = 0): GenerateInput => ({ ...generateInput(c, node), options: { nfacct: false } })

test('derived slices carry the versions they come from: equal when re-derived, different when a pod changed', () => {
  const c = domainCluster({ services: 6, endpoints: 3, podsPerNode: 5 })
  const d = nextSnapshot(c)
  assert.equal(d.endpointSlices.length, c.endpointSlices.length)
  for (let i = 0; i < c.endpointSlices.length; i++) {
    assert.notEqual(d.endpointSlices[i], c.endpointSlices[i])
    assert.equal(JSON.stringify(d.endpointSlices[i]), JSON.stringify(c.endpointSlices[i]))
    assert.ok(sliceSource(c.endpointSlices[i]) !== undefined)
    assert.equal(sliceSource(d.endpointSlices[i]), sliceSource(c.endpointSlices[i]))
  }
  // a new version of one pod (nothing else about it changed): its service's slice has another source
  const e = nextSnapshot(c, pods => { pods[4].metadata.resourceVersion = '7' })
  const changed = e.endpointSlices.filter((s, i) => sliceSource(s) !== sliceSource(c.endpointSlices[i]))
  assert.deepEqual(changed.map(s => s.metadata.labels?.['kubernetes.io/service-name']), ['svc-1'])
  // a pod without a resourceVersion: no source (the cache falls back on the slice's text)
  const f = nextSnapshot(c, pods => { delete pods[0].metadata.resourceVersion })
  assert.equal(sliceSource(f.endpointSlices[0]), undefined)
  assert.ok(sliceSource(f.endpointSlices[1]) !== undefined)
})

test('a new snapshot of an unchanged cluster rebuilds nothing, and the fragments move to the new objects', () => {
  const c = domainCluster({ services: 40, endpoints: 3, podsPerNode: 30 })
  const cache = new KubeProxyRulesCache()
  const first = cache.render(input(c), 1)
  const restore = first.restore
  const d = nextSnapshot(c)
  const second = cache.render(input(d), 2)
  assert.equal(cache.lastRebuilt, 0)
  assert.equal(second.restore, restore)
  assert.deepEqual(second.rules, first.rules)
  // the fragments are the first render's, now generating their records from the new objects
  const frags = second.fragments as unknown as Array<{ svc: unknown, slices: unknown[] }>
  assert.ok(frags.every((f, i) => f === (first.fragments[i] as unknown)))
  const byName = new Map(d.services.map(s => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
  for (const f of second.fragments) assert.equal((f as unknown as { svc: unknown }).svc, byName.get(f.service))
  // another node of the new snapshot finds the same objects
  cache.render(input(d, 1), 2)
  assert.equal(cache.lastRebuilt, 0)
  assert.equal(cache.render(input(d, 1), 2).restore, generateNodeRules(input(d, 1)).restore)
})

test('a new snapshot with one pod moved rebuilds that pod\'s Service only, with the new address', () => {
  const c = domainCluster({ services: 40, endpoints: 3, podsPerNode: 30 })
  const cache = new KubeProxyRulesCache()
  cache.render(input(c), 1)
  const d = nextSnapshot(c, pods => {
    const p = pods[7]
    p.status.podIP = '10.250.0.9'
    p.status.podIPs = [{ ip: '10.250.0.9' }]
    p.metadata.resourceVersion = '9'
  })
  const r = cache.render(input(d), 2)
  assert.equal(cache.lastRebuilt, 1)
  assert.equal(r.restore, generateNodeRules(input(d)).restore)
  assert.ok(r.restore.includes('10.250.0.9:8080'))
})
