/** Per-packet evaluation context shared by matches, targets, the table walker and the path driver. */
import type { HookName, TableName } from '../model.ts'
import type { Host } from '../host.ts'
import type { Pkt, PacketSnapshot } from '../packet.ts'
import type { CtEntry, CtInfo } from '../conntrack.ts'
import type { EngineState } from './state.ts'
import type { Prepared, PRule } from './prepare.ts'

export type Detail = 'full' | 'matched'

/** Conntrack view of the packet. `entry` undefined = no ct (INVALID, or UNTRACKED when `untracked`). */
export interface PktCt {
  entry?: CtEntry
  info?: CtInfo
  untracked: boolean
  /** set once conntrack has looked at the packet (so loopback re-injection skips it) */
  seen: boolean
  /** the entry is new and not yet in the table */
  unconfirmed: boolean
  /** what-if forced state (not persisted) */
  forced: boolean
}

export interface RuleStep {
  type: 'rule'
  hook: HookName
  table: TableName
  chain: string
  /** kernel entry kind: a rule, a user chain's implicit return, a base chain's policy */
  kind: 'rule' | 'return' | 'policy'
  /** 1-based position as the kernel counts it (implicit entries = rules + 1) */
  n: number
  /** what legacy TRACE prints (unconditional standard verdicts print as policy/return) */
  printedKind: 'rule' | 'return' | 'policy'
  /** nf_tables handle (xtables-monitor) */
  handle?: number
  ruleText?: string
  matched: boolean | 'unknown'
  /** for a miss/unknown: the failing match and why */
  why?: string
  /** ACCEPT, DROP, REJECT, QUEUE, RETURN, JUMP, GOTO, CONTINUE, UNKNOWN */
  verdict?: string
  jumpTo?: string
  /** human note about what the target did (MARK 0x0 → 0x4000, DNAT to …) */
  note?: string
  packet: PacketSnapshot
  /** packet after the target, when it changed */
  after?: PacketSnapshot
  /** nf_trace set when the entry was hit (legacy TRACE prints it) */
  traced: boolean
  /** nf_trace set after the target (nft trace reports the TRACE rule itself) */
  tracedAfter: boolean
  /** one number per base-chain traversal (table × hook × pass) */
  traversal: number
  probability?: number
}

export interface EventStep {
  type: 'conntrack' | 'nat' | 'route' | 'reroute' | 'loopback' | 'confirm' | 'log' | 'drop' | 'ttl'
  hook?: HookName
  table?: TableName
  message: string
  packet?: PacketSnapshot
  after?: PacketSnapshot
  data?: Record<string, unknown>
}

export type Step = RuleStep | EventStep

export interface Ctx {
  prepared: Prepared
  host: Host
  pkt: Pkt
  state: EngineState
  ct: PktCt
  hook: HookName
  table: TableName
  detail: Detail
  steps: Step[]
  traversal: number
  /** failure explanation for the last miss (set only when detail === 'full') */
  why: string
  explain: boolean
  /** no side effects (evaluating matches after an unknown) */
  dry: boolean
  /** decide a `statistic --mode random` draw with probability p/2^31 of true */
  decide: (p: number, pr: PRule) => boolean
  /** product of probabilities of the random choices made so far */
  probability: number
  /** next hop for MASQUERADE source selection (set by routing) */
  nextHop: number
  /** packet was forwarded (recent --rttl adds 1) */
  forwarded: boolean
  ruleEvals: number
  /** iptables-legacy or iptables-nft semantics (hooked chains, security priority) */
  backend: 'legacy' | 'nft'
}
