/**
 * Engine state the caller keeps between packets of one host: conntrack table, `recent` lists,
 * `statistic --mode nth` counters, rule counters, the seeded PRNG and the virtual clock.
 */
import { createConntrack, cloneConntrack } from '../conntrack.ts'
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

/** Deep copy (used for `all`-mode branches so each branch has its own future). */
export function cloneEngineState (s: EngineState): EngineState {
  const recent = new Map<string, RecentTable>()
  for (const [k, t] of s.recent) {
    const entries = new Map<number, RecentEntry>()
    for (const [a, e] of t.entries) entries.set(a, { ...e, stamps: [...e.stamps] })
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
