/**
 * Public entry point: evaluate one packet through a prepared ruleset on a host, with the caller's
 * engine state. `statistic --mode random` is either sampled with the state's seeded PRNG or
 * enumerated exactly (`all`): one branch per outcome path with its kernel-quantised probability.
 */
import type { Prepared } from './prepare.ts'
import type { Ctx, Detail, Step } from './context.ts'
import type { EngineState } from './state.ts'
import { branchEngineState, cloneEngineState } from './state.ts'
import { createHost } from '../host.ts'
import type { Host, HostSpec } from '../host.ts'
import { toPkt, snapshot } from '../packet.ts'
import type { Packet, PacketSnapshot } from '../packet.ts'
import { ingressPath, localPath } from './paths.ts'
import type { Backend, Outcome } from './paths.ts'
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
  return { state, ...(c.entry.id !== 0 ? { entry: c.entry.id } : {}), direction: info.endsWith('REPLY') ? 'REPLY' : 'ORIGINAL' }
}

function runOnce (prepared: Prepared, host: Host, packet: Packet, state: EngineState, opts: EvaluateOptions, decide: (p: number) => boolean, choices: RandomChoice[]): Branch {
  const origin = opts.origin ?? (packet.inIface !== undefined && packet.inIface !== '' ? 'ingress' : 'local')
  let pkt
  try { pkt = toPkt(packet, origin === 'local') } catch (e) { throw new EvaluationError('E_PACKET', (e as Error).message) }
  if (opts.traceAll === true) pkt.nfTrace = true
  if (state.boundTo !== prepared.id) {
    state.boundTo = prepared.id
    state.nth.clear()
    state.counters.clear()
  }
  const ctx: Ctx = {
    prepared,
    host,
    pkt,
    state,
    ct: { untracked: false, seen: false, unconfirmed: false, forced: false },
    hook: origin === 'local' ? 'OUTPUT' : 'PREROUTING',
    table: 'raw',
    detail: opts.detail ?? 'matched',
    steps: [],
    traversal: 0,
    why: '',
    explain: false,
    dry: false,
    decide: () => false,
    probability: 1,
    nextHop: 0,
    forwarded: false,
    ruleEvals: 0,
    backend: opts.backend ?? 'legacy'
  }
  ctx.decide = (p, pr): boolean => {
    const m = decide(p)
    const pm = Math.min(p, TWO31) / TWO31
    ctx.probability *= m ? pm : 1 - pm
    choices.push({ table: pr.table, chain: pr.chain.name, n: pr.index + 1, pMatch: pm, matched: m })
    return m
  }
  const pathOpts = { backend: opts.backend ?? 'legacy', ...(packet.ctState !== undefined ? { forcedCt: packet.ctState } : {}) }
  const outcome = origin === 'local' ? localPath(ctx, pathOpts) : ingressPath(ctx, pathOpts)
  // attach rule positions to the random choices (the step recorded right after each draw)
  return { probability: ctx.probability, outcome, steps: ctx.steps, packetAfter: snapshot(ctx.pkt), choices, ct: ctView(ctx), state }
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
    const b = runOnce(prepared, host, packet, state, opts, (p) => (nextU32(state.rng) & 0x7fffffff) < p, [])
    return { ...b, mode, branches: [b] }
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
    let k = 0
    const taken: boolean[] = []
    const b = runOnce(prepared, host, packet, st, opts, (p) => {
      const pm = Math.min(p, TWO31) / TWO31
      let v: boolean
      if (k < prefix.length) v = prefix[k]
      else {
        v = pm > 0
        const altP = v ? 1 - pm : pm
        if (altP > 0) {
          pending.push([...taken, !v])
          if (branches.length + pending.length > max) {
            throw new EvaluationError('E_BRANCH_LIMIT', `more than ${max} random branches (statistic --mode random); raise maxBranches or use mode 'sample'`)
          }
        }
      }
      taken.push(v)
      k++
      return v
    }, [])
    branches.push(b)
    if (branches.length + pending.length > max) {
      throw new EvaluationError('E_BRANCH_LIMIT', `more than ${max} random branches (statistic --mode random); raise maxBranches or use mode 'sample'`)
    }
  }
  // deterministic order: by the sequence of draws (matched first)
  branches.sort((a, b) => {
    for (let i = 0; i < Math.min(a.choices.length, b.choices.length); i++) {
      if (a.choices[i].matched !== b.choices[i].matched) return a.choices[i].matched ? -1 : 1
    }
    return a.choices.length - b.choices.length
  })
  return { ...branches[0], mode, branches }
}
