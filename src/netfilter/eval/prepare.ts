/**
 * Prepare (index) a parsed ruleset for evaluation. The ruleset itself is never modified.
 *
 * - every rule gets a global numeric id (counters, nth state), its kernel rule number (1-based), the
 *   legacy TRACE kind quirk (unconditional standard verdicts print as policy/return) and an nf_tables
 *   handle as iptables-nft would allocate it (chains first, then rules in restore order);
 * - jump/goto targets are resolved to chains;
 * - runs of consecutive rules whose only discriminators are `[-d A/32] -p tcp|udp|sctp --dport N`
 *   (plus comments) get a hash index so KUBE-SERVICES-style chains are dispatched in O(1) while rule
 *   numbers, counters and traces stay exactly those of a linear scan.
 */
import type { Chain, HookName, Match, Rule, Ruleset, Table, TableName } from '../model.ts'
import { renderRule } from '../render/rule.ts'
import { lazyPartOf, ruleAt, ruleCount } from '../parse/lazy-rules.ts'

export interface PRule {
  id: number
  table: TableName
  chain: PChain
  /** 0-based position */
  index: number
  rule: Rule
  /** nf_tables handle iptables-nft would assign */
  handle: number
  /** kernel `unconditional()` && standard negative verdict: printed as policy/return by legacy TRACE */
  quirkKind: 'rule' | 'policy' | 'return'
  /**
   * jump/goto destination: looked up by `destOf` when the walk first takes the jump (undefined
   * until then; null when the table has no such chain)
   */
  dest: PChain | null | undefined
  text?: string
}

export interface IndexRun {
  start: number
  /** exclusive */
  end: number
  /** runKey(destination, protocol, port) → ascending rule indexes (a number when there is one) */
  byKey: Map<number, number | number[]>
  /** the same for the rules of the run without `-d` (destination 0 in the key); null when none */
  anyDst: Map<number, number | number[]> | null
}

/** 2-bit codes of the port protocols in index keys (0: not indexed) */
const PROTO_CODE: Record<number, number> = { 6: 1, 17: 2, 132: 3 }

/**
 * One number for (destination, protocol, port): 32 + 2 + 16 bits, exact in a double. -1 when the
 * protocol has no ports or the port is not one (no indexed rule can match).
 */
export function runKey (dst: number, proto: number, port: number): number {
  const code = PROTO_CODE[proto]
  if (code === undefined || !(port >= 0 && port <= 65535)) return -1
  return (dst >>> 0) * 262144 + code * 65536 + port
}

function addKey (m: Map<number, number | number[]>, key: number, k: number): void {
  const had = m.get(key)
  if (had === undefined) m.set(key, k)
  else if (typeof had === 'number') m.set(key, [had, k])
  else had.push(k)
}

/** first index ≥ `from` of an entry (`end` when none) */
function firstFrom (e: number | number[] | undefined, from: number, end: number): number {
  if (e === undefined) return end
  if (typeof e === 'number') return e >= from ? e : end
  for (const k of e) if (k >= from) return k
  return end
}

export interface PChain {
  name: string
  table: TableName
  builtin: boolean
  policy: 'ACCEPT' | 'DROP' | null
  /** prepared rules, built on first use (see `rulesOf`) */
  rules?: Array<PRule | undefined>
  /** number of rules */
  count: number
  /** id of the implicit policy/return entry (counters) */
  endId: number
  /** iptables-nft registers a hook for this built-in chain (declared, has rules, or a DROP policy) */
  nftHooked: boolean
  /** first rule's index in table order (handles when rules have no positions) */
  offset: number
  /** per rule: the run it belongs to (undefined when the chain has no indexed run) */
  runOf?: Array<IndexRun | undefined>
  source: Chain
  /** shared per-table data for lazy materialisation */
  t: TableData
}

interface TableData {
  chains: PChains
  /** rule rank by source line (restore order) when every rule has a position */
  rank?: Int32Array
  /** handle of the first rule = number of chains */
  handleBase: number
  ids: { next: number }
}

/**
 * A table's prepared chains by name, each made on first use (a kube-proxy node has tens of thousands
 * of chains and a trace visits a handful): `get` and iteration read like a Map's.
 */
export class PChains {
  readonly #table: Table
  #made = new Map<string, PChain>()
  #all = false
  /** per chain with indexed runs: the run of each rule (see indexRuns) */
  readonly #runs: Map<Chain, Array<IndexRun | undefined>>
  /** first rule's index in table order, per chain (made on first need: handles of rules without positions) */
  #offsets: Map<Chain, number> | null = null
  td!: TableData

  constructor (table: Table, runs: Map<Chain, Array<IndexRun | undefined>>) {
    this.#table = table
    this.#runs = runs
  }

  get size (): number {
    return this.#table.chains.size
  }

  get (name: string): PChain | undefined {
    const pc = this.#made.get(name)
    if (pc !== undefined) return pc
    const c = this.#table.chains.get(name)
    return c === undefined ? undefined : this.#make(c)
  }

  /** every chain, in table order */
  values (): IterableIterator<PChain> {
    if (!this.#all) {
      for (const c of this.#table.chains.values()) if (!this.#made.has(c.name)) this.#make(c)
      this.#all = true
      // in table order, as the source table has them
      const ordered = new Map<string, PChain>()
      for (const name of this.#table.chains.keys()) ordered.set(name, this.#made.get(name)!)
      this.#made = ordered
    }
    return this.#made.values()
  }

  #make (c: Chain): PChain {
    const td = this.td
    const count = ruleCount(c)
    const nftHooked = !(c.builtin && c.declared === false && count === 0 && c.policy !== 'DROP')
    const offset = td.rank !== undefined ? 0 : this.#offsetOf(c)
    const pc: PChain = { name: c.name, table: this.#table.name, builtin: c.builtin, policy: c.policy, count, endId: td.ids.next++, nftHooked, offset, runOf: this.#runs.get(c), source: c, t: td }
    this.#made.set(c.name, pc)
    return pc
  }

  #offsetOf (c: Chain): number {
    let o = this.#offsets
    if (o === null) {
      o = this.#offsets = new Map()
      let off = 0
      for (const x of this.#table.chains.values()) { o.set(x, off); off += ruleCount(x) }
    }
    return o.get(c) ?? 0
  }
}

export interface PTable {
  name: TableName
  chains: PChains
}

export interface PrepareOptions {
  /** canonical text of one rule (`-A CHAIN ...`); defaults to the package renderer */
  renderRule?: (chain: string, rule: Rule) => string
  /** minimum run length worth indexing (default 4) */
  minIndexRun?: number
}

export interface Prepared {
  /** unique per prepare() call: engine state counters are bound to it */
  id: number
  ruleset: Ruleset
  tables: Map<TableName, PTable>
  /** number of rules in all tables */
  ruleCount: number
  userChainCount: number
  indexedRuns: number
  /** does any rule use `-j TRACE` */
  hasTraceTarget: boolean
  renderRule: (chain: string, rule: Rule) => string
}

let preparedSeq = 0

function isUnconditional (r: Rule): boolean {
  return r.source === undefined && r.destination === undefined && r.inIface === undefined && r.outIface === undefined &&
    (r.protocol === undefined || (r.protocol.proto === 0 && !r.protocol.invert)) && r.fragment === undefined && r.matches.length === 0
}

function quirkKindOf (r: Rule, builtin: boolean): 'rule' | 'policy' | 'return' {
  const t = r.target
  if (t === null || !isUnconditional(r)) return 'rule'
  if (t.kind === 'ACCEPT' || t.kind === 'DROP' || t.kind === 'RETURN' || t.kind === 'QUEUE') return builtin ? 'policy' : 'return'
  return 'rule'
}

const PORT_PROTOS = new Map<number, Match['kind']>([[6, 'tcp'], [17, 'udp'], [132, 'sctp']])

/** what a rule of an indexed run is looked up by (`dst` null: any destination) */
export interface IndexKey { dst: number | null, proto: number, port: number }

/** Index key of a rule, or null when the rule is not a pure `[-d A/32] -p P --dport N` rule. */
export function indexKeyOf (r: Rule): IndexKey | null {
  // most rules fail the first test (the jumps and marks of per-Service chains have no protocol)
  const pr = r.protocol
  if (pr === undefined || pr.invert) return null
  if (r.source !== undefined || r.inIface !== undefined || r.outIface !== undefined || r.fragment !== undefined) return null
  const kind = PORT_PROTOS.get(pr.proto)
  if (kind === undefined) return null
  let dst: number | null = null
  if (r.destination !== undefined) {
    if (r.destination.invert || r.destination.mask >>> 0 !== 0xffffffff) return null
    dst = r.destination.addr >>> 0
  }
  let port: number | null = null
  for (const m of r.matches) {
    if (m.kind === 'comment') continue
    if (m.kind !== kind || port !== null) return null
    const pm = m as { sport?: unknown, dport?: { value: { min: number, max: number }, invert: boolean }, tcpFlags?: unknown, tcpOption?: unknown }
    if (pm.sport !== undefined || pm.tcpFlags !== undefined || pm.tcpOption !== undefined || pm.dport === undefined) return null
    if (pm.dport.invert || pm.dport.value.min !== pm.dport.value.max) return null
    port = pm.dport.value.min
  }
  if (port === null) return null
  return { dst, proto: pr.proto, port }
}

/**
 * Index a ruleset for evaluation (pure; the ruleset is not modified). Chains and their rules are
 * prepared lazily; what needs every rule (counts, line ranks, indexed runs) is worked out here.
 */
export function prepareRuleset (ruleset: Ruleset, opts: PrepareOptions = {}): Prepared {
  const tables = new Map<TableName, PTable>()
  const minRun = opts.minIndexRun ?? 4
  const ids = { next: 0 }
  let userChainCount = 0
  let indexedRuns = 0
  let ruleCount = 0
  let hasTraceTarget = false
  for (const [tname, table] of ruleset.tables) {
    const sum = scanChains(table)
    userChainCount += sum.userChains
    ruleCount += sum.rules
    if (sum.trace) hasTraceTarget = true
    const runs = new Map<Chain, Array<IndexRun | undefined>>()
    indexedRuns += indexRuns(table, minRun, runs)
    const chains = new PChains(table, runs)
    // handles: chains take 1..C in table order, rules follow in restore (line) order
    const td: TableData = { chains, handleBase: table.chains.size, ids }
    if (sum.rank !== undefined) td.rank = sum.rank
    chains.td = td
    tables.set(tname, { name: tname, chains })
  }
  return {
    id: ++preparedSeq,
    ruleset,
    tables,
    ruleCount,
    userChainCount,
    indexedRuns,
    hasTraceTarget,
    renderRule: opts.renderRule ?? renderRule
  }
}

/** What prepareRuleset counts over a table's rules; `rank` when every rule has a line (see rankLines). */
function scanChains (table: Table): { userChains: number, rules: number, trace: boolean, rank?: Int32Array } {
  let count = 0
  let userChains = 0
  for (const c of table.chains.values()) {
    if (!c.builtin) userChains++
    count += ruleCount(c)
  }
  // one pass over the rules (their fields are read through many hidden classes: slow reads)
  const lines = new Int32Array(count)
  let maxLine = 0
  let allLines = true
  let trace = false
  let n = 0
  for (const c of table.chains.values()) {
    const lz = lazyPartOf(c)
    if (lz !== undefined) {
      // rules not built yet: the store has what is asked here
      const st = lz.store
      for (let i = 0; i < lz.count; i++) {
        const k = lz.entry(i)
        const l = st.line(k)
        if (l < 0) allLines = false
        else {
          lines[n++] = l
          if (l > maxLine) maxLine = l
        }
        if (st.trace(k)) trace = true
      }
      continue
    }
    const rules = c.rules
    for (let k = 0; k < rules.length; k++) {
      const r = rules[k]
      const l = r.line
      if (l === undefined) allLines = false
      else {
        lines[n++] = l
        if (l > maxLine) maxLine = l
      }
      if (r.target !== null && r.target.kind === 'TRACE') trace = true
    }
  }
  return { userChains, rules: count, trace, rank: allLines ? rankLines(lines, maxLine) : undefined }
}

/**
 * Rank of each rule line in restore order (`rank[line]`, 1-based), from every rule's line.
 * (The loops of prepareRuleset live in small functions of their own: they run once per table, and
 * V8 optimises a small function's loop much sooner than one inside a big function.)
 */
function rankLines (lines: Int32Array, maxLine: number): Int32Array {
  const rank = new Int32Array(maxLine + 2)
  for (let k = 0; k < lines.length; k++) rank[lines[k]] = 1
  let acc = 0
  for (let l = 0; l < rank.length; l++) { if (rank[l] !== 0) rank[l] = ++acc }
  return rank
}

/**
 * Index runs of `[-d A/32] -p P --dport N` rules in every chain of `table` (into `runs`: per chain
 * with a run, each rule's run); returns how many.
 */
function indexRuns (table: Table, minRun: number, runs: Map<Chain, Array<IndexRun | undefined>>): number {
  let indexedRuns = 0
  for (const c of table.chains.values()) {
    const lz = lazyPartOf(c)
    const n = lz !== undefined ? lz.count : c.rules.length
    if (n < minRun) continue
    // (rules not built yet have their keys in the store)
    const rules = lz === undefined ? c.rules : null
    const keyAt = (i: number): IndexKey | null => {
      if (rules !== null) return indexKeyOf(rules[i])
      const k = lz!.entry(i)
      const built = lz!.store.builtRule(k)
      return built !== undefined ? indexKeyOf(built) : lz!.store.key(k)
    }
    let runOf: Array<IndexRun | undefined> | undefined
    let i = 0
    while (i < n) {
      const k0 = keyAt(i)
      if (k0 === null) { i++; continue }
      const keys = [k0]
      let j = i + 1
      for (; j < n; j++) {
        const kj = keyAt(j)
        if (kj === null) break
        keys.push(kj)
      }
      if (j - i >= minRun) {
        const run: IndexRun = { start: i, end: j, byKey: new Map(), anyDst: null }
        if (runOf === undefined) runs.set(c, runOf = new Array(n))
        for (let k = i; k < j; k++) {
          const key = keys[k - i]
          if (key.dst === null) addKey(run.anyDst ??= new Map(), runKey(0, key.proto, key.port), k)
          else addKey(run.byKey, runKey(key.dst, key.proto, key.port), k)
          runOf[k] = run
        }
        indexedRuns++
      }
      i = j
    }
  }
  return indexedRuns
}

/**
 * The prepared rules of a chain, each made when first needed (`ruleOf`): a sampled trace reads a few
 * rules of a Service chain, and in a lazily parsed ruleset (parse/lazy-rules.ts) a rule made here is
 * also the first time its parsed rule is built. Entries are undefined until made.
 */
export function rulesOf (pc: PChain): Array<PRule | undefined> {
  return pc.rules ??= new Array(pc.count)
}

/** Prepared rule `i` (0-based) of a chain, made on first use: id, handle, quirk kind. */
export function ruleOf (pc: PChain, i: number): PRule {
  const rules = pc.rules ??= new Array(pc.count)
  return rules[i] ?? (rules[i] = makeRule(pc, i))
}

/** Every prepared rule of a chain. */
export function allRulesOf (pc: PChain): PRule[] {
  const rules = rulesOf(pc)
  for (let i = 0; i < pc.count; i++) ruleOf(pc, i)
  return rules as PRule[]
}

function makeRule (pc: PChain, i: number): PRule {
  const td = pc.t
  const r = ruleAt(pc.source, i)
  return {
    id: td.ids.next++,
    table: pc.table,
    chain: pc,
    index: i,
    rule: r,
    handle: td.handleBase + (td.rank !== undefined ? td.rank[r.line!] : pc.offset + i + 1),
    quirkKind: quirkKindOf(r, pc.builtin),
    // (looked up when first taken: a Service chain's rules jump to all its endpoints' chains, and a
    // sampled trace takes one of them)
    dest: undefined
  }
}

/** The prepared chain a jump/goto rule leads to (null when its table has none), kept in `pr.dest`. */
export function destOf (pr: PRule): PChain | null {
  if (pr.dest !== undefined) return pr.dest
  const t = pr.rule.target
  const d = t !== null && (t.kind === 'jump' || t.kind === 'goto') ? pr.chain.t.chains.get(t.chain) ?? null : null
  pr.dest = d
  return d
}

/** First rule index ≥ `from` in `run` that can match (dst, proto, port); `run.end` when none. */
export function runLookup (run: IndexRun, from: number, dst: number, proto: number, port: number): number {
  const key = runKey(dst, proto, port)
  if (key < 0) return run.end
  const best = firstFrom(run.byKey.get(key), from, run.end)
  if (run.anyDst === null) return best
  const other = firstFrom(run.anyDst.get(runKey(0, proto, port)), from, run.end)
  return other < best ? other : best
}

/** Canonical text of a prepared rule (memoised). */
export function ruleText (p: Prepared, pr: PRule): string {
  if (pr.text === undefined) pr.text = p.renderRule(pr.chain.name, pr.rule)
  return pr.text
}

export const HOOK_OF_CHAIN: Partial<Record<string, HookName>> = {
  PREROUTING: 'PREROUTING', INPUT: 'INPUT', FORWARD: 'FORWARD', OUTPUT: 'OUTPUT', POSTROUTING: 'POSTROUTING'
}
