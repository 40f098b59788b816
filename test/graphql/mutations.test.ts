/**
 * Every mutation through POST /graphql, checked against what REST then reads back (the same store,
 * the same use cases).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { base, build, node, pod, svc, type Built } from '../helper.ts'
import { gql, gqlData } from './helper.ts'

describe('GraphQL mutations', () => {
  let api: Built['api']
  const hooks: Array<() => unknown> = []
  before(async () => { api = (await build({ after: (f) => { hooks.push(f) } })).api })
  after(async () => { for (const h of hooks) await h() })

  const get = async (path: string): Promise<{ status: number, body: any }> => {
    const r = await api.get(path)
    return { status: r.status, body: r.body }
  }

  it('createCluster applies the defaults; spec given is kept; deleteCluster cascades', async () => {
    const d = await gqlData(api, `mutation {
      a: createCluster(cluster: { metadata: { name: "m" } }) { kind apiVersion metadata { name uid } spec { serviceCIDR clusterCIDR nodePortRange kubeProxy { profile masqueradeAll masqueradeBit localhostNodePorts nodePortAddresses } } }
      b: createCluster(cluster: { metadata: { name: "m2" }, spec: { serviceCIDR: "10.0.0.0/16", nodePortRange: "31000-31010", kubeProxy: { profile: legacy } } }) { spec { serviceCIDR nodePortRange kubeProxy { profile } } }
    }`)
    assert.deepEqual(d.a.spec, { serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16', nodePortRange: '30000-32767', kubeProxy: { profile: 'current', masqueradeAll: false, masqueradeBit: 14, localhostNodePorts: true, nodePortAddresses: [] } })
    assert.equal(d.a.kind, 'Cluster')
    assert.deepEqual(d.b.spec, { serviceCIDR: '10.0.0.0/16', nodePortRange: '31000-31010', kubeProxy: { profile: 'legacy' } })
    assert.equal((await get('/api/v1/clusters/m')).body.metadata.uid, d.a.metadata.uid)
    await gqlData(api, 'mutation($n: JSON!) { createNode(cluster: "m2", node: $n) { metadata { name } } }', { n: node('x', '10.1.1.1') })
    const del = await gqlData(api, 'mutation { deleteCluster(name: "m2") { metadata { name } } }')
    assert.equal(del.deleteCluster.metadata.name, 'm2')
    assert.equal((await get('/api/v1/clusters/m2')).status, 404)
    assert.equal((await get('/api/v1/clusters/m2/nodes')).status, 404)
  })

  it('nodes: create (podCIDR assigned), replace (created, then updated), delete', async () => {
    const c = await gqlData(api, 'mutation($n: JSON!) { createNode(cluster: "m", node: $n) { metadata { name resourceVersion } spec { podCIDR } } }', { n: node('n1', '192.168.1.1') })
    assert.equal(c.createNode.spec.podCIDR, '10.244.0.0/24')
    const r1 = await gqlData(api, 'mutation($n: JSON!) { replaceNode(cluster: "m", name: "n2", node: $n) { created object { spec { podCIDR } } } }', { n: node('n2', '192.168.1.2') })
    assert.deepEqual(r1.replaceNode, { created: true, object: { spec: { podCIDR: '10.244.1.0/24' } } })
    const cur = (await get(base('m') + '/nodes/n2')).body
    cur.metadata.labels = { zone: 'a' }
    const r2 = await gqlData(api, 'mutation($n: JSON!) { replaceNode(cluster: "m", name: "n2", node: $n) { created object { metadata { labels } spec { podCIDR } } } }', { n: cur })
    assert.equal(r2.replaceNode.created, false)
    assert.equal(r2.replaceNode.object.metadata.labels.zone, 'a')
    assert.equal(r2.replaceNode.object.spec.podCIDR, '10.244.1.0/24', 'podCIDR kept when the body omits it')
    assert.deepEqual((await get(base('m') + '/nodes/n2')).body.metadata.labels, r2.replaceNode.object.metadata.labels)
    const d = await gqlData(api, 'mutation { deleteNode(cluster: "m", name: "n2") { metadata { name } } }')
    assert.equal(d.deleteNode.metadata.name, 'n2')
    assert.equal((await get(base('m') + '/nodes/n2')).status, 404)
  })

  it('pods: create (IP from the node podCIDR), replace, delete', async () => {
    const c = await gqlData(api, 'mutation($p: JSON!) { createPod(cluster: "m", namespace: "default", pod: $p) { metadata { namespace name } status { podIP hostIP phase } node { metadata { name } } } }', { p: pod('p1', 'n1', { app: 'a' }) })
    assert.deepEqual(c.createPod, { metadata: { namespace: 'default', name: 'p1' }, status: { podIP: '10.244.0.2', hostIP: '192.168.1.1', phase: 'Running' }, node: { metadata: { name: 'n1' } } })
    const r = await gqlData(api, 'mutation($p: JSON!) { replacePod(cluster: "m", namespace: "default", name: "p1", pod: $p) { created object { metadata { labels } status { podIP } } } }', { p: pod('p1', 'n1', { app: 'b' }) })
    assert.deepEqual(r.replacePod, { created: false, object: { metadata: { labels: { app: 'b' } }, status: { podIP: '10.244.0.2' } } })
    await gqlData(api, 'mutation($p: JSON!) { createPod(cluster: "m", namespace: "default", pod: $p) { metadata { name } } }', { p: pod('p2', 'n1', { app: 'a' }) })
    const d = await gqlData(api, 'mutation { deletePod(cluster: "m", namespace: "default", name: "p2") { metadata { name } } }')
    assert.equal(d.deletePod.metadata.name, 'p2')
    assert.equal((await get(base('m') + '/namespaces/default/pods/p2')).status, 404)
  })

  it('services: create allocates; replace keeps the allocation; a type change releases the NodePort; delete releases', async () => {
    const c = await gqlData(api, 'mutation($s: JSON!) { createService(cluster: "m", namespace: "default", service: $s) { spec { clusterIP ports { nodePort targetPort } } nodePorts { port } } }',
      { s: svc('web', { type: 'NodePort', selector: { app: 'b' }, ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] }) })
    const port = c.createService.spec.ports[0].nodePort
    assert.ok(port >= 30000 && port <= 32767)
    assert.equal(c.createService.spec.ports[0].targetPort, 'http', 'IntOrString keeps a name')
    assert.deepEqual(c.createService.nodePorts, [{ port }])
    const cur = (await get(base('m') + '/namespaces/default/services/web')).body
    cur.spec.ports[0].targetPort = 8080
    const r = await gqlData(api, 'mutation($s: JSON!) { replaceService(cluster: "m", namespace: "default", name: "web", service: $s) { created object { spec { clusterIP ports { nodePort targetPort } } } } }', { s: cur })
    assert.deepEqual(r.replaceService, { created: false, object: { spec: { clusterIP: c.createService.spec.clusterIP, ports: [{ nodePort: port, targetPort: 8080 }] } } })
    const cur2 = (await get(base('m') + '/namespaces/default/services/web')).body
    cur2.spec.type = 'ClusterIP'
    delete cur2.spec.ports[0].nodePort
    delete cur2.spec.externalTrafficPolicy
    await gqlData(api, 'mutation($s: JSON!) { replaceService(cluster: "m", namespace: "default", name: "web", service: $s) { created } }', { s: cur2 })
    assert.deepEqual((await get(base('m') + '/nodeports')).body.items, [])
    await gqlData(api, 'mutation { deleteService(cluster: "m", namespace: "default", name: "web") { metadata { name } } }')
    assert.equal((await get(base('m') + '/namespaces/default/services/web')).status, 404)
  })

  it('setLoadBalancerIngress sets status.loadBalancer.ingress (ipMode defaults to VIP)', async () => {
    await gqlData(api, 'mutation($s: JSON!) { createService(cluster: "m", namespace: "default", service: $s) { metadata { name } } }',
      { s: svc('lb', { type: 'LoadBalancer', selector: { app: 'b' }, ports: [{ port: 443, targetPort: 8443, protocol: 'TCP' }] }) })
    const d = await gqlData(api, 'mutation { setLoadBalancerIngress(cluster: "m", namespace: "default", name: "lb", ingress: [{ ip: "203.0.113.10" }, { ip: "203.0.113.11", ipMode: Proxy }]) { status { loadBalancer { ingress { ip ipMode hostname } } } } }')
    const want = [{ ip: '203.0.113.10', ipMode: 'VIP' }, { ip: '203.0.113.11', ipMode: 'Proxy' }]
    assert.deepEqual(d.setLoadBalancerIngress.status.loadBalancer.ingress, want.map(x => ({ ...x, hostname: null })))
    assert.deepEqual((await get(base('m') + '/namespaces/default/services/lb')).body.status.loadBalancer.ingress, want)
    const bad = await gql(api, 'mutation { setLoadBalancerIngress(cluster: "m", namespace: "default", name: "nope", ingress: []) { metadata { name } } }')
    assert.equal(bad.errors?.[0].extensions.code, 'NOT_FOUND')
  })

  it('applyManifests: YAML and JSON List, created then configured, objects as a union', async () => {
    const yaml = [
      'apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {selector: {app: api}, ports: [{port: 8080}]}',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: api-1, labels: {app: api}}\nspec: {nodeName: n1, containers: [{name: c}]}',
      'apiVersion: v1\nkind: Node\nmetadata: {name: n3}\nstatus: {addresses: [{type: InternalIP, address: 192.168.1.3}]}'
    ].join('\n---\n')
    const q = `mutation($m: String!, $f: ManifestFormat) { applyManifests(cluster: "m", manifests: $m, format: $f) {
      kind results { document kind namespace name action }
      items { __typename ... on Service { spec { clusterIP } } ... on Pod { status { podIP } } ... on Node { spec { podCIDR } } }
    } }`
    const a = await gqlData(api, q, { m: yaml })
    assert.deepEqual(a.applyManifests.results, [
      { document: 1, kind: 'Service', namespace: 'default', name: 'api', action: 'created' },
      { document: 2, kind: 'Pod', namespace: 'default', name: 'api-1', action: 'created' },
      { document: 3, kind: 'Node', namespace: null, name: 'n3', action: 'created' }
    ])
    assert.deepEqual(a.applyManifests.items.map((i: any) => i.__typename), ['Service', 'Pod', 'Node'])
    assert.match(a.applyManifests.items[1].status.podIP, /^10\.244\.0\.\d+$/)
    assert.equal(a.applyManifests.items[1].status.podIP, (await get(base('m') + '/namespaces/default/pods/api-1')).body.status.podIP)
    assert.equal(a.applyManifests.items[2].spec.podCIDR, (await get(base('m') + '/nodes/n3')).body.spec.podCIDR)
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 9090 }] } }] })
    const b = await gqlData(api, q, { m: list, f: 'json' })
    assert.deepEqual(b.applyManifests.results.map((r: any) => r.action), ['configured'])
    assert.equal((await get(base('m') + '/namespaces/default/services/api')).body.spec.ports[0].port, 9090)
  })

  it('a failed mutation writes nothing (all or nothing like REST)', async () => {
    const before = (await get(base('m') + '/namespaces/default/services')).body.items.length
    const r = await gql(api, 'mutation($m: String!) { applyManifests(cluster: "m", manifests: $m) { kind } }',
      { m: 'apiVersion: v1\nkind: Service\nmetadata: {name: ok1}\nspec: {ports: [{port: 1}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 70000}]}' })
    assert.equal(r.errors?.[0].extensions.code, 'INVALID')
    assert.match(r.errors![0].message, /^error when applying document 2 \(Service "default\/bad"\)/)
    assert.ok(r.errors![0].extensions.causes.some((c: any) => c.field === 'spec.ports[0].port'))
    assert.equal((await get(base('m') + '/namespaces/default/services')).body.items.length, before)
  })

  it('GraphQL-level input errors: unknown input fields and wrong enum values are rejected before anything runs', async () => {
    const r = await gql(api, 'mutation { createCluster(cluster: { metadata: { name: "z" }, spec: { bogus: 1 } }) { metadata { name } } }')
    assert.equal(r.status, 400)
    assert.match(r.errors![0].message, /bogus/)
    const r2 = await gql(api, 'mutation { createCluster(cluster: { metadata: { name: "z" }, spec: { kubeProxy: { profile: ancient } } }) { metadata { name } } }')
    assert.equal(r2.status, 400)
    assert.equal((await get('/api/v1/clusters/z')).status, 404)
  })
})
