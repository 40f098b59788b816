/**
 * The per-cluster object cap (KUBENETSIM_MAX_CLUSTER_OBJECTS, src/cluster/actions/quota.ts): nodes +
 * pods + services past it answer 403 Forbidden `exceeded quota` like a ResourceQuota, nothing written;
 * a manifest that would cross it is refused whole; updates and other clusters are not affected.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build, node as nodeOf, pod as podOf } from '../helper.ts'
import { requestLimitsFromEnv } from '../../src/api/limits.ts'

const svc = (name: string): object => ({ metadata: { name }, spec: { ports: [{ port: 80 }] } })
const node = (name: string): object => nodeOf(name, name === 'n1' ? '192.168.0.10' : '192.168.0.11')
const pod = (name: string, nodeName: string): object => podOf(name, nodeName, { app: 'a' })
const yamlSvc = (name: string): string => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  ports:\n  - port: 80\n`

function assertQuota (r: { status: number, body: Record<string, any> }): void {
  assert.equal(r.status, 403, JSON.stringify(r.body))
  assert.equal(r.body.kind, 'Status')
  assert.equal(r.body.reason, 'Forbidden')
  assert.equal(r.body.code, 403)
  assert.match(r.body.message, /is forbidden: exceeded quota: kubenetsim-max-cluster-objects, requested: objects=\d+, used: objects=\d+, limited: objects=4 /)
}

test('object cap: single creates of every kind past the cap are 403, nothing written', async (t) => {
  const { api } = await build(t, { limits: { maxClusterObjects: 4 } })
  await api.post('/api/v1/clusters').send({ metadata: { name: 'a' } }).expect(201)
  const base = '/api/v1/clusters/a'
  await api.post(`${base}/nodes`).send(node('n1')).expect(201)
  await api.post(`${base}/namespaces/default/pods`).send(pod('p1', 'n1')).expect(201)
  await api.post(`${base}/namespaces/default/services`).send(svc('s1')).expect(201)
  await api.post(`${base}/namespaces/default/services`).send(svc('s2')).expect(201)
  const s = await api.post(`${base}/namespaces/default/services`).send(svc('s3'))
  assertQuota(s)
  assert.match(s.body.message, /^services "s3" is forbidden: exceeded quota: kubenetsim-max-cluster-objects, requested: objects=1, used: objects=4, limited: objects=4 /)
  assert.deepEqual(s.body.details, { name: 's3', kind: 'services' })
  assertQuota(await api.post(`${base}/nodes`).send(node('n2')))
  assertQuota(await api.post(`${base}/namespaces/default/pods`).send(pod('p2', 'n1')))
  // PUT of a missing object creates it: capped too
  assertQuota(await api.put(`${base}/namespaces/default/services/s9`).send(svc('s9')))
  // an invalid object still answers its 422 first (validation runs before the quota, as in the API server)
  assert.equal((await api.post(`${base}/namespaces/default/services`).send({ metadata: { name: 'BAD' }, spec: { ports: [{ port: 80 }] } })).status, 422)
  // nothing was written
  assert.deepEqual((await api.get(`${base}/namespaces/default/services`)).body.items.map((o: any) => o.metadata.name), ['s1', 's2'])
  assert.deepEqual((await api.get(`${base}/nodes`)).body.items.map((o: any) => o.metadata.name), ['n1'])
  assert.deepEqual((await api.get(`${base}/namespaces/default/pods`)).body.items.map((o: any) => o.metadata.name), ['p1'])
  // updates of existing objects still work at the cap, and a delete makes room
  const s1 = (await api.get(`${base}/namespaces/default/services/s1`)).body
  s1.metadata.labels = { x: 'y' }
  await api.put(`${base}/namespaces/default/services/s1`).send(s1).expect(200)
  await api.delete(`${base}/namespaces/default/services/s2`).expect(200)
  await api.post(`${base}/namespaces/default/services`).send(svc('s3')).expect(201)
  // the cap is per cluster
  await api.post('/api/v1/clusters').send({ metadata: { name: 'b' } }).expect(201)
  await api.post('/api/v1/clusters/b/namespaces/default/services').send(svc('s1')).expect(201)
})

test('object cap: a manifest that would cross it is refused whole; one that fits, or only updates, applies', async (t) => {
  const { api } = await build(t, { limits: { maxClusterObjects: 4 } })
  await api.post('/api/v1/clusters').send({ metadata: { name: 'a' } }).expect(201)
  const apply = async (names: string[]): Promise<any> => await api.post('/api/v1/clusters/a/manifests').set('content-type', 'application/yaml').send(names.map(yamlSvc).join('---\n'))
  assert.equal((await apply(['s1', 's2'])).status, 200)
  const r = await apply(['s1', 's3', 's4', 's5'])
  assertQuota(r)
  assert.match(r.body.message, /^the manifest is forbidden: exceeded quota: kubenetsim-max-cluster-objects, requested: objects=3, used: objects=2, limited: objects=4 /)
  assert.deepEqual((await api.get('/api/v1/clusters/a/namespaces/default/services')).body.items.map((o: any) => o.metadata.name), ['s1', 's2'])
  assert.equal((await apply(['s1', 's2', 's3', 's4'])).status, 200)
  assert.equal((await apply(['s1', 's2', 's3', 's4'])).status, 200, 'updates only, at the cap')
  assertQuota(await apply(['s5']))
})

test('object cap: GraphQL mutations get the same 403 Status in extensions', async (t) => {
  const { api } = await build(t, { limits: { maxClusterObjects: 1 } })
  await api.post('/api/v1/clusters').send({ metadata: { name: 'a' } }).expect(201)
  const q = 'mutation ($s: JSON!) { createService(cluster: "a", namespace: "default", service: $s) { metadata { name } } }'
  const ok = await api.post('/graphql').send({ query: q, variables: { s: svc('s1') } })
  assert.equal(ok.body.errors, undefined, JSON.stringify(ok.body))
  const r = await api.post('/graphql').send({ query: q, variables: { s: svc('s2') } })
  assert.equal(r.body.errors?.length, 1, JSON.stringify(r.body))
  assert.match(JSON.stringify(r.body.errors[0].extensions), /Forbidden/)
})

test('object cap: configurable from the environment, 0 turns it off, default 20,000', () => {
  assert.equal(requestLimitsFromEnv({}).maxClusterObjects, 20_000)
  assert.equal(requestLimitsFromEnv({ KUBENETSIM_MAX_CLUSTER_OBJECTS: '0' }).maxClusterObjects, 0)
  assert.equal(requestLimitsFromEnv({ KUBENETSIM_MAX_CLUSTER_OBJECTS: '50' }).maxClusterObjects, 50)
  assert.throws(() => requestLimitsFromEnv({ KUBENETSIM_MAX_CLUSTER_OBJECTS: '-1' }))
})
