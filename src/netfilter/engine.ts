/**
 * Evaluator public surface (re-exported by index.ts): packet/host models, engine state, prepare,
 * evaluate, counters and trace renderers.
 */
import type { Prepared } from './eval/prepare.ts'
import { allRulesOf, rulesOf } from './eval/prepare.ts'
import type { EngineState } from './eval/state.ts'
import type { Chain, Ruleset, Table, TableName } from './model.ts'

/** Packet model (dotted-quad addresses; snapshots are what traces show). */
export { type Packet, type PacketSnapshot, type ForcedCtState, snapshotToPacket, TCP_FLAG_BITS, tcpFlagNames } from './packet.ts'
/** Host model: interfaces, routes, sysctls; routing decisions and addrtype classification. */
export { createHost, routeInput, routeOutput, addrType, HostError, type Host, type HostSpec, type HostInterfaceSpec, type HostRouteSpec, type InputRoute, type OutputRoute } from './host.ts'
/** Conntrack table value (kept by the caller between packets). */
export { createConntrack, conntrackEntries, describeEntry, type Conntrack, type CtEntry, type Tuple, type CtInfo } from './conntrack.ts'
/** Engine state: conntrack, recent lists, nth counters, rule counters, seeded PRNG, virtual clock. */
export { createEngineState, cloneEngineState, type EngineState, type EngineStateOptions, type RecentTable, type RuleCounter } from './eval/state.ts'
/** Seeded PRNG used by `sample` mode and NAT port selection. */
export { createRng, type RngState } from './rng.ts'
/** Index a parsed ruleset for evaluation (O(1) dispatch of `-d A/32 -p P --dport N` runs). */
export { prepareRuleset, type Prepared, type PrepareOptions } from './eval/prepare.ts'
/** Evaluate one packet with kernel semantics; `sample` or `all` (every random branch with its probability). */
export { evaluatePacket, EvaluationError, type EvaluateOptions, type EvaluateResult, type Branch, type RandomChoice } from './eval/evaluate.ts'
/** Outcome of a packet on one host (delivered, egress via interface, dropped, rejected, no route, unknown). */
export type { Outcome, RuleRef, Backend } from './eval/paths.ts'
/** Trace steps (rule steps and conntrack/NAT/routing events). */
export type { Step, RuleStep, EventStep, Detail } from './eval/context.ts'
/** Legacy kernel-log `TRACE: table:chain:kind:n ...` rendering. */
export { renderLegacyTrace, renderLegacyTraceLines, type LegacyRenderOptions } from './trace/legacy.ts'
/** `xtables-monitor --trace` rendering. */
export { renderXtablesMonitorTrace, renderXtablesMonitorTraceLines, type XtablesMonitorOptions } from './trace/xtables-monitor.ts'
/** The kernel LOG packet dump (`IN=.. OUT=.. SRC=..`). */
export { dumpPacket } from './trace/log-format.ts'

export interface CounterRow {
  table: TableName
  chain: string
  /** 1-based rule number; rules+1 for a base chain's policy entry */
  n: number
  kind: 'rule' | 'policy' | 'return'
  packets: number
  bytes: number
}

/**
 * Counters accumulated in `state` for `prepared` (rules that matched at least once, and base-chain
 * policy entries; user-chain implicit returns are listed as `return`).
 */
export function readCounters (prepared: Prepared, state: EngineState): CounterRow[] {
  const rows: CounterRow[] = []
  if (state.boundTo !== prepared.id) return rows
  for (const t of prepared.tables.values()) {
    for (const c of t.chains.values()) {
      // (a rule not prepared yet never matched)
      for (const r of rulesOf(c)) {
        if (r === undefined) continue
        const v = state.counters.get(r.id)
        if (v !== undefined) rows.push({ table: t.name, chain: c.name, n: r.index + 1, kind: 'rule', packets: v.packets, bytes: v.bytes })
      }
      const e = state.counters.get(c.endId)
      if (e !== undefined) rows.push({ table: t.name, chain: c.name, n: c.count + 1, kind: c.builtin ? 'policy' : 'return', packets: e.packets, bytes: e.bytes })
    }
  }
  return rows
}

/**
 * A copy of the prepared ruleset whose rule and base-chain counters are those accumulated in
 * `state` (for `renderRuleset(rs, { counters: true })`, i.e. `iptables-save -c`). The original
 * ruleset is not modified; rules that never matched get [0:0].
 */
export function rulesetWithCounters (prepared: Prepared, state: EngineState): Ruleset {
  const bound = state.boundTo === prepared.id
  const tables = new Map<TableName, Table>()
  for (const [name, pt] of prepared.tables) {
    const chains = new Map<string, Chain>()
    for (const pc of pt.chains.values()) {
      const src = pc.source
      const rules = allRulesOf(pc).map(pr => {
        const c = bound ? state.counters.get(pr.id) : undefined
        return { ...pr.rule, counters: { packets: BigInt(c?.packets ?? 0), bytes: BigInt(c?.bytes ?? 0) } }
      })
      const end = bound ? state.counters.get(pc.endId) : undefined
      chains.set(src.name, { ...src, rules, ...(src.builtin ? { counters: { packets: BigInt(end?.packets ?? 0), bytes: BigInt(end?.bytes ?? 0) } } : {}) })
    }
    tables.set(name, { name, chains })
  }
  return { tables }
}
