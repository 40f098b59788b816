// Paths, routing, conntrack and NAT: forward/input/output, re-route after DNAT, loopback,
// reverse NAT on replies, null bindings, MASQUERADE/SNAT/REDIRECT selection, routing failures,
// and `statistic --mode random` in sample and all modes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEngineState, EvaluationError, conntrackEntries, snapshotToPacket } from '../../src/netfilter/index.ts'
import type { HostSpec } from '../../src/netfilter/index.ts'
import { NODE, prep, run, tcpIn, path } from './eval-helpers.ts'

const NAT = (pre: string, post = '', out = ''): string =>
  `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n${pre}${post}${out}COMMIT\n`
const FILTER = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n'

test('forward + DNAT + MASQUERADE; the reply is un-SNATed in PREROUTING and un-DNATed in POSTROUTING', () => {
  const p = prep(NAT('-A PREROUTING -d 10.96.0.10/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.0.5:8080\n', '-A POSTROUTING -o cni0 -j MASQUERADE\n') + FILTER)
  const st = createEngineState()
  const r = run(p, tcpIn({ dst: '10.96.0.10' }), st)
  assert.equal(r.outcome.kind, 'EGRESS')
  if (r.outcome.kind !== 'EGRESS') return
  assert.equal(r.outcome.outIface, 'cni0')
  assert.equal(r.outcome.nextHop, '10.244.0.5')
  assert.equal(r.outcome.forwarded, true)
  assert.equal(r.packetAfter.src, '10.244.0.1', 'masqueraded to cni0 address')
  assert.equal(r.packetAfter.dst, '10.244.0.5')
  assert.equal(r.packetAfter.dport, 8080)
  assert.equal(r.packetAfter.ttl, 63)
  assert.equal(r.packetAfter.sport, 40000, 'source port kept when unique (no --random)')
  // reply from the pod, addressed to the masquerade address
  const reply = { inIface: 'cni0', src: '10.244.0.5', dst: r.packetAfter.src, proto: 'tcp' as const, sport: 8080, dport: r.packetAfter.sport, tcpFlags: ['SYN', 'ACK'] }
  const rr = run(p, reply, st)
  assert.equal(rr.outcome.kind, 'EGRESS')
  if (rr.outcome.kind === 'EGRESS') assert.equal(rr.outcome.outIface, 'eth0')
  assert.deepEqual([rr.packetAfter.src, rr.packetAfter.sport, rr.packetAfter.dst, rr.packetAfter.dport], ['10.96.0.10', 80, '192.168.1.5', 40000])
  assert.equal(rr.ct.state, 'ESTABLISHED')
  assert.equal(rr.ct.direction, 'REPLY')
  assert.equal(path(rr).filter(x => x.startsWith('nat:')).length, 0, 'no nat chains for replies')
  // next client packet: ESTABLISHED, DNAT+SNAT applied by conntrack without nat chains
  const r3 = run(p, tcpIn({ dst: '10.96.0.10', tcpFlags: ['ACK'] }), st)
  assert.equal(r3.ct.state, 'ESTABLISHED')
  assert.deepEqual([r3.packetAfter.src, r3.packetAfter.dst, r3.packetAfter.dport], ['10.244.0.1', '10.244.0.5', 8080])
  assert.equal(path(r3).filter(x => x.startsWith('nat:')).length, 0)
  assert.equal(conntrackEntries(st.conntrack).length, 1)
})

test('ctstate DNAT / SNAT virtual states; null binding is not DNAT', () => {
  const p = prep(NAT('-A PREROUTING -d 10.96.0.10/32 -j DNAT --to-destination 10.244.0.5\n') +
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT\nCOMMIT\n')
  assert.equal(run(p, tcpIn({ dst: '10.96.0.10' })).outcome.kind, 'EGRESS')
  assert.equal(run(p, tcpIn({ dst: '10.244.0.5' })).outcome.kind, 'DROPPED')
})

test('null binding: a later DNAT rule does not affect an existing connection', () => {
  const st = createEngineState()
  const udp = { inIface: 'eth0', src: '192.168.1.5', dst: '10.96.0.10', proto: 'udp' as const, sport: 5000, dport: 53 }
  const p0 = prep(NAT('') + FILTER)
  const a = run(p0, udp, st)
  assert.ok(a.steps.some(s => s.type === 'nat' && /null binding/.test(s.message)))
  // second packet before any reply: still NEW, but the nat chain is not traversed again
  const p1 = prep(NAT('-A PREROUTING -p udp -j DNAT --to-destination 10.244.0.5\n') + FILTER)
  const b = run(p1, udp, st)
  assert.equal(b.ct.state, 'NEW')
  assert.equal(b.packetAfter.dst, '10.96.0.10')
  assert.deepEqual(path(b).filter(x => x.startsWith('nat:')), [])
  // a new connection does get the DNAT
  assert.equal(run(p1, { ...udp, sport: 5001 }, st).packetAfter.dst, '10.244.0.5')
})

test('DNAT to a local address turns forwarding into local delivery; NodePort DNAT to a pod turns local into forward', () => {
  const p = prep(NAT('-A PREROUTING -d 10.96.0.10/32 -p tcp -j DNAT --to-destination 192.168.1.1:9000\n-A PREROUTING -p tcp --dport 30080 -j DNAT --to-destination 10.244.0.5:8080\n') + FILTER)
  const a = run(p, tcpIn({ dst: '10.96.0.10' }))
  assert.equal(a.outcome.kind, 'DELIVERED')
  assert.equal(a.packetAfter.dport, 9000)
  const b = run(p, tcpIn({ dport: 30080 }))
  assert.equal(b.outcome.kind, 'EGRESS')
  assert.ok(path(b).some(x => x.startsWith('filter:FORWARD')))
})

test('REDIRECT: PREROUTING → primary address of the input device; OUTPUT → 127.0.0.1', () => {
  const p = prep(NAT('-A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 3128\n', '', '-A OUTPUT -p tcp -d 1.1.1.1 -j REDIRECT --to-ports 5353\n') + FILTER)
  const a = run(p, tcpIn({ inIface: 'cni0', src: '10.244.0.5', dst: '93.184.216.34' }))
  assert.equal(a.outcome.kind, 'DELIVERED')
  assert.deepEqual([a.packetAfter.dst, a.packetAfter.dport], ['10.244.0.1', 3128])
  const b = run(p, { dst: '1.1.1.1', proto: 'tcp', sport: 33333, dport: 53 })
  assert.equal(b.outcome.kind, 'DELIVERED')
  assert.deepEqual([b.packetAfter.dst, b.packetAfter.dport, b.packetAfter.in], ['127.0.0.1', 5353, 'lo'])
})

test('SNAT with an address range and port range; collisions pick another port; MASQUERADE via gateway', () => {
  const p = prep(NAT('', '-A POSTROUTING -o eth0 -p tcp -j SNAT --to-source 192.168.1.100-192.168.1.100:2000-2001\n') + FILTER)
  const st = createEngineState()
  const out = (src: string): { src: string, sport?: number } => run(p, tcpIn({ inIface: 'cni0', src, dst: '8.8.8.8', sport: 40000, dport: 53 }), st).packetAfter
  const a = out('10.244.0.5'); const b = out('10.244.0.6')
  assert.equal(a.src, '192.168.1.100')
  assert.ok(a.sport === 2000 || a.sport === 2001)
  assert.ok(b.sport === 2000 || b.sport === 2001)
  assert.notEqual(a.sport, b.sport, 'second connection gets the other port')
  // MASQUERADE selects the address of the out device that holds the gateway
  const m = prep(NAT('', '-A POSTROUTING -o eth0 -j MASQUERADE\n') + FILTER)
  const r = run(m, tcpIn({ inIface: 'cni0', src: '10.244.0.5', dst: '8.8.8.8' }))
  if (r.outcome.kind !== 'EGRESS') assert.fail(r.outcome.kind)
  assert.equal(r.outcome.nextHop, '192.168.1.254')
  assert.equal(r.packetAfter.src, '192.168.1.1')
})

test('MASQUERADE --random-fully: seeded, deterministic and flagged as random', () => {
  const p = prep(NAT('', '-A POSTROUTING -o eth0 -j MASQUERADE --random-fully\n') + FILTER)
  const go = (seed: number): number | undefined => run(p, tcpIn({ inIface: 'cni0', src: '10.244.0.5', dst: '8.8.8.8' }), createEngineState({ seed })).packetAfter.sport
  assert.equal(go(7), go(7))
  assert.notEqual(go(7), go(8))
  const port = go(7)!
  assert.ok(port >= 1024 && port <= 65535)
  const r = run(p, tcpIn({ inIface: 'cni0', src: '10.244.0.5', dst: '8.8.8.8' }), createEngineState({ seed: 7 }))
  assert.ok(r.steps.some(s => s.type === 'rule' && /PRNG/.test(s.note ?? '')))
})

test('routing failures: forwarding off, unreachable route, TTL, martians, no route for local output', () => {
  const p = prep(FILTER)
  const off: HostSpec = { ...NODE, ipForward: false }
  const a = run(p, tcpIn({ dst: '8.8.8.8' }), createEngineState(), {}, off)
  assert.equal(a.outcome.kind, 'NO_ROUTE')
  assert.equal(run(p, tcpIn({ dst: '10.99.1.1' })).outcome.kind, 'NO_ROUTE')
  const ttl = run(p, tcpIn({ dst: '8.8.8.8', ttl: 1 }))
  assert.equal(ttl.outcome.kind, 'DROPPED')
  const mart = run(p, tcpIn({ dst: '127.0.0.1' }))
  assert.equal(mart.outcome.kind, 'DROPPED')
  if (mart.outcome.kind === 'DROPPED') assert.match(mart.outcome.reason, /martian/)
  const lonely: HostSpec = { interfaces: [{ name: 'eth0', addresses: ['192.168.1.1/24'] }] }
  const n = run(p, { dst: '10.96.0.10', proto: 'tcp', sport: 1, dport: 80 }, createEngineState(), {}, lonely)
  assert.equal(n.outcome.kind, 'NO_ROUTE')
  if (n.outcome.kind === 'NO_ROUTE') assert.equal(n.outcome.errno, 'ENETUNREACH')
  assert.equal(n.steps.filter(s => s.type === 'rule').length, 0, 'no hook runs')
})

test('OUTPUT DNAT: OUTPUT chains keep the original OUT, POSTROUTING sees the re-routed device', () => {
  const p = prep(NAT('', '', '-A OUTPUT -d 10.96.0.10/32 -p tcp -j DNAT --to-destination 10.244.0.5:8080\n') +
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -o eth0 -j ACCEPT\nCOMMIT\n')
  const r = run(p, { dst: '10.96.0.10', proto: 'tcp', sport: 5555, dport: 80 })
  const steps = r.steps.filter(s => s.type === 'rule')
  const fo = steps.find(s => s.type === 'rule' && s.table === 'filter')!
  assert.equal(fo.packet.out, 'eth0')
  assert.equal(fo.packet.dst, '10.244.0.5')
  assert.equal(fo.matched, true)
  const post = steps.find(s => s.type === 'rule' && s.hook === 'POSTROUTING')!
  assert.equal(post.packet.out, 'cni0')
  assert.equal(r.packetAfter.src, '192.168.1.1')
  if (r.outcome.kind === 'EGRESS') assert.equal(r.outcome.outIface, 'cni0'); else assert.fail(r.outcome.kind)
})

test('OUTPUT DNAT from 127.0.0.1 to a pod is dropped inside nat OUTPUT without route_localnet', () => {
  const p = prep(NAT('', '', '-A OUTPUT -p tcp --dport 30080 -j DNAT --to-destination 10.244.0.5:8080\n') + FILTER)
  const r = run(p, { src: '127.0.0.1', dst: '127.0.0.1', proto: 'tcp', sport: 5555, dport: 30080 })
  assert.equal(r.outcome.kind, 'DROPPED')
  assert.equal(r.steps.filter(s => s.type === 'rule' && s.table === 'filter').length, 0)
  const ok = run(p, { src: '127.0.0.1', dst: '127.0.0.1', proto: 'tcp', sport: 5556, dport: 30080 }, createEngineState(), {}, { ...NODE, routeLocalnet: true })
  assert.equal(ok.outcome.kind, 'EGRESS')
})

test('local → local: loopback re-injection skips nat PREROUTING/INPUT, keeps conntrack', () => {
  const p = prep(NAT('-A PREROUTING -j ACCEPT\n', '-A POSTROUTING -j ACCEPT\n', '-A OUTPUT -j ACCEPT\n') + '*nat\n-A INPUT -j ACCEPT\nCOMMIT\n' + FILTER)
  const r = run(p, { dst: '192.168.1.1', proto: 'tcp', sport: 1234, dport: 9000 })
  assert.equal(r.outcome.kind, 'DELIVERED')
  assert.deepEqual(path(r), ['nat:OUTPUT:policy:1', 'filter:OUTPUT:policy:1', 'nat:POSTROUTING:policy:1', 'filter:INPUT:policy:1'])
  assert.equal(r.packetAfter.in, 'lo')
  assert.equal(r.packetAfter.src, '192.168.1.1')
})

test('mangle OUTPUT mark change triggers a re-route event; INPUT path has nat INPUT after filter INPUT', () => {
  const p = prep('*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A OUTPUT -j MARK --set-mark 0x1\nCOMMIT\n' + NAT('') + FILTER)
  const r = run(p, { dst: '8.8.8.8', proto: 'tcp', sport: 1, dport: 53 })
  assert.equal(r.outcome.kind, 'EGRESS')
  const i = run(p, tcpIn())
  assert.deepEqual(path(i), ['mangle:PREROUTING:policy:1', 'nat:PREROUTING:policy:1', 'mangle:INPUT:policy:1', 'filter:INPUT:policy:1', 'nat:INPUT:policy:1'])
  const nft = run(p, tcpIn(), createEngineState(), { backend: 'nft' })
  assert.deepEqual(path(nft).slice(-2), ['filter:INPUT:policy:1', 'nat:INPUT:policy:1'])
})

const CASCADE = NAT('-A PREROUTING -j SVC\n') + FILTER
test('statistic random, all mode: exact kernel-quantised branch probabilities that sum to 1', () => {
  const text = CASCADE.replace(':POSTROUTING ACCEPT [0:0]\n', ':POSTROUTING ACCEPT [0:0]\n:SVC - [0:0]\n-A SVC -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.244.0.1\n-A SVC -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.244.0.2\n-A SVC -j DNAT --to-destination 10.244.0.3\n')
  const p = prep(text)
  const st = createEngineState()
  const r = run(p, tcpIn({ dst: '10.96.0.1' }), st, { mode: 'all' })
  assert.equal(r.branches.length, 3)
  const q = Math.round(0.33333333349 * 2 ** 31) / 2 ** 31
  const byDst = Object.fromEntries(r.branches.map(b => [b.packetAfter.dst, b.probability]))
  assert.equal(byDst['10.244.0.1'], q)
  assert.equal(byDst['10.244.0.2'], (1 - q) * 0.5)
  assert.equal(byDst['10.244.0.3'], (1 - q) * 0.5)
  assert.ok(Math.abs(r.branches.reduce((a, b) => a + b.probability, 0) - 1) < 1e-12)
  assert.equal(st.conntrack.byTuple.size, 0, 'caller state untouched in all mode')
  assert.equal(r.branches[0].state.conntrack.byTuple.size, 2, 'each branch carries its own state')
  // sample mode is reproducible with a seed
  const s1 = run(p, tcpIn({ dst: '10.96.0.1' }), createEngineState({ seed: 3 })).packetAfter.dst
  const s2 = run(p, tcpIn({ dst: '10.96.0.1' }), createEngineState({ seed: 3 })).packetAfter.dst
  assert.equal(s1, s2)
  assert.throws(() => run(p, tcpIn({ dst: '10.96.0.1' }), st, { mode: 'all', maxBranches: 2 }), (e: unknown) => e instanceof EvaluationError && e.code === 'E_BRANCH_LIMIT')
})

test('chaining hosts: the egress packet of one node is the ingress packet of the next', () => {
  const p = prep(NAT('-A PREROUTING -d 10.96.0.10/32 -j DNAT --to-destination 10.244.0.5\n') + FILTER)
  const r = run(p, tcpIn({ dst: '10.96.0.10' }))
  if (r.outcome.kind !== 'EGRESS') assert.fail(r.outcome.kind)
  const next = { ...snapshotToPacket(r.outcome.packet), inIface: 'eth0' }
  assert.equal(next.dst, '10.244.0.5')
  assert.equal(next.ttl, 63)
})

test('ICMP error quoting a known connection is RELATED and translated back; unknown ones are INVALID', () => {
  const p = prep(NAT('-A PREROUTING -d 10.96.0.10/32 -p udp -j DNAT --to-destination 10.244.0.5:5353\n', '-A POSTROUTING -o cni0 -j MASQUERADE\n') +
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate NEW,RELATED -j ACCEPT\nCOMMIT\n')
  const st = createEngineState()
  const q = run(p, { inIface: 'eth0', src: '192.168.1.5', dst: '10.96.0.10', proto: 'udp', sport: 4444, dport: 53 }, st)
  assert.equal(q.outcome.kind, 'EGRESS')
  const err = {
    inIface: 'cni0', src: '10.244.0.5', dst: q.packetAfter.src, proto: 'icmp' as const, icmpType: 3, icmpCode: 3,
    icmpEmbedded: { src: q.packetAfter.src, dst: '10.244.0.5', proto: 'udp' as const, sport: q.packetAfter.sport, dport: 5353 }
  }
  const r = run(p, err, st)
  assert.equal(r.ct.state, 'RELATED')
  assert.equal(r.ct.direction, 'REPLY')
  assert.equal(r.outcome.kind, 'EGRESS')
  assert.deepEqual([r.packetAfter.src, r.packetAfter.dst], ['10.96.0.10', '192.168.1.5'])
  const stray = run(p, { ...err, icmpEmbedded: { ...err.icmpEmbedded, sport: 1 } }, st)
  assert.equal(stray.ct.state, 'INVALID')
  assert.equal(stray.outcome.kind, 'DELIVERED', 'no conntrack, no un-NAT: it is just delivered to the node address')
  assert.equal(stray.packetAfter.dst, '10.244.0.1')
})

test('nft backend: built-in chains never declared, given a rule or a policy are not hooked (no trace lines)', async () => {
  const { parseRuleset, prepareRuleset } = await import('../../src/netfilter/index.ts')
  const rs = parseRuleset('*mangle\n:PREROUTING ACCEPT [0:0]\n:KUBE-X - [0:0]\nCOMMIT\n' + FILTER)
  const mangle = rs.tables.get('mangle')!
  for (const c of mangle.chains.values()) if (c.builtin && c.name !== 'PREROUTING') c.declared = false
  const p = prepareRuleset(rs)
  const nft = run(p, tcpIn(), createEngineState(), { backend: 'nft' })
  assert.deepEqual(path(nft).filter(x => x.startsWith('mangle')), ['mangle:PREROUTING:policy:1'])
  const legacy = run(p, tcpIn(), createEngineState(), { backend: 'legacy' })
  assert.deepEqual(path(legacy).filter(x => x.startsWith('mangle')), ['mangle:PREROUTING:policy:1', 'mangle:INPUT:policy:1'])
})
