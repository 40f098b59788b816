/** Request limits (src/api/limits.ts and app.ts): each answers its Status with the right code. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build } from '../helper.ts'

const RULESET = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n'

test('body size: 413 RequestEntityTooLarge', async (t) => {
  const { api } = await build(t, { limits: { bodyLimit: 2048 } })
  const r = await api.post('/api/v1/clusters').set('content-type', 'application/json').send(JSON.stringify({ metadata: { name: 'a', annotations: { x: 'y'.repeat(4000) } } }))
  assert.equal(r.status, 413)
  assert.equal(r.body.kind, 'Status')
  assert.equal(r.body.reason, 'RequestEntityTooLarge')
})

test('manifest object count: 413, nothing applied', async (t) => {
  const { api } = await build(t, { limits: { maxManifestObjects: 3 } })
  await api.post('/api/v1/clusters').send({ metadata: { name: 'a' } })
  const docs = Array.from({ length: 4 }, (_, i) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: s${i}\nspec:\n  ports:\n  - port: 80\n`).join('---\n')
  const r = await api.post('/api/v1/clusters/a/manifests').set('content-type', 'application/yaml').send(docs)
  assert.equal(r.status, 413)
  assert.equal(r.body.kind, 'Status')
  assert.equal(r.body.reason, 'RequestEntityTooLarge')
  assert.match(r.body.message, /4 objects, the limit is 3/)
  assert.deepEqual((await api.get('/api/v1/clusters/a/namespaces/default/services')).body.items, [])
})

test('standalone engine ruleset size (bytes, lines): 413', async (t) => {
  const { api } = await build(t, { limits: { maxRulesetBytes: 200, maxRulesetLines: 6 } })
  const ok = await api.post('/api/v1/netfilter/canonical').send({ ruleset: RULESET })
  assert.notEqual(ok.status, 413)
  const big = await api.post('/api/v1/netfilter/canonical').send({ ruleset: RULESET + '#' + 'x'.repeat(300) + '\n' })
  assert.equal(big.status, 413)
  assert.match(big.body.message, /200 bytes/)
  const long = await api.post('/api/v1/netfilter/canonical').send({ ruleset: RULESET + '#\n#\n#\n' })
  assert.equal(long.status, 413)
  assert.match(long.body.message, /6 lines/)
})

test('branch enumeration: options.maxBranches above the cap is 422 Invalid naming the field', async (t) => {
  const { api } = await build(t, { limits: { maxTraceBranches: 8 } })
  const r = await api.post('/api/v1/netfilter/traces').send({ ruleset: RULESET, host: { interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/24'] }] }, packet: { src: '10.0.0.2', dst: '10.0.0.1', protocol: 'tcp', dport: 80, inIface: 'eth0' }, options: { mode: 'all', maxBranches: 9 } })
  assert.equal(r.status, 422)
  assert.equal(r.body.reason, 'Invalid')
  assert.equal(r.body.details.causes[0].field, 'options.maxBranches')
})

test('per-token rate limit: 429 TooManyRequests with Retry-After, counted per token', async (t) => {
  const ADMIN = 'adm-0123456789'
  const { api } = await build(t, { adminToken: ADMIN, limits: { rateLimitMax: 3, rateLimitWindowMs: 60_000 } })
  const a = await api.post('/api/v1/clusters').set('authorization', `Bearer ${ADMIN}`).send({ metadata: { name: 'a' } })
  const tok = a.body.tokens.readOnly as string
  const codes: number[] = []
  for (let i = 0; i < 4; i++) codes.push((await api.get('/api/v1/clusters/a').set('authorization', `Bearer ${tok}`)).status)
  assert.deepEqual(codes, [200, 200, 200, 429])
  const r = await api.get('/api/v1/clusters/a').set('authorization', `Bearer ${tok}`)
  assert.equal(r.status, 429)
  assert.equal(r.body.kind, 'Status')
  assert.equal(r.body.reason, 'TooManyRequests')
  assert.ok(Number(r.headers['retry-after']) > 0, 'Retry-After')
  // another token has its own budget
  assert.equal((await api.get('/api/v1/clusters/a').set('authorization', `Bearer ${a.body.tokens.readWrite as string}`)).status, 200)
})

test('request timeout: 503 ServiceUnavailable with Retry-After', async (t) => {
  const { api, app } = await build(t, { limits: { requestTimeoutMs: 150 } })
  await api.post('/api/v1/clusters').send({ metadata: { name: 'a' } })
  // a long write holds the store: a read queued behind it runs out of time
  const long = app.store.write(async () => { await new Promise(resolve => setTimeout(resolve, 600)) })
  const t0 = Date.now()
  const r = await api.get('/api/v1/clusters/a/namespaces/default/services')
  const took = Date.now() - t0
  await long
  assert.equal(r.status, 503)
  assert.equal(r.body.kind, 'Status')
  assert.equal(r.body.reason, 'ServiceUnavailable')
  assert.equal(r.headers['retry-after'], '1')
  assert.ok(took < 550, `answered after ${took} ms, before the write ended`)
  // the server is fine afterwards
  assert.equal((await api.get('/api/v1/clusters/a/namespaces/default/services')).status, 200)
})

test('rate limit: one GraphQL request counts once, however many fields it delegates to REST in-process', async (t) => {
  const ADMIN = 'adm-0123456789'
  const { api } = await build(t, { adminToken: ADMIN, limits: { rateLimitMax: 3, rateLimitWindowMs: 60_000 } })
  const a = await api.post('/api/v1/clusters').set('authorization', `Bearer ${ADMIN}`).send({ metadata: { name: 'a' } })
  const rw = a.body.tokens.readWrite as string
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.33.11' }] } }
  assert.equal((await api.post('/api/v1/clusters/a/nodes').set('authorization', `Bearer ${rw}`).send(node)).status, 201) // 1st request of rw
  // five iptables views and an affinity read: six in-process REST calls (src/api/graphql/rest.ts)
  const query = `{ ${[0, 1, 2, 3, 4].map(i => `v${i}: iptables(cluster: "a", node: "n1", format: sorted) { text }`).join(' ')} traceAffinity(cluster: "a") { kind } }`
  const g = await api.post('/graphql').set('authorization', `Bearer ${rw}`).set('content-type', 'application/json').send({ query })
  assert.equal(g.status, 200, JSON.stringify(g.body))
  assert.equal(g.body.errors, undefined, JSON.stringify(g.body.errors))
  assert.match(g.body.data.v4.text, /^\*filter/)
  assert.equal(g.headers['x-ratelimit-remaining'], '1', 'the GraphQL request is the 2nd of 3')
  assert.equal((await api.get('/api/v1/clusters/a').set('authorization', `Bearer ${rw}`)).status, 200) // 3rd
  const over = await api.post('/graphql').set('authorization', `Bearer ${rw}`).set('content-type', 'application/json').send({ query })
  // answered like every HTTP-level rejection (401, 403, 503): a Status with its HTTP code
  assert.equal(over.status, 429)
  assert.equal(over.body.kind, 'Status')
  assert.equal(over.body.reason, 'TooManyRequests')
  assert.ok(Number(over.headers['retry-after']) > 0, 'Retry-After')
})

test('rate limit without access control: GraphQL delegation is not charged to the server\'s own address', async (t) => {
  // with no admin token every caller is keyed by address; in-process calls come from 127.0.0.1 and
  // would otherwise draw on the budget of whoever else connects from there
  const { api } = await build(t, { limits: { rateLimitMax: 2, rateLimitWindowMs: 60_000 } })
  await api.post('/api/v1/clusters').send({ metadata: { name: 'a' } }) // 1st
  const q = { query: '{ x: traceAffinity(cluster: "a") { kind } y: traceAffinity(cluster: "a") { kind } z: traceAffinity(cluster: "a") { kind } }' }
  const g = await api.post('/graphql').set('content-type', 'application/json').send(q) // 2nd
  assert.equal(g.status, 200)
  assert.equal(g.body.errors, undefined, JSON.stringify(g.body.errors))
  assert.equal(g.body.data.z.kind, 'TraceAffinity')
  assert.equal((await api.get('/api/v1/clusters/a').send()).status, 429) // 3rd
})

test('branch enumeration: without options.maxBranches an all-mode trace stays within a lower server limit', async (t) => {
  const { api } = await build(t, { limits: { maxTraceBranches: 2 } })
  const ruleset = ['*nat', ':PREROUTING ACCEPT [0:0]',
    '-A PREROUTING -p tcp --dport 80 -m statistic --mode random --probability 0.33333 -j DNAT --to-destination 10.0.0.2:8080',
    '-A PREROUTING -p tcp --dport 80 -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.0.0.3:8080',
    '-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.4:8080', 'COMMIT', ''].join('\n')
  const r = await api.post('/api/v1/netfilter/traces').send({ ruleset, host: { interfaces: [{ name: 'eth0', addresses: ['10.0.0.1/24'] }] }, packet: { src: '10.0.0.50', dst: '10.0.0.1', proto: 'tcp', sport: 40000, dport: 80, inIface: 'eth0' }, options: { mode: 'all' } })
  assert.equal(r.status, 400)
  assert.equal(r.body.kind, 'Status')
  assert.match(r.body.message, /more than 2 random branches/)
})

test('rate limit: rejected authentications count per address (token guessing is limited too)', async (t) => {
  const ADMIN = 'adm-0123456789'
  const { api } = await build(t, { adminToken: ADMIN, limits: { rateLimitMax: 3, rateLimitWindowMs: 60_000 } })
  const codes: number[] = []
  for (let i = 0; i < 3; i++) codes.push((await api.get('/api/v1/clusters/a').set('authorization', `Bearer guess-${i}`)).status)
  codes.push((await api.get('/api/v1/clusters/a').send()).status)
  const last = await api.get('/api/v1/clusters/a').set('authorization', 'Bearer guess-x')
  assert.deepEqual(codes, [401, 401, 401, 429])
  assert.equal(last.status, 429)
  assert.equal(last.body.reason, 'TooManyRequests')
  // a valid token has its own budget
  assert.equal((await api.get('/api/v1/clusters').set('authorization', `Bearer ${ADMIN}`)).status, 200)
})

test('branch enumeration: KUBENETSIM_MAX_TRACE_BRANCHES bounds all-mode cluster traces too (422 naming the limit)', async (t) => {
  const body = { protocol: 'TCP', destination: { address: '192.168.33.10', port: 30136 }, source: { address: '192.168.33.1' }, mode: 'all' }
  const low = await build(t, { seedDemo: true, limits: { maxTraceBranches: 2 } })
  const r = await low.api.post('/api/v1/clusters/demo/traces').send(body)
  assert.equal(r.status, 422, JSON.stringify(r.body))
  assert.equal(r.body.kind, 'Status')
  assert.equal(r.body.reason, 'Invalid')
  assert.equal(r.body.details.causes[0].field, 'mode')
  assert.match(r.body.message, /more than 2 possible paths \(the server's limit, KUBENETSIM_MAX_TRACE_BRANCHES\); use mode sample/)
  // sample mode follows one path whatever the limit
  assert.equal((await low.api.post('/api/v1/clusters/demo/traces').send({ ...body, mode: 'sample', seed: 1 })).status, 200)
  // the client cannot set the internal path budget itself
  assert.equal((await low.api.post('/api/v1/clusters/demo/traces').send({ ...body, maxPaths: 100 })).status, 400)
  const enough = await build(t, { seedDemo: true, limits: { maxTraceBranches: 3 } })
  const ok = await enough.api.post('/api/v1/clusters/demo/traces').send(body)
  assert.equal(ok.status, 200, JSON.stringify(ok.body))
  assert.equal(ok.body.outcomes.length, 3)
})
