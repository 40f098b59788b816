/**
 * No N+1: a nested query over every service of a cluster (services → endpoints → pods → nodes, the
 * NodePort rows of each service, its slices) costs a constant number of database queries, the same
 * for 10 and for 100 services. Queries are counted where every Prisma query reaches SQLite: the
 * better-sqlite3 adapter prepares one statement per query (Database.prototype.prepare).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import Database from 'better-sqlite3'
import { build, type Built } from '../helper.ts'
import { gqlData } from './helper.ts'

const proto = (Database as unknown as { prototype: { prepare: (...a: unknown[]) => unknown } }).prototype
const original = proto.prepare
let count = 0
const sqls: string[] = []

function manifest (n: number): string {
  const docs: string[] = [
    'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 192.168.0.11}]}',
    'apiVersion: v1\nkind: Node\nmetadata: {name: n2}\nstatus: {addresses: [{type: InternalIP, address: 192.168.0.12}]}'
  ]
  for (let i = 0; i < n; i++) {
    docs.push(`apiVersion: v1\nkind: Service\nmetadata: {name: s${i}}\nspec: {type: NodePort, selector: {app: a${i}}, ports: [{port: 80, targetPort: 8080}]}`)
    docs.push(`apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, labels: {app: a${i}}}\nspec: {nodeName: n${(i % 2) + 1}, containers: [{name: c, ports: [{containerPort: 8080}]}]}`)
  }
  return docs.join('\n---\n')
}

const NESTED = `query($c: String!) {
  cluster(name: $c) {
    services(namespace: "default") {
      items {
        metadata { name }
        nodePorts { port field }
        endpointSlices { metadata { name } }
        endpoints { addresses pod { metadata { name } node { metadata { name } pods { metadata { name } } } } }
        rules { nodes { node chains { chain rules { provenance { endpoint } } } } }
      }
    }
    nodes { items { metadata { name } iptables(table: "nat", format: json) { tables { chains { name } } } } }
  }
}`

describe('GraphQL nested lists are batched (no N+1)', () => {
  let api: Built['api']
  const hooks: Array<() => unknown> = []
  before(async () => {
    api = (await build({ after: (f) => { hooks.push(f) } })).api
    proto.prepare = function (this: unknown, ...args: unknown[]) {
      count++
      sqls.push(String(args[0]).slice(0, 80))
      return original.apply(this, args)
    }
    for (const [name, n] of [['small', 10], ['big', 100]] as const) {
      await gqlData(api, `mutation { createCluster(cluster: { metadata: { name: "${name}" } }) { metadata { name } } }`)
      const r = await gqlData(api, 'mutation($c: String!, $m: String!) { applyManifests(cluster: $c, manifests: $m) { results { action } } }', { c: name, m: manifest(n) })
      assert.equal(r.applyManifests.results.length, 2 + 2 * n)
    }
  })
  after(async () => {
    proto.prepare = original
    for (const h of hooks) await h()
  })

  const measure = async (cluster: string): Promise<{ queries: number, data: any }> => {
    count = 0
    sqls.length = 0
    const data = await gqlData(api, NESTED, { c: cluster })
    return { queries: count, data }
  }

  it('the counter sees real queries (a REST read of the NodePort table is one or more)', async () => {
    count = 0
    const r = await api.get('/api/v1/clusters/big/nodeports')
    assert.equal(r.status, 200)
    assert.ok(count >= 1, 'prepare() is called for a query')
  })

  it('100 services cost the same number of queries as 10, and few', async (t) => {
    const small = await measure('small')
    const big = await measure('big')
    assert.equal(small.data.cluster.services.items.length, 10)
    assert.equal(big.data.cluster.services.items.length, 100)
    for (const s of big.data.cluster.services.items) {
      assert.equal(s.nodePorts.length, 1)
      assert.equal(s.endpoints.length, 1)
      for (const e of s.endpoints) assert.equal(e.pod.node.pods.length, 50, 'pods of the endpoint\'s node')
      assert.deepEqual(s.rules.nodes.map((n: any) => n.node), ['n1', 'n2'])
      const sep = s.rules.nodes[0].chains.find((c: any) => c.chain.startsWith('KUBE-SEP-'))
      assert.equal(sep.rules[0].provenance.endpoint, `${s.endpoints[0].addresses[0]}:8080`)
    }
    assert.equal(big.queries, small.queries, `10 services: ${small.queries} queries, 100 services: ${big.queries} (${JSON.stringify(sqls)})`)
    assert.ok(big.queries <= 8, `at most a cluster snapshot and a NodePort table: ${big.queries} queries`)
    // a second identical query is answered from the per-generation snapshot: no query at all
    const again = await measure('big')
    assert.equal(again.queries, 0, JSON.stringify(sqls))
    t.diagnostic(`database queries: 10 services ${small.queries}, 100 services ${big.queries}, repeated ${again.queries}`)
    // a write bumps the generation: the next read sees it (and reads again, still a constant)
    await gqlData(api, 'mutation { deleteService(cluster: "big", namespace: "default", name: "s0") { metadata { name } } }')
    const after = await measure('big')
    assert.equal(after.data.cluster.services.items.length, 99)
    assert.equal(after.queries, big.queries)
  })
})
