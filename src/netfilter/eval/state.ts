/**
 * Engine state the caller keeps between packets of one host: conntrack table, `recent` lists,
 * `statistic --mode nth` counters, rule counters, the seeded PRNG and the virtual clock.
 */
import { createConntrack, cloneConntrack, copyEntry } from '../conntrack.ts'
import type { Conntrack } from '../conntrack.ts'
import { createRng } from '../rng.ts'
import type { RngState } from '../rng.ts'

export interface RecentEntry {
  addr: number
  ttl: number
  /** ring of timestamps (seconds) */
  stamps: number[]
  index: number
  nstamps: number
  /** LRU order key (higher = more recently updated) */
  lru: number
}

export interface RecentTable {
  name: string
  entries: Map<number, RecentEntry>
  lruSeq: number
}

export interface RuleCounter { packets: number, bytes: number }

export interface EngineState {
  conntrack: Conntrack
  recent: Map<string, RecentTable>
  /** statistic nth counters by prepared rule id (reset when another ruleset is used) */
  nth: Map<number, number>
  /** per-rule and per-policy counters by prepared id (reset when another ruleset is used) */
  counters: Map<number, RuleCounter>
  /** the prepared ruleset `nth`/`counters` belong to */
  boundTo: number
  rng: RngState
  /** virtual clock in seconds (recent match timestamps, conntrack creation time) */
  now: number
}

export interface EngineStateOptions {
  seed?: number
  now?: number
}

/** Fresh state: empty conntrack, no recent lists, counters at zero. */
export function createEngineState (opts: EngineStateOptions = {}): EngineState {
  return {
    conntrack: createConntrack(),
    recent: new Map(),
    nth: new Map(),
    counters: new Map(),
    boundTo: -1,
    rng: createRng(opts.seed ?? 1),
    now: opts.now ?? 0
  }
}

/** (Object.assign, not `{ ...e, stamps }`: see copyEntry in conntrack.ts) */
function copyRecentEntry (e: RecentEntry): RecentEntry {
  return Object.assign({}, e, { stamps: [...e.stamps] })
}

/** Deep copy (used for `all`-mode branches so each branch has its own future). */
export function cloneEngineState (s: EngineState): EngineState {
  const recent = new Map<string, RecentTable>()
  for (const [k, t] of s.recent) {
    const entries = new Map<number, RecentEntry>()
    for (const [a, e] of t.entries) entries.set(a, copyRecentEntry(e))
    recent.set(k, { name: t.name, entries, lruSeq: t.lruSeq })
  }
  const counters = new Map<number, RuleCounter>()
  for (const [k, c] of s.counters) counters.set(k, { ...c })
  return {
    conntrack: cloneConntrack(s.conntrack),
    recent,
    nth: new Map(s.nth),
    counters,
    boundTo: s.boundTo,
    rng: { ...s.rng },
    now: s.now
  }
}

/**
 * A Map that reads through to `base` and keeps its own writes (copy-on-write for `all`-mode branches).
 * Values read from the base are copied with `copy` the first time (one copy per base value, whatever
 * key it is reached by), so a branch may mutate what it reads without touching the base.
 */
class OverlayMap<K, V> extends Map<K, V> {
  readonly #base: Map<K, V>
  readonly #copy: (v: V) => V
  readonly #copies = new Map<V, V>()
  readonly #deleted = new Set<K>()
  #baseHidden = false

  constructor (base: Map<K, V>, copy: (v: V) => V) {
    super()
    this.#base = base
    this.#copy = copy
  }

  #fromBase (k: K): V | undefined {
    if (this.#baseHidden || this.#deleted.has(k)) return undefined
    const v = this.#base.get(k)
    if (v === undefined) return undefined
    let c = this.#copies.get(v)
    if (c === undefined) { c = this.#copy(v); this.#copies.set(v, c) }
    return c
  }

  override get (k: K): V | undefined {
    const own = super.get(k)
    if (own !== undefined || super.has(k)) return own
    return this.#fromBase(k)
  }

  override has (k: K): boolean {
    return super.has(k) || (!this.#baseHidden && !this.#deleted.has(k) && this.#base.has(k))
  }

  override set (k: K, v: V): this {
    super.set(k, v)
    return this
  }

  override delete (k: K): boolean {
    const had = this.has(k)
    super.delete(k)
    if (!this.#baseHidden && this.#base.has(k)) this.#deleted.add(k)
    return had
  }

  override clear (): void {
    super.clear()
    this.#baseHidden = true
  }

  override get size (): number {
    let n = super.size
    if (!this.#baseHidden) for (const k of this.#base.keys()) if (!super.has(k) && !this.#deleted.has(k)) n++
    return n
  }

  override * entries (): MapIterator<[K, V]> {
    yield * super.entries()
    if (this.#baseHidden) return
    for (const k of this.#base.keys()) {
      if (super.has(k) || this.#deleted.has(k)) continue
      yield [k, this.#fromBase(k) as V]
    }
  }

  override [Symbol.iterator] (): MapIterator<[K, V]> { return this.entries() }

  override * keys (): MapIterator<K> { for (const [k] of this.entries()) yield k }

  override * values (): MapIterator<V> { for (const [, v] of this.entries()) yield v }

  override forEach (fn: (v: V, k: K, m: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this)
  }
}

const copyRecentTable = (t: RecentTable): RecentTable => {
  const entries = new Map<number, RecentEntry>()
  for (const [a, e] of t.entries) entries.set(a, copyRecentEntry(e))
  return { name: t.name, entries, lruSeq: t.lruSeq }
}

/**
 * A branch of `s` for `all` mode: behaves like `cloneEngineState(s)` but copies only what the branch
 * reads (a conntrack entry, a recent table, a counter) on first access, so its cost is independent of
 * the size of `s`. `s` must not change while the branch is in use (it is the caller's state, which
 * `all` mode leaves untouched).
 */
export function branchEngineState (s: EngineState): EngineState {
  return {
    conntrack: {
      byTuple: new OverlayMap(s.conntrack.byTuple, copyEntry),
      nextId: s.conntrack.nextId
    },
    recent: new OverlayMap(s.recent, copyRecentTable),
    nth: new OverlayMap(s.nth, (v) => v),
    counters: new OverlayMap(s.counters, (c) => ({ ...c })),
    boundTo: s.boundTo,
    rng: { ...s.rng },
    now: s.now
  }
}
