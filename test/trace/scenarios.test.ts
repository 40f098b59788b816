/**
 * Cluster traces on a two-node `current` kube-proxy cluster built through the API: each scenario
 * asserts the outcome, probabilities, masquerade, the key rules on the path and the reply.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { build, type Built } from '../helper.ts'
import { cleanups } from './fixture.ts'
import { byPod, createLab, IP, matchedRules, NODE1, NODE2, only, total, trace, type TraceBody } from './fixture.ts'

let api: Built['api']
const hooks = cleanups()
after(async () => { await hooks.run() })
before(async () => {
  const b = await build(hooks)
  api = b.api
  await createLab(api)
})

const T = (req: Record<string, unknown>): Promise<TraceBody> => trace(api, 'lab', req)
const near = (a: number, b: number, msg?: string): void => assert.ok(Math.abs(a - b) < 1e-12, msg ?? `${a} ≠ ${b}`)

describe('ClusterIP', () => {
  test('from a pod on another node: half the connections cross to node-2, source preserved, reply from the cluster IP', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: IP.web, port: 80 }, source: { pod: 'default/client-1' } })
    assert.equal(t.outcomes.length, 2)
    near(total(t), 1)
    const far = byPod(t, 'default/web-2')
    // current kube-proxy writes --probability 0.5000000000: lround(0.5·2^31)/2^31 is exactly 0.5
    assert.equal(far.probability, 0.5)
    assert.equal(far.node, NODE2.name)
    assert.equal(far.address, `${IP.web2}:8080`)
    assert.equal(far.seenSource?.split(':')[0], IP.client1)
    assert.equal(far.masqueraded, false)
    const path = t.paths[far.paths[0]]
    assert.deepEqual(path.hops.map(h => h.node), [NODE1.name, NODE2.name])
    assert.equal(path.hops[0].inIface, 'cni0')
    assert.equal(path.hops[1].inIface, 'eth0')
    const rules = matchedRules(path.hops[0])
    assert.ok(rules.some(r => r.startsWith('-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-')), rules.join('\n'))
    // reached after one failed draw of the --probability 0.5 rule (KUBE-SVC rule 2, after the cluster-IP
    // masquerade rule; the last endpoint's rule has no statistic match)
    assert.deepEqual(path.choices.map(c => [c.chain.startsWith('KUBE-SVC-'), c.n, c.pMatch, c.matched]), [[true, 2, 0.5, false]])
    assert.ok(rules.some(r => r.includes(`-j DNAT --to-destination ${IP.web2}:8080`)))
    // the cluster-IP masquerade rule (! -s 10.244.0.0/16) does not match a pod source
    assert.ok(!rules.some(r => r.includes('-j KUBE-MARK-MASQ')))
    // DNAT step shows the packet before/after the rewrite, and the rule's provenance
    const dnat = path.hops[0].steps.find(s => s.rule?.includes('-j DNAT') === true && s.matched === true)
    assert.ok(dnat !== undefined)
    assert.equal(dnat.provenance?.endpoint, `${IP.web2}:8080`)
    // node-2 only forwards (no service rule hits there)
    assert.ok(!matchedRules(path.hops[1]).some(r => r.includes('DNAT')))
    assert.equal(far.reply?.reachedClient, true)
    assert.equal(far.reply?.from, `${IP.web}:80`)
    assert.equal(far.reply?.matchesRequest, true)
    assert.deepEqual(path.reply?.hops.map(h => h.node), [NODE2.name, NODE1.name])
  })

  test('hairpin: a pod reaching itself through its service is masqueraded to the cni0 gateway', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: IP.web, port: 80 }, source: { pod: 'default/web-1' } })
    const self = byPod(t, 'default/web-1')
    assert.equal(self.probability, 0.5)
    assert.equal(self.masqueraded, true)
    assert.equal(self.seenSource?.split(':')[0], NODE1.gw)
    const rules = matchedRules(t.paths[self.paths[0]].hops[0])
    assert.ok(rules.some(r => /^-A KUBE-SEP-\w+ -s 10\.244\.1\.10\/32 .*-j KUBE-MARK-MASQ$/.test(r)), rules.join('\n'))
    assert.ok(rules.some(r => r.includes('-j MASQUERADE')))
    assert.equal(self.reply?.from, `${IP.web}:80`)
    assert.equal(self.reply?.reachedClient, true)
    // the other endpoint sees the pod's own address
    const other = byPod(t, 'default/web-2')
    assert.equal(other.masqueraded, false)
    assert.equal(other.seenSource?.split(':')[0], IP.web1)
  })

  test('host process to a cluster IP: OUTPUT DNAT, masqueraded (source outside the cluster CIDR), reply delivered locally', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: IP.web, port: 80 }, source: { node: NODE1.name } })
    assert.equal(t.request.source.address, NODE1.ip)
    const local = byPod(t, 'default/web-1')
    const far = byPod(t, 'default/web-2')
    assert.equal(local.probability + far.probability, 1)
    const hop = t.paths[local.paths[0]].hops[0]
    assert.equal(hop.entry, 'OUTPUT')
    assert.ok(hop.hooks.includes('OUTPUT') && hop.hooks.includes('POSTROUTING'))
    assert.ok(!hop.hooks.includes('PREROUTING'))
    assert.ok(matchedRules(hop).some(r => r.includes('! -s 10.244.0.0/16') && r.endsWith('-j KUBE-MARK-MASQ')))
    assert.equal(local.seenSource?.split(':')[0], NODE1.gw, 'masqueraded to cni0 when the endpoint is local')
    assert.equal(far.masqueraded, true)
    assert.equal(far.seenSource?.split(':')[0], NODE1.ip, 'masqueraded to eth0 when it crosses to node-2')
    for (const o of [local, far]) {
      assert.equal(o.reply?.reachedClient, true)
      assert.equal(o.reply?.from, `${IP.web}:80`)
    }
    assert.equal(t.paths[local.paths[0]].reply?.final, 'LOCAL')
  })

  test('UDP: the udp rules match and the reply comes back from the cluster IP', async () => {
    const t = await T({ protocol: 'UDP', destination: { address: IP.dnsSvc, port: 53 }, source: { pod: 'client-1' } })
    const o = only(t)
    assert.equal(o.outcome, 'DELIVERED')
    assert.equal(o.probability, 1)
    assert.equal(o.address, `${IP.dns}:53`)
    const rules = matchedRules(t.paths[0].hops[0])
    assert.ok(rules.some(r => r.includes('-p udp -m comment --comment "default/dns:dns cluster IP" -m udp --dport 53')), rules.join('\n'))
    assert.equal(o.reply?.from, `${IP.dnsSvc}:53`)
    assert.equal(t.paths[0].hops[0].packetIn.protocol, 'UDP')
  })

  test('multi-port service: each port has its own chain and target port', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: IP.multiSvc, port: 9090 }, source: { pod: 'client-2' } })
    const o = only(t)
    assert.equal(o.address, `${IP.multi}:9090`)
    const rules = matchedRules(t.paths[0].hops[0])
    assert.ok(rules.some(r => r.includes('"default/multi:metrics cluster IP"') && r.includes('--dport 9090')))
    assert.ok(!rules.some(r => r.includes('default/multi:http')))
    const http = only(await T({ protocol: 'TCP', destination: { address: IP.multiSvc, port: 80 }, source: { pod: 'client-2' } }))
    assert.equal(http.address, `${IP.multi}:8080`)
    assert.equal(http.reply?.from, `${IP.multiSvc}:80`)
    // a port the service does not have is not caught by any service rule
    const other = only(await T({ protocol: 'TCP', destination: { address: IP.multiSvc, port: 81 }, source: { pod: 'client-2' } }))
    assert.equal(other.outcome, 'EXTERNAL')
  })

  test('no endpoints: filter REJECT with ICMP port unreachable, reason names the service', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: IP.empty, port: 80 }, source: { pod: 'client-1' } })
    const o = only(t)
    assert.equal(o.outcome, 'REJECTED')
    assert.equal(o.reject?.with, 'icmp-port-unreachable')
    assert.match(o.reason, /service default\/empty has no endpoints/)
    assert.equal(o.rule?.table, 'filter')
    assert.equal(o.rule?.chain, 'KUBE-SERVICES')
    assert.match(o.rule?.text ?? '', /"default\/empty has no endpoints".*-j REJECT --reject-with icmp-port-unreachable/)
    assert.equal(o.rule?.provenance?.service, 'default/empty')
    assert.equal(o.reply, undefined)
  })

  test('terminating-endpoint fallback: the only endpoint is terminating but serving, so traffic still reaches it', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: IP.term_, port: 80 }, source: { pod: 'client-1' } })
    const o = only(t)
    assert.equal(o.outcome, 'DELIVERED')
    assert.equal(o.pod, 'default/term-1')
    assert.equal(o.probability, 1)
    assert.equal(o.reply?.from, `${IP.term_}:80`)
  })
})

describe('NodePort', () => {
  test('from an external client, crossing to the other node: masqueraded to node-1, reply reverse-NATed back through node-1', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: NODE1.ip, port: 30080 }, source: { address: '203.0.113.2' } })
    assert.equal(t.outcomes.length, 2)
    near(total(t), 1)
    const far = byPod(t, 'default/web-2')
    const path = t.paths[far.paths[0]]
    assert.deepEqual(path.hops.map(h => h.node), [NODE1.name, NODE2.name])
    assert.equal(far.masqueraded, true)
    assert.equal(far.seenSource?.split(':')[0], NODE1.ip, 'SNAT to node-1\'s eth0 address, so the reply comes back through node-1')
    // the packet leaves node-1 already NATed both ways, node-2 only forwards it
    assert.equal(path.hops[0].packetOut.dst, IP.web2)
    assert.equal(path.hops[0].packetOut.src, NODE1.ip)
    assert.equal(path.hops[1].packetIn.ttl, 63)
    assert.deepEqual(path.reply?.hops.map(h => h.node), [NODE2.name, NODE1.name])
    assert.equal(far.reply?.from, `${NODE1.ip}:30080`)
    assert.equal(far.reply?.matchesRequest, true)
    const near1 = byPod(t, 'default/web-1')
    assert.equal(near1.seenSource?.split(':')[0], NODE1.gw)
  })

  test('on 127.0.0.1 from the node (localhostNodePorts, route_localnet): masqueraded, reply from 127.0.0.1', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: '127.0.0.1', port: 30080 }, source: { node: NODE1.name } })
    assert.equal(t.outcomes.length, 2)
    near(total(t), 1)
    const local = byPod(t, 'default/web-1')
    const hop = t.paths[local.paths[0]].hops[0]
    const rules = matchedRules(hop)
    assert.ok(rules.some(r => r.startsWith('-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp') && r.includes('--dport 30080')), rules.join('\n'))
    assert.ok(rules.some(r => r.includes('masquerade traffic for default/web-np external destinations')))
    assert.equal(local.masqueraded, true)
    assert.equal(local.seenSource?.split(':')[0], NODE1.gw)
    assert.equal(local.reply?.from, '127.0.0.1:30080')
    assert.equal(local.reply?.matchesRequest, true)
    // the packet leaves through cni0 with a loopback source only because route_localnet=1
    assert.ok(!t.outcomes.some(o => o.outcome === 'DROPPED'))
  })

  test('externalTrafficPolicy Local on the node with the endpoint: client address preserved', async () => {
    const o = only(await T({ protocol: 'TCP', destination: { address: NODE1.ip, port: 30081 }, source: { address: '203.0.113.2' } }))
    assert.equal(o.outcome, 'DELIVERED')
    assert.equal(o.pod, 'default/solo-1')
    assert.equal(o.masqueraded, false)
    assert.equal(o.seenSource?.split(':')[0], '203.0.113.2')
    assert.equal(o.reply?.from, `${NODE1.ip}:30081`)
  })

  test('externalTrafficPolicy Local on a node without a local endpoint: dropped, with the reason', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: NODE2.ip, port: 30081 }, source: { address: '203.0.113.2' } })
    const o = only(t)
    assert.equal(o.outcome, 'DROPPED')
    assert.equal(o.node, NODE2.name)
    assert.equal(o.reason, 'externalTrafficPolicy Local and no local endpoint on node-2 (service default/local)')
    assert.equal(o.rule?.chain, 'KUBE-EXTERNAL-SERVICES')
    assert.match(o.rule?.text ?? '', /has no local endpoints.*-j DROP/)
  })

  test('externalTrafficPolicy Local: a pod short-circuits to all endpoints (not masqueraded)', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: NODE2.ip, port: 30081 }, source: { pod: 'client-2' } })
    const o = only(t)
    assert.equal(o.outcome, 'DELIVERED')
    assert.equal(o.pod, 'default/solo-1')
    assert.equal(o.masqueraded, false)
    assert.ok(matchedRules(t.paths[0].hops[0]).some(r => r.includes('pod traffic for default/local external destinations')))
    assert.equal(o.reply?.from, `${NODE2.ip}:30081`)
  })
})

describe('internalTrafficPolicy Local', () => {
  test('a pod on the endpoint\'s node reaches it; a pod elsewhere is dropped', async () => {
    const here = only(await T({ protocol: 'TCP', destination: { address: IP.itp, port: 80 }, source: { pod: 'client-1' } }))
    assert.equal(here.outcome, 'DELIVERED')
    assert.equal(here.pod, 'default/solo-1')
    assert.equal(here.reply?.from, `${IP.itp}:80`)
    const there = only(await T({ protocol: 'TCP', destination: { address: IP.itp, port: 80 }, source: { pod: 'client-2' } }))
    assert.equal(there.outcome, 'DROPPED')
    assert.equal(there.reason, 'internalTrafficPolicy Local and no local endpoint on node-2 (service default/itp)')
  })
})

describe('LoadBalancer source ranges', () => {
  test('a client inside loadBalancerSourceRanges reaches the endpoints, masqueraded, reply from the VIP', async () => {
    const t = await T({ protocol: 'TCP', destination: { address: IP.lbVip, port: 80 }, source: { address: '203.0.113.2', node: NODE1.name } })
    assert.equal(t.outcomes.length, 2)
    near(total(t), 1)
    for (const o of t.outcomes) {
      assert.equal(o.outcome, 'DELIVERED')
      assert.equal(o.masqueraded, true)
      assert.equal(o.reply?.from, `${IP.lbVip}:80`)
      const rules = matchedRules(t.paths[o.paths[0]].hops[0])
      assert.ok(rules.some(r => /^-A KUBE-FW-\w+ -s 203\.0\.113\.0\/25 /.test(r)), rules.join('\n'))
    }
  })

  test('a client outside the ranges is dropped by KUBE-PROXY-FIREWALL', async () => {
    const o = only(await T({ protocol: 'TCP', destination: { address: IP.lbVip, port: 80 }, source: { address: '203.0.113.130', node: NODE1.name } }))
    assert.equal(o.outcome, 'DROPPED')
    assert.equal(o.reason, 'loadBalancerSourceRanges do not include 203.0.113.130 (service default/lb)')
    assert.equal(o.rule?.chain, 'KUBE-PROXY-FIREWALL')
  })

  test('without source.node a VIP has no owning node: 422 names source.node', async () => {
    const r = await api.post('/api/v1/clusters/lab/traces').send({ protocol: 'TCP', destination: { address: IP.lbVip, port: 80 }, source: { address: '203.0.113.2' } })
    assert.equal(r.status, 422)
    assert.equal(r.body.details.causes[0].field, 'source.node')
  })
})

describe('session affinity (ClientIP, 60 s)', () => {
  test('sticks to the first endpoint, expires after the timeout, and resets', async () => {
    const base = { protocol: 'TCP', destination: { address: IP.sticky, port: 80 }, source: { pod: 'client-1' } }
    await api.delete('/api/v1/clusters/lab/traces/affinity').expect(200)
    const fresh = await T(base)
    assert.equal(fresh.outcomes.length, 2, 'no affinity yet: both endpoints possible')
    const first = only(await T({ ...base, mode: 'sample', seed: 5 }))
    assert.ok(first.pod === 'default/web-1' || first.pod === 'default/web-2')
    const firstRules = matchedRules(t0(await T({ ...base, mode: 'sample', seed: 5 })))
    assert.ok(firstRules.some(r => r.includes('--rcheck --seconds 60 --reap')), 'second connection hits the recent check')
    // every later sample lands on the same endpoint whatever the seed
    for (const seed of [1, 2, 3, 4, 99]) assert.equal(only(await T({ ...base, mode: 'sample', seed })).pod, first.pod)
    // all mode reads the affinity: one outcome with probability 1
    const sticky = only(await T({ ...base, advanceSeconds: 30 }))
    assert.equal(sticky.pod, first.pod)
    assert.equal(sticky.probability, 1)
    const state = await api.get('/api/v1/clusters/lab/traces/affinity').expect(200)
    assert.equal(state.body.clock.now, 30)
    assert.ok(state.body.entries.some((e: { client: string, node: string }) => e.client === IP.client1 && e.node === NODE1.name))
    // 30 + 31 > 60 s since the last hit: the entry has expired, both endpoints possible again
    const expired = await T({ ...base, advanceSeconds: 31 })
    assert.equal(expired.outcomes.length, 2)
    near(total(expired), 1)
    // reset forgets the entries and the clock
    const again = only(await T({ ...base, mode: 'sample', seed: 5 }))
    assert.equal(again.pod, first.pod)
    const reset = await api.delete('/api/v1/clusters/lab/traces/affinity').expect(200)
    assert.ok(reset.body.removed >= 1)
    assert.equal(reset.body.clock.now, 0)
    assert.equal((await T(base)).outcomes.length, 2)
  })
})

function t0 (t: TraceBody): TraceBody['paths'][number]['hops'][number] {
  return t.paths[0].hops[0]
}
