// The COMMIT graph check (jump cycles, nesting depth, hook-restricted targets): the block graph
// recorded while reading (block-graph.ts) must never miss a problem the full check finds, and the
// errors stay those of the full check.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseRuleset, NetfilterError } from '../../src/netfilter/index.ts'
import { setBlockGraph } from '../../src/netfilter/parse/block-graph.ts'
import { setFastPath } from '../../src/netfilter/parse/fast.ts'

function outcome (text: string): string {
  try {
    const rs = parseRuleset(text)
    return 'ok ' + [...rs.tables.values()].map(t => [...t.chains.values()].map(c => `${c.name}:${c.rules.length}`).join(',')).join(';')
  } catch (e) {
    assert.ok(e instanceof NetfilterError, `threw ${String(e)}`)
    return `${e.code} line ${e.line}: ${e.message}`
  }
}

function both (text: string): [string, string] {
  setBlockGraph(false)
  try {
    const full = outcome(text)
    setBlockGraph(true)
    return [full, outcome(text)]
  } finally {
    setBlockGraph(true)
  }
}

const BUILTIN = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']
const chainName = fc.integer({ min: 0, max: 5 }).map(i => `C${i}`)
/** a rule line of some chain: jumps and gotos between user chains, restricted and plain targets */
const ruleLine = fc.tuple(fc.oneof(chainName, fc.constantFrom(...BUILTIN)), fc.oneof(
  chainName.map(c => `-j ${c}`),
  chainName.map(c => `-m comment --comment "to ${c}" -j ${c}`),
  chainName.map(c => `-g ${c}`),
  chainName.map(c => `-p tcp -m tcp --dport 80 -j ${c}`),
  fc.constant('-p tcp -m tcp -j DNAT --to-destination 10.0.0.1:80'),
  fc.constant('-j MASQUERADE'),
  fc.constant('-j SNAT --to-source 1.2.3.4'),
  fc.constant('-j MARK --or-mark 0x4000'),
  fc.constant('-j RETURN'),
  fc.constant('-s 10.0.0.1/32 -j ACCEPT')
)).map(([chain, rest]) => `-A ${chain} ${rest}`)

test('block graph: the same outcome as the full graph check on random nat tables', () => {
  fc.assert(fc.property(fc.array(ruleLine, { minLength: 1, maxLength: 14 }), fc.boolean(), (lines, fastPath) => {
    const text = '*nat\n' + [0, 1, 2, 3, 4, 5].map(i => `:C${i} - [0:0]\n`).join('') + lines.join('\n') + '\nCOMMIT\n'
    setFastPath(fastPath)
    try {
      const [full, quick] = both(text)
      assert.equal(quick, full)
    } finally {
      setFastPath(true)
    }
  }), { numRuns: 400, seed: 4242 })
})

test('block graph: cycles, nesting deeper than 16 and restricted targets are still found, on the right line', () => {
  const chains = Array.from({ length: 18 }, (_, i) => `:D${i} - [0:0]`).join('\n')
  const deep = Array.from({ length: 17 }, (_, i) => `-A D${i} -j D${i + 1}`).join('\n')
  const cases = [
    ['*filter\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n', 'Too many links', 6],
    [`*filter\n${chains}\n-A INPUT -j D0\n${deep}\nCOMMIT\n`, 'Too many links', 35],
    ['*nat\n:S - [0:0]\n-A POSTROUTING -j S\n-A S -p tcp -j DNAT --to-destination 10.0.0.1:80\nCOMMIT\n', 'Invalid argument', 4]
  ] as const
  for (const [text, errno, line] of cases) {
    const [full, quick] = both(text)
    assert.equal(quick, full)
    assert.match(quick, new RegExp(`^E_RULE line ${line}: .*${errno}`))
  }
  // a cycle no built-in chain reaches is no problem (nf_tables checks from the base chains)
  assert.match(both('*filter\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j A\nCOMMIT\n')[1], /^ok /)
})

test('block graph: commands and re-declared chains fall back to the full check', () => {
  const texts = [
    // -I and -D change the rules after they were read
    '*filter\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-I B 1 -j A\nCOMMIT\n',
    '*filter\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\n-D B 1\nCOMMIT\n',
    // B re-declared: its earlier jump back to A is gone (a false alarm the full check clears)
    '*filter\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\n:B - [0:0]\nCOMMIT\n'
  ]
  const expect = [/^E_RULE line 6: .*Too many links/, /^ok /, /^ok /]
  texts.forEach((text, i) => {
    const [full, quick] = both(text)
    assert.equal(quick, full)
    assert.match(quick, expect[i])
  })
})
