// Lazy parsing (src/netfilter/parse/lazy-rules.ts): a lazy parse reports the same errors as an
// eager one, its chains' rules are built only when read, and then equal the eager parse's field for
// field (same key order); prepare gives the same counts, handles and indexed runs without building
// them, and evaluation gives the same traces.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseRuleset, prepareRuleset, evaluatePacket, createEngineState, renderRuleset, NetfilterError, type ParseOptions, type Ruleset, type Packet } from '../../src/netfilter/index.ts'
import { LAZY_MIN } from '../../src/netfilter/parse/ruleset.ts'
import { lazyPartOf, ruleAt, ruleCount } from '../../src/netfilter/parse/lazy-rules.ts'
import { indexKeyOf } from '../../src/netfilter/eval/prepare.ts'
import { setFastPath } from '../../src/netfilter/parse/fast.ts'
import { buildKubeRuleset } from '../../bench/lib/kube-ruleset.ts'
import { VARIANTS, doc, FILLER } from './fast-variants.ts'
import { node } from './eval-helpers.ts'

/** Maps as entry lists, bigints as strings: JSON that shows key order too. */
function json (v: unknown, skip: (key: string) => boolean = () => false): string {
  return JSON.stringify(v, (k, x) => skip(k) ? undefined : x instanceof Map ? [...x.entries()] : typeof x === 'bigint' ? `${x}n` : x)
}

function parse (text: string, opts: ParseOptions): { rs?: Ruleset, err?: unknown } {
  try {
    return { rs: parseRuleset(text, opts) }
  } catch (e) {
    if (!(e instanceof NetfilterError)) throw e
    return { err: { code: e.code, message: e.message, line: e.line, column: e.column, token: e.token } }
  }
}

/** the number of chains of `rs` whose rules are not built */
function unbuilt (rs: Ruleset): number {
  let n = 0
  for (const t of rs.tables.values()) for (const c of t.chains.values()) if (lazyPartOf(c) !== undefined) n++
  return n
}

/** Parse `text` lazily and eagerly: same error, or the same ruleset (returned, the lazy one first). */
function same (text: string, opts: ParseOptions = {}, label = ''): [Ruleset, Ruleset] | null {
  const lazy = parse(text, { ...opts, lazy: true })
  const eager = parse(text, { ...opts, lazy: false })
  if (lazy.err !== undefined || eager.err !== undefined) {
    assert.deepStrictEqual(lazy.err, eager.err, `errors differ ${label}`)
    return null
  }
  const a = lazy.rs!
  const b = eager.rs!
  assert.equal(unbuilt(b), 0, 'an eager parse builds every rule')
  assert.equal(json(a), json(b), `rulesets differ ${label}`)
  assert.deepStrictEqual(a, b, `rulesets differ ${label}`)
  return [a, b]
}

test('a large text is parsed lazily by default, a small one or a block eagerly', () => {
  const big = buildKubeRuleset(1200, 3)
  assert.ok(big.length >= LAZY_MIN)
  const rs = parseRuleset(big)
  const nat = rs.tables.get('nat')!
  const sep = [...nat.chains.values()].find(c => c.name.startsWith('KUBE-SEP-'))!
  assert.ok(lazyPartOf(sep) !== undefined, 'not built by the parse')
  assert.equal(ruleCount(sep), 2)
  assert.ok(lazyPartOf(sep) !== undefined, 'counting builds nothing')
  assert.equal(sep.rules.length, 2)
  assert.equal(lazyPartOf(sep), undefined, 'reading the rules builds them')
  assert.match(sep.rules[1].target?.kind ?? '', /^DNAT$/)
  // jump targets are shared per chain, as an eager parse shares them
  const seps = [...nat.chains.values()].filter(c => c.name.startsWith('KUBE-SEP-')).slice(0, 3)
  assert.deepStrictEqual(seps[0].rules[0].target, { kind: 'jump', chain: 'KUBE-MARK-MASQ' })
  assert.equal(seps[1].rules[0].target, seps[0].rules[0].target)
  assert.equal(seps[2].rules[0].target, seps[0].rules[0].target)
  const small = buildKubeRuleset(20, 2)
  assert.ok(small.length < LAZY_MIN)
  assert.equal(unbuilt(parseRuleset(small)), 0)
  assert.ok(unbuilt(parseRuleset(small, { lazy: true })) > 0)
  const body = '-A KUBE-SEP-X -s 10.1.2.3/32 -j KUBE-MARK-MASQ\n'.repeat(LAZY_MIN / 40)
  assert.equal(unbuilt(parseRuleset(body, { block: { table: 'nat', chains: ['KUBE-SEP-X', 'KUBE-MARK-MASQ'] } })), 0)
})

test('generated rulesets: the lazy parse equals the eager one, chain by chain and as text', () => {
  const big = buildKubeRuleset(400, 4)
  const [a, b] = same(big, {}, 'bench ruleset')!
  // built chain by chain, in another order than the text's
  const lazy = parseRuleset(big, { lazy: true })
  const names = [...lazy.tables.get('nat')!.chains.keys()].reverse()
  for (const n of names) assert.deepStrictEqual(lazy.tables.get('nat')!.chains.get(n)!.rules, b.tables.get('nat')!.chains.get(n)!.rules, n)
  assert.equal(renderRuleset(parseRuleset(big, { lazy: true })), renderRuleset(b))
  assert.equal(unbuilt(a), 0, 'comparing read every rule')
  for (const opts of [{ counters: true }, { lenient: true }]) same(big, opts, JSON.stringify(opts))
})

test('golden rulesets parse the same lazily', () => {
  const dir = '/work/shared/conformance/kube-proxy'
  let n = 0
  for (const name of ['random-rulesets.kernel.json', 'syntax-variety.kernel.json']) {
    const cases = JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Array<{ input: string }>
    for (const [k, c] of cases.entries()) if (same(c.input, {}, `${name}[${k}]`) !== null) n++
  }
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter(f => f.endsWith('.txt'))) {
      for (const opts of [{}, { lenient: true }]) same(readFileSync(join(dir, f), 'utf8'), opts, f)
    }
  }
  assert.ok(n > 0)
})

test('lines near the fast path grammar: same rules or the same error, lazily', () => {
  let parsed = 0
  for (const line of VARIANTS) {
    for (const table of ['nat', 'filter'] as const) {
      if (same(doc(table, [line]), {}, line) !== null) parsed++
      same(doc(table, [...FILLER, line, ...FILLER]), {}, `${line} (large)`)
      same(doc(table, [...FILLER, line, ...FILLER]), { counters: true }, `${line} (large, counters)`)
    }
  }
  assert.ok(parsed > VARIANTS.length / 2)
})

test('chains read in pieces, mixed with general-parser lines and changed by commands', () => {
  const lines = [
    '*nat', ':PREROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-A - [0:0]', ':KUBE-SVC-B - [0:0]', ':KUBE-SEP-A - [0:0]', ':KUBE-MARK-MASQ - [0:0]', ':OLD - [0:0]',
    '-A PREROUTING -j KUBE-SERVICES',
    '-A KUBE-SVC-A -m comment --comment "a 1" -m statistic --mode random --probability 0.5 -j KUBE-SEP-A',
    '-A KUBE-SVC-B -s 10.0.0.1/32 -j KUBE-MARK-MASQ',
    '-A KUBE-SVC-A -m comment --comment "a 2" -j KUBE-SEP-A',
    // a general-parser line between fast ones of the same chain
    '-A KUBE-SVC-B -m conntrack --ctstate NEW -j KUBE-MARK-MASQ',
    '-A KUBE-SVC-B -j KUBE-SEP-A',
    '-A KUBE-SVC-A -j KUBE-SEP-A',
    '[7:99] -A KUBE-SEP-A -s 10.0.0.2/32 -j KUBE-MARK-MASQ',
    '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.0.0.2:80',
    ...Array.from({ length: 12 }, (_, i) => `-A KUBE-SERVICES -d 10.96.0.${i}/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-${i % 2 === 0 ? 'A' : 'B'}`),
    '-A OLD -j KUBE-SEP-A',
    'COMMIT', ''
  ]
  same(lines.join('\n'), {}, 'pieces')
  same(lines.join('\n'), { counters: true }, 'pieces with counters')
  const commands = [
    '-D KUBE-SERVICES 3', '-I KUBE-SVC-A 2 -j RETURN', '-R KUBE-SVC-A 1 -m comment --comment swapped -j KUBE-SEP-A',
    '-F KUBE-SVC-B', '-X KUBE-SVC-B', '-E OLD NEW', '-D KUBE-SERVICES -d 10.96.0.5/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-B',
    '-A NEW -s 10.0.0.9/32 -j KUBE-MARK-MASQ', ':KUBE-SEP-A - [0:0]', '-A KUBE-SEP-A -j RETURN'
  ]
  for (let k = 1; k <= commands.length; k++) {
    const withCommands = [...lines.slice(0, -2), ...commands.slice(0, k), 'COMMIT', '']
    same(withCommands.join('\n'), {}, commands.slice(0, k).join('; '))
  }
  // errors after lazily kept lines: the same error as the eager parse
  for (const bad of ['-A KUBE-SVC-A -j NOWHERE', '-A POSTROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80', '-A KUBE-SVC-A -j KUBE-SVC-A', '-A KUBE-SVC-A -m nosuch -j ACCEPT', 'COMMIT']) {
    assert.equal(same([...lines.slice(0, -2), bad, 'COMMIT', ''].join('\n'), {}, bad), null, bad)
  }
  // --noflush on top of a lazily parsed base
  const base = parseRuleset(lines.join('\n'), { lazy: true })
  const eagerBase = parseRuleset(lines.join('\n'), { lazy: false })
  const more = '*nat\n:KUBE-SVC-A - [0:0]\n-A KUBE-SVC-A -j KUBE-SEP-A\n-A KUBE-SEP-A -j RETURN\nCOMMIT\n'
  assert.deepStrictEqual(parseRuleset(more, { noflush: true, base, lazy: true }), parseRuleset(more, { noflush: true, base: eagerBase, lazy: false }))
})

test('without the fast path a lazy parse builds every rule (and equals the eager one)', () => {
  setFastPath(false)
  try {
    const [a] = same(buildKubeRuleset(30, 2), { lazy: true }, 'no fast path')!
    assert.ok(a.tables.size > 0)
  } finally {
    setFastPath(true)
  }
})

test('prepare builds no rule, and counts, indexes and evaluates as with an eager parse', () => {
  const text = buildKubeRuleset(300, 3)
  const lazy = parseRuleset(text, { lazy: true })
  const eager = parseRuleset(text, { lazy: false })
  const before = unbuilt(lazy)
  assert.ok(before > 600)
  // the store's index keys are what prepare computes from the built rules
  let keyed = 0
  for (const t of lazy.tables.values()) {
    for (const c of t.chains.values()) {
      const part = lazyPartOf(c)
      if (part === undefined) continue
      const built = part.build()
      for (let i = 0; i < part.count; i++) {
        const want = indexKeyOf(built[i])
        assert.deepStrictEqual(part.store.key(part.entry(i)), want, `${c.name} #${i + 1}`)
        if (want !== null) keyed++
      }
    }
  }
  assert.ok(keyed >= 300)
  const pl = prepareRuleset(lazy)
  const pe = prepareRuleset(eager)
  assert.equal(unbuilt(lazy), before, 'prepare built rules')
  assert.equal(pl.ruleCount, pe.ruleCount)
  assert.equal(pl.userChainCount, pe.userChainCount)
  assert.equal(pl.indexedRuns, pe.indexedRuns)
  assert.ok(pl.indexedRuns >= 1)
  const ip = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
  for (let i = 0; i < 300; i += 7) {
    const pkt: Packet = { inIface: 'eth0', src: '192.168.1.5', dst: ip(((10 << 24) | (96 << 16)) + 10 + i), proto: 'tcp', sport: 40000 + i, dport: 80 + (i % 3), tcpFlags: ['SYN'] }
    for (const opts of [{ mode: 'all' as const, detail: 'full' as const }, { mode: 'sample' as const, detail: 'matched' as const }]) {
      const a = evaluatePacket(pl, node, pkt, createEngineState({ seed: i }), opts)
      const b = evaluatePacket(pe, node, pkt, createEngineState({ seed: i }), opts)
      // (a state is bound to the prepared ruleset it was used with: two of them here)
      const unbound = (r: typeof a): string => json(r, k => k === 'boundTo')
      assert.equal(unbound(a), unbound(b), `packet to ${pkt.dst}:${pkt.dport}`)
    }
  }
  // tracing built only rules it read, one by one, and nothing else
  assert.equal(unbuilt(lazy), before)
  let built = 0
  let rules = 0
  for (const t of lazy.tables.values()) {
    for (const c of t.chains.values()) {
      const part = lazyPartOf(c)
      if (part === undefined) continue
      built += part.built
      rules += part.count
    }
  }
  assert.ok(built > 50 && built < rules / 4, `tracing built ${built} of ${rules} rules`)
  // a rule built alone is the one the whole chain's build returns
  const svc = [...lazy.tables.get('nat')!.chains.values()].find(c => c.name.startsWith('KUBE-SVC-') && (lazyPartOf(c)?.built ?? 0) > 0)!
  const one = ruleAt(svc, 0)
  assert.equal(svc.rules[0], one)
  assert.equal(lazyPartOf(svc), undefined)
})

test('a rule block parsed lazily equals the eager block and the document it stands for', () => {
  const chains = ['KUBE-SERVICES', 'KUBE-MARK-MASQ', 'KUBE-SVC-A', 'KUBE-SEP-1', 'KUBE-SEP-2', 'KUBE-EMPTY']
  const body = [
    '-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/dns:tcp cluster IP" -m tcp --dport 53 -j KUBE-SVC-A',
    '-A KUBE-SVC-A -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-1',
    '-A KUBE-SVC-A -j KUBE-SEP-2',
    '-A KUBE-SEP-1 -s 10.244.0.2/32 -j KUBE-MARK-MASQ',
    '-A KUBE-SEP-1 -p tcp -m tcp -j DNAT --to-destination 10.244.0.2:53',
    '-A KUBE-SEP-2 -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:53',
    '-A OUTPUT -j KUBE-SERVICES',
    // a general-parser line in a lazy chain, and a chain read in two pieces
    '-A KUBE-SEP-2 -m comment --comment "x" -m mark --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-SVC-A -j KUBE-SEP-1',
    ''
  ].join('\n')
  const opts: ParseOptions = { block: { table: 'nat', chains, line: 9 } }
  assert.ok(same(body, opts, 'block') !== null)
  // (same's assertions read every rule: parse again to see what a parse alone builds) the declared
  // chains that got rules are lazy; an empty one and a built-in chain are not
  const fresh = parseRuleset(body, { ...opts, lazy: true }).tables.get('nat')!
  for (const name of ['KUBE-SVC-A', 'KUBE-SEP-1', 'KUBE-SEP-2']) assert.ok(lazyPartOf(fresh.chains.get(name)!) !== undefined, name)
  assert.equal(lazyPartOf(fresh.chains.get('KUBE-EMPTY')!), undefined)
  assert.deepStrictEqual(fresh.chains.get('KUBE-EMPTY')!.rules, [])
  assert.equal(lazyPartOf(fresh.chains.get('OUTPUT')!), undefined)
  assert.equal(ruleCount(fresh.chains.get('KUBE-SVC-A')!), 3)
  assert.equal(ruleAt(fresh.chains.get('KUBE-SEP-1')!, 1).line, 13)
  // the same errors, numbered as in the document
  same(body + '-A KUBE-SEP-2 -j KUBE-NOWHERE\n', opts, 'bad jump')
  same(body.replace('-j KUBE-SEP-2', '-j KUBE-SVC-A'), opts, 'loop')
})

test('ParseOptions.provenance: given to every rule by its line, when built, eagerly or lazily', () => {
  const text = buildKubeRuleset(60, 3)
  const seen: number[] = []
  const prov = (line: number): { note: string } | undefined => {
    seen.push(line)
    return line % 3 === 0 ? undefined : { note: `line ${line}` }
  }
  const lazy = parseRuleset(text, { lazy: true, provenance: prov })
  // (only for the few lines the general parser builds at once)
  const atParse = seen.length
  assert.ok(atParse < 20, `a lazy parse asks for the provenance of rules it does not build: ${atParse}`)
  const eager = parseRuleset(text, { lazy: false, provenance: prov })
  const asked = seen.length - atParse
  assert.ok(asked > 500)
  let withProv = 0
  for (const [tn, t] of eager.tables) {
    for (const c of t.chains.values()) {
      const lz = lazy.tables.get(tn)!.chains.get(c.name)!
      for (let i = 0; i < c.rules.length; i++) {
        const r = c.rules[i]
        assert.deepStrictEqual(r.provenance, r.line! % 3 === 0 ? undefined : { note: `line ${r.line!}` })
        assert.equal('provenance' in r, r.line! % 3 !== 0)
        if (r.provenance !== undefined) withProv++
        assert.deepStrictEqual(ruleAt(lz, i), r)
      }
    }
  }
  assert.ok(withProv > 300)
  assert.equal(seen.length, asked * 2, 'each rule asked for once per parse')
  // a callback may itself parse (the parse in progress keeps its own graph checks)
  const loop = '*filter\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n'
  const nested = (line: number): { note: string } => {
    parseRuleset('*filter\n:X - [0:0]\n-A INPUT -j X\nCOMMIT\n')
    return { note: String(line) }
  }
  assert.throws(() => parseRuleset(loop, { provenance: nested, lazy: false }), (e: unknown) => e instanceof NetfilterError && e.code === 'E_RULE')
  const ok = parseRuleset(loop.replace('-A B -j A\n', ''), { provenance: nested, lazy: false })
  assert.deepStrictEqual(ok.tables.get('filter')!.chains.get('A')!.rules[0].provenance, { note: '5' })
})
