// The ruleset parser's own line tokenizer and value sharing must not change what is parsed: tokens
// and errors equal `tokenizeLine`'s, and shared rule parts are equal to those of a lone line parse.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRuleset, renderRuleset, tokenizeLine, NetfilterError } from '../../src/netfilter/index.ts'
import { LineScanner } from '../../src/netfilter/parse/scan.ts'
import { parseCommandLine } from '../../src/netfilter/parse/rule.ts'
import { tableText } from './helpers.ts'

function outcome (f: () => { tokens: string[], columns: number[] }): unknown {
  try {
    return f()
  } catch (e) {
    assert.ok(e instanceof NetfilterError)
    return { code: e.code, message: e.message, line: e.line, column: e.column, token: e.token }
  }
}

const LINES = [
  '-A X -m comment --comment "a b" -j ACCEPT',
  '-A X -m comment --comment "" -j ACCEPT',
  '-A X -m comment --comment "say \\"hi\\" \\\\ now" -j ACCEPT',
  '-A X --comment "unterminated',
  '-A X --comment "unterminated \\',
  'ab"c d"e f',
  '"a"b "c"',
  'a\\b \'q\' x',
  '\t-A  X\t\t-j   DROP  ',
  'x\ry z',
  '-A X -m comment --comment ' + 'c'.repeat(1025),
  '-A X -m comment --comment "' + 'c'.repeat(1030) + '"',
  Array.from({ length: 300 }, (_, k) => `t${k}`).join(' '),
  '-A KUBE-SEP-ABCDEFGHIJKLMNOP -p tcp -m tcp --dport 80 -j KUBE-SEP-ABCDEFGHIJKLMNOP',
  ''
]

test('LineScanner tokenizes like tokenizeLine: tokens, columns and errors', () => {
  for (const line of LINES) {
    for (const prefix of ['', 'junk\n', '[0:0] ']) {
      const text = prefix + line + '\nnext line\n'
      const ls = prefix.endsWith('\n') ? prefix.length : 0
      const start = prefix.startsWith('[') ? prefix.length : ls
      const end = ls + (prefix.startsWith('[') ? prefix.length : 0) + line.length
      const scanner = new LineScanner(text)
      const got = outcome(() => {
        const n = scanner.scan(ls, start, end, 7)
        return { tokens: scanner.tokens.slice(0, n), columns: scanner.columns.slice(0, n) }
      })
      const lineText = text.slice(ls, end)
      const want = outcome(() => tokenizeLine(lineText, 7, start - ls))
      assert.deepEqual(got, want, JSON.stringify(text.slice(0, 80)))
    }
  }
})

test('repeated short tokens come back as the same string; the scanner keeps working after a miss', () => {
  const text = '-A X -p tcp\n-A X -p tcp\n'
  const s = new LineScanner(text)
  s.scan(0, 0, 11, 1)
  const first = s.tokens.slice(0, 4)
  s.scan(12, 12, 23, 2)
  assert.deepEqual(s.tokens.slice(0, 4), first)
})

test('shared rule parts equal a lone parse of each line; equal parts are shared, nothing else', () => {
  const lines = [
    '-A X -p tcp -m comment --comment "svc a" -m tcp --dport 80 -j Y',
    '-A X -p tcp -m comment --comment "svc a" -m tcp --dport 80 -j Y',
    '-A X -p udp -m comment --comment "svc b" -m udp --dport 80 -j Y',
    '-A X -m statistic --mode random --probability 0.25 -j Y',
    '-A X -m statistic --mode random --probability 0.5 -j Y',
    '-A X -m statistic --mode random ! --probability 0.25 -j Y',
    '-A X -m comment --comment "svc a" -g Y',
    '-A X -s 10.0.0.1 -d 10.0.0.0/8 -i eth0 -j RETURN',
    '-A X ! -s 10.0.0.1 -d 10.0.0.0/8 ! -i eth0 -j RETURN',
    '-A X -p tcp -m tcp --sport 1:2 --dport 3 -j ACCEPT',
    '-A X -p tcp -m tcp ! --dport 80 -j ACCEPT',
    '-A X -s 1.2.3.4,5.6.7.8 -m comment --comment "svc a" -j ACCEPT'
  ]
  // sharing is only used for texts of 16 KiB and more: pad with 200 comment lines
  const pad = Array.from({ length: 200 }, () => '# ' + 'x'.repeat(100)).join('\n') + '\n'
  const rs = parseRuleset(pad + tableText('filter', [':Y - [0:0]', ...lines]))
  const got = rs.tables.get('filter')!.chains.get('X')!.rules
  const want = lines.flatMap((l, k) => {
    // the padding, `*filter`, three built-in chains, four helper chains and `:Y` come first
    const tokens = tokenizeLine(l, k + 210)
    return parseCommandLine(tokens.tokens, tokens.columns, { table: 'filter', line: k + 210 })!.rules
  })
  assert.equal(got.length, want.length)
  for (let k = 0; k < got.length; k++) assert.deepEqual(got[k], want[k], lines[Math.min(k, lines.length - 1)])
  assert.equal(got[0].matches, got[1].matches, 'identical match lists are one object')
  assert.equal(got[0].target, got[1].target)
  assert.notEqual(got[0].matches[1], got[2].matches[1], 'tcp and udp port matches differ')
  assert.notEqual(got[3].matches[0], got[5].matches[0], 'inverted statistic is its own value')
  assert.notEqual(got[0].target, got[6].target, 'goto and jump differ')
  assert.notEqual(got[7].source, got[8].source)
  assert.notEqual(got[7].inIface, got[8].inIface)
  assert.notEqual(got[11].matches, got[12].matches, 'rules expanded from an address list get their own match objects')
  assert.equal(renderRuleset(parseRuleset(renderRuleset(rs))), renderRuleset(rs))
})
