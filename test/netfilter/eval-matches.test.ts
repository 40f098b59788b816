// Table-driven tests for every modelled match: each case builds `-A INPUT <spec> -j ACCEPT` with an
// INPUT policy of DROP and checks whether the packet is delivered (match) or dropped (no match).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEngineState } from '../../src/netfilter/index.ts'
import type { Packet } from '../../src/netfilter/index.ts'
import { acceptIf, prep, run, tcpIn } from './eval-helpers.ts'

interface Case { spec: string, pkt?: Partial<Packet>, match: boolean }

const cases: Case[] = [
  // addresses
  { spec: '-s 192.168.1.0/24', match: true },
  { spec: '-s 10.0.0.0/8', match: false },
  { spec: '! -s 10.0.0.0/8', match: true },
  { spec: '-d 192.168.1.1/32', match: true },
  { spec: '-d 192.168.1.2', match: false },
  { spec: '-s 192.168.1.4/31', pkt: { src: '192.168.1.5' }, match: true },
  // interfaces, with + wildcard and absent devices
  { spec: '-i eth0', match: true },
  { spec: '-i eth+', match: true },
  { spec: '-i et+', match: true },
  { spec: '-i cni0', match: false },
  { spec: '! -i eth0', match: false },
  { spec: '! -i cni+', match: true },
  // protocol
  { spec: '-p tcp', match: true },
  { spec: '-p udp', match: false },
  { spec: '! -p udp', match: true },
  { spec: '-p all', match: true },
  { spec: '-f', match: false },
  { spec: '-f', pkt: { fragment: true }, match: true },
  { spec: '! -f', match: true },
  // tcp / udp / sctp ports and flags
  { spec: '-p tcp --dport 80', match: true },
  { spec: '-p tcp --dport 81', match: false },
  { spec: '-p tcp --dport 70:90', match: true },
  { spec: '-p tcp ! --dport 80', match: false },
  { spec: '-p tcp --sport 39000:41000', match: true },
  { spec: '-p tcp --sport :1000', match: false },
  { spec: '-p tcp --dport 80', pkt: { fragment: true }, match: false },
  { spec: '-p tcp --syn', match: true },
  { spec: '-p tcp --syn', pkt: { tcpFlags: ['ACK'] }, match: false },
  { spec: '-p tcp ! --syn', pkt: { tcpFlags: ['ACK'] }, match: true },
  { spec: '-p tcp --tcp-flags SYN,ACK ACK', pkt: { tcpFlags: ['ACK', 'PSH'] }, match: true },
  { spec: '-p tcp --tcp-flags ALL NONE', pkt: { tcpFlags: [] }, match: true },
  { spec: '-p udp --dport 53', pkt: { proto: 'udp', dport: 53 }, match: true },
  { spec: '-p udp --dport 53', pkt: { proto: 'udp', dport: 54 }, match: false },
  { spec: '-p sctp --dport 3868', pkt: { proto: 'sctp', dport: 3868 }, match: true },
  { spec: '-p tcp -m tcp --dport 80', pkt: { proto: 'udp', dport: 80 }, match: false },
  // icmp
  { spec: '-p icmp --icmp-type echo-request', pkt: { proto: 'icmp', icmpType: 8 }, match: true },
  { spec: '-p icmp --icmp-type echo-reply', pkt: { proto: 'icmp', icmpType: 8 }, match: false },
  { spec: '-p icmp --icmp-type any', pkt: { proto: 'icmp', icmpType: 8 }, match: true },
  { spec: '-p icmp ! --icmp-type 8', pkt: { proto: 'icmp', icmpType: 8 }, match: false },
  { spec: '-p icmp --icmp-type 3/3', pkt: { proto: 'icmp', icmpType: 3, icmpCode: 3, ctState: 'RELATED' }, match: true },
  { spec: '-p icmp --icmp-type 3/1', pkt: { proto: 'icmp', icmpType: 3, icmpCode: 3, ctState: 'RELATED' }, match: false },
  // multiport
  { spec: '-p tcp -m multiport --dports 22,70:90', match: true },
  { spec: '-p tcp -m multiport --dports 22,443', match: false },
  { spec: '-p tcp -m multiport ! --dports 22,443', match: true },
  { spec: '-p tcp -m multiport --sports 40000', match: true },
  { spec: '-p tcp -m multiport --ports 40000', match: true },
  { spec: '-p tcp -m multiport --ports 1,2', match: false },
  // comment
  { spec: '-m comment --comment "anything at all"', match: true },
  // addrtype (local table model)
  { spec: '-m addrtype --dst-type LOCAL', match: true },
  { spec: '-m addrtype --src-type LOCAL', match: false },
  { spec: '-m addrtype ! --src-type LOCAL', match: true },
  { spec: '-m addrtype --src-type UNICAST', match: true },
  { spec: '-m addrtype --dst-type LOCAL', pkt: { dst: '172.17.0.1' }, match: true },
  { spec: '-m addrtype --dst-type LOCAL --limit-iface-in', pkt: { dst: '10.244.0.1' }, match: false },
  { spec: '-m addrtype --dst-type UNICAST --limit-iface-in', pkt: { dst: '10.244.0.1' }, match: true },
  { spec: '-m addrtype --dst-type LOCAL --limit-iface-in', match: true },
  { spec: '-m addrtype --dst-type BROADCAST', pkt: { dst: '192.168.1.255', proto: 'udp', dport: 67 }, match: true },
  { spec: '-m addrtype --dst-type BROADCAST', pkt: { dst: '255.255.255.255', proto: 'udp', dport: 67 }, match: true },
  { spec: '-m addrtype --dst-type MULTICAST', pkt: { dst: '224.0.0.251', proto: 'udp', dport: 5353 }, match: true },
  { spec: '-m addrtype --dst-type LOCAL,MULTICAST', pkt: { dst: '224.0.0.251', proto: 'udp', dport: 5353 }, match: true },
  // mark
  { spec: '-m mark --mark 0x1', pkt: { mark: 1 }, match: true },
  { spec: '-m mark --mark 0x1', pkt: { mark: 3 }, match: false },
  { spec: '-m mark --mark 0x1/0x1', pkt: { mark: 3 }, match: true },
  { spec: '-m mark ! --mark 0x4000/0x4000', pkt: { mark: 0 }, match: true },
  // conntrack / state / connmark
  { spec: '-m conntrack --ctstate NEW', match: true },
  { spec: '-m conntrack --ctstate ESTABLISHED', match: false },
  { spec: '-m conntrack ! --ctstate RELATED,ESTABLISHED', match: true },
  { spec: '-m conntrack --ctstate INVALID', pkt: { tcpFlags: ['RST'] }, match: true },
  { spec: '-m conntrack --ctstate INVALID', pkt: { tcpFlags: ['SYN', 'ACK'] }, match: true },
  { spec: '-m conntrack --ctstate NEW', pkt: { tcpFlags: ['ACK'] }, match: true },
  { spec: '-m conntrack --ctstate INVALID --ctorigdst 1.2.3.4', pkt: { tcpFlags: ['FIN'] }, match: true },
  { spec: '-m conntrack --ctorigdst 192.168.1.1', pkt: { tcpFlags: ['FIN'] }, match: false },
  { spec: '-m conntrack --ctorigdst 192.168.1.1 --ctorigsrcport 40000', match: true },
  { spec: '-m conntrack --ctorigdstport 81', match: false },
  { spec: '-m conntrack --ctproto tcp --ctdir ORIGINAL', match: true },
  { spec: '-m conntrack --ctstate UNTRACKED', pkt: { ctState: 'UNTRACKED' }, match: true },
  { spec: '-m conntrack --ctstate ESTABLISHED', pkt: { ctState: 'ESTABLISHED' }, match: true },
  { spec: '-m conntrack --ctstate DNAT', match: false },
  { spec: '-m conntrack --ctstatus CONFIRMED', match: false },
  { spec: '-m state --state NEW', match: true },
  { spec: '-m state --state INVALID', pkt: { tcpFlags: ['RST'] }, match: true },
  { spec: '-m connmark --mark 0x0', match: true },
  { spec: '-m connmark --mark 0x1', match: false },
  { spec: '-m connmark ! --mark 0x1', pkt: { tcpFlags: ['RST'] }, match: false },
  // physdev on a packet that is not bridged: true iff every option is negated
  { spec: '-m physdev --physdev-in veth1', match: false },
  { spec: '-m physdev ! --physdev-is-bridged', match: true },
  { spec: '-m physdev ! --physdev-in veth1 ! --physdev-is-in', match: true },
  // statistic random with probability 1 / 0 (deterministic edges)
  { spec: '-m statistic --mode random --probability 1', match: true },
  { spec: '-m statistic --mode random --probability 0', match: false },
  { spec: '-m statistic --mode random ! --probability 0', match: true }
]

for (const c of cases) {
  test(`match ${c.spec} ${JSON.stringify(c.pkt ?? {})} → ${c.match ? 'match' : 'no match'}`, () => {
    const p = prep(acceptIf(c.spec))
    const r = run(p, tcpIn(c.pkt))
    assert.equal(r.outcome.kind, c.match ? 'DELIVERED' : 'DROPPED', JSON.stringify(r.outcome))
  })
}

test('miss reasons are readable in full detail', () => {
  const p = prep('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 80 -d 10.96.0.10/32 -j DROP\n-A INPUT -p tcp -m tcp --dport 8080 -j DROP\n-A INPUT -s 10.0.0.0/8 -j DROP\n-A INPUT -m mark --mark 0x4000/0x4000 -j DROP\n-A INPUT -i cni0 -j DROP\nCOMMIT\n')
  const r = run(p, tcpIn({ dport: 30136 }), createEngineState(), { detail: 'full' })
  const misses = r.steps.filter(s => s.type === 'rule' && s.matched === false).map(s => (s as { why?: string }).why)
  assert.deepEqual(misses, [
    '-d 10.96.0.10/32 ≠ 192.168.1.1',
    '--dport 8080 ≠ 30136',
    '-s 10.0.0.0/8 ≠ 192.168.1.5',
    '--mark 0x4000/0x4000 ≠ mark 0x0',
    '-i cni0 ≠ eth0'
  ])
  assert.equal(r.outcome.kind, 'DELIVERED')
  // matched detail hides the misses
  const m = run(p, tcpIn({ dport: 30136 }), createEngineState(), { detail: 'matched' })
  assert.equal(m.steps.filter(s => s.type === 'rule').length, 1)
})

test('statistic nth: every 3rd evaluated packet, counters in caller state', () => {
  const p = prep(acceptIf('-m statistic --mode nth --every 3 --packet 0'))
  const st = createEngineState()
  const got = [0, 1, 2, 3, 4, 5, 6].map(i => run(p, tcpIn({ sport: 1000 + i }), st).outcome.kind === 'DELIVERED')
  assert.deepEqual(got, [true, false, false, true, false, false, true])
  const p2 = prep(acceptIf('-m statistic --mode nth --every 3 --packet 1'))
  const st2 = createEngineState()
  assert.deepEqual([0, 1, 2, 3, 4].map(i => run(p2, tcpIn({ sport: 1000 + i }), st2).outcome.kind === 'DELIVERED'), [false, true, false, false, true])
})

test('nth counter only advances when the rule is reached (IP header part first)', () => {
  const p = prep(acceptIf('-s 192.168.1.5 -m statistic --mode nth --every 2 --packet 0'))
  const st = createEngineState()
  const seq: Array<[string, boolean]> = [['192.168.1.5', true], ['192.168.1.9', false], ['192.168.1.5', false], ['192.168.1.5', true]]
  for (const [src, want] of seq) assert.equal(run(p, tcpIn({ src, sport: 2000 + src.length * 7 + seq.findIndex(x => x[0] === src) }), st).outcome.kind === 'DELIVERED', want, src)
})

test('recent: set then rcheck with --seconds/--hitcount on a virtual clock, remove, rdest, mask', () => {
  const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -m recent --name SSH --set\n-A INPUT -p tcp --dport 22 -m recent --name SSH --rcheck --seconds 60 --hitcount 3 -j DROP\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp --dport 23 -m recent --name SSH --remove -j ACCEPT\nCOMMIT\n'
  const p = prep(text)
  const st = createEngineState()
  const ssh = (t: number, sport: number): string => run(p, tcpIn({ dport: 22, sport }), st, { now: t }).outcome.kind
  assert.equal(ssh(0, 1), 'DELIVERED')
  assert.equal(ssh(10, 2), 'DELIVERED')
  assert.equal(ssh(20, 3), 'DROPPED') // third hit within 60 s
  assert.equal(ssh(100, 4), 'DELIVERED') // old stamps aged out: only 1 recent hit (this one)
  assert.equal(run(p, tcpIn({ dport: 23, sport: 5 }), st, { now: 101 }).outcome.kind, 'DELIVERED') // removed
  assert.equal(st.recent.get('SSH')?.entries.size, 0)
  // rdest + mask: key is the masked destination
  const p2 = prep('*filter\n:INPUT DROP [0:0]\n-A INPUT -m recent --name D --rdest --mask 255.255.255.0 --set\n-A INPUT -m recent --name D --rdest --mask 255.255.255.0 --rcheck --hitcount 2 -j ACCEPT\nCOMMIT\n')
  const st2 = createEngineState()
  assert.equal(run(p2, tcpIn({ sport: 1 }), st2).outcome.kind, 'DROPPED')
  assert.equal(run(p2, tcpIn({ sport: 2, dst: '192.168.1.1' }), st2).outcome.kind, 'DELIVERED')
  assert.deepEqual([...st2.recent.get('D')!.entries.keys()], [0xc0a80100])
})

test('recent --update refreshes only when matched; ! --rcheck inverts; --reap drops the stale oldest entry', () => {
  const p = prep('*filter\n:INPUT DROP [0:0]\n-A INPUT -m recent --name U --update --seconds 10 -j ACCEPT\n-A INPUT -m recent --name U --set\nCOMMIT\n')
  const st = createEngineState()
  const k = (t: number, i: number): string => run(p, tcpIn({ sport: 3000 + i }), st, { now: t }).outcome.kind
  assert.equal(k(0, 0), 'DROPPED') // not in list: --set adds it
  assert.equal(k(5, 1), 'DELIVERED') // seen 5 s ago: update refreshes to 5
  assert.equal(k(14, 2), 'DELIVERED') // 9 s after the refresh
  assert.equal(k(40, 3), 'DROPPED') // too old: set again
  const inv = prep('*filter\n:INPUT DROP [0:0]\n-A INPUT -m recent --name N ! --rcheck -j ACCEPT\nCOMMIT\n')
  assert.equal(run(inv, tcpIn(), createEngineState()).outcome.kind, 'DELIVERED')
  const reap = prep('*filter\n:INPUT DROP [0:0]\n-A INPUT -m recent --name R --set\n-A INPUT -m recent --name R --rcheck --seconds 10 --reap -j ACCEPT\nCOMMIT\n')
  const sr = createEngineState()
  run(reap, tcpIn({ src: '192.168.1.7' }), sr, { now: 0 })
  run(reap, tcpIn({ src: '192.168.1.8' }), sr, { now: 50 })
  assert.deepEqual([...sr.recent.get('R')!.entries.keys()].length, 1, 'stale oldest entry reaped')
})

test('recent list capacity: 100 entries, least recently used evicted', () => {
  const p = prep(acceptIf('-m recent --name CAP --set'))
  const st = createEngineState()
  for (let i = 0; i < 101; i++) run(p, tcpIn({ src: `10.1.${i >> 8}.${i & 255}`, inIface: 'eth0' }), st, { now: i })
  const t = st.recent.get('CAP')!
  assert.equal(t.entries.size, 100)
  assert.equal(t.entries.has(0x0a010000), false)
})

test('unknown matches give UNKNOWN (never silently true/false); a later definite miss still wins', () => {
  const p = prep('*filter\n:INPUT DROP [0:0]\n-A INPUT -m limit --limit 3/min -j ACCEPT\nCOMMIT\n')
  const r = run(p, tcpIn())
  assert.equal(r.outcome.kind, 'UNKNOWN')
  if (r.outcome.kind === 'UNKNOWN') {
    assert.equal(r.outcome.at.chain, 'INPUT')
    assert.equal(r.outcome.at.n, 1)
    assert.match(r.outcome.reason, /limit/)
  }
  const p2 = prep('*filter\n:INPUT DROP [0:0]\n-A INPUT -m limit --limit 3/min -p udp -j ACCEPT\n-A INPUT -m string --algo bm --string x -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n')
  assert.equal(run(p2, tcpIn()).outcome.kind, 'DROPPED')
  const p3 = prep(acceptIf('-p tcp -m tcp --tcp-option 2'))
  assert.equal(run(p3, tcpIn()).outcome.kind, 'UNKNOWN')
})

test('nfacct (accounting objects without quota, as kube-proxy creates them) always matches', () => {
  const p = prep(acceptIf('-m nfacct --nfacct-name localhost_nps_accepted_pkts'))
  assert.equal(run(p, tcpIn()).outcome.kind, 'DELIVERED')
})
