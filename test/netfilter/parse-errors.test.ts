// Error cases: reason texts as iptables-restore v1.8.9 (nf_tables) words them (checked on the real
// tool), with the line, column and token of the problem.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRuleset, BUILTIN_CHAINS, type TableName } from '../../src/netfilter/index.ts'
import { tableText, HELPER_CHAINS, errorOf } from './helpers.ts'

// rule line is on line (1 + builtins + helpers + 1)
function ruleLine (table: TableName): number {
  return 1 + BUILTIN_CHAINS[table].length + HELPER_CHAINS.length + 1
}

const RULE_ERRORS: Array<[TableName, string, string]> = [
  ['filter', '! ! -s 1.2.3.4 -j ACCEPT', 'multiple consecutive ! not allowed'],
  ['filter', '! -m tcp -j ACCEPT', 'unexpected ! flag before --match'],
  ['filter', '-m comment ! --comment x -j ACCEPT', 'comment: option "--comment" cannot be inverted.'],
  ['filter', '! -j ACCEPT', 'cannot have ! before -j'],
  ['filter', '-p tcp --d 80 -j ACCEPT', 'unknown option "--d"'],
  ['filter', '--s 1.2.3.4 -j ACCEPT', 'unknown option "--s"'],
  ['filter', '-p tcp --to 5 -j ACCEPT', 'unknown option "--to"'],
  ['filter', '-m tcp --dport 80 -j ACCEPT', 'TCP match requires \'-p tcp\''],
  ['filter', '-p udp -m tcp --dport 80 -j ACCEPT', 'TCP match requires \'-p tcp\''],
  ['filter', '! -s 1.2.3.4,5.6.7.8 -j ACCEPT', '! not allowed with multiple source or destination IP addresses'],
  ['filter', '-s 10.1.2.3/33 -j ACCEPT', 'invalid mask `33\' specified'],
  ['filter', '-s 300.1.1.1 -j ACCEPT', 'host/network `300.1.1.1\' not found'],
  ['filter', '-p tcp --dport 80 --dport 81 -j ACCEPT', 'Only one `--destination-port\' allowed'],
  ['filter', '-s 1.2.3.4 -s 5.6.7.8 -j ACCEPT', 'multiple -s flags not allowed'],
  ['filter', '-j ACCEPT -j DROP', 'multiple -j flags not allowed'],
  ['filter', '-p tcp -p udp -j ACCEPT', 'multiple -p flags not allowed'],
  ['filter', '"foo"bar', 'Bad argument `foo\''],
  ['filter', '-j ACCEPT extra', 'Bad argument `extra\''],
  ['filter', '-p TCP -m tcp --sport 22:21 -j ACCEPT', 'invalid portrange (min > max)'],
  ['filter', '-p tcp --dport 65536 -j ACCEPT', 'invalid port/service `65536\' specified'],
  ['filter', '-m mark --mark 0x100000000 -j ACCEPT', 'mark: bad integer value for option "--mark", or out of range.'],
  ['filter', '-m multiport --ports 1,2:3 -j ACCEPT', 'multiport needs `-p tcp\', `-p udp\', `-p udplite\', `-p sctp\' or `-p dccp\''],
  ['filter', '-p udp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 -j ACCEPT', 'too many ports specified'],
  ['filter', '-p udp -m multiport --dports 80:80 -j ACCEPT', 'invalid portrange specified'],
  ['filter', '-p tcp -m multiport --dports 1 --sports 2 -j ACCEPT', 'multiport: option "--source-ports" cannot be used together with "--destination-ports".'],
  ['filter', '-p tcp -m multiport --dports 80 --dp 81 -j ACCEPT', 'multiport: option "--destination-ports" can only be used once.'],
  ['filter', '-m recent --rcheck --reap', 'recent: option "--reap" also requires "--seconds".'],
  ['filter', '-m recent --set --rcheck', 'recent: option "--set" cannot be used together with "--rcheck".'],
  ['filter', '-m addrtype --limit-iface-in --limit-iface-out -j ACCEPT', 'addrtype: you must specify --src-type or --dst-type'],
  ['filter', '-m statistic --mode nth ! --every 3 -j ACCEPT', 'statistic: option "--every" also requires "--packet".'],
  ['filter', '-m statistic --mode nth --every 3 --packet 3 -j ACCEPT', 'the --packet p must be 0 <= p <= n-1'],
  ['filter', '-m statistic --mode random --probability 1.5 -j ACCEPT', 'statistic: bad value for option "--probability", or out of range (0-1).'],
  ['filter', '-m statistic --probability 0.5 -j ACCEPT', 'statistic: option "--mode" must be specified'],
  ['filter', '-m statistic --mode random -j ACCEPT', '--probability must be specified when using random mode'],
  ['filter', '-m statistic --mode nth --probability 0.5 -j ACCEPT', '--every and --packet must be specified when using nth mode'],
  ['filter', '-m state --state SNAT -j ACCEPT', 'Bad state "SNAT"'],
  ['filter', '-j LOG --log-level 8', 'log level "8" unknown'],
  ['filter', '-j LOG --log-prefix ""', 'Argument must have a minimum length of 1 characters'],
  ['filter', '-j MARK --set-mark 5 --and-mark 3', 'MARK: option "--set-mark" cannot be used together with "--and-mark".'],
  ['filter', '-j CONNMARK --save-mark --mask 0xf --ctmask 0xe', 'CONNMARK: option "--ctmask" cannot be used together with "--mask".'],
  ['filter', '-m comment --comment x --comment y -j ACCEPT', 'comment: option "--comment" can only be used once.'],
  ['filter', '-m mark --mark 1 -m comment --comment x --mark 2 -j ACCEPT', 'mark: option "--mark" can only be used once.'],
  ['filter', '-i eth0123456789012 -j ACCEPT', 'interface name `eth0123456789012\' must be shorter than IFNAMSIZ (15)'],
  ['filter', '-i "" -j ACCEPT', 'Empty interface is likely to be undesired'],
  ['filter', '-m comment', 'comment: option "--comment" must be specified'],
  ['filter', '-m comment --comment', 'option "--comment" requires an argument'],
  ['filter', '-p tcp --dport', 'option "--dport" requires an argument'],
  ['filter', '-p icmp --icmp-type foo -j ACCEPT', 'Unknown ICMP type `foo\''],
  ['filter', '-m foo --bar -j ACCEPT', 'Couldn\'t load match `foo\':No such file or directory'],
  ['filter', '-j REJECT --reject-with tcp-reset', 'RULE_APPEND failed (Invalid argument): rule in chain X'],
  ['filter', '! -s 0.0.0.0/0 -j ACCEPT', 'RULE_APPEND failed (Invalid argument): rule in chain X'],
  ['filter', '-j NOTRACK', 'RULE_APPEND failed (Invalid argument): rule in chain X'],
  ['filter', '-j CT --notrack', 'RULE_APPEND failed (Invalid argument): rule in chain X'],
  ['filter', '-p tcp -j DNAT --to-destination 1.2.3.4', 'RULE_APPEND failed (Invalid argument): rule in chain X'],
  ['filter', '! -p 0 -j ACCEPT', 'rule would never match protocol'],
  ['filter', '-p 256 -j ACCEPT', 'unknown protocol "256" specified'],
  ['filter', '-A OUTPUT -i eth0 -j ACCEPT', 'Can\'t use -i with OUTPUT'],
  ['filter', '-A X -j ACCEPT -t filter', 'The -t option cannot be used in iptables-restore.'],
  ['filter', '-A AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA -j DROP', 'chain name `AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\' too long (must be under 29 chars)'],
  ['filter', '-N X', 'Chain already exists.'],
  ['filter', '-N DNAT', 'chain name may not clash with target name'],
  ['filter', '-N -foo', 'chain name not allowed to start with `-\''],
  ['filter', '-P X DROP', 'Bad built-in chain name.'],
  ['filter', '-D X 1', 'Index of deletion too big.'],
  ['filter', '-R X 1 -j DROP', 'Index of replacement too big.'],
  ['filter', '-I X 2 -j DROP', 'Index of insertion too big.'],
  ['filter', '-A NOPE -j ACCEPT', 'No chain/target/match by that name.'],
  ['nat', '-j DROP', 'The "nat" table is not intended for filtering, the use of DROP is therefore inhibited.'],
  ['nat', '-j DNAT --to-destination 1.2.3.4:80', 'Need TCP, UDP, SCTP or DCCP with port specification'],
  ['nat', '-p tcp -j DNAT --to-destination 1.2.3.4:90-80', 'Port range `80\' funky'],
  ['nat', '-p tcp -j DNAT --to-destination 1.2.3.4:80 --to-destination 5.6.7.8', 'DNAT: option "--to-destination" can only be used once.'],
  ['nat', '-j DNAT', 'DNAT: option "--to-destination" must be specified'],
  ['nat', '-j MASQUERADE --to-ports 5', 'Need TCP, UDP, SCTP or DCCP with port specification'],
  ['nat', '-p udp -j MASQUERADE --to-ports 5-4', 'Port range `4\' funky'],
  ['nat', '-A PREROUTING -j SNAT --to-source 1.2.3.4', 'RULE_APPEND failed (Invalid argument): rule in chain PREROUTING'],
  ['nat', '-A POSTROUTING -j DNAT --to-destination 1.2.3.4', 'RULE_APPEND failed (Invalid argument): rule in chain POSTROUTING'],
  ['nat', '-A INPUT -j MASQUERADE', 'RULE_APPEND failed (Invalid argument): rule in chain INPUT'],
  ['nat', '-A POSTROUTING -i eth0 -j ACCEPT', 'Can\'t use -i with POSTROUTING'],
  ['nat', '-A INPUT -o eth0 -j ACCEPT', 'Can\'t use -o with INPUT'],
  ['nat', '-j REJECT', 'RULE_APPEND failed (Invalid argument): rule in chain X'],
  ['filter', '-s 1.2.3.4/ -j ACCEPT', 'invalid mask `\' specified'],
  ['filter', '-s 1.2.3.4/255.255 -j ACCEPT', 'invalid mask `255.255\' specified'],
  ['filter', '-s 1.2.3.4. -j ACCEPT', 'host/network `1.2.3.4.\' not found'],
  ['filter', '-s 1.2.3.4, -j ACCEPT', 'host/network `\' not found'],
  ['nat', '-p tcp -j DNAT --to-destination 10.1:80', 'Bad IP address "10.1"'],
  ['nat', '-p tcp -j DNAT --to-destination 010.0.0.1:80', 'Bad IP address "010.0.0.1"'],
  ['filter', '-m limit --limit 10001/s -j ACCEPT', 'Rate too fast "10001/s"'],
  ['filter', '-m limit ! --limit 3/hour -j ACCEPT', 'limit: option "--limit" cannot be inverted.'],
  ['filter', '-m limit --limit 1/sec --limit-burst 10001 -j ACCEPT', 'limit: bad value for option "--limit-burst", or out of range (0-10000).'],
  ['filter', '-m limit --limit 3/x -j ACCEPT', 'bad rate "3/x"\''],
  ['filter', '-m limit --limit 3/min -m conntrack --ctst NEW -j ACCEPT', 'unknown option "--ctst"'],
  ['filter', '-s 1.2.3.4/255.255.255 -j ACCEPT', 'invalid mask `255.255.255\' specified'],
  ['filter', '-A OUTPUT -m addrtype --src-type LOCAL --limit-iface-in -j ACCEPT', 'RULE_APPEND failed (Invalid argument): rule in chain OUTPUT'],
  ['filter', '-A INPUT -m addrtype --src-type LOCAL --limit-iface-out -j ACCEPT', 'RULE_APPEND failed (Invalid argument): rule in chain INPUT'],
  ['mangle', '-j REJECT', 'RULE_APPEND failed (Invalid argument): rule in chain X'],
  // option names resolve to the most recently loaded module that has them (kernel harness finding K3)
  ['filter', '-m mark --mark 0xff/0x4000 -m connmark --mark 0xff -m mark --mark 1 -j RETURN', 'connmark: option "--mark" can only be used once.'],
  ['filter', '-p tcp -m multiport --dports 80 --dport 81 -j ACCEPT', 'multiport: option "--destination-ports" can only be used once.'],
  ['filter', '-p udp -m multiport --ports 80 --dport 2198: -j ACCEPT', 'invalid port/service `\' specified'],
  ['filter', '-p tcp -m multiport --dports 413 -m tcp --dp 16247 -j ACCEPT', 'unknown option "--dp"'],
  ['filter', '-m recent --set --seconds 5', 'RULE_APPEND failed (Invalid argument): rule in chain X']
]

for (const [table, spec, reason] of RULE_ERRORS) {
  test(`${table}: ${spec} → ${reason}`, () => {
    const line = /^-[A-Z] /.test(spec) ? spec : `-A X ${spec}`
    const e = errorOf(tableText(table, [line]))
    assert.equal(e.reason, reason)
    assert.equal(e.line, ruleLine(table))
    assert.equal(e.message, `line ${ruleLine(table)}: ${reason}`)
  })
}

test('errors carry the column and token of the offending argument', () => {
  const e = errorOf('*filter\n:X - [0:0]\n-A X -p tcp --dport 80 bogus -j ACCEPT\nCOMMIT\n')
  assert.equal(e.code, 'E_PARSE')
  assert.equal(e.line, 3)
  assert.equal(e.column, 24)
  assert.equal(e.token, 'bogus')
  const u = errorOf('*filter\n:X - [0:0]\n-A X -j NOPE\nCOMMIT\n')
  assert.equal(u.code, 'E_UNKNOWN_TARGET')
  assert.equal(u.reason, 'Chain \'NOPE\' does not exist')
  assert.equal(u.line, 3)
  assert.equal(u.column, 9)
  assert.equal(u.token, 'NOPE')
  assert.equal(errorOf('*filter\n-A NOPE -j ACCEPT\nCOMMIT\n').code, 'E_UNKNOWN_CHAIN')
})

test('file structure errors', () => {
  const c = errorOf('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n')
  assert.equal(c.code, 'E_COMMIT_EXPECTED')
  assert.equal(c.message, 'COMMIT expected at line 4')
  assert.equal(c.line, 4)
  assert.equal(errorOf('*filter\n:INPUT ACCEPT [0:0]\n*nat\nCOMMIT\n').message, 'line 3: Bad argument `*nat\'')
  assert.equal(errorOf('*foo\nCOMMIT\n').message, 'line 1: table name \'foo\' invalid')
  assert.equal(errorOf('*filter\n:INPUT\nCOMMIT\n').message, 'line 2: policy invalid')
  assert.equal(errorOf('*filter\n:INPUT FOO [0:0]\nCOMMIT\n').message, 'line 2: Bad policy name.')
  assert.equal(errorOf('*filter\n:X - [0:0]\n-A X -j ACCEPT\n-X X\nCOMMIT\n').message, 'line 4: CHAIN_DEL failed (Device or resource busy): chain X')
  assert.equal(errorOf('*filter\n:X - [0:0]\n:Y - [0:0]\n-A Y -j X\n-X X\nCOMMIT\n').message, 'line 5: CHAIN_DEL failed (Device or resource busy): chain X')
  assert.equal(errorOf('-A INPUT -j ACCEPT\n').line, 1)
  assert.equal(errorOf('*filter\n-s 1.2.3.4 -j ACCEPT\nCOMMIT\n').message, 'line 2: no command specified')
  assert.equal(errorOf('*filter\n:INPUT ACCEPT [0:0]\n# a comment\n-A INPUT -m comment --comment # -j ACCEPT x\nCOMMIT\n').reason, 'Bad argument `x\'')
  assert.equal(errorOf('*filter\n-A INPUT -m comment --comment "unterminated\nCOMMIT\n').reason, 'Unterminated quoted string')
})

test('jump loops reachable from a built-in chain are refused like the kernel does; unreachable ones are not', () => {
  const e = errorOf('*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -g A\nCOMMIT\n')
  assert.equal(e.message, 'line 7: RULE_APPEND failed (Too many links): rule in chain B')
  assert.doesNotThrow(() => parseRuleset('*filter\n:A - [0:0]\n-A A -g A\nCOMMIT\n'))
  // reported on the rule that makes the cycle reachable, in line order (real kernel: line 6)
  assert.equal(errorOf('*nat\n:C1 - [0:0]\n:C2 - [0:0]\n-A C1 -j MARK --or-mark 0x4000\n-I C1 -m mark --mark 010 -j C1\n-A PREROUTING -j C1\nCOMMIT\n').message,
    'line 6: RULE_APPEND failed (Too many links): rule in chain PREROUTING')
  // hook-restricted targets in user chains are checked on every path from a base chain (real kernel)
  assert.equal(errorOf('*nat\n:C1 - [0:0]\n-A PREROUTING -p esp -j C1\n-I C1 -p udp -j MASQUERADE --random-fully\nCOMMIT\n').message,
    'line 4: RULE_INSERT failed (Invalid argument): rule in chain C1')
  assert.equal(errorOf('*nat\n:C1 - [0:0]\n-A C1 -p udp -j MASQUERADE\n-A PREROUTING -j C1\nCOMMIT\n').message,
    'line 4: RULE_APPEND failed (Invalid argument): rule in chain PREROUTING')
  assert.doesNotThrow(() => parseRuleset('*nat\n:C1 - [0:0]\n-A C1 -p udp -j MASQUERADE\n-A POSTROUTING -j C1\nCOMMIT\n'))
  // a later parse error wins over an earlier kernel refusal (one batch for the whole file)
  assert.equal(errorOf('*nat\n:C2 - [0:0]\n-I C2 2 ! -i eth0 -j RETURN\n-I C2 2 -m conntrack --ctst est,rel -j RETURN\nCOMMIT\n').message,
    'line 4: unknown option "--ctst"')
  // nesting: 15 user chains below INPUT load, 16 are refused at the rule in C14 (real kernel)
  const nested = (n: number): string => {
    const lines = ['*filter', ':INPUT ACCEPT [0:0]']
    for (let i = 0; i < n; i++) lines.push(`:C${i} - [0:0]`)
    lines.push('-A INPUT -j C0')
    for (let i = 0; i + 1 < n; i++) lines.push(`-A C${i} -j C${i + 1}`)
    return [...lines, 'COMMIT', ''].join('\n')
  }
  assert.doesNotThrow(() => parseRuleset(nested(15)))
  assert.equal(errorOf(nested(16)).message, 'line 34: RULE_APPEND failed (Too many links): rule in chain C14')
  // a long cycle-free chain of chains not reachable from a built-in chain is accepted (no recursion)
  const long = ['*filter']
  for (let i = 0; i < 5000; i++) long.push(`:C${i} - [0:0]`)
  for (let i = 0; i + 1 < 5000; i++) long.push(`-A C${i} -j C${i + 1}`)
  assert.doesNotThrow(() => parseRuleset([...long, 'COMMIT', ''].join('\n')))
})

test('limits: 1024-byte tokens, 255 arguments, 10240-byte lines', () => {
  assert.equal(errorOf(tableText('filter', [`-A X -m comment --comment ${'a'.repeat(1025)}`])).reason, 'Parameter too long!')
  assert.equal(errorOf(tableText('filter', ['-A X' + ' -f'.repeat(260)])).reason, 'too many arguments')
  assert.equal(errorOf(tableText('filter', ['-A X -j ACCEPT ' + ' '.repeat(10300)])).code, 'E_LIMIT')
  assert.equal(errorOf(tableText('filter', [`-A X -m comment --comment ${'a'.repeat(256)}`])).reason, 'comment: option "--comment" argument is too long (max 255)')
})
