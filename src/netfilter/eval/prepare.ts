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
import type { Chain, HookName, Match, Rule, Ruleset, Table, TableName, Target } from '../model.ts'
import { renderRule } from '../render/rule.ts'

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
  /** resolved jump/goto destination */
  dest?: PChain
  text?: string
}

export interface IndexRun {
  start: number
  /** exclusive */
  end: number
  /** destination (-1 = none) → (proto << 16 | port) → ascending rule indexes */
  byKey: Map<number, Map<number, number[]>>
  /** does any rule in the run lack `-d` */
  anyDst: boolean
}

export interface PChain {
  name: string
  table: TableName
  builtin: boolean
  policy: 'ACCEPT' | 'DROP' | null
  /** prepared rules, built on first use (see `rulesOf`) */
  rules?: PRule[]
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
  chains: Map<string, PChain>
  /** rule rank by source line (restore order) when every rule has a position */
  rank?: Int32Array
  /** handle of the first rule = number of chains */
  handleBase: number
  ids: { next: number }
}

export interface PTable {
  name: TableName
  chains: Map<string, PChain>
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

/** Index key of a rule, or null when the rule is not a pure `[-d A/32] -p P --dport N` rule. */
export function indexKeyOf (r: Rule): { dst: number | null, proto: number, port: number } | null {
  if (r.source !== undefined || r.inIface !== undefined || r.outIface !== undefined || r.fragment !== undefined) return null
  if (r.protocol === undefined || r.protocol.invert) return null
  const kind = PORT_PROTOS.get(r.protocol.proto)
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
  return { dst, proto: r.protocol.proto, port }
}

/** Index a ruleset for evaluation (pure; the ruleset is not modified). Rules are materialised lazily. */
export function prepareRuleset (ruleset: Ruleset, opts: PrepareOptions = {}): Prepared {
  const tables = new Map<TableName, PTable>()
  const minRun = opts.minIndexRun ?? 4
  const ids = { next: 0 }
  let userChainCount = 0
  let indexedRuns = 0
  let ruleCount = 0
  let hasTraceTarget = false
  for (const [tname, table] of ruleset.tables) {
    const pt: PTable = { name: tname, chains: new Map() }
    tables.set(tname, pt)
    const td: TableData = { chains: pt.chains, handleBase: table.chains.size, ids }
    // handles: chains take 1..C in table order, rules follow in restore (line) order
    const sum = prepareChains(tname, table, pt, td)
    userChainCount += sum.userChains
    ruleCount += sum.rules
    if (sum.trace) hasTraceTarget = true
    if (sum.allLines) td.rank = rankLines(table, sum.maxLine)
    indexedRuns += indexRuns(pt, minRun)
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

/** The prepared chains of a table (rules come later, see rulesOf), and what prepareRuleset counts. */
function prepareChains (tname: TableName, table: Table, pt: PTable, td: TableData): { userChains: number, rules: number, trace: boolean, maxLine: number, allLines: boolean } {
  const ids = td.ids
  let maxLine = 0
  let allLines = true
  let offset = 0
  let userChains = 0
  let trace = false
  for (const c of table.chains.values()) {
    if (!c.builtin) userChains++
    const nftHooked = !(c.builtin && c.declared === false && c.rules.length === 0 && c.policy !== 'DROP')
    const pc: PChain = { name: c.name, table: tname, builtin: c.builtin, policy: c.policy, count: c.rules.length, endId: ids.next++, nftHooked, offset, runOf: undefined, source: c, t: td }
    pt.chains.set(c.name, pc)
    const rules = c.rules
    offset += rules.length
    for (let k = 0; k < rules.length; k++) {
      const r = rules[k]
      const l = r.pos?.line
      if (l === undefined) allLines = false
      else if (l > maxLine) maxLine = l
      if (r.target !== null && r.target.kind === 'TRACE') trace = true
    }
  }
  return { userChains, rules: offset, trace, maxLine, allLines }
}

/**
 * Rank of each rule line in restore order (`rank[line]`, 1-based), when every rule has a line.
 * (The loops of prepareRuleset live in small functions of their own: they run once per table, and
 * V8 optimises a small function's loop much sooner than one inside a big function.)
 */
function rankLines (table: Table, maxLine: number): Int32Array {
  const rank = new Int32Array(maxLine + 2)
  for (const c of table.chains.values()) {
    const rules = c.rules
    for (let k = 0; k < rules.length; k++) rank[rules[k].pos!.line] = 1
  }
  let acc = 0
  for (let l = 0; l < rank.length; l++) { if (rank[l] !== 0) rank[l] = ++acc }
  return rank
}

/** Index runs of `[-d A/32] -p P --dport N` rules in every chain of `pt`; returns how many. */
function indexRuns (pt: PTable, minRun: number): number {
  let indexedRuns = 0
  for (const pc of pt.chains.values()) {
    const rules = pc.source.rules
    let i = 0
    while (i < rules.length) {
      const k0 = indexKeyOf(rules[i])
      if (k0 === null) { i++; continue }
      const keys = [k0]
      let j = i + 1
      for (; j < rules.length; j++) {
        const kj = indexKeyOf(rules[j])
        if (kj === null) break
        keys.push(kj)
      }
      if (j - i >= minRun) {
        const run: IndexRun = { start: i, end: j, byKey: new Map(), anyDst: false }
        if (pc.runOf === undefined) pc.runOf = new Array(rules.length)
        for (let k = i; k < j; k++) {
          const key = keys[k - i]
          if (key.dst === null) run.anyDst = true
          const dk = key.dst === null ? -1 : key.dst
          let inner = run.byKey.get(dk)
          if (inner === undefined) { inner = new Map(); run.byKey.set(dk, inner) }
          const pk = (key.proto << 16) | key.port
          const list = inner.get(pk)
          if (list === undefined) inner.set(pk, [k]); else list.push(k)
          pc.runOf[k] = run
        }
        indexedRuns++
      }
      i = j
    }
  }
  return indexedRuns
}

/** The prepared rules of a chain (built on first use: ids, handles, quirk kinds, jump targets). */
export function rulesOf (pc: PChain): PRule[] {
  if (pc.rules !== undefined) return pc.rules
  const td = pc.t
  const src = pc.source.rules
  const out: PRule[] = new Array(src.length)
  const off = pc.offset
  for (let i = 0; i < src.length; i++) {
    const r = src[i]
    const t: Target | null = r.target
    out[i] = {
      id: td.ids.next++,
      table: pc.table,
      chain: pc,
      index: i,
      rule: r,
      handle: td.handleBase + (td.rank !== undefined ? td.rank[r.pos!.line] : off + i + 1),
      quirkKind: quirkKindOf(r, pc.builtin),
      dest: t !== null && (t.kind === 'jump' || t.kind === 'goto') ? td.chains.get(t.chain) : undefined
    }
  }
  pc.rules = out
  return out
}

/** First rule index ≥ `from` in `run` that can match (dst, proto, port); `run.end` when none. */
export function runLookup (run: IndexRun, from: number, dst: number, proto: number, port: number): number {
  let best = run.end
  const pk = (proto << 16) | port
  const a = run.byKey.get(dst)?.get(pk)
  if (a !== undefined) for (const k of a) if (k >= from) { best = k; break }
  if (run.anyDst) {
    const b = run.byKey.get(-1)?.get(pk)
    if (b !== undefined) for (const k of b) if (k >= from) { if (k < best) best = k; break }
  }
  return best
}

/** Canonical text of a prepared rule (memoised). */
export function ruleText (p: Prepared, pr: PRule): string {
  if (pr.text === undefined) pr.text = p.renderRule(pr.chain.name, pr.rule)
  return pr.text
}

export const HOOK_OF_CHAIN: Partial<Record<string, HookName>> = {
  PREROUTING: 'PREROUTING', INPUT: 'INPUT', FORWARD: 'FORWARD', OUTPUT: 'OUTPUT', POSTROUTING: 'POSTROUTING'
}
