/**
 * Queries on the demo cluster (the seed note's) and a populated cluster, through POST /graphql:
 * nested lookups (service → endpoints → pods → nodes, node → pods), per-node service rules with
 * provenance, all-namespace lists, GraphiQL and its examples.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { getIntrospectionQuery } from 'graphql'
import { build, type Built } from '../helper.ts'
import { gql, gqlData, stripNulls } from './helper.ts'
import { populate } from './fixtures.ts'

describe('GraphQL queries', () => {
  let api: Built['api']
  const hooks: Array<() => unknown> = []
  before(async () => {
    api = (await build({ after: (f) => { hooks.push(f) } }, { seedDemo: true })).api
    await populate(api)
  })
  after(async () => { for (const h of hooks) await h() })

  it('the seed service: spec, endpoints with their pods and nodes, its NodePort', async () => {
    const d = await gqlData(api, `{
      service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") {
        spec { type clusterIP ports { protocol port targetPort nodePort } selector }
        endpoints { addresses conditions { ready serving terminating } nodeName pod { metadata { name } status { podIP } node { metadata { name } } } }
        endpointSlices { addressType ports { port protocol } }
        nodePorts { port protocols field namespace service }
      }
    }`)
    const s = d.service
    assert.deepEqual(s.spec, { type: 'NodePort', clusterIP: '10.98.128.179', ports: [{ protocol: 'TCP', port: 80, targetPort: 80, nodePort: 30136 }], selector: { app: 'nginx' } })
    assert.deepEqual(s.endpoints.map((e: any) => e.addresses[0]), ['10.244.0.113', '10.244.0.114', '10.244.0.115'])
    for (const e of s.endpoints) {
      assert.deepEqual(e.conditions, { ready: true, serving: true, terminating: false })
      assert.equal(e.pod.status.podIP, e.addresses[0], 'the endpoint resolves to its pod')
      assert.equal(e.pod.node.metadata.name, 'vortex-dev')
    }
    assert.deepEqual(s.endpointSlices.map((x: any) => [x.addressType, x.ports]), [['IPv4', [{ port: 80, protocol: 'TCP' }]]])
    assert.deepEqual(s.nodePorts, [{ port: 30136, protocols: ['TCP'], field: 'spec.ports[0].nodePort', namespace: 'default', service: 'k8s-nginx-node' }])
  })

  it('per node, the seed service\'s chains and rules with provenance (the seed note\'s chains), equal to REST', async () => {
    const q = `{
      service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") {
        rules { kind apiVersion cluster generation service nodes { node profile chains { table chain owned rules { text save provenance { origin service servicePort endpoint field note } } } } }
        one: rules(node: "vortex-dev") { nodes { node } }
      }
    }`
    const d = await gqlData(api, q)
    const rest = (await api.get('/api/v1/clusters/demo/namespaces/default/services/k8s-nginx-node/rules')).body
    assert.deepEqual(stripNulls(d.service.rules), rest)
    const [r] = d.service.rules.nodes
    assert.equal(r.node, 'vortex-dev')
    assert.equal(r.profile, 'legacy')
    const svc = r.chains.find((c: any) => c.chain === 'KUBE-SVC-RD5DSC6PXE26GCYZ')
    assert.ok(svc != null, 'the seed note\'s KUBE-SVC chain')
    assert.equal(svc.owned, true)
    assert.deepEqual(svc.rules.map((x: any) => x.provenance.endpoint), ['10.244.0.113:80', '10.244.0.114:80', '10.244.0.115:80'])
    assert.match(svc.rules[0].save, /--probability 0\.33332999982 -j KUBE-SEP-/, 'the seed note\'s probability as iptables-save prints it')
    const seps = r.chains.filter((c: any) => c.chain.startsWith('KUBE-SEP-'))
    assert.equal(seps.length, 3)
    for (const sep of seps) {
      assert.ok(sep.rules.some((x: any) => /-j DNAT --to-destination 10\.244\.0\.11[345]:80/.test(x.text)), `${sep.chain} DNATs to a pod`)
    }
    const np = r.chains.find((c: any) => c.chain === 'KUBE-NODEPORTS')
    assert.ok(np.rules.some((x: any) => x.provenance.field === 'spec.ports[0].nodePort' && x.text.includes('--dport 30136')))
    for (const c of r.chains) for (const x of c.rules) assert.equal(x.provenance.service, 'default/k8s-nginx-node')
    assert.deepEqual(d.service.one.nodes, [{ node: 'vortex-dev' }])
    const none = await gql(api, '{ service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") { rules(node: "no-such-node") { service } } }')
    const restNone = await api.get('/api/v1/clusters/demo/namespaces/default/services/k8s-nginx-node/rules').query({ node: 'no-such-node' })
    assert.equal(none.errors?.[0].message, restNone.body.message)
    assert.equal(none.errors?.[0].extensions.code, 'NOT_FOUND')
  })

  it('rules for many services at once (one batch): every service of a cluster', async () => {
    const d = await gqlData(api, '{ cluster(name: "c") { services(namespace: "default") { items { metadata { name } rules { service nodes { node chains { chain } } } } } } }')
    const items = d.cluster.services.items
    assert.equal(items.length, 4)
    for (const s of items) {
      assert.equal(s.rules.service, `default/${s.metadata.name}`)
      assert.deepEqual(s.rules.nodes.map((n: any) => n.node), ['n1', 'n2'])
    }
    const web = items.find((s: any) => s.metadata.name === 'web')
    assert.ok(web.rules.nodes[0].chains.some((c: any) => c.chain.startsWith('KUBE-SVC-')))
    const ext = items.find((s: any) => s.metadata.name === 'ext')
    assert.deepEqual(ext.rules.nodes[0].chains, [], 'ExternalName services produce no rules')
  })

  it('nodes with their pods, pods with their node, lists across namespaces', async () => {
    const d = await gqlData(api, `{
      cluster(name: "c") {
        nodes { items { metadata { name } pods { metadata { namespace name } } } }
        pods { items { metadata { namespace name } node { metadata { name } } } }
        services { items { metadata { namespace name } } }
        endpointSlices { items { metadata { namespace } endpoints { addresses pod { metadata { name } } } } }
      }
    }`)
    const c = d.cluster
    const podsOf = (n: string): string[] => c.nodes.items.find((x: any) => x.metadata.name === n).pods.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`).sort()
    assert.deepEqual(podsOf('n1'), ['default/web-1', 'other/db-1'])
    assert.deepEqual(podsOf('n2'), ['default/web-2', 'default/web-3'])
    assert.deepEqual(c.pods.items.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}@${p.node.metadata.name}`).sort(),
      ['default/web-1@n1', 'default/web-2@n2', 'default/web-3@n2', 'other/db-1@n1'])
    assert.deepEqual(c.services.items.map((s: any) => `${s.metadata.namespace}/${s.metadata.name}`).sort(),
      ['default/ext', 'default/headless', 'default/lb', 'default/web', 'other/db'])
    assert.ok(c.endpointSlices.items.some((s: any) => s.metadata.namespace === 'other'))
    for (const s of c.endpointSlices.items) for (const e of s.endpoints) assert.ok(e.pod != null, 'every endpoint has its pod')
  })

  it('a named targetPort resolves per pod; not-ready pods are listed not ready', async () => {
    const d = await gqlData(api, '{ cluster(name: "c") { service(namespace: "default", name: "web") { endpointSlices { ports { name port protocol } } endpoints { addresses conditions { ready } pod { metadata { name } } } } } }')
    const s = d.cluster.service
    assert.deepEqual(s.endpointSlices[0].ports.find((p: any) => p.name === 'http'), { name: 'http', port: 8080, protocol: 'TCP' })
    const ready = Object.fromEntries(s.endpoints.map((e: any) => [e.pod.metadata.name, e.conditions.ready]))
    assert.deepEqual(ready, { 'web-1': true, 'web-2': true, 'web-3': false })
  })

  it('a missing object is an error at its path (non-null fields: data becomes null)', async () => {
    const r = await gql(api, '{ a: cluster(name: "c") { metadata { name } } b: service(cluster: "c", namespace: "default", name: "nope") { metadata { name } } }')
    assert.equal(r.status, 200)
    assert.equal(r.data, null)
    assert.deepEqual(r.errors?.map(e => [e.path, e.extensions.code, e.message]), [[['b'], 'NOT_FOUND', 'services "nope" not found']])
  })

  it('GraphiQL at /graphiql with the example operations, and each example runs on the demo cluster', async () => {
    const page = await api.get('/graphiql')
    assert.equal(page.status, 200)
    assert.match(String(page.headers['content-type']), /text\/html/)
    assert.match(page.text, /graphiql/i)
    assert.match(page.text, /k8s-nginx-node/)
    const ex = await api.get('/graphiql/examples.json')
    assert.equal(ex.status, 200)
    const names = ex.body.map((e: any) => e.name)
    assert.ok(names.length >= 3, names.join(', '))
    assert.ok(ex.body.some((e: any) => /rules/.test(e.query)), 'a rules example')
    assert.ok(ex.body.some((e: any) => /trace\(/.test(e.query)), 'a trace example')
    for (const e of ex.body) {
      assert.ok(page.text.includes(JSON.stringify(e.query).slice(1, 40).replace(/</g, '\\u003c')), `${e.name} is a tab`)
      const d = await gqlData(api, e.query, e.variables)
      assert.ok(d != null, e.name)
    }
  })

  it('introspection (what GraphiQL sends) is exempt from the depth and cost limits', async () => {
    const d = await gqlData(api, getIntrospectionQuery())
    const types = d.__schema.types.map((t: any) => t.name)
    for (const t of ['Cluster', 'Service', 'Trace', 'IptablesView', 'Protocol', 'ServiceType', 'TrafficPolicy', 'TraceOutcomeKind']) assert.ok(types.includes(t), t)
    const protocol = d.__schema.types.find((t: any) => t.name === 'Protocol')
    assert.deepEqual(protocol.enumValues.map((v: any) => v.name), ['TCP', 'UDP', 'SCTP'])
  })
})
