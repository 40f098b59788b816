/**
 * Chains whose rules are read in full on first use.
 *
 * A kube-proxy ruleset of 10,000 Services has ~60,000 chains and ~170,000 rules, and a trace visits a
 * few dozen of them. The parser reads every line completely (every error is found and reported while
 * parsing, exactly as before), but for a chain whose lines all took the fast path it keeps only what
 * the rest of the parse and `prepareRuleset` need without the rule objects: per rule its place in the
 * text, its line and its target (for the COMMIT checks), plus per chain whether any rule is a TRACE
 * target and the longest row of rules an index could use. The rule objects are built — the same
 * objects the eager parse builds — when the chain's `rules` are first read, by reading those lines
 * again.
 *
 * Like the lazy compilation of a JavaScript engine (a pre-parse finds the errors, the full parse
 * happens on the first call), laziness cannot be observed: `rules` is an ordinary enumerable own
 * property (an accessor), so spreading, JSON, deep equality and assignment behave as for a plain chain.
 * `setLazyChains(false)` parses eagerly (the equivalence tests compare both).
 */
import type { Chain, Provenance, Rule, TableName, Target } from '../model.ts'

/**
 * Texts from this size on get lazy chains; below it (e.g. one Service's rules, parsed in the
 * thousands) the bookkeeping per parse costs more than building the few rules.
 */
const LAZY_TEXT = 16384

let enabled = true
let fromLength = LAZY_TEXT

/**
 * Switch lazy chains off (or on again) for later parses; `minTextLength`: the smallest text that
 * gets them (the tests make every text lazy with 0).
 */
export function setLazyChains (on: boolean, minTextLength = LAZY_TEXT): void {
  enabled = on
  fromLength = minTextLength
}

/** Do the chains of a text of this length start lazy. */
export function lazyChainsFor (textLength: number): boolean {
  return enabled && textLength >= fromLength
}

export function lazyChainsSetting (): { on: boolean, minTextLength: number } {
  return { on: enabled, minTextLength: fromLength }
}

/** Builds the rule of a line read earlier (fast.ts's `rebuild`). */
export type RuleBuilder = (start: number, end: number, line: number, table: TableName, target: Target | null) => Rule

/**
 * The lines deferred by one parse: per rule `start, end, line` in `ints` and its target in `targets`
 * (jump targets and typed verdicts are the parse's shared objects; a DNAT rule holds a stand-in with
 * the right kind only, for the COMMIT checks).
 */
export class DeferredLines {
  ints: Int32Array
  targets: Array<Target | null> = []
  n = 0
  /** provenance by line (ParseOptions.provenance), given to rules as they are built */
  provenance: ((line: number) => Provenance | undefined) | undefined
  private builder: RuleBuilder | null = null

  /** `textLength`: size of the parsed text (a first guess at the number of lines) */
  constructor (textLength: number, private readonly makeBuilder: () => RuleBuilder) {
    this.ints = new Int32Array(3 * Math.max(16, Math.min(1 << 20, Math.ceil(textLength / 96))))
  }

  add (start: number, end: number, line: number, target: Target | null): void {
    let ints = this.ints
    const k = 3 * this.n
    if (k + 3 > ints.length) {
      const grown = new Int32Array(ints.length * 2)
      grown.set(ints)
      ints = this.ints = grown
    }
    ints[k] = start
    ints[k + 1] = end
    ints[k + 2] = line
    this.targets.push(target)
    this.n++
  }

  line (i: number): number { return this.ints[3 * i + 2] }

  build (i: number, table: TableName): Rule {
    const b = this.builder ??= this.makeBuilder()
    const k = 3 * i
    const r = b(this.ints[k], this.ints[k + 1], this.ints[k + 2], table, this.targets[i])
    const p = this.provenance?.(this.ints[k + 2])
    if (p !== undefined) r.provenance = p
    return r
  }
}

/** What a lazy chain knows about its rules before they are built. */
export class DeferredRules {
  /** the built rules (null until first read) */
  rules: Rule[] | null = null
  /** the chain's lines (indexes into `lines`) when they are not one row lines[from, from + count) */
  private list: number[] | null = null

  constructor (
    readonly lines: DeferredLines,
    readonly table: TableName,
    private readonly from: number,
    public count: number,
    /** some rule's target is TRACE */
    public tracing: boolean,
    /**
     * at least the longest row of consecutive rules that may be `-p P --dport N` rules (prepare
     * indexes rows of 4 or more)
     */
    public longestPortRow: number
  ) {}

  /** More lines of the chain (a later row of its rules in the text): lines[from, from + n). */
  /** the largest line of the chain's rules (lines grow through the text: the last one's) */
  get lastLine (): number { return this.line(this.count - 1) }

  append (from: number, n: number, tracing: boolean, longestPortRow: number): void {
    let list = this.list
    if (list === null) {
      list = this.list = new Array<number>(this.count)
      for (let k = 0; k < this.count; k++) list[k] = this.from + k
    }
    for (let k = 0; k < n; k++) list.push(from + k)
    this.count += n
    if (tracing) this.tracing = true
    // a row may continue across the two parts: the sum bounds it
    this.longestPortRow += longestPortRow
  }

  private at (k: number): number { return this.list === null ? this.from + k : this.list[k] }
  line (k: number): number { return this.lines.line(this.at(k)) }
  target (k: number): Target | null { return this.lines.targets[this.at(k)] }

  build (): Rule[] {
    const out = new Array<Rule>(this.count)
    for (let k = 0; k < this.count; k++) out[k] = this.lines.build(this.at(k), this.table)
    return out
  }
}

/** where a lazy chain keeps its deferred rules (a non-enumerable own property) */
const DEFERRED = Symbol('deferred rules')

interface LazyChain extends Chain { [DEFERRED]: DeferredRules }

function getRules (this: LazyChain): Rule[] {
  const d = this[DEFERRED]
  return (d.rules ??= d.build())
}

function setRules (this: LazyChain, rules: Rule[]): void {
  this[DEFERRED].rules = rules
}

/** one accessor pair for all lazy chains: their objects then share one hidden class */
const RULES: PropertyDescriptor = { get: getRules, set: setRules, enumerable: true, configurable: true }
const HOLDER: PropertyDescriptor = { value: null, enumerable: false, writable: false, configurable: false }

/**
 * A lazy copy of `c` (a user chain without rules): same keys in the same order, its rules `d`'s,
 * built on first read. (Both properties are new to the object: redefining an existing `rules` or an
 * object literal with an accessor would make V8 keep the object as a slow dictionary.)
 */
export function lazyChain (c: Chain, d: DeferredRules): Chain {
  const lazy = { name: c.name, builtin: c.builtin, policy: c.policy } as Chain
  HOLDER.value = d
  Object.defineProperty(lazy, DEFERRED, HOLDER)
  HOLDER.value = null
  Object.defineProperty(lazy, 'rules', RULES)
  if ('counters' in c) lazy.counters = c.counters
  return lazy
}

/** The deferred rules of a chain whose rules are not built yet; undefined otherwise. */
export function deferredOf (chain: Chain): DeferredRules | undefined {
  const d = (chain as Partial<LazyChain>)[DEFERRED]
  return d !== undefined && d.rules === null ? d : undefined
}

/** Number of rules, without building them. */
export function ruleCount (chain: Chain): number {
  const d = deferredOf(chain)
  return d !== undefined ? d.count : chain.rules.length
}
