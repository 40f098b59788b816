// Lazy chains (src/netfilter/parse/lazy-chain.ts): a large text's chains keep their lines and build
// their rules when first read. Laziness must not be observable: the same rulesets, errors, prepared
// counts, handles and traces as an eager parse. Below, every text is made lazy (threshold 0), and the
// engine's own parse, error and evaluation suites run again in that mode.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createEngineState, createHost, evaluatePacket, parseRuleset, prepareRuleset, renderRuleset, NetfilterError, type Ruleset } from '../../src/netfilter/index.ts'
import { deferredOf, lazyChainsSetting, setLazyChains } from '../../src/netfilter/parse/lazy-chain.ts'
import { rulesOf } from '../../src/netfilter/eval/prepare.ts'
import { buildKubeRuleset } from '../../bench/lib/kube-ruleset.ts'

const initial = lazyChainsSetting()
after(() => setLazyChains(initial.on, initial.minTextLength))

function parseWay (lazy: boolean, text: string, opts = {}): Ruleset {
  const was = lazyChainsSetting()
  setLazyChains(lazy, 0)
  try {
    return parseRuleset(text, opts)
  } finally {
    setLazyChains(was.on, was.minTextLength)
  }
}

function errorWay (lazy: boolean, text: string, opts = {}): unknown {
  try {
    parseWay(lazy, text, opts)
  } catch (e) {
    if (!(e instanceof NetfilterError)) throw e
    return { code: e.code, message: e.message, line: e.line, column: e.column, token: e.token }
  }
  return null
}

/** every prepared rule's table, chain, number and nf_tables handle */
function handles (rs: Ruleset): string[] {
  const out: string[] = []
  for (const [t, pt] of prepareRuleset(rs).tables) for (const [c, pc] of pt.chains) for (const r of rulesOf(pc)) out.push(`${t}/${c}#${r.index + 1} ${r.handle}`)
  return out
}

function lazyChains (rs: Ruleset): number {
  let n = 0
  for (const t of rs.tables.values()) for (const c of t.chains.values()) if (deferredOf(c) !== undefined) n++
  return n
}

test('a large kube-proxy ruleset: chains stay unbuilt through parse, prepare and traces, which match the eager ones', () => {
  const text = buildKubeRuleset(400, 5)
  const lazy = parseWay(true, text)
  const eager = parseWay(false, text)
  const chains = lazy.tables.get('nat')!.chains.size
  assert.ok(lazyChains(lazy) > chains - 20, `${lazyChains(lazy)} of ${chains} chains lazy`)
  assert.equal(lazyChains(eager), 0)
  const pl = prepareRuleset(lazy)
  const pe = prepareRuleset(eager)
  assert.deepEqual([pl.ruleCount, pl.userChainCount, pl.indexedRuns, pl.hasTraceTarget], [pe.ruleCount, pe.userChainCount, pe.indexedRuns, pe.hasTraceTarget])
  // prepare builds the indexed chains (KUBE-SERVICES, KUBE-NODEPORTS) only
  const afterPrepare = lazyChains(lazy)
  assert.ok(afterPrepare >= chains - 25, `prepare built ${chains - afterPrepare} chains`)
  const host = createHost({ interfaces: [{ name: 'eth0', addresses: ['192.168.50.1/24'] }], routes: [{ dst: 'default', via: '192.168.50.254' }], ipForward: true })
  for (let i = 0; i < 400; i += 37) {
    const dst = `10.96.${(10 + i) >> 8}.${(10 + i) & 255}`
    const pkt = { inIface: 'eth0', src: '192.168.50.2', dst, proto: 'tcp' as const, sport: 40000 + i, dport: 80 + (i % 3), tcpFlags: ['SYN'] }
    const a = evaluatePacket(pl, host, pkt, createEngineState({ seed: i }), { mode: 'all', detail: 'full' })
    const b = evaluatePacket(pe, host, pkt, createEngineState({ seed: i }), { mode: 'all', detail: 'full' })
    // (states are bound to the prepare call that made them: its number differs)
    const plain = (r: unknown): unknown => JSON.parse(JSON.stringify(r, (k, v) => k === 'boundTo' ? undefined : v))
    assert.deepStrictEqual(plain(a), plain(b), dst)
    assert.ok(a.branches === undefined || a.branches.length > 0)
  }
  // the traces built the chains they visited: a few per service, not the rest
  const built = chains - lazyChains(lazy)
  assert.ok(built > 30 && built < chains / 2, `${built} chains built by the traces`)
  // nf_tables handles and rule numbers of every rule, as an eager parse gives them
  for (const [name, pc] of pl.tables.get('nat')!.chains) {
    const other = pe.tables.get('nat')!.chains.get(name)!
    assert.deepEqual(rulesOf(pc).map(r => [r.handle, r.index, r.quirkKind]), rulesOf(other).map(r => [r.handle, r.index, r.quirkKind]), name)
  }
  assert.equal(lazyChains(lazy), 0)
  assert.equal(renderRuleset(lazy, { date: 'D' }), renderRuleset(eager, { date: 'D' }))
})

test('chains built in any order are the same', () => {
  const text = buildKubeRuleset(60, 3)
  const eager = parseWay(false, text)
  const lazy = parseWay(true, text)
  const names = [...lazy.tables.get('nat')!.chains.keys()].reverse()
  for (const n of names) assert.deepStrictEqual(lazy.tables.get('nat')!.chains.get(n)!.rules, eager.tables.get('nat')!.chains.get(n)!.rules, n)
  assert.deepStrictEqual(lazy, eager)
})

test('a lazy chain behaves as a plain chain: keys, spreading, JSON, assignment, appending', () => {
  const text = '*nat\n:KUBE-SEP-A - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n-A KUBE-SEP-A -s 10.1.2.3/32 -j KUBE-MARK-MASQ\n-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.1.2.3:80\nCOMMIT\n'
  const rs = parseWay(true, text)
  const c = rs.tables.get('nat')!.chains.get('KUBE-SEP-A')!
  assert.ok(deferredOf(c) !== undefined)
  assert.deepEqual(Object.keys(c), ['name', 'builtin', 'policy', 'rules'])
  const copy = { ...c }
  assert.equal(copy.rules.length, 2)
  assert.equal(deferredOf(c), undefined, 'reading the rules built them')
  assert.equal(JSON.parse(JSON.stringify(c)).rules[1].target.kind, 'DNAT')
  c.rules.push(c.rules[0])
  assert.equal(c.rules.length, 3)
  c.rules = []
  assert.deepEqual(c.rules, [])
  // spreading a chain not yet built builds it
  const rs2 = parseWay(true, text)
  const spread = { ...rs2.tables.get('nat')!.chains.get('KUBE-SEP-A')! }
  assert.equal(Object.getOwnPropertyDescriptor(spread, 'rules')!.value.length, 2)
})

test('provenance by line reaches rules built at once and rules built later', () => {
  const text = '*nat\n:X - [0:0]\n-A PREROUTING -j X\n-A X -p tcp -m tcp --dport 80 -j ACCEPT\n-A X -m comment --comment c -j RETURN\nCOMMIT\n'
  for (const lazy of [true, false]) {
    const was = lazyChainsSetting()
    setLazyChains(lazy, 0)
    try {
      const rs = parseRuleset(text, { provenance: line => line === 2 ? undefined : { note: `line ${line}` } })
      const nat = rs.tables.get('nat')!
      assert.equal(deferredOf(nat.chains.get('X')!) !== undefined, lazy)
      assert.deepEqual(nat.chains.get('X')!.rules.map(r => r.provenance?.note), ['line 4', 'line 5'])
      assert.deepEqual(nat.chains.get('PREROUTING')!.rules.map(r => r.provenance?.note), ['line 3'])
    } finally {
      setLazyChains(was.on, was.minTextLength)
    }
  }
})

test('commands on lazy chains, COMMIT checks and their errors are those of an eager parse', () => {
  const head = ['*filter', ':INPUT ACCEPT [0:0]', ':A - [0:0]', ':B - [0:0]', ':C - [0:0]', '-A A -s 1.2.3.4/32 -j B', '-A B -p tcp -m tcp --dport 1 -j ACCEPT', '-A B -p tcp -m tcp --dport 2 -j C']
  const texts = [
    [...head, '-A INPUT -j A', 'COMMIT'],
    [...head, '-A INPUT -j A', '-A C -j ACCEPT', 'COMMIT'], // the last line in a one-rule lazy chain
    [...head, '-A C -j A', '-A INPUT -j A', 'COMMIT'], // a loop made reachable by the last rule
    [...head, '-A INPUT -j A', '-A C -g B', 'COMMIT'],
    [...head, '-D B 1', '-A INPUT -j B', 'COMMIT'],
    [...head, '-D B -p tcp -m tcp --dport 1 -j ACCEPT', 'COMMIT'],
    [...head, '-I B 2 -j DROP', '-R A 1 -j C', 'COMMIT'],
    [...head, '-F B', '-X C', 'COMMIT'],
    [...head, '-X B', 'COMMIT'],
    [...head, '-E B D', '-A INPUT -j D', 'COMMIT'],
    [...head, '-A B -j NOPE', 'COMMIT'],
    [...head, '-A A -j C', '-A B -j ACCEPT', '-A A -j B', 'COMMIT'], // rows of one chain apart from each other
    ['*nat', ':C1 - [0:0]', ':C2 - [0:0]', '-A C1 -p udp -j MASQUERADE', '-A C2 -j C1', '-A PREROUTING -j C2', 'COMMIT'],
    ['*nat', ':C1 - [0:0]', '-A C1 -p tcp -j DNAT --to-destination 1.2.3.4:80', '-A POSTROUTING -j C1', 'COMMIT'],
    ['*nat', ':C1 - [0:0]', '-A C1 -p tcp -j DNAT --to-destination 1.2.3.4:80', '-A OUTPUT -j C1', '-A C1 -j TRACE', 'COMMIT'],
    ['*filter', ':INPUT ACCEPT [0:0]', ...Array.from({ length: 17 }, (_, i) => `:C${i} - [0:0]`), '-A INPUT -j C0', ...Array.from({ length: 16 }, (_, i) => `-A C${i} -j C${i + 1}`), 'COMMIT']
  ]
  for (const lines of texts) {
    const text = lines.join('\n') + '\n'
    const e = errorWay(false, text)
    assert.deepStrictEqual(errorWay(true, text), e, text)
    if (e === null) {
      assert.deepStrictEqual(parseWay(true, text), parseWay(false, text), text)
      assert.deepEqual(handles(parseWay(true, text)), handles(parseWay(false, text)), text)
    }
  }
  // --noflush over a base with lazy chains
  const base = parseWay(true, head.concat('COMMIT').join('\n') + '\n')
  for (const more of [['-A B -j DROP'], ['-F A'], [':B - [0:0]', '-A B -j RETURN'], ['-X A']]) {
    const text = ['*filter', ...more, 'COMMIT', ''].join('\n')
    const opts = { noflush: true, base }
    const e = errorWay(false, text, opts)
    assert.deepStrictEqual(errorWay(true, text, opts), e, text)
    if (e === null) assert.deepStrictEqual(parseWay(true, text, opts), parseWay(false, text, opts), text)
  }
})

// the engine's parse, error, golden and evaluation suites again, with every text's chains lazy
setLazyChains(true, 0)
await import('./parse.test.ts')
await import('./parse-errors.test.ts')
await import('./golden-canon.test.ts')
await import('./eval-paths.test.ts')
await import('./eval-targets.test.ts')
await import('./eval-golden.test.ts')
