/**
 * The seed note's NodePort (demo cluster, legacy kube-proxy): an external client's packet to
 * 192.168.33.10:30136 lands on one of three nginx pods with the kernel-quantised probabilities of the
 * statistic cascade, masqueraded, and the reply comes back from the node port.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { build, type Built } from '../helper.ts'
import { cleanups } from './fixture.ts'
import { matchedRules, trace, type TraceBody } from './fixture.ts'

let api: Built['api']
const hooks = cleanups()
after(async () => { await hooks.run() })
before(async () => {
  api = (await build(hooks, { seedDemo: true })).api
})

const NODE_IP = '192.168.33.10'
const req = { protocol: 'TCP', destination: { address: NODE_IP, port: 30136 }, source: { address: '203.0.113.2' } }
// the kernel stores --probability 0.33333 as lround(0.33333·2^31) / 2^31 (iptables-save prints 0.33332999982)
const P1 = Math.round(0.33333 * 2 ** 31) / 2 ** 31
const P2 = (1 - P1) * (Math.round(0.5 * 2 ** 31) / 2 ** 31)
const P3 = 1 - P1 - P2

test('all mode: three pods with kernel-quantised probabilities summing to 1', async () => {
  const t: TraceBody = await trace(api, 'demo', req)
  assert.equal(t.request.source.node, 'vortex-dev', 'enters the node owning the destination address')
  assert.equal(t.outcomes.length, 3)
  assert.equal(P1.toFixed(11), '0.33332999982')
  const byIP = new Map(t.outcomes.map(o => [o.address, o]))
  const o1 = byIP.get('10.244.0.113:80')
  const o2 = byIP.get('10.244.0.114:80')
  const o3 = byIP.get('10.244.0.115:80')
  assert.ok(o1 !== undefined && o2 !== undefined && o3 !== undefined, t.summary)
  assert.ok(Math.abs(o1.probability - P1) < 1e-15)
  assert.ok(Math.abs(o2.probability - P2) < 1e-15)
  assert.ok(Math.abs(o3.probability - P3) < 1e-12)
  assert.ok(Math.abs(o1.probability + o2.probability + o3.probability - 1) < 1e-12)
  for (const o of [o1, o2, o3]) {
    assert.equal(o.outcome, 'DELIVERED')
    assert.equal(o.node, 'vortex-dev')
    assert.equal(o.masqueraded, true)
    assert.equal(o.seenSource?.split(':')[0], '10.244.0.1', 'masqueraded to the cni0 gateway')
    assert.equal(o.reply?.from, `${NODE_IP}:30136`)
    assert.equal(o.reply?.matchesRequest, true)
  }
  const rules = matchedRules(t.paths[o1.paths[0]].hops[0])
  // the seed note's rules, as iptables-save prints them
  for (const line of [
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/k8s-nginx-node:" -m tcp --dport 30136 -j KUBE-MARK-MASQ',
    '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/k8s-nginx-node:" -m tcp --dport 30136 -j KUBE-SVC-RD5DSC6PXE26GCYZ',
    '-A KUBE-SVC-RD5DSC6PXE26GCYZ -m comment --comment "default/k8s-nginx-node:" -m statistic --mode random --probability 0.33332999982 -j KUBE-SEP-YNJKNN6SS5424R7C',
    '-A KUBE-SEP-YNJKNN6SS5424R7C -p tcp -m comment --comment "default/k8s-nginx-node:" -m tcp -j DNAT --to-destination 10.244.0.113:80'
  ]) assert.ok(rules.includes(line), `missing ${line}\n${rules.join('\n')}`)
  // the third pod is reached after two failed draws
  assert.deepEqual(t.paths[o3.paths[0]].choices.map(c => c.matched), [false, false])
})

test('sample mode is reproducible per seed and lands on one of the three pods', async () => {
  const a = await trace(api, 'demo', { ...req, mode: 'sample', seed: 42 })
  const b = await trace(api, 'demo', { ...req, mode: 'sample', seed: 42 })
  assert.equal(a.outcomes.length, 1)
  assert.equal(a.outcomes[0].address, b.outcomes[0].address)
  assert.ok(['10.244.0.113:80', '10.244.0.114:80', '10.244.0.115:80'].includes(a.outcomes[0].address ?? ''))
  const seen = new Set<string>()
  for (let seed = 0; seed < 40; seed++) seen.add((await trace(api, 'demo', { ...req, mode: 'sample', seed, reply: false })).outcomes[0].address ?? '')
  assert.equal(seen.size, 3, 'forty seeds reach every pod')
})

test('text/plain renders kernel TRACE lines with explanations', async () => {
  const r = await api.post('/api/v1/clusters/demo/traces').set('Accept', 'text/plain').send({ ...req, mode: 'sample', seed: 42 })
  assert.equal(r.status, 200)
  assert.match(r.headers['content-type'], /^text\/plain/)
  const text = r.text
  assert.match(text, /^TRACE: nat:PREROUTING:rule:1 IN=eth0 OUT= .*SRC=203\.0\.113\.2 DST=192\.168\.33\.10 .*DPT=30136 /m)
  assert.match(text, /^TRACE: nat:KUBE-NODEPORTS:rule:1 /m)
  assert.match(text, /^TRACE: nat:KUBE-MARK-MASQ:return:2 .*MARK=0x4000 $/m)
  assert.match(text, /^TRACE: filter:FORWARD:rule:1 IN=eth0 OUT=cni0 .*TTL=63 .*DPT=80 /m)
  assert.match(text, /^#   .*masquerade/m)
  assert.match(text, /### reply/)
  const viaQuery = await api.post('/api/v1/clusters/demo/traces?format=trace').send({ ...req, mode: 'sample', seed: 42 })
  assert.equal(viaQuery.text, text)
})
