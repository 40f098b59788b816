// The `-A` fast path (src/netfilter/parse/fast.ts) must build exactly what the general parser builds:
// every ruleset parsed with and without it gives deep-equal results with the same key order, and
// every failing text the same error (code, message, line, column, token).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseRuleset, NetfilterError, type ParseOptions } from '../../src/netfilter/index.ts'
import { FastLineParser, fastPathEnabled, setFastPath } from '../../src/netfilter/parse/fast.ts'
import { ChainIndex } from '../../src/netfilter/parse/chain-index.ts'
import { SharedValues } from '../../src/netfilter/parse/share.ts'
import { TARGETS } from '../../src/netfilter/parse/registry.ts'
import { buildKubeRuleset } from '../../bench/lib/kube-ruleset.ts'
import { domainCluster, generateInput } from '../../bench/lib/cluster.ts'
import { KubeProxyRulesCache, nodeDocument } from '../../src/cluster/kubeproxy/index.ts'
import { VARIANTS, doc, FILLER } from './fast-variants.ts'

const SHARED = '/work/shared/conformance'

/** Maps as entry lists, bigints as strings: JSON that shows key order too. */
function json (v: unknown): string {
  return JSON.stringify(v, (_k, x) => x instanceof Map ? [...x.entries()] : typeof x === 'bigint' ? `${x}n` : x)
}

function parseWith (on: boolean, text: string, opts?: ParseOptions): { rs?: unknown, err?: unknown } {
  const was = fastPathEnabled()
  setFastPath(on)
  try {
    return { rs: parseRuleset(text, opts) }
  } catch (e) {
    if (!(e instanceof NetfilterError)) throw e
    return { err: { code: e.code, message: e.message, line: e.line, column: e.column, token: e.token } }
  } finally {
    setFastPath(was)
  }
}

/** Parses `text` both ways and checks they agree; returns whether it parsed. */
function same (text: string, opts?: ParseOptions, label = ''): boolean {
  const a = parseWith(true, text, opts)
  const b = parseWith(false, text, opts)
  if (b.err !== undefined || a.err !== undefined) {
    assert.deepStrictEqual(a.err, b.err, `errors differ ${label}\n${text.slice(0, 2000)}`)
    return false
  }
  assert.deepStrictEqual(a.rs, b.rs, `rulesets differ ${label}`)
  assert.equal(json(a.rs), json(b.rs), `key order differs ${label}`)
  return true
}

function files (dir: string, ok: (name: string) => boolean): string[] {
  try {
    return readdirSync(dir).filter(ok).map(n => join(dir, n))
  } catch {
    return []
  }
}

test('golden rulesets parse the same with and without the fast path', () => {
  const paths = [
    ...files(join(SHARED, 'kube-proxy'), n => n.endsWith('.txt')),
    ...files(join(SHARED, 'kernel-traces'), n => n.endsWith('.rules') || n.startsWith('rules')),
    ...files(new URL('./fixtures', import.meta.url).pathname, n => n.endsWith('.out'))
  ]
  let parsed = 0
  for (const p of paths) {
    const text = readFileSync(p, 'utf8')
    for (const opts of [{}, { lenient: true }, { counters: true }]) if (same(text, opts, p)) parsed++
  }
  for (const name of ['random-rulesets.kernel.json', 'syntax-variety.kernel.json']) {
    const cases = JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Array<{ input: string }>
    for (const [k, c] of cases.entries()) same(c.input, {}, `${name}[${k}]`)
  }
  assert.ok(parsed > 0)
})

test('generated kube-proxy rulesets parse the same with and without the fast path', () => {
  // the bench's synthetic save text (large: value sharing on) and a part of it (small: off)
  const big = buildKubeRuleset(300, 5)
  assert.ok(same(big, {}, 'bench ruleset'))
  const lines = big.split('\n')
  const small = [...lines.slice(0, 60), ...lines.filter(l => l.startsWith('-A')).slice(300, 340), 'COMMIT', ''].join('\n')
  same(small, { lenient: true }, 'small bench ruleset')
  // the generator's own restore text
  const cluster = domainCluster({ services: 120, endpoints: 3, podsPerNode: 60, nodePortEvery: 7 })
  const nr = new KubeProxyRulesCache().render({ ...generateInput(cluster), options: { nfacct: false } }, 1)
  assert.ok(same(nodeDocument(nr).text, {}, 'generator document'))
})

test('lines near the fast path grammar: same rules or the same error', () => {
  for (const line of VARIANTS) {
    for (const table of ['nat', 'filter'] as const) {
      for (const opts of [{}, { lenient: true }, { counters: true }]) {
        same(doc(table, [line]), opts, line)
        same(doc(table, [...FILLER.slice(0, 150), line, line, ...FILLER.slice(150)]), opts, `${line} (large)`)
      }
    }
  }
})

test('--noflush on a base ruleset: same rules or the same error', () => {
  const base = parseRuleset(doc('nat', FILLER.slice(0, 20)))
  for (const line of VARIANTS.slice(0, 40)) {
    same(doc('nat', [line]), { noflush: true, base }, `${line} (noflush)`)
    // chains flushed, renamed or deleted by earlier commands of the same block
    same(['*nat', ':KUBE-SEP-A - [0:0]', line, '-F KUBE-SEP-A', line, '-E KUBE-SVC-A KUBE-SVC-B', line, 'COMMIT', ''].join('\n'), { noflush: true, base }, `${line} (after -F/-E)`)
  }
})

test('mutated kube-proxy lines: same rules or the same error', () => {
  let seed = 12345
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return (seed >>> 8) % n
  }
  const base = VARIANTS.filter(l => parseWith(false, doc('nat', [l])).err === undefined).slice(0, 40)
  const pool = ['!', '-s', '-d', '-p', 'tcp', 'udp', '-m', 'comment', '--comment', '"a b"', 'tcp', '--dport', '--sport', '80', '0',
    '10.0.0.1/8', '-j', 'ACCEPT', 'DNAT', '--to-destination', '1.2.3.4:80', 'KUBE-SEP-A', 'statistic', '--mode', 'random',
    '--probability', '0.5', 'MARK', '--or-mark', '0x1', '--random', '""']
  const lines: string[] = []
  for (let k = 0; k < 3000; k++) {
    const toks = base[rnd(base.length)].split(' ')
    const edits = 1 + rnd(2)
    for (let e = 0; e < edits; e++) {
      const at = 2 + rnd(Math.max(1, toks.length - 2))
      const what = rnd(4)
      if (what === 0) toks.splice(at, 1)
      else if (what === 1) toks.splice(at, 0, pool[rnd(pool.length)])
      else if (what === 2) toks[Math.min(at, toks.length - 1)] = pool[rnd(pool.length)]
      else {
        // move an option with its value elsewhere
        const from = 2 + rnd(Math.max(1, toks.length - 3))
        const moved = toks.splice(from, 2)
        toks.splice(2 + rnd(Math.max(1, toks.length - 1)), 0, ...moved)
      }
    }
    lines.push(toks.join(' '))
  }
  let parsed = 0
  for (const line of lines) {
    if (same(doc('nat', [line]), {}, line)) parsed++
  }
  // and all of them in one large text each for nat (shared values across lines)
  const ok = lines.filter(l => parseWith(false, doc('nat', [l])).err === undefined)
  same(doc('nat', ok), {}, 'all parsable mutations')
  assert.ok(parsed > 200, `only ${parsed} mutations parse`)
})

test('the fast path reads --dport/--sport before any target option of that name', () => {
  // it resolves --dport/--sport to the port match without asking the target: no typed target may
  // have an option whose name starts with either
  for (const def of TARGETS.values()) {
    for (const o of def.options) assert.ok(!o.name.startsWith('dport') && !o.name.startsWith('sport'), `${def.name} --${o.name}`)
  }
})

test('the fast path reads nearly every line of a kube-proxy ruleset', () => {
  const text = buildKubeRuleset(50, 5)
  const fast = new FastLineParser(text, null, new ChainIndex())
  let rules = 0
  let read = 0
  let pos = 0
  let line = 0
  while (pos < text.length) {
    const end = text.indexOf('\n', pos)
    line++
    if (text.startsWith('-A', pos)) {
      rules++
      if (fast.read(pos, pos, end, line, 'nat', undefined) !== null) read++
    }
    pos = end + 1
  }
  assert.ok(read >= rules - 10, `${read} of ${rules}`)
})

test('one value-sharing table reused across many small texts: the same rulesets, parts shared between them', () => {
  const sharing = new SharedValues(1 << 20)
  const ok = VARIANTS.filter(l => parseWith(false, doc('nat', [l])).err === undefined)
  const texts = Array.from({ length: 30 }, (_, k) => doc('nat', [...FILLER.slice(k, k + 5), ok[k % ok.length], ok[(k * 7) % ok.length]]))
  /** comment text → the match objects seen for it, one per text */
  const seen = new Map<string, Set<unknown>>()
  for (const t of texts) {
    const own = parseWith(true, t)
    const viaTable = parseWith(true, t, { sharing })
    assert.deepStrictEqual(viaTable, own)
    assert.equal(json(viaTable), json(own))
    const rs = viaTable.rs as ReturnType<typeof parseRuleset> | undefined
    assert.ok(rs !== undefined, t)
    for (const r of rs.tables.get('nat')!.chains.get('KUBE-SEP-A')!.rules) {
      for (const m of r.matches) if (m.kind === 'comment') { const set = seen.get(m.comment) ?? new Set(); set.add(m); seen.set(m.comment, set) }
    }
  }
  // each comment text is one object across all the texts that use it
  for (const [c, objects] of seen) assert.equal(objects.size, 1, c)
  assert.equal([...seen.keys()].filter(c => c.startsWith('filler')).length, 7)
})
