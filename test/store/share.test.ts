/** Structural sharing of snapshot objects: same JSON, equal subtrees one object, everything frozen. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { TreeSharer } from '../../src/store/index.ts'
import { createCluster, createNode, createPod, createService, clusterSnapshot, endpointSlicesOf } from '../../src/cluster/actions/index.ts'
import { openStore } from '../helper.ts'

const pod = (name: string, ip: string, node = 'n1'): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'web', tier: 'frontend-long-value' }, uid: `uid-${name}-0000-0000-0000` },
  spec: { nodeName: node, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }], podIPs: [{ ip }] }
})

function eachObject (v: unknown, fn: (o: object) => void): void {
  if (typeof v !== 'object' || v === null) return
  fn(v)
  for (const x of Object.values(v)) eachObject(x, fn)
}

describe('TreeSharer', () => {
  it('keeps the JSON text of every object, byte for byte', () => {
    const texts = [
      JSON.stringify(pod('a', '10.244.0.10')),
      JSON.stringify(pod('b', '10.244.0.11')),
      '{"kind":"X","a":{"b":{"c":[1,2.5,-3e-7,null,true,false,"é ✓ \\u0000",[],{}],"d":{"e":[[1],[1],{"f":"long string value here"}]}},"g":{"e":[[1],[1]]}}}',
      '{"kind":"Y","a":{"b":{"c":[1,2.5,-3e-7,null,true,false,"é ✓ \\u0000",[],{}]}},"z":[[[[["deep"]]]]]}',
      '{"kind":"Z","s":{"order":{"b":1,"a":2}},"t":{"order":{"a":2,"b":1}}}',
      // a key named __proto__ is an own property of parsed JSON, and stays one
      '{"kind":"P","m":{"a":{"__proto__":{"x":"long enough string"},"1":"one","b":"y"}},"s":{"a":{"__proto__":{"x":"long enough string"},"1":"one","b":"y"}}}'
    ]
    const sharer = new TreeSharer()
    const out = texts.map(t => sharer.share(JSON.parse(t)))
    assert.deepEqual(out.map(o => JSON.stringify(o)), texts.map(t => JSON.stringify(JSON.parse(t))))
    // key order is part of the text: {b,a} and {a,b} stay apart
    const z = out[4] as { s: { order: object }, t: { order: object } }
    assert.notEqual(z.s.order, z.t.order)
    const p = out[5] as { m: { a: object }, s: { a: object } }
    assert.equal(p.m.a, p.s.a)
    assert.equal(Object.getPrototypeOf(p.m.a), Object.prototype)
    assert.deepEqual(Object.keys(p.m.a), ['1', '__proto__', 'b'])
  })

  it('shares equal subtrees across objects, but not the objects themselves nor their sections', () => {
    const sharer = new TreeSharer()
    const a = sharer.share(JSON.parse(JSON.stringify(pod('a', '10.244.0.10')))) as any
    const b = sharer.share(JSON.parse(JSON.stringify(pod('b', '10.244.0.11')))) as any
    const a2 = sharer.share(JSON.parse(JSON.stringify(pod('a', '10.244.0.10')))) as any
    assert.equal(a.spec.containers, b.spec.containers)
    assert.equal(a.metadata.labels, b.metadata.labels)
    assert.equal(a.status.conditions, b.status.conditions)
    assert.notEqual(a.status.podIPs, b.status.podIPs)
    // an equal row is still an object of its own, with sections of its own (identity marks one object)
    assert.notEqual(a2, a)
    assert.notEqual(a2.metadata, a.metadata)
    assert.notEqual(a2.spec, a.spec)
    assert.equal(a2.spec.containers, a.spec.containers)
    assert.equal(a2.status.podIPs, a.status.podIPs)
    // a Service selector equal to the pods' labels is the same object
    const svc = sharer.share(JSON.parse(JSON.stringify({ kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'web', tier: 'frontend-long-value' } } }))) as any
    assert.equal(svc.spec.selector, a.metadata.labels)
    // a fresh sharer shares nothing with the first one's objects
    const c = new TreeSharer().share(JSON.parse(JSON.stringify(pod('c', '10.244.0.12')))) as any
    assert.notEqual(c.spec.containers, a.spec.containers)
  })

  it('freezes everything it hands out, so an in-place change throws', () => {
    const sharer = new TreeSharer()
    const a = sharer.share(JSON.parse(JSON.stringify(pod('a', '10.244.0.10')))) as any
    let n = 0
    eachObject(a, o => { assert.ok(Object.isFrozen(o)); n++ })
    assert.ok(n >= 12)
    assert.throws(() => { a.metadata.labels.app = 'db' }, TypeError)
    assert.throws(() => { a.spec.containers.push({}) }, TypeError)
    assert.throws(() => { a.status.phase = 'Failed' }, TypeError)
    // a copy is how to change one
    const b = structuredClone(a)
    b.metadata.labels.app = 'db'
    assert.equal(a.metadata.labels.app, 'web')
  })
})

describe('store snapshot', () => {
  it('holds frozen objects sharing equal subtrees; reads and derived slices print as before', async (t) => {
    const store = await openStore(t)
    await createCluster(store, { metadata: { name: 'c' } })
    await createNode(store, 'c', { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.10' }] } })
    const sent = [pod('a', '10.244.0.10'), pod('b', '10.244.0.11')]
    for (const p of sent) {
      const { uid: _, ...metadata } = p.metadata as Record<string, unknown>
      await createPod(store, 'c', 'default', { ...p, metadata })
    }
    await createService(store, 'c', 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web', tier: 'frontend-long-value' }, ports: [{ port: 80, targetPort: 8080 }] } })
    const snap = await clusterSnapshot(store, 'c')
    const [a, b] = snap.pods
    assert.equal(a.spec.containers, b.spec.containers)
    assert.equal(a.status.conditions, b.status.conditions)
    assert.equal(snap.services[0].spec.selector, a.metadata.labels)
    for (const o of [...snap.nodes, ...snap.pods, ...snap.services]) eachObject(o, x => assert.ok(Object.isFrozen(x)))
    // the same text as the rows the database holds
    const rows = await store.read(async repo => await repo.db.pod.findMany({ orderBy: [{ namespace: 'asc' }, { name: 'asc' }], select: { object: true } }))
    assert.deepEqual(snap.pods.map(p => JSON.stringify(p)), rows.map(r => r.object))
    const [slice] = endpointSlicesOf(snap)
    assert.deepEqual(slice.endpoints.map(e => [e.addresses[0], e.targetRef?.name, e.targetRef?.uid]), [['10.244.0.10', 'a', a.metadata.uid], ['10.244.0.11', 'b', b.metadata.uid]])
  })
})
