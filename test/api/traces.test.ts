/**
 * POST /api/v1/clusters/{cluster}/traces request handling: malformed and impossible requests are
 * 400/422 Status objects naming the field; `detail=full` shows misses with the reason; ICMP; 404s.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { build, type Built } from '../helper.ts'
import { cleanups, trace } from '../trace/fixture.ts'

let api: Built['api']
const hooks = cleanups()
after(async () => { await hooks.run() })
before(async () => { api = (await build(hooks, { seedDemo: true })).api })

const URL = '/api/v1/clusters/demo/traces'
const good = { protocol: 'TCP', destination: { address: '192.168.33.10', port: 30136 }, source: { address: '203.0.113.2' } }

async function fieldsOf (body: unknown, code = 422): Promise<string[]> {
  const r = await api.post(URL).send(body as object)
  assert.equal(r.status, code, JSON.stringify(r.body))
  assert.equal(r.body.kind, 'Status')
  return (r.body.details?.causes ?? []).map((c: { field: string }) => c.field)
}

test('impossible requests name the field (422)', async () => {
  assert.deepEqual(await fieldsOf({ ...good, source: { pod: 'default/nope' } }), ['source.pod'])
  assert.deepEqual(await fieldsOf({ ...good, source: { node: 'nope' } }), ['source.node'])
  assert.deepEqual(await fieldsOf({ ...good, source: { address: '203.0.113.2', node: 'nope' } }), ['source.node'])
  assert.deepEqual(await fieldsOf({ ...good, destination: { address: '8.8.8.8', port: 80 } }), ['destination.address'])
  assert.deepEqual(await fieldsOf({ ...good, destination: { address: '300.1.1.1', port: 80 } }), ['destination.address'])
  assert.deepEqual(await fieldsOf({ ...good, destination: { address: '127.0.0.1', port: 30136 } }), ['destination.address'])
  assert.deepEqual(await fieldsOf({ ...good, source: { address: '10.244.0.113' } }), ['source.address'], 'a pod address is not an external client')
  assert.deepEqual(await fieldsOf({ ...good, source: { pod: 'default/k8s-nginx-6d4cf56db6-4xkqz', address: '1.2.3.4' } }), ['source.address'])
  assert.deepEqual(await fieldsOf({ ...good, source: {} }), ['source'])
  assert.deepEqual(await fieldsOf({ ...good, destination: { address: '10.244.0.113', port: 80 }, source: { pod: 'default/k8s-nginx-6d4cf56db6-4xkqz' } }), ['destination.address'], 'a pod\'s own address never leaves the pod')
  assert.deepEqual(await fieldsOf({ protocol: 'TCP', destination: { address: '10.98.128.179' }, source: { node: 'vortex-dev' } }), ['destination.port'])
  assert.deepEqual(await fieldsOf({ protocol: 'ICMP', destination: { address: '10.98.128.179', port: 80 }, source: { node: 'vortex-dev' } }), ['destination.port'])
  // a cluster IP has no owning node: an external client must say where it enters
  assert.deepEqual(await fieldsOf({ ...good, destination: { address: '10.98.128.179', port: 80 } }), ['source.node'])
})

test('malformed requests: schema violations name the field', async () => {
  assert.deepEqual(await fieldsOf({ ...good, destination: { address: '192.168.33.10', port: 0 } }), ['destination.port'])
  assert.deepEqual(await fieldsOf({ ...good, destination: { address: '192.168.33.10', port: 65536 } }), ['destination.port'])
  // unknown fields: 400 BadRequest "strict decoding error", as the API server answers with fieldValidation=Strict
  assert.deepEqual(await fieldsOf({ ...good, surprise: true }, 400), ['surprise'])
  assert.deepEqual(await fieldsOf({ ...good, source: { address: '203.0.113.2', colour: 'red' } }, 400), ['source.colour'])
  assert.deepEqual(await fieldsOf({ protocol: 'TCP', source: good.source }), ['destination'])
  assert.deepEqual(await fieldsOf({ ...good, protocol: 'GRE' }), ['protocol'])
  assert.deepEqual(await fieldsOf({ ...good, mode: 'most' }), ['mode'])
  const bad = await api.post(URL).set('Content-Type', 'application/json').send('{"protocol": ')
  assert.equal(bad.status, 400)
  assert.equal(bad.body.kind, 'Status')
})

test('unknown cluster: 404 for traces and affinity', async () => {
  const r = await api.post('/api/v1/clusters/nope/traces').send(good)
  assert.equal(r.status, 404)
  assert.equal(r.body.reason, 'NotFound')
  assert.equal((await api.delete('/api/v1/clusters/nope/traces/affinity')).status, 404)
  assert.equal((await api.get('/api/v1/clusters/nope/traces/affinity')).status, 404)
})

test('detail=full lists the rules that missed and why; matched lists only hits', async () => {
  const full = await trace(api, 'demo', { ...good, mode: 'sample', detail: 'full', reply: false })
  const steps = full.paths[0].hops[0].steps.filter(s => s.type === 'rule')
  const misses = steps.filter(s => s.matched === false)
  assert.ok(misses.length > 0)
  // the cluster-IP rules of KUBE-SERVICES do not match a packet to the node IP
  const svcMiss = misses.find(s => s.chain === 'KUBE-SERVICES' && s.table === 'nat')
  assert.ok(svcMiss?.why !== undefined && svcMiss.why.includes('10.98.128.179'), JSON.stringify(svcMiss))
  const matched = await trace(api, 'demo', { ...good, mode: 'sample', reply: false })
  assert.ok(matched.paths[0].hops[0].steps.every(s => s.type !== 'rule' || s.matched === true))
})

test('ICMP echo to the node: answered by the host, the reply comes back from the node address', async () => {
  const t = await trace(api, 'demo', { protocol: 'ICMP', destination: { address: '192.168.33.10' }, source: { address: '203.0.113.2' } })
  assert.equal(t.outcomes.length, 1)
  const o = t.outcomes[0]
  assert.equal(o.outcome, 'LOCAL')
  assert.equal(o.node, 'vortex-dev')
  assert.equal(o.reply?.reachedClient, true)
  assert.equal(o.reply?.from, '192.168.33.10')
})

test('an unused source port defaults deterministically into 32768-60999', async () => {
  const a = await trace(api, 'demo', { ...good, reply: false })
  const b = await trace(api, 'demo', { ...good, reply: false })
  const port = a.request.source.port as number
  assert.equal(port, b.request.source.port)
  assert.ok(port >= 32768 && port <= 60999)
  const c = await trace(api, 'demo', { ...good, reply: false, source: { address: '203.0.113.2', port: 4242 } })
  assert.equal(c.paths[0].hops[0].packetIn.sport, 4242)
})
