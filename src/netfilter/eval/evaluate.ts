/**
 * Public entry point: evaluate one packet through a prepared ruleset on a host, with the caller's
 * engine state. `statistic --mode random` is either sampled with the state's seeded PRNG or
 * enumerated exactly (`all`): one branch per outcome path with its kernel-quantised probability.
 */
import type { Prepared, PRule } from './prepare.ts'
import type { Ctx, Detail, Step } from './context.ts'
import type { EngineState } from './state.ts'
import { branchEngineState, cloneEngineState } from './state.ts'
import { createHost } from '../host.ts'
import type { Host, HostSpec } from '../host.ts'
import { toPkt, snapshot } from '../packet.ts'
import type { Packet, PacketSnapshot } from '../packet.ts'
import { ingressPath, localPath } from './paths.ts'
import type { Backend, Outcome, PathOptions } from './paths.ts'
import { nextU32 } from '../rng.ts'
import type { CtInfo } from '../conntrack.ts'

export interface EvaluateOptions {
  /** `sample` (default): seeded PRNG from the state; `all`: enumerate every random branch */
  mode?: 'sample' | 'all'
  /** `matched` (default): matched rules, returns and policies; `full`: every evaluated rule incl. misses */
  detail?: Detail
  /** cap on the number of branches in `all` mode (default 1024) */
  maxBranches?: number
  /** set the state's virtual clock (seconds) before evaluating */
  now?: number
  /** iptables-legacy (default) or iptables-nft table priorities (security at 150) */
  backend?: Backend
  /** start with nf_trace set, as if a TRACE rule had matched before the first hook (every hit is traced) */
  traceAll?: boolean
  /** where the packet starts: `ingress` (PREROUTING on packet.inIface) or `local` (OUTPUT); default from packet.inIface */
  origin?: 'ingress' | 'local'
}

export interface RandomChoice {
  table: string
  chain: string
  n: number
  /** probability that this draw matched (kernel-quantised) */
  pMatch: number
  matched: boolean
}

export interface Branch {
  /** probability of this branch (product of the random draws on its path; 1 without draws) */
  probability: number
  outcome: Outcome
  steps: Step[]
  packetAfter: PacketSnapshot
  choices: RandomChoice[]
  /** conntrack view of the packet at the end */
  ct: { state: string, entry?: number, direction?: 'ORIGINAL' | 'REPLY' }
  /**
   * the engine state after this branch (the caller's object in `sample` mode, a copy in `all` mode;
   * for a large caller state the copy is copy-on-write and reads through to the caller's state, so
   * do not change that state while still using branch states, or detach one with cloneEngineState)
   */
  state: EngineState
}

export interface EvaluateResult extends Branch {
  mode: 'sample' | 'all'
  /** all branches (`sample`: exactly one) */
  branches: Branch[]
}

export class EvaluationError extends Error {
  readonly code: 'E_BRANCH_LIMIT' | 'E_PACKET' | 'E_HOST'
  constructor (code: 'E_BRANCH_LIMIT' | 'E_PACKET' | 'E_HOST', message: string) {
    super(message)
    this.name = 'EvaluationError'
    this.code = code
  }
}

function isHost (h: Host | HostSpec): h is Host {
  return (h as Host).ifaces instanceof Map
}

const TWO31 = 2147483648
/** above this many conntrack keys + counters + recent tables, `all`-mode branches use copy-on-write states */
const BRANCH_CLONE_LIMIT = 512

function ctView (ctx: Ctx): Branch['ct'] {
  const c = ctx.ct
  if (c.entry === undefined) return { state: c.untracked ? 'UNTRACKED' : 'INVALID' }
  const info = c.info as CtInfo
  const state = info === 'NEW' ? 'NEW' : info.startsWith('RELATED') ? 'RELATED' : 'ESTABLISHED'
  const direction = info.endsWith('REPLY') ? 'REPLY' : 'ORIGINAL'
  return c.entry.id !== 0 ? { state, entry: c.entry.id, direction } : { state, direction }
}

/**
 * How the `all` mode enumerates random draws: replay the forced `prefix`, then take the likelier
 * side of each new draw and queue the other side as a pending prefix.
 */
class Enumeration {
  k = 0
  readonly taken: boolean[] = []
  constructor (readonly prefix: boolean[], readonly pending: boolean[][], readonly branches: Branch[], readonly max: number) {}

  next (pm: number): boolean {
    let v: boolean
    if (this.k < this.prefix.length) v = this.prefix[this.k]
    else {
      v = pm > 0
      const altP = v ? 1 - pm : pm
      if (altP > 0) {
        const alt = this.taken.slice()
        alt.push(!v)
        this.pending.push(alt)
        if (this.branches.length + this.pending.length > this.max) throw branchLimit(this.max)
      }
    }
    this.taken.push(v)
    this.k++
    return v
  }
}

function branchLimit (max: number): EvaluationError {
  return new EvaluationError('E_BRANCH_LIMIT', `more than ${max} random branches (statistic --mode random); raise maxBranches or use mode 'sample'`)
}

/**
 * The per-packet context as a class: one object with a fixed shape and the draw logic as a method,
 * instead of a literal plus per-packet closures. This matters beyond call cost: V8 tracks object
 * literals per allocation site and, when many objects of a site survive a scavenge, allocates that
 * site's objects straight into the old generation ("pretenuring"). With the context and the packet as
 * literals and the draws as per-packet closures, V8 (Node 20) pretenured the trace's sites within the
 * first few hundred traces: every trace's result graph then lived until a full GC, each scavenge took
 * tens of milliseconds and about half of the CPU went to GC (`node --trace-gc` shows the old
 * generation growing by most of each scavenge). Class instances carry no allocation-site feedback,
 * so the per-trace roots stay young and die young.
 */
class EvalCtx implements Ctx {
  ct: Ctx['ct'] = { untracked: false, seen: false, unconfirmed: false, forced: false }
  hook: Ctx['hook']
  table: Ctx['table'] = 'raw'
  steps: Step[] = []
  traversal = 0
  why = ''
  explain = false
  dry = false
  probability = 1
  nextHop = 0
  forwarded = false
  ruleEvals = 0
  readonly choices: RandomChoice[] = []

  constructor (readonly prepared: Prepared, readonly host: Host, public pkt: Ctx['pkt'], readonly state: EngineState,
    readonly detail: Detail, readonly backend: Backend, local: boolean, readonly enumeration: Enumeration | null) {
    this.hook = local ? 'OUTPUT' : 'PREROUTING'
  }

  decide (p: number, pr: PRule): boolean {
    const pm = Math.min(p, TWO31) / TWO31
    const m = this.enumeration === null ? (nextU32(this.state.rng) & 0x7fffffff) < p : this.enumeration.next(pm)
    this.probability *= m ? pm : 1 - pm
    this.choices.push({ table: pr.table, chain: pr.chain.name, n: pr.index + 1, pMatch: pm, matched: m })
    return m
  }
}

function runOnce (prepared: Prepared, host: Host, packet: Packet, state: EngineState, opts: EvaluateOptions, enumeration: Enumeration | null): Branch {
  const origin = opts.origin ?? (packet.inIface !== undefined && packet.inIface !== '' ? 'ingress' : 'local')
  let pkt
  try { pkt = toPkt(packet, origin === 'local') } catch (e) { throw new EvaluationError('E_PACKET', (e as Error).message) }
  if (opts.traceAll === true) pkt.nfTrace = true
  if (state.boundTo !== prepared.id) {
    state.boundTo = prepared.id
    state.nth.clear()
    state.counters.clear()
  }
  const backend = opts.backend ?? 'legacy'
  const ctx = new EvalCtx(prepared, host, pkt, state, opts.detail ?? 'matched', backend, origin === 'local', enumeration)
  const pathOpts: PathOptions = { backend, forcedCt: packet.ctState }
  const outcome = origin === 'local' ? localPath(ctx, pathOpts) : ingressPath(ctx, pathOpts)
  return { probability: ctx.probability, outcome, steps: ctx.steps, packetAfter: snapshot(ctx.pkt), choices: ctx.choices, ct: ctView(ctx), state }
}

/**
 * Evaluate `packet` on `host` through `prepared`. In `sample` mode `state` is updated in place
 * (conntrack, recent lists, counters, PRNG); in `all` mode it is left untouched and every branch
 * carries its own updated copy.
 */
export function evaluatePacket (prepared: Prepared, hostIn: Host | HostSpec, packet: Packet, state: EngineState, opts: EvaluateOptions = {}): EvaluateResult {
  let host: Host
  try { host = isHost(hostIn) ? hostIn : createHost(hostIn) } catch (e) { throw new EvaluationError('E_HOST', (e as Error).message) }
  if (opts.now !== undefined) state.now = opts.now
  const mode = opts.mode ?? 'sample'
  if (mode === 'sample') {
    const b = runOnce(prepared, host, packet, state, opts, null)
    return withBranches(b, mode, [b])
  }
  const max = opts.maxBranches ?? 1024
  const branches: Branch[] = []
  const pending: boolean[][] = [[]]
  // a large caller state (long-lived conntrack, counters) is not deep-copied per branch: each branch
  // reads through to it and copies only what it touches (copy-on-write); small states are cloned
  const big = state.conntrack.byTuple.size + state.counters.size + state.recent.size > BRANCH_CLONE_LIMIT
  while (pending.length > 0) {
    const prefix = pending.pop()!
    const st = big ? branchEngineState(state) : cloneEngineState(state)
    const b = runOnce(prepared, host, packet, st, opts, new Enumeration(prefix, pending, branches, max))
    branches.push(b)
    if (branches.length + pending.length > max) throw branchLimit(max)
  }
  // deterministic order: by the sequence of draws (matched first)
  branches.sort((a, b) => {
    for (let i = 0; i < Math.min(a.choices.length, b.choices.length); i++) {
      if (a.choices[i].matched !== b.choices[i].matched) return a.choices[i].matched ? -1 : 1
    }
    return a.choices.length - b.choices.length
  })
  return withBranches(branches[0], mode, branches)
}

/** The result: the first branch's fields (in their usual order), the mode and every branch. */
function withBranches (b: Branch, mode: 'sample' | 'all', branches: Branch[]): EvaluateResult {
  return { probability: b.probability, outcome: b.outcome, steps: b.steps, packetAfter: b.packetAfter, choices: b.choices, ct: b.ct, state: b.state, mode, branches }
}
