/**
 * Parity: the same requests through REST and GraphQL give the same objects (GraphQL answers null
 * where REST omits a field, so nulls are stripped) and the same errors (message, and the whole
 * Kubernetes Status in extensions.status).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { base, build, newCluster, svc, type Built } from '../helper.ts'
import { gql, gqlData, stripNulls, withFragments } from './helper.ts'
import { populate } from './fixtures.ts'

let api: Built['api']
const hooks: Array<() => unknown> = []

describe('REST ↔ GraphQL parity', () => {
  before(async () => {
    const built = await build({ after: (f) => { hooks.push(f) } }, { seedDemo: true })
    api = built.api
    await populate(api)
  })
  after(async () => { for (const h of hooks) await h() })

  const rest = async (path: string): Promise<any> => {
    const r = await api.get(path)
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`)
    return r.body
  }

  it('clusters and cluster', async () => {
    const d = await gqlData(api, withFragments(`{ clusters { kind apiVersion items { ...ClusterFields } } cluster(name: "c") { ...ClusterFields } }`))
    const list = await rest('/api/v1/clusters')
    assert.deepEqual(stripNulls(d.clusters), { kind: list.kind, apiVersion: list.apiVersion, items: list.items })
    assert.deepEqual(stripNulls(d.cluster), await rest('/api/v1/clusters/c'))
    assert.deepEqual(d.clusters.items.map((c: any) => c.metadata.name).sort(), ['c', 'demo'])
  })

  it('nodes, pods, services, endpoint slices, nodeports (lists and gets)', async () => {
    const d = await gqlData(api, withFragments(`{
      cluster(name: "c") {
        nodes { kind apiVersion metadata { resourceVersion } items { ...NodeFields } }
        node(name: "n2") { ...NodeFields }
        pods(namespace: "default") { kind apiVersion metadata { resourceVersion } items { ...PodFields } }
        other: pods(namespace: "other") { kind apiVersion metadata { resourceVersion } items { ...PodFields } }
        pod(namespace: "default", name: "web-3") { ...PodFields }
        services(namespace: "default") { kind apiVersion metadata { resourceVersion } items { ...ServiceFields } }
        service(namespace: "other", name: "db") { ...ServiceFields }
        endpointSlices(namespace: "default") { kind apiVersion metadata { resourceVersion } items { ...SliceFields } }
        nodePorts { kind apiVersion metadata { resourceVersion } range items { port protocols field namespace service } }
      }
    }`))
    const c = d.cluster
    const b = base('c')
    assert.deepEqual(stripNulls(c.nodes), await rest(b + '/nodes'))
    assert.deepEqual(stripNulls(c.node), await rest(b + '/nodes/n2'))
    assert.deepEqual(stripNulls(c.pods), await rest(b + '/namespaces/default/pods'))
    assert.deepEqual(stripNulls(c.other), await rest(b + '/namespaces/other/pods'))
    assert.deepEqual(stripNulls(c.pod), await rest(b + '/namespaces/default/pods/web-3'))
    assert.deepEqual(stripNulls(c.services), await rest(b + '/namespaces/default/services'))
    assert.deepEqual(stripNulls(c.service), await rest(b + '/namespaces/other/services/db'))
    assert.deepEqual(stripNulls(c.endpointSlices), stripNulls(await rest(b + '/namespaces/default/endpointslices')))
    assert.deepEqual(stripNulls(c.nodePorts), await rest(b + '/nodeports'))
    assert.equal(c.services.items.length, 4)
    assert.equal(c.nodePorts.items.length >= 3, true, 'NodePort (2 ports) + LoadBalancer nodePort + healthCheckNodePort')
  })

  it('top-level service(cluster, namespace, name) equals REST GET', async () => {
    const d = await gqlData(api, withFragments(`{ service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") { ...ServiceFields } }`))
    assert.deepEqual(stripNulls(d.service), await rest('/api/v1/clusters/demo/namespaces/default/services/k8s-nginx-node'))
  })

  const errorCases: Array<{ name: string, rest: (api: Built['api']) => Promise<any>, query: string, variables?: Record<string, unknown> }> = [
    {
      name: 'missing cluster (404 NotFound)',
      rest: async (a) => await a.get('/api/v1/clusters/nope'),
      query: '{ cluster(name: "nope") { metadata { name } } }'
    },
    {
      name: 'missing service (404 NotFound)',
      rest: async (a) => await a.get(base('c') + '/namespaces/default/services/nope'),
      query: '{ service(cluster: "c", namespace: "default", name: "nope") { metadata { name } } }'
    },
    {
      name: 'nodePort already allocated (422 Invalid with causes)',
      rest: async (a) => await a.post(base('c') + '/namespaces/default/services').send(svc('dup', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] })),
      query: 'mutation($s: JSON!) { createService(cluster: "c", namespace: "default", service: $s) { metadata { name } } }',
      variables: { s: svc('dup', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }) }
    },
    {
      name: 'nodePort out of range and several causes (422)',
      rest: async (a) => await a.post(base('c') + '/namespaces/default/services').send(svc('bad', { type: 'NodePort', ports: [{ port: 0, nodePort: 80, protocol: 'TCP' }] })),
      query: 'mutation($s: JSON!) { createService(cluster: "c", namespace: "default", service: $s) { metadata { name } } }',
      variables: { s: svc('bad', { type: 'NodePort', ports: [{ port: 0, nodePort: 80, protocol: 'TCP' }] }) }
    },
    {
      name: 'already exists (409 AlreadyExists)',
      rest: async (a) => await a.post(base('c') + '/nodes').send({ metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.0.99' }] } }),
      query: 'mutation($n: JSON!) { createNode(cluster: "c", node: $n) { metadata { name } } }',
      variables: { n: { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.0.99' }] } } }
    },
    {
      name: 'stale resourceVersion (409 Conflict)',
      rest: async (a) => await a.put(base('c') + '/namespaces/other/services/db').send(svc('db', { selector: { app: 'db' }, ports: [{ port: 5432, protocol: 'TCP' }] }, { resourceVersion: '1' })),
      query: 'mutation($s: JSON!) { replaceService(cluster: "c", namespace: "other", name: "db", service: $s) { created } }',
      variables: { s: svc('db', { selector: { app: 'db' }, ports: [{ port: 5432, protocol: 'TCP' }] }, { resourceVersion: '1' }) }
    },
    {
      name: 'namespace mismatch (400 BadRequest)',
      rest: async (a) => await a.post(base('c') + '/namespaces/default/pods').send({ metadata: { name: 'x', namespace: 'other' }, spec: { containers: [{ name: 'c' }] } }),
      query: 'mutation($p: JSON!) { createPod(cluster: "c", namespace: "default", pod: $p) { metadata { name } } }',
      variables: { p: { metadata: { name: 'x', namespace: 'other' }, spec: { containers: [{ name: 'c' }] } } }
    },
    {
      name: 'invalid cluster settings (422)',
      rest: async (a) => await a.post('/api/v1/clusters').send({ metadata: { name: 'Bad_Name' }, spec: { serviceCIDR: '10.0.0.0/40' } }),
      query: 'mutation { createCluster(cluster: { metadata: { name: "Bad_Name" }, spec: { serviceCIDR: "10.0.0.0/40" } }) { metadata { name } } }'
    },
    {
      name: 'manifest error names the document (YAML)',
      rest: async (a) => await a.post(base('c') + '/manifests').set('content-type', 'application/yaml').send('apiVersion: v1\nkind: Service\nmetadata: {name: m1}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: m2}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}\n'),
      query: 'mutation($m: String!) { applyManifests(cluster: "c", manifests: $m) { results { name } } }',
      variables: { m: 'apiVersion: v1\nkind: Service\nmetadata: {name: m1}\nspec: {ports: [{port: 80}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: m2}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}\n' }
    },
    {
      name: 'malformed YAML manifest (400 with line)',
      rest: async (a) => await a.post(base('c') + '/manifests').set('content-type', 'application/yaml').send('kind: Service\n  metadata: [\n'),
      query: 'mutation($m: String!) { applyManifests(cluster: "c", manifests: $m) { results { name } } }',
      variables: { m: 'kind: Service\n  metadata: [\n' }
    }
  ]

  for (const c of errorCases) {
    it(`error: ${c.name}`, async () => {
      const r = await c.rest(api)
      assert.ok(r.status >= 400, `REST answered ${r.status}`)
      assert.equal(r.body.kind, 'Status')
      const g = await gql(api, c.query, c.variables)
      assert.equal(g.status, 200, 'resolver errors are HTTP 200 with errors[] (graphql-over-http)')
      assert.equal(g.data, null)
      assert.equal(g.errors?.length, 1)
      const e = g.errors![0]
      assert.equal(e.message, r.body.message)
      assert.deepEqual(e.extensions.status, r.body)
      assert.equal(e.extensions.reason, r.body.reason)
      assert.equal(e.extensions.httpStatus, r.status)
      assert.equal(e.extensions.code, r.body.reason.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase())
      assert.deepEqual(e.extensions.causes, r.body.details?.causes ?? [])
    })
  }

  it('writes: the same create through both APIs stores the same object', async () => {
    await newCluster(api, 'w1')
    const mk = (): Record<string, unknown> => svc('same', { type: 'NodePort', clusterIP: '10.96.0.50', selector: { app: 'x' }, ports: [{ name: 'p', port: 81, targetPort: 'http', nodePort: 31111, protocol: 'TCP' }] })
    const r = await api.post(base('w1') + '/namespaces/default/services').send(mk())
    assert.equal(r.status, 201)
    await gqlData(api, 'mutation { createCluster(cluster: { metadata: { name: "w2" } }) { metadata { name } } }')
    const d = await gqlData(api, withFragments(`mutation($s: JSON!) { createService(cluster: "w2", namespace: "default", service: $s) { ...ServiceFields } }`), { s: mk() })
    const strip = (o: any): any => { const x = structuredClone(o); delete x.metadata.uid; delete x.metadata.creationTimestamp; return x }
    assert.deepEqual(strip(stripNulls(d.createService)), strip(r.body))
    assert.deepEqual(stripNulls(d.createService), await (async () => (await api.get(base('w2') + '/namespaces/default/services/same')).body)())
  })
})
