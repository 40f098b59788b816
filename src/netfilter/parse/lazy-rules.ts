/**
 * Rules read from the text when first asked for.
 *
 * A large ruleset (a node's whole iptables-save) has hundreds of thousands of rules, and a trace
 * looks at a few dozen of them. In lazy mode the parser still reads and checks every line (errors
 * are reported by the parse, as before), but for the `-A` lines of the fast path it keeps only where
 * each rule is in the text. A chain whose rules all came that way holds a `LazyPart`, and its `rules`
 * property builds them from the text on first access, through the fast path again: the same rules,
 * field for field, as an eager parse makes (test/netfilter/parse-lazy.test.ts compares both), though
 * without the eager parse's value sharing (equal values in different rules are different objects,
 * except jump targets). The evaluator's prepared rules build one rule at a time (`ruleAt`).
 *
 * What prepare needs from every rule (count, line, TRACE targets, the index key of
 * `[-d A/32] -p P --dport N` rules) is recorded while reading, so prepare builds no rule either; so
 * is the jump target a rule's chain lookup found (building a rule then looks up no chain: a lookup
 * in a table of tens of thousands of chains, between traces, was a third of a rule's building).
 *
 * Such a chain (it takes the place of the plain one the parse made, when its first rules come) is a
 * plain object whose `rules` is an enumerable accessor: spreading, JSON, deep equality and
 * assignment see an ordinary array property. Its storage is a non-enumerable symbol.
 */

import type { Chain, Counters, Provenance, Rule, TableName, Target } from '../model.ts'
import { FastLineParser } from './fast.ts'

/**
 * per rule: line start, rule start (after a `[p:b]` prefix), line end, line number, index key dst,
 * info, jump (the number of the jump target in `targets`, 0 for none)
 */
const FIELDS = 7
/** info bits: port (16), protocol (8), then flags */
const HAS_KEY = 1 << 24
const KEY_DST = 1 << 25
const TRACE = 1 << 26
/** the entry is a rule built already (by the general parser): the second field is its index in `built` */
const BUILT = 1 << 27

/** int32s per slab (256 KiB), and the most a store takes from one (larger ones get their own) */
const SLAB = 1 << 16
const SLAB_MAX = 4096
let slab = new Int32Array(0)
let slabUsed = 0

/**
 * Room for `n` numbers of a new store. A node's per-Service texts are parsed one by one (ten
 * thousand small parses for a large node): each taking a typed array of its own cost more than the
 * parses themselves (an ArrayBuffer each is external memory, and V8 collected for it far more
 * often: ~120–160 ms per 10,000-Service node). Small stores take consecutive pieces of a shared
 * slab instead. A slab lives as long as one of its stores does: at most 256 KiB per slab kept for a
 * store outliving its neighbours.
 */
function storeData (n: number): Int32Array {
  if (n > SLAB_MAX) return new Int32Array(n)
  if (slabUsed + n > slab.length) {
    slab = new Int32Array(SLAB)
    slabUsed = 0
  }
  const d = slab.subarray(slabUsed, slabUsed + n)
  slabUsed += n
  return d
}

/** The rules of one parse kept as positions in its text (see the file comment). */
export class LazyStore {
  private data: Int32Array
  private n = 0
  /** the fast path that builds the rules again */
  private builder: FastLineParser | null = null
  /**
   * The jump targets the parse found (each chain's own, shared by every jump to that chain, as an
   * eager parse shares it), by number: one entry per chain, not per rule (storing a target per rule
   * cost more than the rest of the record).
   */
  private readonly targets: Array<Target | undefined> = [undefined]
  /** rules the general parser built, kept in their place among the others (null: none yet) */
  private built: Rule[] | null = null

  /** `provenance`: see ParseOptions.provenance (given to the rules built here) */
  constructor (readonly text: string, private readonly provenance?: (line: number) => Provenance | undefined) {
    // about one rule per 130 bytes of a kube-proxy text; grows when needed
    this.data = storeData(((text.length >> 7) + 8) * FIELDS)
  }

  /**
   * Record a line the validating fast path accepted (`info`/`dst` as FastLineParser leaves them in
   * `keyInfo`/`keyDst`, `trace` for a TRACE target, its `jumpTarget` as `jump` under a number given
   * to that target's chain, 0 when undefined); returns its entry number.
   */
  add (ls: number, start: number, end: number, line: number, keyInfo: number, keyDst: number, trace: boolean, jumpNo: number, jump: Target | undefined): number {
    let d = this.data
    const o = this.n * FIELDS
    if (o + FIELDS > d.length) {
      const bigger = new Int32Array(d.length * 2)
      bigger.set(d)
      this.data = d = bigger
    }
    d[o] = ls
    d[o + 1] = start
    d[o + 2] = end
    d[o + 3] = line
    d[o + 4] = keyDst
    d[o + 5] = keyInfo | (trace ? TRACE : 0)
    if (jump === undefined) jumpNo = 0
    else if (this.targets[jumpNo] === undefined) {
      while (this.targets.length < jumpNo) this.targets.push(undefined)
      this.targets[jumpNo] = jump
    }
    d[o + 6] = jumpNo
    return this.n++
  }

  /** Record a rule built already; returns its entry number. */
  addBuilt (r: Rule): number {
    return this.setBuilt(this.add(-1, 0, 0, r.line ?? -1, 0, 0, r.target !== null && r.target.kind === 'TRACE', 0, undefined), r)
  }

  /** Entry `k` is `r` from now on (a line built at once, e.g. for its counters); returns `k`. */
  setBuilt (k: number, r: Rule): number {
    const o = k * FIELDS
    const built = this.built ??= []
    this.data[o + 1] = built.length
    this.data[o + 5] |= BUILT
    built.push(r)
    return k
  }

  /** the rule of entry `k` when it was built already (its index key is then indexKeyOf's), else undefined */
  builtRule (k: number): Rule | undefined {
    const o = k * FIELDS
    return (this.data[o + 5] & BUILT) !== 0 ? this.built![this.data[o + 1]] : undefined
  }

  /** line of entry `k`; -1 for a rule without one */
  line (k: number): number {
    return this.data[k * FIELDS + 3]
  }

  trace (k: number): boolean {
    return (this.data[k * FIELDS + 5] & TRACE) !== 0
  }

  /** prepare's index key of entry `k` (what indexKeyOf says of its rule), or null; not for a builtRule */
  key (k: number): { dst: number | null, proto: number, port: number } | null {
    const info = this.data[k * FIELDS + 5]
    if ((info & HAS_KEY) === 0) return null
    return { dst: (info & KEY_DST) !== 0 ? this.data[k * FIELDS + 4] >>> 0 : null, proto: (info >>> 16) & 255, port: info & 0xffff }
  }

  /** The rule of entry `k`: read again by the fast path (which accepted it before), or the one built. */
  rule (k: number, table: TableName): Rule {
    const d = this.data
    const o = k * FIELDS
    if ((d[o + 5] & BUILT) !== 0) return this.built![d[o + 1]]
    // (without value sharing: a chain built on its own shares little with the others, and looking
    // every value up in the parse's tables, between traces, cost more than making it)
    const b = this.builder ??= new FastLineParser(this.text, null, null)
    const r = b.build(d[o], d[o + 1], d[o + 2], d[o + 3], table, d[o + 6] === 0 ? undefined : this.targets[d[o + 6]])
    if (this.provenance !== undefined) give(r, this.provenance)
    return r
  }
}

/** Give `r` the provenance of its line, if there is one (see ParseOptions.provenance). */
export function give (r: Rule, provenance: (line: number) => Provenance | undefined): void {
  if (r.line === undefined) return
  const p = provenance(r.line)
  if (p !== undefined) r.provenance = p
}

/** Encode an index key as LazyStore.add takes it (`dst` null: any destination). */
export function keyInfo (dst: number | null, proto: number, port: number): number {
  return HAS_KEY | (dst === null ? 0 : KEY_DST) | (proto << 16) | port
}

/**
 * A chain's rules not built yet: `count` entries of `store`, from `first` on, or in runs when the
 * chain's lines were not all in a row (`runs`: first entry and length of each, in order).
 */
export class LazyPart {
  count: number
  private runs: number[] | null = null
  /** rules built one by one (ruleAt) before the whole part was */
  private made: Array<Rule | undefined> | null = null

  constructor (readonly store: LazyStore, readonly first: number, count: number, readonly table: TableName) {
    this.count = count
  }

  /** Add the next `count` rules: entries from `first` on. */
  extend (first: number, count: number): void {
    if (this.runs === null) {
      if (first === this.first + this.count) {
        this.count += count
        return
      }
      this.runs = [this.first, this.count]
    }
    this.runs.push(first, count)
    this.count += count
  }

  /** the store entry of rule `i` (0-based) */
  entry (i: number): number {
    const runs = this.runs
    if (runs === null) return this.first + i
    for (let k = 0; ; k += 2) {
      if (i < runs[k + 1]) return runs[k] + i
      i -= runs[k + 1]
    }
  }

  /** how many of the rules were built one by one so far */
  get built (): number {
    let n = 0
    if (this.made !== null) for (const r of this.made) if (r !== undefined) n++
    return n
  }

  /** Rule `i`, built alone (and kept: the whole part's build returns the same object). */
  ruleAt (i: number): Rule {
    const made = this.made ??= new Array(this.count)
    return made[i] ?? (made[i] = this.store.rule(this.entry(i), this.table))
  }

  build (): Rule[] {
    const out: Rule[] = new Array(this.count)
    const made = this.made
    for (let i = 0; i < this.count; i++) out[i] = made?.[i] ?? this.store.rule(this.entry(i), this.table)
    return out
  }
}

const STORE = Symbol('rules')

/** a chain made by lazyChain: its rules (an array, or a part still to build; null = none yet) */
interface LazyChain extends Chain {
  [STORE]: Rule[] | LazyPart | null
}

function getRules (this: LazyChain): Rule[] {
  const v = this[STORE]
  if (v === null) return (this[STORE] = [])
  if (v instanceof LazyPart) return (this[STORE] = v.build())
  return v
}

function setRules (this: LazyChain, rules: Rule[]): void {
  this[STORE] = rules
}

const STORE_DESC: PropertyDescriptor = { value: null, writable: true, enumerable: false, configurable: true }
const RULES_DESC: PropertyDescriptor = { get: getRules, set: setRules, enumerable: true, configurable: true }

/** A new, empty user chain that can hold a LazyPart (keys in the order of a parsed chain's). */
export function lazyChain (name: string, counters: Counters | undefined): Chain {
  const c = { name, builtin: false, policy: null } as unknown as LazyChain
  Object.defineProperty(c, STORE, STORE_DESC)
  Object.defineProperty(c, 'rules', RULES_DESC)
  if (counters !== undefined) c.counters = counters
  return c
}

/**
 * A lazy chain to take the place of `c` (same name, same counters), when `c` is an empty user chain
 * made as a plain object; undefined otherwise. The parse makes every chain plain, and replaces it
 * with a lazy one when a run of store entries first comes to it: an empty chain, or one whose rules
 * are built anyway, never pays for the accessor.
 */
export function lazyReplacement (c: Chain): Chain | undefined {
  if (c.builtin || (c as LazyChain)[STORE] !== undefined || c.rules.length > 0) return undefined
  const lc = lazyChain(c.name, c.counters)
  // (a redeclared chain has the key even when it has no counters)
  if ('counters' in c && c.counters === undefined) lc.counters = undefined
  return lc
}

/**
 * Append store entries `first` … `first + count - 1` to the rules of `c` without building them, when
 * `c` is a lazyChain with no built rules (true); false when they must be built and appended.
 */
export function appendLazy (c: Chain, store: LazyStore, first: number, count: number, table: TableName): boolean {
  const lc = c as LazyChain
  const v = lc[STORE]
  if (v === undefined) return false
  if (v instanceof LazyPart) {
    if (v.store !== store) return false
    v.extend(first, count)
    return true
  }
  if (v !== null && v.length > 0) return false
  lc[STORE] = new LazyPart(store, first, count, table)
  return true
}

/** The rules of `c` not built yet, if any (reading them through `c.rules` would build them). */
export function lazyPartOf (c: Chain): LazyPart | undefined {
  const v = (c as LazyChain)[STORE]
  return v instanceof LazyPart ? v : undefined
}

/** Rule `i` (0-based) of `c`, building only that rule when `c`'s rules are not built. */
export function ruleAt (c: Chain, i: number): Rule {
  const p = lazyPartOf(c)
  return p !== undefined ? p.ruleAt(i) : c.rules[i]
}

/** How many rules `c` has, without building them. */
export function ruleCount (c: Chain): number {
  const p = lazyPartOf(c)
  return p !== undefined ? p.count : c.rules.length
}
