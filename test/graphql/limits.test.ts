/**
 * Protections: query depth and cost limits (clear errors, nothing executed), the cap on all-mode
 * branch enumeration for cluster and standalone traces, CSRF prevention, and the HTTP status of
 * answers with errors (400 when the document never ran, 200 when it executed).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { build, type Built } from '../helper.ts'
import { gql, gqlData } from './helper.ts'

const RULESET = [
  '*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
  ...[0.25, 0.33333, 0.5].map((p, i) => `-A PREROUTING -p tcp --dport 80 -m statistic --mode random --probability ${p} -j DNAT --to-destination 10.0.0.${i + 2}:8080`),
  '-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.9:8080', 'COMMIT', ''
].join('\n')
const HOST = { name: 'h', interfaces: [{ name: 'lo', addresses: ['127.0.0.1/8'], loopback: true }, { name: 'eth0', addresses: ['10.0.0.1/24'] }], ipForward: true }
const PACKET = { src: '10.0.0.50', dst: '10.0.0.1', proto: 'tcp', sport: 40000, dport: 80, inIface: 'eth0' }

describe('GraphQL limits', () => {
  let api: Built['api']
  const hooks: Array<() => unknown> = []
  before(async () => { api = (await build({ after: (f) => { hooks.push(f) } }, { seedDemo: true })).api })
  after(async () => { for (const h of hooks) await h() })

  it('a query deeper than 12 levels is refused with QUERY_TOO_DEEP (HTTP 400, nothing runs)', async () => {
    // 13 levels: cluster › nodes › items › pods › node › pods › node › pods › node › metadata › labels… (leaf counts)
    const deep = '{ cluster(name: "demo") { nodes { items { pods { node { pods { node { pods { node { pods { node { metadata { name } } } } } } } } } } } } }'
    const r = await gql(api, deep)
    assert.equal(r.status, 400)
    const e = r.errors!.find(x => x.extensions?.code === 'QUERY_TOO_DEEP')
    assert.ok(e != null, JSON.stringify(r.errors))
    assert.equal(e.extensions.depth, 13)
    assert.equal(e.extensions.maxDepth, 12)
    assert.match(e.message, /13 levels deep; the maximum query depth is 12/)
    assert.equal(r.data, null)
    // twelve levels pass
    const ok = await gqlData(api, '{ cluster(name: "demo") { nodes { items { pods { node { pods { node { pods { node { metadata { name } } } } } } } } } } }')
    assert.equal(ok.cluster.nodes.items[0].pods[0].node.pods[0].node.pods[0].node.metadata.name, 'vortex-dev')
  })

  it('fragments count towards depth (a spread cannot hide nesting)', async () => {
    const q = `fragment P on Pod { node { pods { node { pods { node { pods { node { metadata { name } } } } } } } } }
      { cluster(name: "demo") { nodes { items { pods { ...P } } } } }`
    const r = await gql(api, q)
    assert.ok(r.errors?.some(x => x.extensions?.code === 'QUERY_TOO_DEEP'), JSON.stringify(r.errors))
  })

  it('a query whose estimated cost exceeds 50000 is refused with QUERY_TOO_COSTLY', async () => {
    const one = (i: number): string => `a${i}: cluster(name: "demo") { services { items { endpoints { pod { node { pods { metadata { name } } } } } } } }`
    const r = await gql(api, `{ ${Array.from({ length: 30 }, (_, i) => one(i)).join(' ')} }`)
    assert.equal(r.status, 400)
    const e = r.errors!.find(x => x.extensions?.code === 'QUERY_TOO_COSTLY')
    assert.ok(e != null, JSON.stringify(r.errors))
    assert.ok(e.extensions.cost > 50000)
    assert.equal(e.extensions.maxCost, 50000)
    assert.match(e.message, /estimated cost of \d+; the maximum query cost is 50000/)
    // one copy of it is fine
    const d = await gqlData(api, `{ ${one(0)} }`)
    assert.equal(d.a0.services.items.length, 1)
  })

  it('traces are expensive: many trace fields in one operation are refused', async () => {
    const t = (i: number): string => `t${i}: trace(cluster: "demo", packet: { protocol: TCP, destination: { address: "10.98.128.179", port: 80 }, source: { node: "vortex-dev" } }) { summary paths { hops { steps { rule } } } }`
    const r = await gql(api, `{ ${Array.from({ length: 25 }, (_, i) => t(i)).join(' ')} }`)
    assert.ok(r.errors?.some(x => x.extensions?.code === 'QUERY_TOO_COSTLY'), JSON.stringify(r.errors))
  })

  it('all-mode trace: more paths than maxBranches is TRACE_TOO_MANY_BRANCHES; a cap above the server limit is refused', async () => {
    const q = 'query($o: TraceOptionsInput) { trace(cluster: "demo", packet: { protocol: TCP, destination: { address: "192.168.33.10", port: 30136 }, source: { address: "192.168.33.1" } }, options: $o) { outcomes { probability } } }'
    const three = await gqlData(api, q, { o: { mode: 'all', maxBranches: 3 } })
    assert.equal(three.trace.outcomes.length, 3)
    const r = await gql(api, q, { o: { mode: 'all', maxBranches: 2 } })
    assert.equal(r.errors?.[0].extensions.code, 'TRACE_TOO_MANY_BRANCHES')
    assert.equal(r.errors?.[0].extensions.paths, 3)
    assert.match(r.errors![0].message, /3 possible paths; at most 2 may be enumerated/)
    const big = await gql(api, q, { o: { mode: 'all', maxBranches: 100000 } })
    assert.equal(big.errors?.[0].extensions.code, 'TRACE_TOO_MANY_BRANCHES')
    assert.match(big.errors![0].message, /exceeds the limit of 256/)
    // sample mode follows one path whatever the cap
    const s = await gqlData(api, q, { o: { mode: 'sample', maxBranches: 1, seed: 7 } })
    assert.equal(s.trace.outcomes.length, 1)
  })

  it('standalone netfilterTrace: the branch budget is enforced by the engine, with the limit code', async () => {
    const q = 'query($r: String!, $h: JSON!, $p: JSON, $o: JSON) { netfilterTrace(ruleset: $r, host: $h, packet: $p, options: $o) { results { branches { probability } } } }'
    const ok = await gqlData(api, q, { r: RULESET, h: HOST, p: PACKET, o: { mode: 'all' } })
    const ps = ok.netfilterTrace.results[0].branches.map((b: any) => b.probability)
    assert.equal(ps.length, 4)
    assert.ok(Math.abs(ps.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-9)
    const r = await gql(api, q, { r: RULESET, h: HOST, p: PACKET, o: { mode: 'all', maxBranches: 3 } })
    assert.equal(r.errors?.[0].extensions.code, 'TRACE_TOO_MANY_BRANCHES')
    assert.match(r.errors![0].message, /more than 3 random branches/)
  })

  it('CSRF prevention: a simple (form-like) request cannot run an operation; JSON or the preflight header can', async () => {
    const mutation = 'mutation { deleteCluster(name: "demo") { metadata { name } } }'
    const text = await api.post('/graphql').set('content-type', 'text/plain').send(JSON.stringify({ query: mutation }))
    assert.equal(text.status, 400)
    assert.match(text.body.errors[0].message, /Cross-Site Request Forgery/)
    const form = await api.post('/graphql').type('form').send({ query: mutation })
    assert.equal(form.status, 400)
    const get = await api.get('/graphql').query({ query: '{ clusters { kind } }' })
    assert.equal(get.status, 400)
    const pre = await api.get('/graphql').query({ query: '{ clusters { kind } }' }).set('mercurius-require-preflight', 'true')
    assert.deepEqual(pre.body, { data: { clusters: { kind: 'ClusterList' } } })
    assert.equal((await api.get('/api/v1/clusters/demo')).status, 200, 'the blocked mutation did not run')
  })

  it('mutations cannot run over GET (405, nothing runs)', async () => {
    const r = await api.get('/graphql').query({ query: 'mutation { deleteCluster(name: "demo") { metadata { name } } }' }).set('mercurius-require-preflight', 'true')
    assert.equal(r.status, 405)
    assert.equal(r.body.data, null)
    assert.ok(r.body.errors.length > 0)
    assert.equal((await api.get('/api/v1/clusters/demo')).status, 200)
  })

  it('HTTP status: a document that does not parse or validate is 400 (one error or several, data null); an executed one is 200 with data and errors', async () => {
    const requestErrors: Array<[string, string, Record<string, unknown>?]> = [
      ['parse error', '{ clusters { kind '],
      ['one validation error', '{ clusters { nope } }'],
      ['several validation errors', '{ clusters { nope nada } cluster { zilch } }'],
      ['unknown argument and missing required one', '{ cluster(bogus: 1) { kind } }'],
      ['variable of the wrong type', 'query($n: String!) { cluster(name: $n) { kind } }', { n: 7 }],
      ['required variable missing', 'query($n: String!) { cluster(name: $n) { kind } }', {}]
    ]
    for (const [what, query, variables] of requestErrors) {
      const r = await gql(api, query, variables)
      assert.equal(r.status, 400, `${what}: ${JSON.stringify(r)}`)
      assert.equal(r.data, null, what)
      assert.ok(r.errors != null && r.errors.length > 0 && r.errors.every(e => typeof e.message === 'string'), what)
    }
    assert.ok((await gql(api, '{ clusters { nope nada } cluster { zilch } }')).errors!.length > 1, 'several errors are all reported')
    // execution: a field error (not found) is 200 with data and errors; every root field is non-null,
    // so the error nulls the whole `data` (GraphQL's null propagation), but the request did execute
    const r = await gql(api, '{ clusters { kind } missing: cluster(name: "no-such") { kind } }')
    assert.equal(r.status, 200, JSON.stringify(r))
    assert.equal(r.data, null)
    assert.equal(r.errors?.length, 1)
    assert.equal(r.errors?.[0].extensions.code, 'NOT_FOUND')
    assert.deepEqual(r.errors?.[0].path, ['missing'])
    // several field errors in one executed request: still 200
    const two = await gql(api, '{ a: cluster(name: "no-such") { kind } b: cluster(name: "nor-this") { kind } }')
    assert.equal(two.status, 200, JSON.stringify(two))
    assert.ok(two.errors!.length >= 1 && two.errors!.every(e => e.extensions?.code === 'NOT_FOUND'))
  })
})
