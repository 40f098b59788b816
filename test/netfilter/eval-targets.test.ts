// Targets and traversal: ACCEPT per table, DROP/REJECT end everything, RETURN/jump/goto stack,
// implicit return/policy numbering, rules without target, MARK/CONNMARK arithmetic, LOG, TRACE,
// NOTRACK/CT, QUEUE, unknown targets, counters.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEngineState, readCounters, renderLegacyTraceLines } from '../../src/netfilter/index.ts'
import { prep, run, tcpIn, path, ruleSteps } from './eval-helpers.ts'

const F = (body: string, policy = 'ACCEPT'): string => `*filter\n:INPUT ${policy} [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${body}COMMIT\n`

test('goto/return semantics of t7: return resumes after the last -j, skipping the goto caller', () => {
  const p = prep(F(':A - [0:0]\n:B - [0:0]\n:C - [0:0]\n-A INPUT -j A\n-A INPUT -j ACCEPT\n-A A -g B\n-A A -j DROP\n-A B -j C\n-A B -j RETURN\n-A C -p tcp -j RETURN\n', 'DROP'))
  const r = run(p, tcpIn())
  assert.deepEqual(path(r), ['filter:INPUT:rule:1', 'filter:A:rule:1', 'filter:B:rule:1', 'filter:C:rule:1', 'filter:B:rule:2', 'filter:INPUT:rule:2'])
  assert.equal(r.outcome.kind, 'DELIVERED')
  // the unconditional RETURN / ACCEPT print as return / policy with their own numbers
  const printed = ruleSteps(r).map(s => `${s.chain}:${s.printedKind}:${s.n}`)
  assert.deepEqual(printed, ['INPUT:rule:1', 'A:rule:1', 'B:rule:1', 'C:rule:1', 'B:return:2', 'INPUT:policy:2'])
})

test('implicit return and policy entries are numbered rules+1; RETURN in a base chain → policy', () => {
  const p = prep(F(':U - [0:0]\n-A INPUT -j U\n-A U -p udp -j DROP\n-A INPUT -p tcp -j RETURN\n-A INPUT -j DROP\n', 'ACCEPT'))
  const r = run(p, tcpIn())
  assert.deepEqual(path(r), ['filter:INPUT:rule:1', 'filter:U:return:2', 'filter:INPUT:rule:2', 'filter:INPUT:policy:4'])
  assert.equal(r.outcome.kind, 'DELIVERED')
})

test('goto from a base chain then falling off the user chain → base policy', () => {
  const p = prep(F(':G - [0:0]\n-A INPUT -g G\n-A INPUT -j ACCEPT\n', 'DROP'))
  const r = run(p, tcpIn())
  assert.deepEqual(path(r), ['filter:INPUT:rule:1', 'filter:G:return:1', 'filter:INPUT:policy:3'])
  assert.equal(r.outcome.kind, 'DROPPED')
})

test('rule without target only counts; counters per rule and per policy', () => {
  const p = prep(F('-A INPUT -m comment --comment "count me"\n-A INPUT -p udp -j DROP\n'))
  const st = createEngineState()
  run(p, tcpIn({ length: 100 }), st)
  run(p, tcpIn({ length: 60, sport: 2 }), st)
  const rows = readCounters(p, st)
  assert.deepEqual(rows, [
    { table: 'filter', chain: 'INPUT', n: 1, kind: 'rule', packets: 2, bytes: 160 },
    { table: 'filter', chain: 'INPUT', n: 3, kind: 'policy', packets: 2, bytes: 160 }
  ])
  // a different prepared ruleset starts from zero
  const p2 = prep(F(''))
  run(p2, tcpIn(), st)
  assert.deepEqual(readCounters(p, st), [])
})

test('ACCEPT ends only the table at that hook; DROP in raw ends everything', () => {
  const t = '*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\nCOMMIT\n*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\nCOMMIT\n' + F('-A INPUT -p tcp -j DROP\n')
  const r = run(prep(t), tcpIn())
  assert.deepEqual(path(r), ['raw:PREROUTING:rule:1', 'mangle:PREROUTING:rule:1', 'mangle:INPUT:policy:1', 'filter:INPUT:rule:1'])
  assert.equal(r.outcome.kind, 'DROPPED')
  if (r.outcome.kind === 'DROPPED') assert.deepEqual([r.outcome.at?.table, r.outcome.at?.chain, r.outcome.at?.n], ['filter', 'INPUT', 1])
  const r2 = run(prep('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -j DROP\nCOMMIT\n' + F('')), tcpIn())
  assert.deepEqual(path(r2), ['raw:PREROUTING:rule:1'])
})

const rejects: Array<[string, string]> = [
  ['-j REJECT', 'icmp-port-unreachable'],
  ['-p tcp -j REJECT --reject-with tcp-reset', 'tcp-reset'],
  ['-j REJECT --reject-with icmp-host-prohibited', 'icmp-host-prohibited'],
  ['-j REJECT --reject-with icmp-net-unreachable', 'icmp-net-unreachable'],
  ['-j REJECT --reject-with icmp-admin-prohibited', 'icmp-admin-prohibited']
]
for (const [spec, kind] of rejects) {
  test(`REJECT ${kind}`, () => {
    const r = run(prep(F(`-A INPUT ${spec}\n-A INPUT -j ACCEPT\n`)), tcpIn())
    assert.equal(r.outcome.kind, 'REJECTED')
    if (r.outcome.kind === 'REJECTED') assert.equal(r.outcome.with, kind)
  })
}

const marks: Array<[string, number, number]> = [
  ['--set-mark 0x5', 0xff, 0x5],
  ['--set-mark 0x5/0xf', 0xf0, 0xf5],
  ['--set-xmark 0x4000/0x4000', 0x1, 0x4001],
  ['--or-mark 0x4000', 0x1, 0x4001],
  ['--and-mark 0xf0', 0x1ff, 0xf0],
  ['--xor-mark 0x4000', 0x4001, 0x1]
]
for (const [args, before, after] of marks) {
  test(`MARK ${args}: 0x${before.toString(16)} → 0x${after.toString(16)}`, () => {
    const p = prep(F(`-A INPUT -j MARK ${args}\n-A INPUT -m mark --mark 0x${after.toString(16)} -j ACCEPT\n`, 'DROP'))
    const r = run(p, tcpIn({ mark: before }))
    assert.equal(r.outcome.kind, 'DELIVERED')
    const s = ruleSteps(r)[0]
    assert.equal(s.packet.mark, before)
    assert.equal(r.packetAfter.mark, after)
    if (before !== after) assert.equal(s.after?.mark, after)
  })
}

test('CONNMARK set/save/restore and connmark match across packets of a connection', () => {
  const m = '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n' +
    '-A PREROUTING -j CONNMARK --restore-mark\n-A PREROUTING -m mark --mark 0x0 -j MARK --set-mark 0x7\n-A PREROUTING -j CONNMARK --save-mark\nCOMMIT\n'
  const p = prep(m + F('-A INPUT -m connmark --mark 0x7 -j ACCEPT\n', 'DROP'))
  const st = createEngineState()
  const r1 = run(p, tcpIn(), st)
  assert.equal(r1.outcome.kind, 'DELIVERED')
  const e = [...st.conntrack.byTuple.values()][0]
  assert.equal(e.mark, 7)
  const r2 = run(p, tcpIn({ tcpFlags: ['ACK'] }), st)
  assert.equal(ruleSteps(r2)[1].packet.mark, 7, 'restored from the ct mark before the mark test')
  const p2 = prep(F('-A INPUT -j CONNMARK --set-mark 0x5/0xf\n-A INPUT -m connmark --mark 0x5/0xf -j ACCEPT\n', 'DROP'))
  assert.equal(run(p2, tcpIn()).outcome.kind, 'DELIVERED')
  // no conntrack (INVALID): CONNMARK is a no-op and connmark never matches
  assert.equal(run(p2, tcpIn({ tcpFlags: ['RST'] })).outcome.kind, 'DROPPED')
})

test('LOG is non-terminal and produces a kernel-style line', () => {
  const p = prep(F('-A INPUT -j LOG --log-prefix "in: "\n-A INPUT -j DROP\n'))
  const r = run(p, tcpIn({ mac: '00:11:22:33:44:55:66:77:88:99:aa:bb:08:00', id: 7 }))
  assert.equal(r.outcome.kind, 'DROPPED')
  const log = r.steps.find(s => s.type === 'log')
  assert.ok(log !== undefined && log.type === 'log')
  assert.equal(log.message, 'in: IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=192.168.1.5 DST=192.168.1.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=7 DF PROTO=TCP SPT=40000 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 ')
})

test('TRACE marks the packet: later rules (not the TRACE rule itself) appear in the legacy trace', () => {
  const p = prep('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p tcp -j TRACE\nCOMMIT\n' + F(''))
  const r = run(p, tcpIn())
  const lines = renderLegacyTraceLines(r.steps).map(l => l.split(' ')[1])
  assert.deepEqual(lines, ['raw:PREROUTING:policy:2', 'filter:INPUT:policy:1'])
  assert.deepEqual(renderLegacyTraceLines(run(prep(F('')), tcpIn()).steps), [], 'nothing traced without TRACE')
})

test('NOTRACK / CT --notrack: UNTRACKED, no NAT, ctstate UNTRACKED', () => {
  for (const tgt of ['-j NOTRACK', '-j CT --notrack']) {
    const t = `*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING ${tgt}\nCOMMIT\n` +
      '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DNAT --to-destination 10.244.0.9:8080\nCOMMIT\n' +
      F('-A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT\n', 'DROP')
    const st = createEngineState()
    const r = run(prep(t), tcpIn(), st)
    assert.equal(r.outcome.kind, 'DELIVERED', tgt)
    assert.equal(r.packetAfter.dst, '192.168.1.1')
    assert.equal(r.ct.state, 'UNTRACKED')
    assert.equal(st.conntrack.byTuple.size, 0)
  }
})

test('QUEUE and unknown targets', () => {
  const q = run(prep(F('-A INPUT -j QUEUE\n')), tcpIn())
  assert.equal(q.outcome.kind, 'QUEUED')
  const u = run(prep(F('-A INPUT -j NFLOG --nflog-group 2\n-A INPUT -j ACCEPT\n', 'DROP')), tcpIn())
  assert.equal(u.outcome.kind, 'UNKNOWN')
  if (u.outcome.kind === 'UNKNOWN') assert.match(u.outcome.reason, /NFLOG/)
})

test('a dropped first packet leaves no conntrack entry; an accepted one is confirmed', () => {
  const st = createEngineState()
  run(prep(F('', 'DROP')), tcpIn(), st)
  assert.equal(st.conntrack.byTuple.size, 0)
  run(prep(F('')), tcpIn(), st)
  assert.equal(st.conntrack.byTuple.size, 2)
})

test('rulesetWithCounters renders like iptables-save -c after traces', async () => {
  const { rulesetWithCounters, renderRuleset } = await import('../../src/netfilter/index.ts')
  const p = prep(F('-A INPUT -p tcp -j ACCEPT\n-A INPUT -p udp -j DROP\n'))
  const st = createEngineState()
  run(p, tcpIn({ length: 100 }), st)
  run(p, tcpIn({ length: 40, sport: 9 }), st)
  run(p, tcpIn({ proto: 'icmp', icmpType: 8, length: 84 }), st)
  const text = renderRuleset(rulesetWithCounters(p, st), { counters: true })
  assert.match(text, /:INPUT ACCEPT \[1:84\]\n/)
  assert.match(text, /\[2:140\] -A INPUT -p tcp -j ACCEPT\n/)
  assert.match(text, /\[0:0\] -A INPUT -p udp -j DROP\n/)
})
