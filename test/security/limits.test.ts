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
