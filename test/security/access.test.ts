/** Access control (src/api/auth.ts): admin token, per-cluster read-write/read-only tokens, rotation, GraphQL. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build } from '../helper.ts'
import { hashToken } from '../../src/store/tokens.ts'

const ADMIN = 'admin-secret-0123456789'
const bearer = (t: string): [string, string] => ['authorization', `Bearer ${t}`]
const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } })

test('cluster tokens: each works for its own cluster only; read-only cannot write; admin manages clusters', async (t) => {
  const { api, app } = await build(t, { adminToken: ADMIN })

  // no token / bad token
  const anon = await api.get('/api/v1/clusters')
  assert.equal(anon.status, 401)
  assert.equal(anon.body.kind, 'Status')
  assert.equal(anon.body.reason, 'Unauthorized')
  assert.equal((await api.get('/api/v1/clusters').set(...bearer('nope'))).status, 401)
  assert.equal((await api.get('/healthz')).status, 200, 'liveness stays public')

  const a = await api.post('/api/v1/clusters').set(...bearer(ADMIN)).send({ metadata: { name: 'a' } })
  assert.equal(a.status, 201)
  const b = await api.post('/api/v1/clusters').set(...bearer(ADMIN)).send({ metadata: { name: 'b' } })
  assert.equal(b.status, 201)
  const ta = a.body.tokens as { readWrite: string, readOnly: string }
  const tb = b.body.tokens as { readWrite: string, readOnly: string }
  assert.match(ta.readWrite, /^kns_/)
  assert.notEqual(ta.readWrite, ta.readOnly)

  // stored hashed: no plaintext token in the database
  const rows = await app.store.prisma.clusterToken.findMany()
  assert.equal(rows.length, 4)
  for (const tok of [ta.readWrite, ta.readOnly, tb.readWrite, tb.readOnly]) {
    assert.ok(rows.some(r => r.hash === hashToken(tok)))
    assert.ok(!rows.some(r => r.hash === tok))
  }

  // own cluster: read and write
  assert.equal((await api.get('/api/v1/clusters/a').set(...bearer(ta.readOnly))).status, 200)
  assert.equal((await api.post('/api/v1/clusters/a/namespaces/default/services').set(...bearer(ta.readWrite)).send(svc('web'))).status, 201)
  assert.equal((await api.get('/api/v1/clusters/a/namespaces/default/services/web').set(...bearer(ta.readOnly))).status, 200)

  // read-only token on a write: 403, nothing written
  const ro = await api.post('/api/v1/clusters/a/namespaces/default/services').set(...bearer(ta.readOnly)).send(svc('other'))
  assert.equal(ro.status, 403)
  assert.equal(ro.body.reason, 'Forbidden')
  assert.equal((await api.delete('/api/v1/clusters/a/namespaces/default/services/web').set(...bearer(ta.readOnly))).status, 403)
  assert.equal((await api.get('/api/v1/clusters/a/namespaces/default/services/other').set(...bearer(ADMIN))).status, 404)

  // another cluster answers exactly like a missing one
  const foreign = await api.get('/api/v1/clusters/b').set(...bearer(ta.readWrite))
  const missing = await api.get('/api/v1/clusters/zz').set(...bearer(ta.readWrite))
  assert.equal(foreign.status, 404)
  assert.deepEqual(foreign.body, { ...missing.body, message: missing.body.message.replace('zz', 'b'), details: { ...missing.body.details, name: 'b' } })
  assert.equal((await api.get('/api/v1/clusters/b/namespaces/default/services').set(...bearer(ta.readWrite))).status, 404)
  assert.equal((await api.post('/api/v1/clusters/b/namespaces/default/services').set(...bearer(ta.readWrite)).send(svc('x'))).status, 404)
  assert.equal((await api.delete('/api/v1/clusters/b').set(...bearer(ta.readWrite))).status, 404)

  // cluster management needs the admin token
  assert.equal((await api.get('/api/v1/clusters').set(...bearer(ta.readWrite))).status, 403)
  assert.equal((await api.post('/api/v1/clusters').set(...bearer(ta.readWrite)).send({ metadata: { name: 'c' } })).status, 403)
  assert.equal((await api.delete('/api/v1/clusters/a').set(...bearer(ta.readWrite))).status, 403)
  const list = await api.get('/api/v1/clusters').set(...bearer(ADMIN))
  assert.deepEqual(list.body.items.map((c: { metadata: { name: string } }) => c.metadata.name), ['a', 'b'])

  // the standalone engine takes any valid token, not none
  const nf = { ruleset: '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n' }
  assert.equal((await api.post('/api/v1/netfilter/canonical').send(nf)).status, 401)
  assert.notEqual((await api.post('/api/v1/netfilter/canonical').set(...bearer(tb.readOnly)).send(nf)).status, 401)

  // rotation: read-only cannot, read-write can; old tokens stop working at once
  assert.equal((await api.post('/api/v1/clusters/a/tokens').set(...bearer(ta.readOnly))).status, 403)
  assert.equal((await api.post('/api/v1/clusters/a/tokens').set(...bearer(tb.readWrite))).status, 404)
  const rot = await api.post('/api/v1/clusters/a/tokens').set(...bearer(ta.readWrite))
  assert.equal(rot.status, 201)
  assert.equal(rot.body.kind, 'ClusterTokens')
  assert.equal((await api.get('/api/v1/clusters/a').set(...bearer(ta.readWrite))).status, 401)
  assert.equal((await api.get('/api/v1/clusters/a').set(...bearer(ta.readOnly))).status, 401)
  assert.equal((await api.get('/api/v1/clusters/a').set(...bearer(rot.body.readOnly))).status, 200)

  // deleting a cluster removes its tokens
  assert.equal((await api.delete('/api/v1/clusters/b').set(...bearer(ADMIN))).status, 200)
  assert.equal((await api.get('/api/v1/clusters/b').set(...bearer(tb.readWrite))).status, 401)
  assert.equal(await app.store.prisma.clusterToken.count(), 2)
})

test('GraphQL: same rules per root field; clusters lists only the own cluster; nested fields stay inside', async (t) => {
  const { api } = await build(t, { adminToken: ADMIN })
  const gql = async (token: string | undefined, query: string, variables: object = {}) => {
    const r = api.post('/graphql').set('content-type', 'application/json')
    if (token !== undefined) r.set(...bearer(token))
    return await r.send({ query, variables })
  }
  const a = (await api.post('/api/v1/clusters').set(...bearer(ADMIN)).send({ metadata: { name: 'a' } })).body.tokens
  const b = (await api.post('/api/v1/clusters').set(...bearer(ADMIN)).send({ metadata: { name: 'b' } })).body.tokens
  await api.post('/api/v1/clusters/b/namespaces/default/services').set(...bearer(b.readWrite)).send(svc('secret-b'))

  assert.equal((await gql(undefined, '{ clusters { items { metadata { name } } } }')).status, 401)

  const mine = await gql(a.readOnly, '{ clusters { items { metadata { name } } } }')
  assert.deepEqual(mine.body.data.clusters.items.map((c: { metadata: { name: string } }) => c.metadata.name), ['a'])
  const all = await gql(ADMIN, '{ clusters { items { metadata { name } } } }')
  assert.deepEqual(all.body.data.clusters.items.map((c: { metadata: { name: string } }) => c.metadata.name), ['a', 'b'])

  const other = await gql(a.readWrite, 'query($n: String!) { cluster(name: $n) { metadata { name } } }', { n: 'b' })
  assert.equal(other.body.data, null)
  assert.equal(other.body.errors[0].extensions.httpStatus, 404)
  assert.doesNotMatch(JSON.stringify(other.body), /secret-b/)
  const svcB = await gql(a.readWrite, '{ service(cluster: "b", namespace: "default", name: "secret-b") { metadata { name } } }')
  assert.equal(svcB.body.errors[0].extensions.httpStatus, 404)

  const roWrite = await gql(a.readOnly, 'mutation { createService(cluster: "a", namespace: "default", service: { metadata: { name: "x" }, spec: { ports: [{ port: 80 }] } }) { metadata { name } } }')
  assert.equal(roWrite.body.errors[0].extensions.httpStatus, 403)
  const rwWrite = await gql(a.readWrite, 'mutation { createService(cluster: "a", namespace: "default", service: { metadata: { name: "x" }, spec: { ports: [{ port: 80 }] } }) { metadata { name } } }')
  assert.equal(rwWrite.body.data.createService.metadata.name, 'x')

  const del = await gql(a.readWrite, 'mutation { deleteCluster(name: "b") { metadata { name } } }')
  assert.equal(del.body.errors[0].extensions.httpStatus, 404)
  const mk = await gql(a.readWrite, 'mutation { createCluster(cluster: { metadata: { name: "c" } }) { metadata { name } } }')
  assert.equal(mk.body.errors[0].extensions.httpStatus, 403)
  assert.equal((await api.get('/api/v1/clusters/b/namespaces/default/services/secret-b').set(...bearer(ADMIN))).status, 200, 'b untouched')

  // the admin creates a cluster over GraphQL: the answer carries its tokens, which work for it alone
  const made = await gql(ADMIN, 'mutation { createCluster(cluster: { metadata: { name: "d" } }) { metadata { name } tokens { readWrite readOnly } } }')
  const td = made.body.data.createCluster.tokens as { readWrite: string, readOnly: string }
  assert.match(td.readWrite, /^kns_/)
  assert.equal((await api.get('/api/v1/clusters/d').set(...bearer(td.readOnly))).status, 200)
  assert.equal((await api.get('/api/v1/clusters/a').set(...bearer(td.readWrite))).status, 404)
  const plainRead = await gql(ADMIN, '{ cluster(name: "d") { tokens { readWrite } } }')
  assert.equal(plainRead.body.data.cluster.tokens, null, 'tokens are shown only when created')
})

test('without an admin token everything is open and creation answers no tokens', async (t) => {
  const { api } = await build(t)
  const r = await api.post('/api/v1/clusters').send({ metadata: { name: 'a' } })
  assert.equal(r.status, 201)
  assert.equal(r.body.tokens, undefined)
  assert.equal((await api.get('/api/v1/clusters')).status, 200)
})
