/**
 * The trace as the API returns it: outcomes (aggregated, with exact probabilities), and every path
 * with its hops (per node: hooks, the engine's steps with canonical rule text, why a rule missed,
 * verdicts, packet before/after rewrites, provenance) and its reply.
 */
import type { PacketSnapshot, Prepared, RuleRef, Step } from '../../netfilter/index.ts'
import { tcpFlagNames } from '../../netfilter/index.ts'
import type { RuleProvenance } from '../kubeproxy/index.ts'
import { explainStep, finalReason, provenanceOf, rejectKind, ruleAt, sourceNatted } from './explain.ts'
import { clientAddress } from './reply.ts'
import { describeAddress, type ClusterNet } from './topology.ts'
import { Recurring } from './recurring.ts'
import { shareFragment } from './serialize.ts'
import type { Final, Hop, Path, ReplyResult, TraceRequest } from './types.ts'

export interface PacketOut {
  in: string
  out: string
  src: string
  dst: string
  protocol: string
  sport?: number
  dport?: number
  tcpFlags?: string[]
  icmpType?: number
  mark: string
  ttl: number
}

export interface RuleOut { table: string, chain: string, n: number, text: string, provenance?: RuleProvenance }

export type StepOut =
  | {
    type: 'rule'
    hook: string
    table: string
    chain: string
    kind: 'rule' | 'return' | 'policy'
    n: number
    rule?: string
    matched: boolean | 'unknown'
    why?: string
    verdict?: string
    jumpTo?: string
    note?: string
    /** one line for a learner; omitted when provenance.note already says it */
    explanation?: string
    provenance?: RuleProvenance
    probability?: number
    before?: PacketOut
    after?: PacketOut
  }
  | { type: 'event', event: string, hook?: string, table?: string, message: string, before?: PacketOut, after?: PacketOut }

export interface HopOut {
  node: string
  entry: 'PREROUTING' | 'OUTPUT'
  inIface: string
  hooks: string[]
  packetIn: PacketOut
  packetOut: PacketOut
  /** the engine's verdict on this node */
  verdict: { kind: string, outIface?: string, nextHop?: string, reason?: string }
  probability: number
  steps: StepOut[]
}

export interface OutcomeOut {
  outcome: 'DELIVERED' | 'REJECTED' | 'DROPPED' | 'NO_ROUTE' | 'LOCAL' | 'EXTERNAL' | 'UNKNOWN'
  probability: number
  node: string
  pod?: string
  /** where it landed: `ip:port` */
  address?: string
  /** the source the pod (or host process) sees: `ip:port` */
  seenSource?: string
  masqueraded?: boolean
  reject?: { with: string, description: string }
  rule?: RuleOut
  reason: string
  reply?: { reachedClient: boolean, from?: string, matchesRequest: boolean, summary: string }
  /** indexes into `paths` */
  paths: number[]
}

export interface PathOut {
  probability: number
  outcome: Omit<OutcomeOut, 'paths'>
  choices: Array<{ node: string, table: string, chain: string, n: number, pMatch: number, matched: boolean }>
  hops: HopOut[]
  reply?: { summary: string, reachedClient: boolean, from?: string, matchesRequest: boolean, final: string, hops: HopOut[] }
}

export interface TraceResponse {
  kind: 'Trace'
  apiVersion: 'kubenetsim.io/v1'
  metadata: { cluster: string, generation: number, profile: string }
  request: {
    protocol: string
    source: { kind: string, address?: string, port: number, node: string, pod?: string, nodeChosen?: string }
    destination: { address: string, port?: number, is: string }
    mode: 'all' | 'sample'
    seed?: number
    detail: 'full' | 'matched'
    reply: boolean
    clock: { now: number, advancedSeconds: number }
  }
  summary: string
  outcomes: OutcomeOut[]
  paths: PathOut[]
}

const PROTO: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 132: 'SCTP' }

const FLAG_NAMES = new Map<number, readonly string[]>()
/** tcpFlagNames memoised by the flag bits (a fresh array per call: callers may keep it) */
function flagNames (f: number): string[] {
  let n = FLAG_NAMES.get(f)
  if (n === undefined) { n = tcpFlagNames(f); if (FLAG_NAMES.size < 512) FLAG_NAMES.set(f, n) }
  return n.slice()
}

/**
 * Same snapshot object → same PacketOut while one response is built (snapshots are immutable; the
 * engine shares them between steps). A plain Map rather than a WeakMap keyed by per-trace objects:
 * every weak entry is an ephemeron the garbage collector must process, and under load the
 * young-generation collections grew long with them. A new Map per response rather than `clear()`:
 * V8 links a cleared (or rehashed) Map's old table to its new one, so once this long-lived Map's
 * table had been promoted, every later table and the packets in it stayed reachable from the old
 * generation at each young collection and were promoted too (about 0.3 MB per collection, a page
 * fault every few traces, a third of the in-process trace time).
 */
let PACKET_OUT = new Map<PacketSnapshot, PacketOut>()

export function packetOut (s: PacketSnapshot): PacketOut {
  const hit = PACKET_OUT.get(s)
  if (hit !== undefined) return hit
  const o: PacketOut = { in: s.in, out: s.out, src: s.src, dst: s.dst, protocol: PROTO[s.proto] ?? String(s.proto), mark: '0x' + s.mark.toString(16), ttl: s.ttl }
  if (s.sport !== undefined) { o.sport = s.sport; o.dport = s.dport }
  if (s.tcpFlags !== undefined) o.tcpFlags = flagNames(s.tcpFlags)
  if (s.icmpType !== undefined) o.icmpType = s.icmpType
  PACKET_OUT.set(s, o)
  return o
}

const hp = (a: string, p?: number): string => p === undefined ? a : `${a}:${p}`

/** explanation lines of matched rules without a target note, per parsed rule and verdict */
const EXPLAINED = new WeakMap<object, Map<string, string>>()

/**
 * Rule steps that did not rewrite the packet and carry no per-packet reason (`why`): their output
 * depends only on the rule entry (its text and provenance), the hook, the verdict, the jump target
 * and the target's note, so the same object serves every trace that passes there: built once, shared
 * (frozen) and serialised once. Kept per parsed rule (a user chain's return or a base chain's policy:
 * per prepared chain), at most a few variants each, since a note can hold per-packet values (a
 * MASQUERADE binding's port).
 */
interface SharedStep { hook: string, table: string, chain: string, kind: string, n: number, matched: boolean | 'unknown', verdict?: string, jumpTo?: string, note?: string, out: StepOut }
const SHARED_STEPS = new WeakMap<object, SharedStep[]>()
const MAX_VARIANTS = 8

function stepOut (p: Prepared, s: Step): StepOut {
  if (s.type !== 'rule' || s.after !== undefined || (s.why !== undefined && s.why !== '')) return buildStepOut(p, s)
  const owner: object | undefined = s.kind === 'rule' ? ruleAt(p, s.table, s.chain, s.n) : p.tables.get(s.table)?.chains.get(s.chain)
  if (owner === undefined) return buildStepOut(p, s)
  let variants = SHARED_STEPS.get(owner)
  if (variants === undefined) SHARED_STEPS.set(owner, variants = [])
  // compared field by field, not through a key string: a trace has dozens of steps, and building
  // their keys was a third of what a trace allocated (a parsed rule can be shared by several
  // nodes' rulesets, at different positions, so the position is part of the comparison)
  for (let i = 0; i < variants.length; i++) {
    const v = variants[i]
    if (v.n === s.n && v.hook === s.hook && v.verdict === s.verdict && v.jumpTo === s.jumpTo && v.note === s.note &&
      v.matched === s.matched && v.kind === s.kind && v.chain === s.chain && v.table === s.table) return v.out
  }
  const o = buildStepOut(p, s)
  if (variants.length >= MAX_VARIANTS) return o
  variants.push({ hook: s.hook, table: s.table, chain: s.chain, kind: s.kind, n: s.n, matched: s.matched, verdict: s.verdict, jumpTo: s.jumpTo, note: s.note, out: shareFragment(Object.freeze(o)) })
  return o
}

/**
 * Event steps that did not rewrite the packet (routing decisions, conntrack lookups): the same text
 * comes back in every path of an `all` trace and in every trace of the same flow, so they are built
 * once, shared (frozen) and serialised once. Kept by message (then type, hook and table); bounded:
 * forgotten all at once when full.
 */
const SHARED_EVENTS = new Map<string, StepOut[]>()
const MAX_SHARED_EVENTS = 4096
/** events of one flow only (a new conntrack entry names its ports) are not kept */
const EVENT_KEYS = new Recurring()

function eventOut (s: Exclude<Step, { type: 'rule' }>): StepOut {
  const same = SHARED_EVENTS.get(s.message)
  if (same !== undefined) {
    for (let i = 0; i < same.length; i++) {
      const o = same[i] as Extract<StepOut, { type: 'event' }>
      if (o.event === s.type && o.hook === s.hook && o.table === s.table) return o
    }
  }
  const e: StepOut = { type: 'event', event: s.type, message: s.message }
  if (s.hook !== undefined) e.hook = s.hook
  if (s.table !== undefined) e.table = s.table
  if (!EVENT_KEYS.seenBefore(s.message)) return e
  if (same !== undefined) { if (same.length < MAX_VARIANTS) same.push(shareFragment(Object.freeze(e))) } else {
    if (SHARED_EVENTS.size >= MAX_SHARED_EVENTS) SHARED_EVENTS.clear()
    SHARED_EVENTS.set(s.message, [shareFragment(Object.freeze(e))])
  }
  return e
}

function buildStepOut (p: Prepared, s: Step): StepOut {
  if (s.type !== 'rule') {
    if (s.after === undefined || s.packet === undefined) return eventOut(s)
    const e: StepOut = { type: 'event', event: s.type, message: s.message }
    if (s.hook !== undefined) e.hook = s.hook
    if (s.table !== undefined) e.table = s.table
    if (s.after !== undefined && s.packet !== undefined) { e.before = packetOut(s.packet); e.after = packetOut(s.after) }
    return e
  }
  const o: StepOut = { type: 'rule', hook: s.hook, table: s.table, chain: s.chain, kind: s.kind, n: s.n, matched: s.matched }
  if (s.ruleText !== undefined) o.rule = s.ruleText
  if (s.why !== undefined && s.why !== '') o.why = s.why
  if (s.verdict !== undefined) o.verdict = s.verdict
  if (s.jumpTo !== undefined) o.jumpTo = s.jumpTo
  if (s.note !== undefined) o.note = s.note
  const rule = s.kind === 'rule' ? ruleAt(p, s.table, s.chain, s.n) : undefined
  const prov = rule?.provenance as RuleProvenance | undefined
  // the provenance note already explains a generated rule; say more only when the target did something
  if (s.matched === true && (prov?.note === undefined || s.note !== undefined || s.kind !== 'rule')) {
    if (rule !== undefined && s.note === undefined) {
      // without a target note the line depends only on the rule (provenance, jump target) and its verdict
      const key = `${s.verdict ?? ''}>${s.jumpTo ?? ''}`
      let byRule = EXPLAINED.get(rule)
      if (byRule === undefined) EXPLAINED.set(rule, byRule = new Map())
      let e = byRule.get(key)
      if (e === undefined) byRule.set(key, e = explainStep(p, s))
      o.explanation = e
    } else o.explanation = explainStep(p, s)
  }
  if (prov !== undefined) o.provenance = prov
  if (s.after !== undefined) { o.before = packetOut(s.packet); o.after = packetOut(s.after) }
  return o
}

function hopOut (prepared: (n: string) => Prepared, h: Hop): HopOut {
  const p = prepared(h.node)
  const o = h.outcome
  const verdict: HopOut['verdict'] = { kind: o.kind }
  if (o.kind === 'EGRESS') { verdict.outIface = o.outIface; verdict.nextHop = o.nextHop }
  if (o.kind === 'DROPPED' || o.kind === 'NO_ROUTE' || o.kind === 'UNKNOWN') verdict.reason = o.reason
  return {
    node: h.node,
    entry: h.entry,
    inIface: h.inIface,
    hooks: h.hooks,
    packetIn: packetOut(h.packetIn),
    packetOut: packetOut(h.packetOut),
    verdict,
    probability: h.probability,
    steps: h.steps.map(s => stepOut(p, s))
  }
}

function ruleOut (p: Prepared, at: RuleRef): RuleOut {
  const r: RuleOut = { table: at.table, chain: at.chain, n: at.n, text: at.ruleText ?? '' }
  const prov = provenanceOf(p, at)
  if (prov !== undefined) r.provenance = prov
  return r
}

function outcomeOf (prepared: (n: string) => Prepared, req: TraceRequest, path: Path): Omit<OutcomeOut, 'paths'> {
  const f: Final = path.final
  const client = clientAddress(req, path)
  const reason = finalReason(f, path.hops, prepared, client)
  const out: Omit<OutcomeOut, 'paths'> = { outcome: f.kind, probability: path.probability, node: f.node, reason }
  switch (f.kind) {
    case 'DELIVERED':
      out.pod = f.pod.key
      out.address = hp(f.address, f.port)
      out.seenSource = hp(f.seenSource, f.seenPort)
      out.masqueraded = sourceNatted(path.hops) || f.seenSource !== client
      break
    case 'LOCAL':
      out.address = hp(f.address, f.port)
      out.seenSource = hp(f.seenSource, f.seenPort)
      out.masqueraded = sourceNatted(path.hops) || f.seenSource !== client
      break
    case 'REJECTED':
      out.reject = { with: f.with, description: rejectKind(f.with) }
      out.rule = ruleOut(prepared(f.node), f.at)
      break
    case 'DROPPED': case 'UNKNOWN':
      if (f.at !== undefined && f.at.ruleText !== undefined) out.rule = ruleOut(prepared(f.node), f.at)
      break
    case 'EXTERNAL':
      out.address = hp(f.packet.dst, f.packet.dport)
      break
  }
  if (path.reply !== undefined) {
    const r: ReplyResult = path.reply
    out.reply = { reachedClient: r.reachedClient, ...(r.from !== undefined ? { from: hp(r.from.address, r.from.port) } : {}), matchesRequest: r.matchesRequest, summary: r.summary }
  }
  return out
}

function fmtP (p: number): string {
  return p === 1 ? '1' : p.toFixed(11)
}

export function outcomeLine (o: Omit<OutcomeOut, 'paths'>): string {
  switch (o.outcome) {
    case 'DELIVERED': return `DELIVERED to pod ${o.pod ?? ''} ${o.address ?? ''} on ${o.node}, seen from ${o.seenSource ?? ''}${o.masqueraded === true ? ' (masqueraded)' : ''}`
    case 'LOCAL': return `LOCAL: host process on ${o.node} at ${o.address ?? ''}`
    default: return `${o.outcome} on ${o.node}: ${o.reason}`
  }
}

export function buildResponse (args: {
  cluster: string
  generation: number
  profile: string
  net: ClusterNet
  req: TraceRequest
  paths: Path[]
  prepared: (n: string) => Prepared
  clock: { now: number, advancedSeconds: number }
}): TraceResponse {
  try {
    return responseOf(args)
  } finally {
    PACKET_OUT = new Map()
  }
}

function responseOf (args: Parameters<typeof buildResponse>[0]): TraceResponse {
  const { req, paths, prepared } = args
  const s = req.source
  const source: TraceResponse['request']['source'] = s.kind === 'external'
    ? { kind: 'external', address: s.address, port: s.port, node: s.node, nodeChosen: s.nodeChosen === 'given' ? 'given in the request' : 'owner of the destination address' }
    : s.kind === 'pod'
      ? { kind: 'pod', address: s.address, port: s.port, node: s.pod.node, pod: s.pod.key }
      : { kind: 'node', ...(paths[0]?.hops[0] !== undefined ? { address: paths[0].hops[0].packetIn.src } : {}), port: s.port, node: s.node, ...(s.via !== undefined ? { pod: s.via } : {}) }
  const pathOuts: PathOut[] = []
  const outcomes: OutcomeOut[] = []
  const byKey = new Map<string, OutcomeOut>()
  paths.forEach((p, i) => {
    const oc = outcomeOf(prepared, req, p)
    const choices: PathOut['choices'] = []
    for (const h of p.hops) for (const c of h.choices) choices.push({ node: h.node, table: c.table, chain: c.chain, n: c.n, pMatch: c.pMatch, matched: c.matched })
    const po: PathOut = { probability: p.probability, outcome: oc, choices, hops: p.hops.map(h => hopOut(prepared, h)) }
    if (p.reply !== undefined) {
      const r = p.reply
      po.reply = {
        summary: r.summary,
        reachedClient: r.reachedClient,
        ...(r.from !== undefined ? { from: hp(r.from.address, r.from.port) } : {}),
        matchesRequest: r.matchesRequest,
        final: r.final.kind,
        hops: r.hops.map(h => hopOut(prepared, h))
      }
    }
    pathOuts.push(po)
    const key = JSON.stringify([oc.outcome, oc.node, oc.pod, oc.address, oc.seenSource, oc.reason, oc.reply?.from, oc.reply?.reachedClient])
    const agg = byKey.get(key)
    if (agg === undefined) {
      // (Object.assign, not `{ ...oc, paths }`: on Node 20's V8 an object made by a spread that
      // comes first in a literal kept each trace's young objects alive through young collections, so
      // they were promoted: ~0.1–0.5 MB per collection, old-generation garbage, page faults; together
      // with the packets built by spreading in walk.ts and reply.ts it made a trace 2.5× slower)
      const o: OutcomeOut = Object.assign({}, oc, { paths: [i] })
      byKey.set(key, o)
      outcomes.push(o)
    } else {
      agg.probability += oc.probability
      agg.paths.push(i)
    }
  })
  const dst = req.destination
  const summary = outcomes.length === 1
    ? outcomeLine(outcomes[0])
    : `${outcomes.length} possible outcomes: ` + outcomes.map(o => `${outcomeLine(o)} with p=${fmtP(o.probability)}`).join('; ')
  return {
    kind: 'Trace',
    apiVersion: 'kubenetsim.io/v1',
    metadata: { cluster: args.cluster, generation: args.generation, profile: args.profile },
    request: {
      protocol: req.protocol,
      source,
      destination: { address: dst.address, ...(dst.port !== undefined ? { port: dst.port } : {}), is: describeAddress(args.net, dst.address) },
      mode: req.mode,
      ...(req.mode === 'sample' ? { seed: req.seed } : {}),
      detail: req.detail,
      reply: req.reply,
      clock: args.clock
    },
    summary,
    outcomes,
    paths: pathOuts
  }
}

export { fmtP }
