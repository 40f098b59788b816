// Restore semantics and the typed model the parser produces.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRuleset, renderRuleset, renderRule, type Rule, type Ruleset } from '../../src/netfilter/index.ts'
import { tableText } from './helpers.ts'

function rulesOf (rs: Ruleset, table: 'filter' | 'nat' | 'raw' | 'mangle', chain: string): Rule[] {
  const c = rs.tables.get(table)?.chains.get(chain)
  assert.ok(c !== undefined, `chain ${table}/${chain} exists`)
  return c.rules
}

function one (table: 'filter' | 'nat' | 'raw' | 'mangle', spec: string): Rule {
  const rs = parseRuleset(tableText(table, [`-A X ${spec}`]))
  const rules = rulesOf(rs, table, 'X')
  assert.equal(rules.length, 1)
  return rules[0]
}

test('addresses are masked at parse time, partial addresses completed, base-0 components', () => {
  const r = one('filter', '-s 10.1.2.3/8 -d 10.1 -j ACCEPT')
  assert.deepEqual(r.source, { addr: 0x0a000000, mask: 0xff000000, invert: false })
  assert.deepEqual(r.destination, { addr: 0x0a010000, mask: 0xffffffff, invert: false })
  const hex = one('filter', '! -s 0x0a.0.0.1/255.255.0.0 -j ACCEPT')
  assert.deepEqual(hex.source, { addr: 0x0a000000, mask: 0xffff0000, invert: true })
})

test('typed matches: tcp ports, multiport, mark (octal), statistic quantised, conntrack', () => {
  const r = one('filter', '-p tcp --dp 443 -m multiport --sports 1,5:7 -m mark --mark 010/0x0f -m statistic --mode random --probability 0.5 -m conntrack ! --ctstate NEW,INVALID -j ACCEPT')
  assert.deepEqual(r.protocol, { proto: 6, invert: false })
  assert.deepEqual(r.matches.map(m => m.kind), ['tcp', 'multiport', 'mark', 'statistic', 'conntrack'])
  assert.deepEqual(r.matches[0], { kind: 'tcp', dport: { value: { min: 443, max: 443 }, invert: false } })
  assert.deepEqual(r.matches[1], { kind: 'multiport', direction: 'src', ports: [{ min: 1, max: 1 }, { min: 5, max: 7 }], invert: false })
  assert.deepEqual(r.matches[2], { kind: 'mark', value: 8, mask: 15, invert: false })
  assert.deepEqual(r.matches[3], { kind: 'statistic', mode: 'random', probability: 1073741824, invert: false })
  assert.deepEqual(r.matches[4], { kind: 'conntrack', ctstate: { value: ['INVALID', 'NEW'], invert: true } })
  assert.deepEqual(r.target, { kind: 'ACCEPT' })
})

test('targets are normalised: MARK/CONNMARK value+mask, DNAT ranges, REJECT default, goto', () => {
  assert.deepEqual(one('mangle', '-j MARK --or-mark 0x4000').target, { kind: 'MARK', value: 0x4000, mask: 0x4000 })
  assert.deepEqual(one('mangle', '-j MARK --and-mark 0xff').target, { kind: 'MARK', value: 0, mask: 0xffffff00 })
  assert.deepEqual(one('mangle', '-j CONNMARK --restore-mark --mask 0xff').target, { kind: 'CONNMARK', mode: 'restore', nfmask: 0xff, ctmask: 0xff })
  assert.deepEqual(one('nat', '-p tcp -j DNAT --to-destination 10.0.0.1-10.0.0.3:1000-2000 --random').target, {
    kind: 'DNAT', ranges: [{ minAddr: 0x0a000001, maxAddr: 0x0a000003, minPort: 1000, maxPort: 2000 }], random: true, persistent: false
  })
  assert.deepEqual(one('filter', '-j REJECT').target, { kind: 'REJECT', rejectWith: 'icmp-port-unreachable' })
  assert.deepEqual(one('filter', '-g KUBE-FIREWALL').target, { kind: 'goto', chain: 'KUBE-FIREWALL' })
  assert.equal(one('filter', '-m comment --comment x').target, null)
})

test('unmodelled matches and targets are kept verbatim as unknown and render back', () => {
  const r = one('filter', '-m limit --limit 5/min --limit-burst 7 -m set ! --match-set KUBE-CLUSTER-IP dst,dst -j NFLOG --nflog-prefix "a b"')
  assert.deepEqual(r.matches, [
    { kind: 'unknown', module: 'limit', args: ['--limit', '5/min', '--limit-burst', '7'] },
    { kind: 'unknown', module: 'set', args: ['!', '--match-set', 'KUBE-CLUSTER-IP', 'dst,dst'] }
  ])
  assert.deepEqual(r.target, { kind: 'unknown', name: 'NFLOG', args: ['--nflog-prefix', 'a b'] })
  assert.equal(renderRule('X', r), '-A X -m limit --limit 5/min --limit-burst 7 -m set ! --match-set KUBE-CLUSTER-IP dst,dst -j NFLOG --nflog-prefix "a b"')
})

test('implicit protocol match for an unmodelled protocol module is kept verbatim at its position', () => {
  const r = one('filter', '-p esp --espspi 5 -j ACCEPT')
  assert.deepEqual(r.matches, [{ kind: 'unknown', module: 'esp', args: ['--espspi', '5'] }])
  // …but not for an option an unmodelled target already loaded may own (real: `-p esp -j NFLOG --nflog-group 2`)
  assert.equal(renderRule('X', one('filter', '-p esp -j NFLOG --nflog-group 2')), '-A X -p esp -j NFLOG --nflog-group 2')
})

test('limit is validated and canonicalised like iptables-save prints it (kept as unknown for evaluation)', () => {
  const rows: Array<[string, string]> = [
    ['-m limit', '-m limit --limit 3/hour'],
    ['-m limit --limit 10/s', '-m limit --limit 10/sec'],
    ['-m limit --limit 7/second --limit-burst 5', '-m limit --limit 7/sec'],
    ['-m limit --limit 60/min', '-m limit --limit 1/sec'],
    ['-m limit --limit 120/m', '-m limit --limit 2/sec'],
    ['-m limit --limit 24/day', '-m limit --limit 1/hour'],
    ['-m limit --limit 3/d', '-m limit --limit 3/day'],
    ['-m limit --limit 7', '-m limit --limit 7/sec'],
    ['-m limit --limit 100/hour', '-m limit --limit 100/hour'],
    ['-m limit --limit 7/min', '-m limit --limit 7/min'],
    ['-m limit --limit 13/hour', '-m limit --limit 13/hour'],
    ['-m limit --limit 1/second --limit-b 3', '-m limit --limit 1/sec --limit-burst 3']
  ]
  for (const [input, saved] of rows) assert.equal(renderRule('X', one('filter', `${input} -j ACCEPT`)), `-A X ${saved} -j ACCEPT`)
  assert.deepEqual(one('filter', '-m limit --limit 10/s -j ACCEPT').matches, [{ kind: 'unknown', module: 'limit', args: ['--limit', '10/sec'] }])
})

test('line is the source line; multi-address rules share it', () => {
  const rs = parseRuleset('*filter\n:INPUT ACCEPT [0:0]\n# comment\n\n-A INPUT -s 1.1.1.1,2.2.2.2 -j ACCEPT\nCOMMIT\n')
  assert.deepEqual(rulesOf(rs, 'filter', 'INPUT').map(r => r.line), [5, 5])
})

test('rule commands: -I n, -D n, -D spec, -R n, -F, -P, -N, -E updates references, -Z', () => {
  const text = [
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]',
    '-N A',
    '-A A -j ACCEPT', '-A A -j DROP', '-A A -j RETURN',
    '-I A 2 -p udp -j ACCEPT',
    '-D A 1',
    '-D A -j RETURN',
    '-R A 1 -p tcp -j ACCEPT',
    '-A INPUT -j A',
    '-E A B',
    '-P FORWARD DROP',
    '-N C', '-A C -j ACCEPT', '-F C',
    '-Z',
    'COMMIT', ''
  ].join('\n')
  const rs = parseRuleset(text)
  assert.deepEqual(rulesOf(rs, 'filter', 'B').map(r => renderRule('B', r)), ['-A B -p tcp -j ACCEPT', '-A B -j DROP'])
  assert.deepEqual(rulesOf(rs, 'filter', 'INPUT')[0].target, { kind: 'jump', chain: 'B' })
  assert.equal(rs.tables.get('filter')!.chains.get('FORWARD')!.policy, 'DROP')
  assert.equal(rulesOf(rs, 'filter', 'C').length, 0)
  assert.equal(rs.tables.get('filter')!.chains.has('A'), false)
})

test('without --noflush a *table block replaces the table; tables not mentioned are kept from base', () => {
  const base = parseRuleset(tableText('filter', ['-A X -j ACCEPT']) + tableText('nat', ['-A X -j RETURN']))
  const rs = parseRuleset('*filter\n:INPUT DROP [0:0]\nCOMMIT\n', { base })
  assert.deepEqual([...rs.tables.get('filter')!.chains.keys()], ['INPUT', 'FORWARD', 'OUTPUT'])
  assert.equal(rs.tables.get('filter')!.chains.get('INPUT')!.policy, 'DROP')
  assert.equal(rulesOf(rs, 'nat', 'X').length, 1)
  // base is not modified
  assert.equal(rulesOf(base, 'filter', 'X').length, 1)
})

test('--noflush: :CHAIN flushes an existing user chain, -X deletes, rules append, policies kept', () => {
  const base = parseRuleset([
    '*nat', ':PREROUTING DROP [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-SERVICES - [0:0]', ':KUBE-SEP-OLD - [0:0]', ':KUBE-KEEP - [0:0]',
    '-A PREROUTING -j KUBE-SERVICES', '-A KUBE-SERVICES -j KUBE-SEP-OLD', '-A KUBE-SEP-OLD -j RETURN', '-A KUBE-KEEP -j RETURN',
    'COMMIT', ''
  ].join('\n'))
  const rs = parseRuleset([
    '*nat', ':KUBE-SERVICES - [0:0]', ':KUBE-SEP-OLD - [0:0]', ':KUBE-SEP-NEW - [0:0]',
    '-A KUBE-SERVICES -j KUBE-SEP-NEW', '-A KUBE-SEP-NEW -j RETURN', '-X KUBE-SEP-OLD', 'COMMIT', ''
  ].join('\n'), { noflush: true, base })
  const nat = rs.tables.get('nat')!
  assert.equal(nat.chains.get('PREROUTING')!.policy, 'DROP')
  assert.equal(nat.chains.has('KUBE-SEP-OLD'), false)
  assert.equal(rulesOf(rs, 'nat', 'PREROUTING').length, 1)
  assert.equal(rulesOf(rs, 'nat', 'KUBE-KEEP').length, 1)
  assert.deepEqual(rulesOf(rs, 'nat', 'KUBE-SERVICES').map(r => renderRule('KUBE-SERVICES', r)), ['-A KUBE-SERVICES -j KUBE-SEP-NEW'])
  assert.equal(rulesOf(base, 'nat', 'KUBE-SEP-OLD').length, 1)
})

test('counters are kept with the counters option and printed like iptables-save -c', () => {
  const text = '*filter\n:INPUT DROP [5:600]\n[3:180] -A INPUT -j ACCEPT\n-A INPUT -c 7 8 -j DROP\nCOMMIT\n'
  const rs = parseRuleset(text, { counters: true })
  assert.deepEqual(rulesOf(rs, 'filter', 'INPUT').map(r => r.counters), [{ packets: 3n, bytes: 180n }, { packets: 7n, bytes: 8n }])
  assert.equal(renderRuleset(rs, { counters: true }),
    '*filter\n:INPUT DROP [5:600]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n[3:180] -A INPUT -j ACCEPT\n[7:8] -A INPUT -j DROP\nCOMMIT\n')
  const plain = parseRuleset(text)
  assert.equal(rulesOf(plain, 'filter', 'INPUT')[0].counters, undefined)
  assert.match(renderRuleset(plain), /:INPUT DROP \[0:0\]/)
})

test('headers with the caller-supplied date; nft table order mangle, security, raw, filter, nat (real 1.8.9)', () => {
  const rs = parseRuleset('*raw\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n*security\n:INPUT ACCEPT [0:0]\nCOMMIT\n*mangle\n:INPUT ACCEPT [0:0]\nCOMMIT\n')
  const out = renderRuleset(rs, { date: 'Thu Nov 26 12:01:47 2026' })
  assert.deepEqual(out.split('\n').filter(l => l.startsWith('*')), ['*mangle', '*security', '*raw', '*filter', '*nat'])
  assert.ok(out.startsWith('# Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 26 12:01:47 2026\n*mangle\n'))
  assert.equal(out.split('\n').filter(l => l === '# Completed on Thu Nov 26 12:01:47 2026').length, 5)
})

test('user chains sorted by strcmp after built-ins; rules grouped per chain', () => {
  const out = renderRuleset(parseRuleset('*filter\n:b - [0:0]\n:B - [0:0]\n:A - [0:0]\n-A b -j ACCEPT\n-A INPUT -j b\n-A A -j DROP\nCOMMIT\n'))
  assert.equal(out, '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n:b - [0:0]\n-A INPUT -j b\n-A A -j DROP\n-A b -j ACCEPT\nCOMMIT\n')
})

test('tokenizer quoting rules', () => {
  const c = (spec: string): string => {
    const m = one('filter', spec).matches[0]
    assert.equal(m.kind, 'comment')
    return m.kind === 'comment' ? m.comment : ''
  }
  assert.equal(c('-m comment --comment foo"bar baz"'), 'foobar baz')
  assert.equal(c('-m comment --comment "a\\"b\\\\c\\y"'), 'a"b\\cy')
  assert.equal(c('-m comment --comment ""'), '')
  assert.equal(c('-m comment --comment "tab\there"'), 'tab\there')
  assert.equal(c("-m comment --comment it's"), "it's")
  assert.equal(c('-m comment --comment a\\b'), 'a\\b')
})

test('-6 lines are ignored by the IPv4 restore; -4 lines are applied', () => {
  const rs = parseRuleset(tableText('filter', ['-6 -A X -j DROP', '-4 -A X -j ACCEPT']))
  assert.deepEqual(rulesOf(rs, 'filter', 'X').map(r => r.target), [{ kind: 'ACCEPT' }])
})

test('an empty *table block creates nothing (iptables-nft); any line in it creates the table', () => {
  assert.equal(parseRuleset('*raw\nCOMMIT\n*nat\nCOMMIT\n').tables.size, 0)
  const rs = parseRuleset('*filter\n:X - [0:0]\nCOMMIT\n*nat\n-N Y\nCOMMIT\n')
  assert.deepEqual([...rs.tables.keys()], ['filter', 'nat'])
  assert.deepEqual([...rs.tables.get('nat')!.chains.keys()], ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING', 'Y'])
})
