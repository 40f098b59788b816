// Rule blocks (ParseOptions.block): the body of one table block, parsed as if `*table`, its chain
// declarations and `COMMIT` surrounded it — the same rules, positions and errors as that document.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRuleset, type Ruleset, type TableName } from '../../src/netfilter/index.ts'
import { errorOf } from './helpers.ts'

/** The document a block stands for: `lead` blank lines, `*table`, the declarations, the body, COMMIT. */
function documentOf (table: TableName, chains: string[], body: string, lead = 0): string {
  return '\n'.repeat(lead) + `*${table}\n` + chains.map(c => `:${c} - [0:0]\n`).join('') + body + 'COMMIT\n'
}

/** Where the body's first line lands in that document. */
const firstLine = (chains: string[], lead = 0): number => lead + 2 + chains.length

function plain (rs: Ruleset): unknown {
  return JSON.parse(JSON.stringify(rs, (_k, v) => v instanceof Map ? [...v.entries()] : v))
}

const NAT_BODY = [
  '-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/dns:tcp cluster IP" -m tcp --dport 53 -j KUBE-SVC-A',
  '-A KUBE-SVC-A -m comment --comment "kube-system/dns:tcp -> 10.244.0.2:53" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-1',
  '-A KUBE-SVC-A -m comment --comment "kube-system/dns:tcp -> 10.244.1.2:53" -j KUBE-SEP-2',
  '-A KUBE-SEP-1 -s 10.244.0.2/32 -m comment --comment kube-system/dns:tcp -j KUBE-MARK-MASQ',
  '-A KUBE-SEP-1 -p tcp -m comment --comment kube-system/dns:tcp -m tcp -j DNAT --to-destination 10.244.0.2:53',
  '-A KUBE-SEP-2 -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:53',
  '-A OUTPUT -j KUBE-SERVICES',
  ''
].join('\n')
const NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-SVC-A', 'KUBE-SEP-1', 'KUBE-SEP-2']

test('a rule block parses to the same table, rules and line numbers as the document it stands for', () => {
  for (const lead of [0, 7]) {
    const line = firstLine(NAT_CHAINS, lead)
    const block = parseRuleset(NAT_BODY, { block: { table: 'nat', chains: NAT_CHAINS, line } })
    const doc = parseRuleset(documentOf('nat', NAT_CHAINS, NAT_BODY, lead))
    assert.deepEqual(plain(block), plain(doc))
    const sep1 = block.tables.get('nat')!.chains.get('KUBE-SEP-1')!
    assert.equal(sep1.rules[1].line, line + 4)
    // OUTPUT got a rule: declared; PREROUTING did not
    assert.equal(block.tables.get('nat')!.chains.get('OUTPUT')!.declared, doc.tables.get('nat')!.chains.get('OUTPUT')!.declared)
    assert.equal(block.tables.get('nat')!.chains.get('PREROUTING')!.declared, false)
  }
})

test('a rule block without a line number starts at line 1; an empty block keeps its declared chains', () => {
  const rs = parseRuleset('-A X -j ACCEPT\n', { block: { table: 'filter', chains: ['X'] } })
  assert.equal(rs.tables.get('filter')!.chains.get('X')!.rules[0].line, 1)
  const empty = parseRuleset('', { block: { table: 'filter', chains: ['Y'] } })
  assert.deepEqual([...empty.tables.get('filter')!.chains.keys()], ['INPUT', 'FORWARD', 'OUTPUT', 'Y'])
  // no declarations and no lines: like `*filter` + COMMIT, iptables-nft creates nothing
  assert.equal(parseRuleset('', { block: { table: 'filter', chains: [] } }).tables.size, 0)
})

test('a built-in chain among the declarations counts as declared and keeps its policy', () => {
  const rs = parseRuleset('', { block: { table: 'filter', chains: ['FORWARD'] } })
  const fwd = rs.tables.get('filter')!.chains.get('FORWARD')!
  assert.equal(fwd.declared, true)
  assert.equal(fwd.policy, 'ACCEPT')
  assert.equal(rs.tables.get('filter')!.chains.get('INPUT')!.declared, false)
})

test('errors in a rule block name the line of the document it stands for', () => {
  const line = 40
  const bad = errorOf('-A KUBE-SEP-1 -j ACCEPT\n-A KUBE-SEP-1 -p tcp --dport x -j ACCEPT\n', { block: { table: 'filter', chains: ['KUBE-SEP-1'], line } })
  assert.equal(bad.line, line + 1)
  const same = errorOf(documentOf('filter', ['KUBE-SEP-1'], '-A KUBE-SEP-1 -j ACCEPT\n-A KUBE-SEP-1 -p tcp --dport x -j ACCEPT\n'))
  assert.equal(bad.message.replace(/line \d+/g, ''), same.message.replace(/line \d+/g, ''))
  // an undeclared chain
  const chain = errorOf('-A NOPE -j ACCEPT\n', { block: { table: 'filter', chains: [], line: 9 } })
  assert.equal(chain.code, 'E_UNKNOWN_CHAIN')
  assert.equal(chain.line, 9)
  // a jump to a chain that does not exist is found at the block's end (its COMMIT), with its column
  const body = '-A X -j ACCEPT\n-A X -p tcp -j MISSING\n'
  const jump = errorOf(body, { block: { table: 'filter', chains: ['X'], line: 20 } })
  const docJump = errorOf(documentOf('filter', ['X'], body, 20 - firstLine(['X'])))
  assert.equal(jump.code, 'E_UNKNOWN_TARGET')
  assert.equal(jump.line, 21)
  assert.equal(jump.line, docJump.line)
  assert.equal(jump.column, docJump.column)
  assert.equal(jump.token, 'MISSING')
})

test('a rule block is one table: COMMIT inside it, a bad table or a bad declared chain is an error', () => {
  const commit = errorOf('-A X -j ACCEPT\nCOMMIT\n', { block: { table: 'filter', chains: ['X'], line: 3 } })
  assert.equal(commit.code, 'E_PARSE')
  assert.equal(commit.line, 4)
  assert.match(commit.message, /COMMIT inside a rule block/)
  assert.equal(errorOf('', { block: { table: 'bogus' as TableName, chains: [] } }).code, 'E_UNKNOWN_TABLE')
  assert.equal(errorOf('', { block: { table: 'nat', chains: ['INPUT-X', 'DNAT'] } }).code, 'E_CHAIN')
  assert.equal(errorOf(documentOf('nat', ['INPUT-X', 'DNAT'], '')).code, 'E_CHAIN')
  assert.equal(errorOf('', { block: { table: 'filter', chains: ['-bad'] } }).code, 'E_CHAIN')
  assert.equal(errorOf('', { block: { table: 'filter', chains: ['x'.repeat(29)] } }).code, 'E_CHAIN')
})

test('a rule block with --noflush on a base ruleset: other chains kept, declared ones flushed', () => {
  const base = parseRuleset('*filter\n:A - [0:0]\n:B - [0:0]\n-A A -j ACCEPT\n-A B -j DROP\n-A INPUT -j A\nCOMMIT\n')
  const rs = parseRuleset('-A B -j RETURN\n', { base, noflush: true, block: { table: 'filter', chains: ['B'], line: 5 } })
  const same = parseRuleset('*filter\n:B - [0:0]\n-A B -j RETURN\nCOMMIT\n', { base, noflush: true })
  const t = rs.tables.get('filter')!
  assert.deepEqual(t.chains.get('A')!.rules.map(r => r.target?.kind), ['ACCEPT'])
  assert.deepEqual(t.chains.get('B')!.rules.map(r => r.target?.kind), ['RETURN'])
  assert.deepEqual(t.chains.get('INPUT')!.rules.length, 1)
  assert.deepEqual([...t.chains.keys()], [...same.tables.get('filter')!.chains.keys()])
  // the base is not modified
  assert.deepEqual(base.tables.get('filter')!.chains.get('B')!.rules.map(r => r.target?.kind), ['DROP'])
})
