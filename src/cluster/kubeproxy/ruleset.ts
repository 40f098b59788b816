/**
 * The node's tables as the engine's ruleset (what traces evaluate), each rule carrying its provenance.
 * Built from per-Service parses cached on the (reused) Service fragments, so after one change only
 * that Service's rules are parsed again; `nodeRulesetFull` parses the whole node document at once
 * (the reference the tests compare against).
 */
import type { Chain, Rule, Ruleset, Table, TableName } from '../../netfilter/model.ts'
import { BUILTIN_CHAINS } from '../../netfilter/model.ts'
import { parseRuleset } from '../../netfilter/parse/ruleset.ts'
import { ruleCount } from '../../netfilter/index.ts'
import { SharedValues } from '../../netfilter/parse/share.ts'
import type { NodeRules } from './generate.ts'
import { nodeDocument, TABLE_ORDER } from './document.ts'
import { FragmentProvenance, LazyProvenance } from './lazy-provenance.ts'
import type { KpTable, RuleProvenance, RuleRecord, ServiceFragment } from './types.ts'

const fullMemo = new WeakMap<NodeRules, Ruleset>()

/** Parses the whole node document (skeleton + restore data) in one go. */
export function nodeRulesetFull (nr: NodeRules): Ruleset {
  let rs = fullMemo.get(nr)
  if (rs != null) return rs
  const doc = nodeDocument(nr)
  // (every rule gets its provenance at once: nothing to gain from building rules lazily)
  rs = parseRuleset(doc.text, { lazy: false, provenance: line => doc.provenance.get(line) })
  fullMemo.set(nr, rs)
  return rs
}

/** Chains every part may reference: static chains and kube-proxy's top-level chains, per table. */
function declared (nr: NodeRules, t: KpTable): string[] {
  const out = nr.static.chains.filter(c => c.table === t).map(c => c.chain)
  if (t === 'filter') out.push(...nr.top.filterChains)
  if (t === 'nat') out.push(...nr.top.natChains)
  return [...new Set(out)]
}

/** Parses rule records (grouped by table) with the given extra chain declarations; rules by `table/chain`. */
function parseParts (nr: NodeRules, records: RuleRecord[], extra: Partial<Record<KpTable, string[]>>): Map<string, Rule[]> {
  const lines: string[] = []
  const prov = new Map<number, RuleProvenance>()
  for (const t of TABLE_ORDER) {
    const rs = records.filter(r => r.table === t)
    const ex = extra[t] ?? []
    if (rs.length === 0 && ex.length === 0) continue
    lines.push(`*${t}`)
    for (const c of new Set([...declared(nr, t), ...ex])) lines.push(`:${c} - [0:0]`)
    for (const r of rs) { lines.push(r.text); prov.set(lines.length, r.prov) }
    lines.push('COMMIT')
  }
  const out = new Map<string, Rule[]>()
  if (lines.length === 0) return out
  const parsed = parseRuleset(lines.concat('').join('\n'), { lazy: false, provenance: line => prov.get(line) })
  for (const [tn, t] of parsed.tables) for (const c of t.chains.values()) if (c.rules.length > 0) out.set(`${tn}/${c.name}`, c.rules)
  return out
}

/**
 * A Service fragment's parsed chains that have rules, per table in parse order, for the chain
 * declarations `decl` it was parsed with. The node takes the fragment's own nat chains as they are,
 * their rules still unbuilt (see parseFragment), and appends the rules of the others to its chains.
 */
interface FragParse { decl: string, filter: Chain[], nat: Chain[] }

/**
 * Parsed rules per fragment. Nodes of one configuration share fragments (see cache.ts), so the
 * engine's Rule objects are shared too: they are never mutated after parsing (counters live in the
 * engine state, keyed by the prepared rule's id, and each node prepares its own ruleset).
 */
const fragMemo = new WeakMap<ServiceFragment, FragParse>()

/** A node's chain declarations, worked out once for all its fragments (also as document text). */
interface NodeDecl {
  filter: string[]
  nat: string[]
  key: string
  /** `*filter` and the filter declarations, one line each */
  filterHead: string
  /** `*nat` and the nat declarations, one line each */
  natHead: string
  natSet: Set<string>
}

const declLine = (c: string): string => `:${c} - [0:0]\n`

function nodeDecl (nr: NodeRules): NodeDecl {
  const filter = declared(nr, 'filter')
  const nat = declared(nr, 'nat')
  return { filter, nat, key: filter.join(' ') + '\n' + nat.join(' '), filterHead: '*filter\n' + filter.map(declLine).join(''), natHead: '*nat\n' + nat.map(declLine).join(''), natSet: new Set(nat) }
}

function countLines (text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++
  return n
}

/**
 * A fragment's rules, numbered as in the document parseParts would build from its records: `*filter`,
 * the node's filter declarations, the filter rules, `COMMIT`, then the same for nat with the node's
 * nat declarations followed by the fragment's own chains. The fragment's two texts are parsed as rule
 * blocks of their tables (see ParseOptions.block), so that document is never built.
 *
 * They are parsed lazily: every line is read and checked, but a rule is built when a trace or view
 * first reads it (a node of 10,000 Services has ~170,000 rules, and a trace reads a few dozen).
 * Provenance is given as a rule is built: the rule's line says which of the fragment's records it is.
 */
function parseFragment (d: NodeDecl, f: ServiceFragment, sharing: SharedValues): FragParse {
  const hit = fragMemo.get(f)
  if (hit != null && hit.decl === d.key) return hit
  const out: FragParse = { decl: d.key, filter: [], nat: [] }
  let line = 0
  // the records are the filter rules' lines, then the nat rules' lines, one line each, in order
  let filterFirst = 0
  let filterCount = 0
  let natFirst = 0
  let natCount = 0
  // worked out when a trace or view first reads it (see lazy-provenance.ts)
  let source: FragmentProvenance | undefined
  const provenance = (l: number): RuleProvenance | undefined => {
    const at = l >= filterFirst && l < filterFirst + filterCount
      ? l - filterFirst
      : l >= natFirst && l < natFirst + natCount ? filterCount + l - natFirst : -1
    return at < 0 ? undefined : new LazyProvenance(source ??= new FragmentProvenance(f), at)
  }
  const block = (table: KpTable, text: string, chains: readonly string[]): void => {
    line += 1 + chains.length
    const first = line + 1
    const n = countLines(text)
    if (table === 'filter') { filterFirst = first; filterCount = n } else { natFirst = first; natCount = n }
    line += n + 1
    const parsed = parseRuleset(text, { sharing, block: { table, chains, line: first }, lazy: true, provenance })
    const t = parsed.tables.get(table)
    if (t === undefined) return
    const list = table === 'filter' ? out.filter : out.nat
    for (const c of t.chains.values()) if (ruleCount(c) > 0) list.push(c)
  }
  if (f.filterText !== '') block('filter', f.filterText, d.filter)
  if (f.natText !== '' || f.natChains.length > 0) {
    let chains = d.nat
    for (const c of f.natChains) {
      if (d.natSet.has(c) || (chains !== d.nat && chains.includes(c))) continue
      if (chains === d.nat) chains = d.nat.slice()
      chains.push(c)
    }
    block('nat', f.natText, chains)
  }
  fragMemo.set(f, out)
  return out
}

/** Appends the rules of a fragment's chain `from` to the node's chain `to`. */
function append (to: Chain | undefined, from: Chain): void {
  if (to !== undefined) for (const r of from.rules) to.rules.push(r)
}

const memo = new WeakMap<NodeRules, Ruleset>()

/** The node's ruleset, assembled from cached per-Service parses (same result as nodeRulesetFull). */
export function nodeRuleset (nr: NodeRules): Ruleset {
  let rs = memo.get(nr)
  if (rs != null) return rs
  const restoreTop = (t: KpTable): Set<string> => new Set(t === 'filter' ? nr.top.filterChains : t === 'nat' ? nr.top.natChains : [])
  const statics = nr.static.rules.filter(r => !restoreTop(r.table).has(r.chain))
  const head = parseParts(nr, [...statics, ...nr.top.filterHead, ...nr.top.natHead], {})
  const tail = parseParts(nr, [...nr.top.filterTail, ...nr.top.natTail], {})
  const tables = new Map<TableName, Table>()
  for (const t of TABLE_ORDER) {
    const decl = declared(nr, t)
    const hasFrags = t !== 'mangle' && nr.fragments.some(f => t === 'filter' ? f.filterText !== '' : f.natChains.length > 0 || f.natText !== '')
    if (decl.length === 0 && !statics.some(r => r.table === t) && !hasFrags) continue
    const chains = new Map<string, Chain>()
    // On a node the built-in chains come into being through kubelet's and kube-proxy's own rules only;
    // iptables-nft hooks a built-in chain only once it has a rule (kernel-checked), hence `declared: false`.
    for (const b of BUILTIN_CHAINS[t]) chains.set(b, { name: b, builtin: true, policy: 'ACCEPT', declared: false, rules: [...(head.get(`${t}/${b}`) ?? [])] })
    for (const c of decl) chains.set(c, { name: c, builtin: false, policy: null, rules: [...(head.get(`${t}/${c}`) ?? [])] })
    tables.set(t, { name: t, chains })
  }
  const d = nodeDecl(nr)
  const nat = tables.get('nat')
  // the Services' rules repeat the same parts (comments of a Service, ports, jumps, probabilities): one
  // value-sharing table for all the small per-Service texts this node parses
  const sharing = new SharedValues(1 << 20)
  for (const f of nr.fragments) {
    const parsed = parseFragment(d, f, sharing)
    if (nat != null) {
      for (const c of f.natChains) {
        if (nat.chains.has(c)) continue
        let chain: Chain | undefined
        for (const x of parsed.nat) if (x.name === c) { chain = x; break }
        // (a chain of the fragment's own is its parsed chain itself: its rules stay unbuilt until read)
        nat.chains.set(c, chain ?? { name: c, builtin: false, policy: null, rules: [] })
      }
    }
    const filter = tables.get('filter')
    for (const x of parsed.filter) append(filter?.chains.get(x.name), x)
    for (const x of parsed.nat) if (!f.natChains.includes(x.name)) append(nat?.chains.get(x.name), x)
  }
  for (const [key, rules] of tail) {
    const [t, c] = key.split('/') as [TableName, string]
    const ch = tables.get(t)?.chains.get(c)
    if (ch != null) for (const r of rules) ch.rules.push(r)
  }
  rs = { tables }
  memo.set(nr, rs)
  return rs
}
