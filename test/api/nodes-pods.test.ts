/** Nodes and pods through HTTP: podCIDR and pod IP assignment, hostNetwork, conflicts, 404s. */
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { base, sharedClusterApp, node, pod, type Built } from '../helper.ts'

const N = base('c') + '/nodes'
const P = base('c') + '/namespaces/default/pods'

describe('nodes and pods', () => {
  const app = sharedClusterApp('c')
  let b: Built
  before(() => { b = app() })

  it('nodes get sequential /24 podCIDRs from the cluster CIDR unless they name one', async () => {
    const a = await b.api.post(N).send(node('n-a', '192.168.0.10'))
    assert.equal(a.status, 201)
    assert.equal(a.body.spec.podCIDR, '10.244.0.0/24')
    assert.deepEqual(a.body.spec.podCIDRs, ['10.244.0.0/24'])
    const given = await b.api.post(N).send(node('n-given', '192.168.0.12', '10.244.7.0/24'))
    assert.equal(given.status, 201)
    assert.equal(given.body.spec.podCIDR, '10.244.7.0/24')
    const c = await b.api.post(N).send(node('n-b', '192.168.0.11'))
    assert.equal(c.body.spec.podCIDR, '10.244.1.0/24')
    const l = await b.api.get(N)
    assert.equal(l.body.kind, 'NodeList')
    assert.deepEqual(l.body.items.map((n: { metadata: { name: string } }) => n.metadata.name), ['n-a', 'n-b', 'n-given'])
  })

  it('a podCIDR held by another node is a 422; a duplicate node is a 409', async () => {
    const dupCidr = await b.api.post(N).send(node('n-c', '192.168.0.13', '10.244.0.0/24'))
    assert.equal(dupCidr.status, 422)
    assert.equal(dupCidr.body.details.causes[0].field, 'spec.podCIDR')
    const dup = await b.api.post(N).send(node('n-a', '192.168.0.10'))
    assert.equal(dup.status, 409)
    assert.equal(dup.body.message, 'nodes "n-a" already exists')
  })

  it('pods get IPs from their node podCIDR in host-local order (.1 is the gateway)', async () => {
    const ips: string[] = []
    for (const name of ['p1', 'p2', 'p3']) {
      const r = await b.api.post(P).send(pod(name, 'n-a', { app: 'web' }))
      assert.equal(r.status, 201, JSON.stringify(r.body))
      assert.equal(r.body.status.hostIP, '192.168.0.10')
      ips.push(r.body.status.podIP)
    }
    assert.deepEqual(ips, ['10.244.0.2', '10.244.0.3', '10.244.0.4'])
    const g = await b.api.get(P + '/p2')
    assert.deepEqual(g.body.status.podIPs, [{ ip: '10.244.0.3' }])
  })

  it('a freed pod IP is not handed out again before the round robin wraps', async () => {
    assert.equal((await b.api.delete(P + '/p1')).status, 200)
    const r = await b.api.post(P).send(pod('p4', 'n-a', { app: 'web' }))
    assert.equal(r.body.status.podIP, '10.244.0.5')
  })

  it('hostNetwork pods take the node IP and hold no pod IP', async () => {
    const r = await b.api.post(P).send(pod('hn', 'n-b', { app: 'hn' }, { hostNetwork: true }))
    assert.equal(r.status, 201, JSON.stringify(r.body))
    assert.equal(r.body.status.podIP, '192.168.0.11')
    const r2 = await b.api.post(P).send(pod('hn2', 'n-b', { app: 'hn' }, { hostNetwork: true }))
    assert.equal(r2.body.status.podIP, '192.168.0.11')
  })

  it('a given pod IP already held is a 422 and writes nothing', async () => {
    const r = await b.api.post(P).send(pod('clash', 'n-a', { app: 'web' }, { podIP: '10.244.0.3' }))
    assert.equal(r.status, 422)
    assert.equal(r.body.details.causes[0].field, 'status.podIP')
    assert.equal((await b.api.get(P + '/clash')).status, 404)
    const ok = await b.api.post(P).send(pod('given', 'n-a', { app: 'web' }, { podIP: '10.244.0.77' }))
    assert.equal(ok.status, 201)
    assert.equal(ok.body.status.podIP, '10.244.0.77')
  })

  it('pod PUT keeps its IP and checks resourceVersion', async () => {
    const cur = (await b.api.get(P + '/p2')).body
    const upd = structuredClone(cur)
    upd.metadata.labels = { app: 'web', v: '2' }
    delete upd.status.podIP
    delete upd.status.podIPs
    const r = await b.api.put(P + '/p2').send(upd)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.status.podIP, '10.244.0.3')
    const stale = await b.api.put(P + '/p2').send(upd)
    assert.equal(stale.status, 409)
    assert.equal(stale.body.message, 'Operation cannot be fulfilled on pods "p2": the object has been modified; please apply your changes to the latest version and try again')
  })

  it('node PUT: stale resourceVersion 409; podCIDR cannot change', async () => {
    const cur = (await b.api.get(N + '/n-b')).body
    const change = structuredClone(cur)
    change.spec = { podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'] }
    const bad = await b.api.put(N + '/n-b').send(change)
    assert.equal(bad.status, 422)
    const relabel = structuredClone(cur)
    relabel.metadata.labels = { ...cur.metadata.labels, zone: 'a' }
    const ok = await b.api.put(N + '/n-b').send(relabel)
    assert.equal(ok.status, 200)
    assert.equal(ok.body.spec.podCIDR, '10.244.1.0/24')
    const stale = await b.api.put(N + '/n-b').send(relabel)
    assert.equal(stale.status, 409)
    assert.equal(stale.body.reason, 'Conflict')
  })

  it('missing objects are 404 with the API server text', async () => {
    const a = await b.api.get(P + '/nope')
    assert.equal(a.status, 404)
    assert.equal(a.body.message, 'pods "nope" not found')
    const n = await b.api.delete(N + '/nope')
    assert.equal(n.status, 404)
    assert.equal(n.body.message, 'nodes "nope" not found')
  })

  it('invalid pods are a 422 listing causes', async () => {
    const r = await b.api.post(P).send({ metadata: { name: 'empty' }, spec: { containers: [] } })
    assert.equal(r.status, 422)
    assert.ok(r.body.details.causes.some((c: { field: string }) => c.field === 'spec.containers'))
  })
})
