/**
 * iptables-restore semantics over a whole text: `*table` … `COMMIT` blocks, chain lines, rule
 * commands, comments, optional `[pkts:bytes]` prefixes, `--noflush` application on top of a base
 * ruleset. Each table block is applied atomically at its COMMIT.
 */

import { BUILTIN_CHAINS, type Chain, type Counters, type Provenance, type Rule, type Ruleset, type Table, type TableName } from '../model.ts'
import { NetfilterError, type NetfilterErrorCode } from '../errors.ts'
import { MAX_LINE, tokenizeLine } from '../tokenize.ts'
import { renderRule } from '../render/rule.ts'
import { CommandParser, isTargetName, type LineContext, type ParsedCommand } from './rule.ts'
import { LineScanner } from './scan.ts'
import { sameChars, type SharedValues } from './share.ts'
import { FastLineParser } from './fast.ts'
import { ChainIndex } from './chain-index.ts'
import { BlockGraph, blockGraphEnabled } from './block-graph.ts'
import { LazyStore, appendLazy, give, keyInfo, lazyReplacement } from './lazy-rules.ts'

export interface ParseOptions {
  /**
   * Like `iptables-restore --noflush`: tables in the text are not flushed first; `:CHAIN` flushes an
   * existing user chain (or creates it); rules are applied on top of `base`.
   */
  noflush?: boolean
  /** ruleset the text is applied to (not modified); tables the text does not mention are kept */
  base?: Ruleset
  /** like `--counters`: keep `[pkts:bytes]` of chain lines and rule prefixes (otherwise zero/absent) */
  counters?: boolean
  /**
   * Accept kube-proxy unit-test fixtures that real iptables-restore refuses: jumps to undeclared
   * chains create them (empty), and bare words after a `--comment` value extend the comment.
   */
  lenient?: boolean
  /**
   * Value sharing to use (see share.ts), e.g. one table for many small texts of the same kind (a
   * node's per-Service rules); by default a large text gets a table of its own and a small one none.
   */
  sharing?: SharedValues
  /**
   * The text is the body of one table block: chain and rule lines without the `*table` line and
   * without `COMMIT`. It is read as if it followed `*table` and a `:CHAIN - [0:0]` line for each of
   * `chains`, and as if `COMMIT` ended it; its first line is line `line` (default 1) in positions and
   * errors. For callers that assemble a ruleset from many small texts of one table (e.g. a node's
   * per-Service rules) and would otherwise build each text anew around its declarations.
   */
  block?: RuleBlock
  /**
   * Build the rules of fast-path lines only when their chain's `rules` is first read (see
   * lazy-rules.ts); every line is still read and checked by the parse. The ruleset then holds on to
   * `text` while it has chains not built. Default: on for texts of LAZY_MIN bytes or more that are
   * not a block; `false` for a ruleset whose every rule will be read (rendering it, say).
   */
  lazy?: boolean
  /**
   * The provenance to give each rule, by the rule's line (as numbered in positions and errors);
   * undefined gives none. Called when the rule is made: by the parse, or (lazy mode) when the rule is
   * first read. For producers that know where each line of their text came from.
   */
  provenance?: (line: number) => Provenance | undefined
}

/** texts from this size on are parsed lazily by default (a node's whole ruleset; not a Service's) */
export const LAZY_MIN = 256 * 1024

/** See ParseOptions.block. */
export interface RuleBlock {
  table: TableName
  /** user chains declared before the text */
  chains: readonly string[]
  /** number of the text's first line (default 1) */
  line?: number
}

const TABLES = new Set<TableName>(['raw', 'mangle', 'nat', 'filter', 'security'])

/** (see block-graph.ts: one for the blocks read, one for checking a table's graph) */
const BLOCK_GRAPH = new BlockGraph()
const TABLE_GRAPH = new BlockGraph()

function fail (code: NetfilterErrorCode, reason: string, line: number, column?: number, token?: string): never {
  throw new NetfilterError({ code, reason, line, column, token })
}

/** A fresh table with its built-in chains (policy ACCEPT). */
export function emptyTable (name: TableName): Table {
  const chains = new Map<string, Chain>()
  for (const c of BUILTIN_CHAINS[name]) chains.set(c, { name: c, builtin: true, policy: 'ACCEPT', rules: [] })
  return { name, chains }
}

function copyTable (t: Table): Table {
  const chains = new Map<string, Chain>()
  for (const [n, c] of t.chains) chains.set(n, { ...c, rules: c.rules.slice() })
  return { name: t.name, chains }
}

/** Is `s` of the form `[P:B]` with 1–20 digits each. */
function validCounterText (s: string): boolean {
  const n = s.length
  if (n < 5 || s.charCodeAt(0) !== 91 || s.charCodeAt(n - 1) !== 93) return false
  const colon = s.indexOf(':')
  if (colon < 2 || colon > 21 || n - 2 - colon < 1 || n - 2 - colon > 20) return false
  for (let k = 1; k < n - 1; k++) {
    if (k === colon) continue
    const c = s.charCodeAt(k)
    if (c < 48 || c > 57) return false
  }
  return true
}

function parseCounterText (s: string): Counters | null {
  if (!validCounterText(s)) return null
  const colon = s.indexOf(':')
  return { packets: BigInt(s.slice(1, colon)), bytes: BigInt(s.slice(colon + 1, -1)) }
}

/** parses under way: a provenance callback may parse too, and the shared block graph is the outermost's */
let parsing = 0

/** Parse an iptables-save / iptables-restore text into a ruleset (restore semantics). */
export function parseRuleset (text: string, opts: ParseOptions = {}): Ruleset {
  const graph = parsing === 0 ? BLOCK_GRAPH : new BlockGraph()
  parsing++
  try {
    return parseWith(text, opts, graph)
  } finally {
    parsing--
  }
}

function parseWith (text: string, opts: ParseOptions, graph: BlockGraph): Ruleset {
  const tables = new Map<TableName, Table>()
  if (opts.base !== undefined) for (const [n, t] of opts.base.tables) tables.set(n, t)
  let cur: Table | null = null
  let blockHasJumps = false
  /**
   * Some jump of the block was not seen to reach a user chain when it was read, or the block
   * changed chains with a command, or it started from a base table: COMMIT checks every jump.
   */
  let checkAllJumps = false
  let deferred: NetfilterError | null = null
  /** batch operation per line (APPEND/INSERT/REPLACE) for the kernel's error wording */
  const ruleOps = new Map<number, string>()
  const ctx: LineContext = { table: 'filter', line: 0, lenient: opts.lenient, counters: opts.counters }
  const scanner = new LineScanner(text)
  const parser = new CommandParser(ctx, text.length, opts.sharing)
  /**
   * the current table's chains by name in the text (a cache of `cur.chains`, see chain-index.ts),
   * sized for a chain per 512 bytes of text (kube-proxy writes one per ~360: the index grows then;
   * sized larger, its empty slots cost more to make than growing does)
   */
  const index = new ChainIndex(text.length >> 9)
  const block = opts.block
  const lazy = opts.lazy ?? (block === undefined && text.length >= LAZY_MIN)
  const provenance = opts.provenance
  /** the rules of fast-path lines in lazy mode */
  const store = lazy ? new LazyStore(text, provenance) : null
  const fast = new FastLineParser(text, parser.shared, index, lazy)
  /**
   * The chain of the previous `-A` line and its rules not yet appended (`pending[0, np)`): rules of a
   * chain usually come in a row, and an empty chain then gets an array of exactly the right size
   * (pushing one by one would leave room for 16 in each of the many two-rule chains). Flushed before
   * anything else looks at the table.
   */
  let lastChain: Chain | undefined
  /** lastChain's number in the chain index (see block-graph.ts) */
  let lastChainId = 0
  /** the block's jumps as they are read: most COMMITs are checked from these (see block-graph.ts) */
  graph.reset()
  /** Record `r`, appended to lastChain by the general parser, in the block's graph. */
  const record = (r: Rule): void => {
    const tg = r.target
    if (tg === null) return
    if (tg.kind === 'jump' || tg.kind === 'goto') {
      const to = index.get(tg.chain, 0, tg.chain.length)
      if (to === undefined || to.builtin) graph.usable = false
      else graph.edge(lastChainId, index.lastId)
      return
    }
    const bad = FORBIDDEN_HOOKS.get(tg.kind)
    if (bad !== undefined) graph.forbid(lastChainId, bad)
  }
  /** lazy mode: chain numbers of earlier index epochs (the index numbers chains anew when cleared) */
  let chainNoBase = 0
  const pending: Array<Rule | number> = []
  let np = 0
  /** how many of the pending rules are store entries (numbers, consecutive in the store) */
  let lazyN = 0
  const flush = (): void => {
    if (np === 0) return
    const c = lastChain!
    if (lazyN > 0) {
      // a lazy chain with no rules yet takes a run of entries as it is; otherwise they are built
      if (lazyN === np) {
        if (appendLazy(c, store!, pending[0] as number, np, cur!.name)) {
          np = lazyN = 0
          return
        }
        // an empty user chain made as a plain object gives way to a lazy one (same name, same number)
        const lc = lazyReplacement(c)
        if (lc !== undefined) {
          appendLazy(lc, store!, pending[0] as number, np, cur!.name)
          cur!.chains.set(lc.name, lc)
          const id = index.lastId
          index.set(lc)
          index.lastId = id
          lastChain = lc
          np = lazyN = 0
          return
        }
      }
      for (let k = 0; k < np; k++) {
        const e = pending[k]
        if (typeof e === 'number') pending[k] = store!.rule(e, cur!.name)
      }
      lazyN = 0
    }
    const rules = c.rules
    if (rules.length === 0) c.rules = pending.slice(0, np) as Rule[]
    else for (let k = 0; k < np; k++) rules.push(pending[k] as Rule)
    np = 0
  }
  /** content lines in the current table block: iptables-nft creates nothing for an empty block [exp] */
  let blockLines = 0
  let lineNo = 0
  /** line numbers of the text are `lineBase` + the line's number in it */
  const lineBase = block === undefined ? 0 : (block.line ?? 1) - 1
  if (block !== undefined) {
    cur = openBlock(block, tables, opts.noflush === true)
    checkAllJumps = opts.noflush === true && tables.has(block.table)
    for (const c of cur.chains.values()) index.set(c)
    blockLines = block.chains.length
    lineNo = lineBase
  }
  /** The block's COMMIT: flush, check the jumps and the graph, keep the table. */
  const commit = (t: Table): void => {
    flush()
    lastChain = undefined
    if (blockHasJumps && deferred === null) {
      if (checkAllJumps) checkJumps(t, text, opts.lenient === true, lineBase)
      try {
        if (checkAllJumps || !graph.usable || !blockGraphEnabled() || maybeProblem(t, graph, index)) checkGraph(t, ruleOps)
      } catch (e) {
        if (!(e instanceof NetfilterError) || e.code !== 'E_RULE') throw e
        deferred = e
      }
    }
    if (blockLines > 0 || tables.has(t.name)) tables.set(t.name, t)
  }
  let pos = 0
  const len = text.length
  while (pos < len) {
    // the line is text[ls, end), without its newline and a trailing CR
    let end = text.indexOf('\n', pos)
    if (end < 0) end = len
    const ls = pos
    pos = end + 1
    lineNo++
    if (end - ls > MAX_LINE) fail('E_LIMIT', `line longer than ${MAX_LINE} bytes`, lineNo)
    if (end > ls && text.charCodeAt(end - 1) === 13) end--
    if (end === ls) continue
    const c0 = text.charCodeAt(ls)
    if (c0 === 35 /* # */) continue
    if (cur === null) {
      const line = text.slice(ls, end)
      if (c0 === 42 /* * */) {
        const { tokens } = tokenizeLine(line, lineNo, 1)
        const name = tokens[0] ?? ''
        if (!TABLES.has(name as TableName)) fail('E_UNKNOWN_TABLE', `table name '${name}' invalid`, lineNo, 2, name)
        const existing = tables.get(name as TableName)
        checkAllJumps = false
        if (opts.noflush === true && existing !== undefined) {
          cur = copyTable(existing)
          checkAllJumps = true
        } else {
          // A fresh table's built-in chains exist for iptables-save, but iptables-nft only hooks those
          // that get declared, a rule or a policy (seen on the real kernel): mark them undeclared.
          cur = emptyTable(name as TableName)
          for (const c of cur.chains.values()) c.declared = false
        }
        blockHasJumps = false
        blockLines = 0
        chainNoBase += index.count
        index.clear()
        graph.reset()
        continue
      }
      if (/^\s*$/.test(line)) continue
      fail('E_PARSE', line.startsWith('COMMIT') ? 'COMMIT without a table' : 'no table specified (missing *table line)', lineNo, 1)
    }
    if (end - ls === 6 && text.startsWith('COMMIT', ls)) {
      if (block !== undefined) fail('E_PARSE', 'COMMIT inside a rule block (the block ends the table)', lineNo, 1)
      commit(cur)
      cur = null
      continue
    }
    blockLines++
    if (c0 === 58 /* : */) {
      flush()
      lastChain = undefined
      index.set(chainLine(cur, text, ls, end, lineNo, opts))
      continue
    }
    let start = ls
    let counters: Counters | undefined
    if (c0 === 91 /* [ */) {
      const close = text.indexOf(']', ls)
      const ct = close < 0 || close >= end ? null : text.slice(ls, close + 1)
      if (ct === null || !validCounterText(ct)) fail('E_PARSE', 'Bad rule counters', lineNo, 1)
      if (opts.counters === true) counters = parseCounterText(ct)!
      start = close + 1
    }
    // most lines are plain `-A` rules: the fast path reads them without tokens (null: it did not)
    const rule = fast.read(ls, start, end, lineNo, cur.name, counters)
    if (rule !== null) {
      if (deferred !== null) continue
      // (the jump's chain was the fast path's last index lookup)
      const jumpId = index.lastId
      const cs = fast.chainStart
      const ce = fast.chainEnd
      if (lastChain === undefined || !textIs(text, cs, ce, lastChain.name)) {
        flush()
        let c = index.get(text, cs, ce)
        if (c === undefined) index.set(c = getChain(cur, text.slice(cs, ce), lineNo, fast.column))
        lastChain = c
        lastChainId = index.lastId
      }
      let kind: string | null
      if (store === null) {
        if (provenance !== undefined) give(rule, provenance)
        pending[np++] = rule
        kind = rule.target === null ? null : rule.target.kind
      } else {
        const e = store.add(ls, start, end, lineNo, fast.keyPort < 0 ? 0 : keyInfo(fast.keyAnyDst ? null : fast.keyDst, fast.keyProto, fast.keyPort), fast.keyDst, fast.targetKind === 'TRACE', chainNoBase + jumpId, fast.jumpTarget)
        kind = fast.targetKind
        if (counters === undefined) pending[np++] = e
        else {
          // (a rule with counters is built now: the store keeps positions only)
          const r = store.rule(e, cur.name)
          r.counters = counters
          pending[np++] = store.setBuilt(e, r)
        }
        lazyN++
      }
      if (fast.jumps) {
        blockHasJumps = true
        if (!fast.checked) checkAllJumps = true
        else graph.edge(lastChainId, jumpId)
      } else if (kind !== null) {
        const bad = FORBIDDEN_HOOKS.get(kind)
        if (bad !== undefined) graph.forbid(lastChainId, bad)
      }
      continue
    }
    const n = scanner.scan(ls, start, end, lineNo)
    if (n === 0) continue
    ctx.table = cur.name
    ctx.line = lineNo
    // iptables-nft sends the whole file as one batch: the kernel's refusals (E_RULE) surface only if
    // every line parses, so a later parse error wins over an earlier refusal [exp]
    try {
      const cmd = parser.parse(scanner.tokens, scanner.columns, n, counters)
      if (cmd === null || deferred !== null) continue
      if (provenance !== undefined && (cmd.op === 'A' || cmd.op === 'I' || cmd.op === 'R')) for (const r of cmd.rules) give(r, provenance)
      if (cmd.op === 'A') {
        if (lastChain === undefined || !sameChars(cmd.chain!, lastChain.name)) {
          flush()
          const name = cmd.chain
          let c = name === undefined ? undefined : index.get(name, 0, name.length)
          if (c === undefined) index.set(c = getChain(cur, name, lineNo, cmd.column))
          lastChain = c
          lastChainId = index.lastId
        }
        for (const r of cmd.rules) {
          if (store === null) pending[np++] = r
          else {
            // (kept in the store too, so that its chain can stay lazy)
            pending[np++] = store.addBuilt(r)
            lazyN++
          }
          if (graph.usable) record(r)
        }
      } else {
        flush()
        lastChain = undefined
        // commands may replace or remove chain objects
        chainNoBase += index.count
        index.clear()
        graph.usable = false
        checkAllJumps = true
        applyCommand(cur, cmd, lineNo)
      }
      if (cmd.jumps) {
        blockHasJumps = true
        if (cmd.op !== 'A' || !jumpsToUserChains(cur, cmd.rules)) checkAllJumps = true
      }
      if (cmd.op === 'I' || cmd.op === 'R') ruleOps.set(lineNo, cmd.op === 'I' ? 'INSERT' : 'REPLACE')
    } catch (e) {
      if (!(e instanceof NetfilterError) || e.code !== 'E_RULE') throw e
      deferred ??= e
    }
  }
  if (cur !== null) {
    if (block === undefined) throw new NetfilterError({ code: 'E_COMMIT_EXPECTED', reason: `COMMIT expected at line ${lineNo + 1}`, line: lineNo + 1 })
    commit(cur)
  }
  if (deferred !== null) throw deferred
  return { tables }
}

/** Do all jumps/gotos of `rules` name a user chain of `t` (now)? */
function jumpsToUserChains (t: Table, rules: Rule[]): boolean {
  for (const r of rules) {
    const tg = r.target
    if (tg === null || (tg.kind !== 'jump' && tg.kind !== 'goto')) continue
    const to = t.chains.get(tg.chain)
    if (to === undefined || to.builtin) return false
  }
  return true
}

/** Is `text[a, b)` the string `s`. */
function textIs (text: string, a: number, b: number, s: string): boolean {
  if (b - a !== s.length) return false
  for (let k = s.length - 1; k >= 0; k--) if (text.charCodeAt(a + k) !== s.charCodeAt(k)) return false
  return true
}

/**
 * The table a rule block starts with, as after `*table` and its chain lines: a fresh one, or (noflush)
 * a copy of the existing one whose declared user chains are flushed.
 */
function openBlock (block: RuleBlock, tables: Map<TableName, Table>, noflush: boolean): Table {
  const existing = tables.get(block.table)
  if (!TABLES.has(block.table)) fail('E_UNKNOWN_TABLE', `table name '${String(block.table)}' invalid`, (block.line ?? 1) - 1)
  const keep = noflush && existing !== undefined
  const t = keep ? copyTable(existing) : emptyTable(block.table)
  if (!keep) for (const c of t.chains.values()) c.declared = false
  const line = (block.line ?? 1) - 1
  for (const name of block.chains) {
    const had = t.chains.get(name)
    // as `:NAME - [0:0]`: a built-in chain keeps its policy and counts as declared
    if (had?.builtin === true) {
      t.chains.set(name, { ...had, declared: true })
      continue
    }
    if ((BUILTIN_CHAINS as Record<string, string[]>)[t.name].includes(name)) {
      fail('E_CHAIN', `chain '${name}' is not a built-in chain of table '${t.name}'`, line, undefined, name)
    }
    if (had === undefined) validateNewChain(name, line, 2)
    t.chains.set(name, { name, builtin: false, policy: null, rules: [] })
  }
  return t
}

/** At COMMIT (like iptables-nft): every jump/goto must name a user chain of the table. */
function checkJumps (t: Table, text: string, lenient: boolean, lineBase = 0): void {
  for (const c of [...t.chains.values()]) {
    for (const r of c.rules) {
      const tg = r.target
      if (tg === null || (tg.kind !== 'jump' && tg.kind !== 'goto')) continue
      const to = t.chains.get(tg.chain)
      if (to !== undefined && !to.builtin) continue
      if (to === undefined && lenient && !isAnyBuiltin(tg.chain)) {
        t.chains.set(tg.chain, { name: tg.chain, builtin: false, policy: null, rules: [] })
        continue
      }
      const line = r.line ?? 0
      return fail('E_UNKNOWN_TARGET', `Chain '${tg.chain}' does not exist`, line, targetColumn(text, line - lineBase, tg.chain), tg.chain)
    }
  }
}


/** Hooks where hook-restricted targets may run (the kernel checks every path from a base chain). */
const TARGET_HOOKS: Record<string, string[]> = {
  DNAT: ['PREROUTING', 'OUTPUT'],
  REDIRECT: ['PREROUTING', 'OUTPUT'],
  SNAT: ['POSTROUTING', 'INPUT'],
  MASQUERADE: ['POSTROUTING'],
  REJECT: ['INPUT', 'FORWARD', 'OUTPUT']
}

interface GraphProblem { errno: string }

const HOOK_BITS: Record<string, number> = { PREROUTING: 1, INPUT: 2, FORWARD: 4, OUTPUT: 8, POSTROUTING: 16 }

/** per hook-restricted target kind: the hook bits it may NOT be reached from */
const FORBIDDEN_HOOKS = new Map<string, number>(Object.entries(TARGET_HOOKS).map(([kind, ok]) => {
  let bad = 0
  for (const h of Object.keys(HOOK_BITS)) if (!ok.includes(h)) bad |= HOOK_BITS[h]
  return [kind, bad]
}))

/**
 * Validate the chain graph the way nf_tables does from every base chain, using only rules from
 * lines ≤ `upTo` (rules without a line always count): jump/goto cycles and nesting deeper than 16
 * ("Too many links"), and hook-restricted targets reached from a wrong hook ("Invalid argument").
 * Linear: the table's chains are numbered, the counted rules' jumps and restricted targets recorded
 * in a BlockGraph, and its check answers.
 */
function graphProblem (t: Table, upTo: number): GraphProblem | null {
  const g = TABLE_GRAPH
  g.reset()
  const ids = new Map<Chain, number>()
  let n = 0
  for (const c of t.chains.values()) ids.set(c, ++n)
  for (const c of t.chains.values()) {
    const from = ids.get(c)!
    for (const r of c.rules) {
      if (r.line !== undefined && r.line > upTo) continue
      const tg = r.target
      if (tg === null) continue
      if (tg.kind === 'jump' || tg.kind === 'goto') {
        const to = t.chains.get(tg.chain)
        if (to !== undefined) g.edge(from, ids.get(to)!)
        continue
      }
      const bad = FORBIDDEN_HOOKS.get(tg.kind)
      if (bad !== undefined) g.forbid(from, bad)
    }
  }
  const roots: number[] = []
  const hooks: number[] = []
  for (const name of BUILTIN_CHAINS[t.name]) {
    const c = t.chains.get(name)
    roots.push(c === undefined ? 0 : ids.get(c)!)
    hooks.push(HOOK_BITS[name] ?? 0)
  }
  const errno = g.problem(n, roots, hooks)
  return errno === null ? null : { errno }
}

/** Could the block graph of table `t` have a problem (its built-in chains are the roots)? */
function maybeProblem (t: Table, graph: BlockGraph, index: ChainIndex): boolean {
  const roots: number[] = []
  const hooks: number[] = []
  for (const name of BUILTIN_CHAINS[t.name]) {
    roots.push(index.get(name, 0, name.length) === undefined ? 0 : index.lastId)
    hooks.push(HOOK_BITS[name] ?? 0)
  }
  return graph.problem(index.count, roots, hooks) !== null
}

/**
 * When the graph has a problem, report it on the rule whose addition (in line order, as the batch is
 * applied) first creates it — found by bisection over line numbers, since problems only grow.
 */
function checkGraph (t: Table, ops: Map<number, string>): void {
  const p = graphProblem(t, Infinity)
  if (p === null) return
  const lines: number[] = []
  for (const c of t.chains.values()) for (const r of c.rules) if (r.line !== undefined) lines.push(r.line)
  lines.sort((a, b) => a - b)
  let lo = 0
  let hi = lines.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (graphProblem(t, lines[mid]) !== null) hi = mid
    else lo = mid + 1
  }
  const line = lines[lo] ?? 0
  const found = graphProblem(t, line) ?? p
  let chain = ''
  for (const c of t.chains.values()) if (c.rules.some(r => r.line === line)) chain = c.name
  fail('E_RULE', `RULE_${ops.get(line) ?? 'APPEND'} failed (${found.errno}): rule in chain ${chain}`, line)
}

/** Column of the `-j`/`-g` argument naming `chain` on a line (error path only). */
function targetColumn (text: string, line: number, chain: string): number | undefined {
  const src = text.split('\n')[line - 1]
  if (src === undefined) return undefined
  try {
    const { tokens, columns } = tokenizeLine(src, line)
    for (let k = 1; k < tokens.length; k++) {
      if (tokens[k] === chain && /^(-[jg]|--jump|--goto)$/.test(tokens[k - 1])) return columns[k]
    }
  } catch {}
  return undefined
}

function validateNewChain (name: string, lineNo: number, column: number): void {
  if (name.length === 0) fail('E_CHAIN', 'empty chain name', lineNo, column)
  if (name.length > 28) fail('E_CHAIN', `chain name \`${name}' too long (must be under 29 chars)`, lineNo, column, name)
  if (name[0] === '-') fail('E_CHAIN', 'chain name not allowed to start with `-\'', lineNo, column, name)
  if (name[0] === '!') fail('E_CHAIN', 'chain name not allowed to start with `!\'', lineNo, column, name)
  if (isTargetName(name)) fail('E_CHAIN', 'chain name may not clash with target name', lineNo, column, name)
}

/** A `:NAME POLICY [counters]` line, `text[ls, end)`. */
function chainLine (t: Table, text: string, ls: number, end: number, lineNo: number, opts: ParseOptions): Chain {
  // split on blanks like strtok(" \t\n"); only the first three words matter
  let name = ''
  let policy: string | undefined
  let third: string | undefined
  let words = 0
  for (let i = ls + 1, start = -1; i <= end && words < 3; i++) {
    const c = i < end ? text.charCodeAt(i) : 32
    if (c === 32 || c === 9) {
      if (start >= 0) {
        const w = text.slice(start, i)
        if (words === 0) name = w
        else if (words === 1) policy = w
        else third = w
        words++
        start = -1
      }
    } else if (start < 0) start = i
  }
  if (name.length === 0) fail('E_CHAIN', 'empty chain name', lineNo, 2)
  if (name.length > 28) fail('E_CHAIN', `chain name \`${name}' too long (must be under 29 chars)`, lineNo, 2, name)
  if (policy === undefined) fail('E_CHAIN', 'policy invalid', lineNo, 2 + name.length)
  let counters: Counters | undefined
  if (third !== undefined) {
    if (!validCounterText(third)) fail('E_CHAIN', 'invalid chain counters', lineNo)
    if (opts.counters === true) counters = parseCounterText(third)!
  }
  const existing = t.chains.get(name)
  if (existing?.builtin === true) {
    if (policy !== '-' && policy !== 'ACCEPT' && policy !== 'DROP') fail('E_CHAIN', 'Bad policy name.', lineNo, undefined, policy)
    const c: Chain = { ...existing, declared: true }
    if (policy !== '-') c.policy = policy
    if (counters !== undefined) c.counters = counters
    t.chains.set(name, c)
    return c
  }
  if ((BUILTIN_CHAINS as Record<string, string[]>)[t.name].includes(name)) {
    fail('E_CHAIN', `chain '${name}' is not a built-in chain of table '${t.name}'`, lineNo, 2, name)
  }
  if (existing !== undefined) {
    const c: Chain = { ...existing, rules: [], counters }
    t.chains.set(name, c)
    return c
  }
  validateNewChain(name, lineNo, 2)
  const c: Chain = { name, builtin: false, policy: null, rules: [] }
  if (counters !== undefined) c.counters = counters
  t.chains.set(name, c)
  return c
}

/** Built-in chain names that exist in some table but not this one (e.g. PREROUTING in filter). */
function isAnyBuiltin (name: string): boolean {
  return name === 'PREROUTING' || name === 'INPUT' || name === 'FORWARD' || name === 'OUTPUT' || name === 'POSTROUTING'
}

function references (t: Table, name: string): boolean {
  for (const c of t.chains.values()) {
    for (const r of c.rules) {
      const tg = r.target
      if (tg !== null && (tg.kind === 'jump' || tg.kind === 'goto') && tg.chain === name) return true
    }
  }
  return false
}

function getChain (t: Table, name: string | undefined, lineNo: number, column: number): Chain {
  const c = name === undefined ? undefined : t.chains.get(name)
  if (c === undefined) fail('E_UNKNOWN_CHAIN', 'No chain/target/match by that name.', lineNo, column, name)
  return c
}

function sameRule (a: Rule, b: Rule, chain: string): boolean {
  return renderRule(chain, a) === renderRule(chain, b)
}

function applyCommand (t: Table, cmd: ParsedCommand, lineNo: number): void {
  const col = cmd.column
  switch (cmd.op) {
    case 'A': {
      const c = getChain(t, cmd.chain, lineNo, col)
      for (const r of cmd.rules) c.rules.push(r)
      return
    }
    case 'C':
      getChain(t, cmd.chain, lineNo, col)
      return
    case 'I': {
      const c = getChain(t, cmd.chain, lineNo, col)
      const n = cmd.num ?? 1
      if (n > c.rules.length + 1) fail('E_RULE', 'Index of insertion too big.', lineNo, col)
      // each expanded rule is inserted at the same position, so they end up in reverse order [exp]
      for (const r of cmd.rules) c.rules.splice(n - 1, 0, r)
      return
    }
    case 'R': {
      const c = getChain(t, cmd.chain, lineNo, col)
      const n = cmd.num!
      if (n > c.rules.length) fail('E_RULE', 'Index of replacement too big.', lineNo, col)
      c.rules[n - 1] = cmd.rules[0]
      return
    }
    case 'D': {
      const c = getChain(t, cmd.chain, lineNo, col)
      if (cmd.num !== undefined) {
        if (cmd.num > c.rules.length) fail('E_RULE', 'Index of deletion too big.', lineNo, col)
        c.rules.splice(cmd.num - 1, 1)
        return
      }
      for (const spec of cmd.rules) {
        const k = c.rules.findIndex(r => sameRule(r, spec, c.name))
        if (k < 0) fail('E_RULE', 'Bad rule (does a matching rule exist in that chain?).', lineNo, col)
        c.rules.splice(k, 1)
      }
      return
    }
    case 'N': {
      const name = cmd.chain!
      if (t.chains.has(name) || isAnyBuiltin(name)) fail('E_CHAIN', 'Chain already exists.', lineNo, col, name)
      validateNewChain(name, lineNo, col)
      t.chains.set(name, { name, builtin: false, policy: null, rules: [] })
      return
    }
    case 'X': {
      const names = cmd.chain !== undefined ? [cmd.chain] : [...t.chains.values()].filter(c => !c.builtin).map(c => c.name)
      for (const name of names) {
        const c = getChain(t, name, lineNo, col)
        if (c.builtin) fail('E_CHAIN', `Can't delete built-in chain ${name}`, lineNo, col, name)
        if (c.rules.length > 0 || references(t, name)) {
          fail('E_CHAIN', `CHAIN_DEL failed (Device or resource busy): chain ${name}`, lineNo, col, name)
        }
        t.chains.delete(name)
      }
      return
    }
    case 'F': {
      if (cmd.chain !== undefined) {
        const c = getChain(t, cmd.chain, lineNo, col)
        t.chains.set(c.name, { ...c, rules: [] })
      } else {
        for (const c of [...t.chains.values()]) t.chains.set(c.name, { ...c, rules: [] })
      }
      return
    }
    case 'Z': {
      const list = cmd.chain !== undefined ? [getChain(t, cmd.chain, lineNo, col)] : [...t.chains.values()]
      for (const c of list) {
        const zero = { packets: 0n, bytes: 0n }
        t.chains.set(c.name, {
          ...c,
          counters: c.counters === undefined ? undefined : zero,
          rules: c.rules.map((r, k) => r.counters === undefined || (cmd.num !== undefined && k !== cmd.num - 1) ? r : { ...r, counters: zero })
        })
      }
      return
    }
    case 'P': {
      const c = t.chains.get(cmd.chain!)
      if (c === undefined || !c.builtin) fail('E_CHAIN', 'Bad built-in chain name.', lineNo, col, cmd.chain)
      const p = cmd.arg2
      if (p !== 'ACCEPT' && p !== 'DROP') fail('E_CHAIN', 'Bad policy name.', lineNo, col, p)
      t.chains.set(c.name, { ...c, policy: p, declared: true })
      return
    }
    case 'E': {
      const c = getChain(t, cmd.chain, lineNo, col)
      const to = cmd.arg2!
      if (c.builtin) fail('E_CHAIN', `Can't rename built-in chain ${c.name}`, lineNo, col, c.name)
      if (t.chains.has(to)) fail('E_CHAIN', 'File exists.', lineNo, col, to)
      validateNewChain(to, lineNo, col)
      const rebuilt = new Map<string, Chain>()
      for (const [n, ch] of t.chains) {
        const rules = ch.rules.map(r => {
          const tg = r.target
          if (tg !== null && (tg.kind === 'jump' || tg.kind === 'goto') && tg.chain === c.name) return { ...r, target: { ...tg, chain: to } }
          return r
        })
        if (n === c.name) rebuilt.set(to, { ...ch, name: to, rules })
        else rebuilt.set(n, { ...ch, rules })
      }
      t.chains = rebuilt
    }
  }
}
