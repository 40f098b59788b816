/**
 * `ipt_do_table` for one table at one hook (§3.1): rule walk with the jump/goto stack, implicit
 * return/policy entries numbered rules+1, counters, trace steps, and target execution.
 */
import type { HookName, Target } from '../model.ts'
import type { Ctx, RuleStep } from './context.ts'
import type { PChain, PRule, PTable } from './prepare.ts'
import { destOf, ruleOf, ruleText, runLookup, rulesOf } from './prepare.ts'
import { matchRule, MISS, UNKNOWN } from './match.ts'
import { snapshot, touch } from '../packet.ts'
import { setupNat } from './nat.ts'
import type { Manip } from './nat.ts'
import { u32ToIp } from './ipv4.ts'
import { selectSourceAddr } from '../host.ts'
import { renderLogLine } from '../trace/log-format.ts'

export type TableVerdict =
  | { v: 'ACCEPT' }
  | { v: 'DROP', step?: RuleStep, reason?: string }
  | { v: 'REJECT', with: string, step: RuleStep }
  | { v: 'QUEUE', step: RuleStep }
  | { v: 'UNKNOWN', step: RuleStep, reason: string }

const MAX_EVALS = 2_000_000

const STACK_CHAINS: PChain[] = []
const STACK_IDX: number[] = []

function count (ctx: Ctx, id: number): void {
  const c = ctx.state.counters.get(id)
  if (c === undefined) ctx.state.counters.set(id, { packets: 1, bytes: ctx.pkt.length })
  else { c.packets++; c.bytes += ctx.pkt.length }
}

function pushStep (ctx: Ctx, chain: PChain, kind: 'rule' | 'return' | 'policy', n: number, pr: PRule | undefined, matched: boolean | 'unknown'): RuleStep {
  // all fields in one literal (stable object shape); undefined fields are omitted from JSON
  const s: RuleStep = {
    type: 'rule',
    hook: ctx.hook,
    table: ctx.table,
    chain: chain.name,
    kind,
    n,
    printedKind: pr !== undefined ? pr.quirkKind : kind,
    handle: pr?.handle,
    ruleText: pr !== undefined ? ruleText(ctx.prepared, pr) : undefined,
    matched,
    why: undefined,
    verdict: undefined,
    jumpTo: undefined,
    note: undefined,
    packet: snapshot(ctx.pkt),
    after: undefined,
    traced: ctx.pkt.nfTrace,
    tracedAfter: ctx.pkt.nfTrace,
    traversal: ctx.traversal
  }
  ctx.steps.push(s)
  return s
}

const NAT_HOOK_MANIP: Partial<Record<HookName, Manip>> = { PREROUTING: 'DST', OUTPUT: 'DST', POSTROUTING: 'SRC', INPUT: 'SRC' }

type TargetResult = { k: 'continue' } | { k: 'accept' } | { k: 'drop', reason?: string } | { k: 'reject', with: string } | { k: 'queue' } | { k: 'unknown', reason: string }

// shared immutable results (no allocation per rule in the hot loop)
const CONTINUE: TargetResult = Object.freeze({ k: 'continue' as const })
const ACCEPT_T: TargetResult = Object.freeze({ k: 'accept' as const })
const QUEUE_T: TargetResult = Object.freeze({ k: 'queue' as const })
export const ACCEPT_V: TableVerdict = Object.freeze({ v: 'ACCEPT' as const })

function hexm (v: number): string { return '0x' + (v >>> 0).toString(16) }

/** Run an extension (non-standard) target. */
function runTarget (ctx: Ctx, t: Target, step: RuleStep): TargetResult {
  const p = ctx.pkt
  switch (t.kind) {
    case 'MARK': {
      const old = p.mark
      p.mark = ((p.mark & ~t.mask) ^ t.value) >>> 0
      if (p.mark !== old) { touch(p); step.after = snapshot(p) }
      step.note = `mark ${hexm(old)} → ${hexm(p.mark)}`
      return CONTINUE
    }
    case 'CONNMARK': {
      const e = ctx.ct.entry
      if (e === undefined) { step.note = 'no conntrack entry: CONNMARK does nothing'; return CONTINUE }
      if (t.mode === 'set') {
        const old = e.mark
        e.mark = ((e.mark & ~t.mask) ^ t.value) >>> 0
        step.note = `ctmark ${hexm(old)} → ${hexm(e.mark)}`
      } else if (t.mode === 'save') {
        const old = e.mark
        e.mark = ((e.mark & ~t.ctmask) ^ (p.mark & t.nfmask)) >>> 0
        step.note = `ctmark ${hexm(old)} → ${hexm(e.mark)} (saved from mark)`
      } else {
        const old = p.mark
        p.mark = ((p.mark & ~t.nfmask) ^ (e.mark & t.ctmask)) >>> 0
        if (old !== p.mark) { touch(p); step.after = snapshot(p) }
        step.note = `mark ${hexm(old)} → ${hexm(p.mark)} (restored from ctmark)`
      }
      return CONTINUE
    }
    case 'LOG': {
      const line = renderLogLine(t.prefix ?? '', snapshot(p), ctx.hook, t.flags)
      ctx.steps.push({ type: 'log', hook: ctx.hook, table: ctx.table, message: line, packet: snapshot(p), data: { level: t.level ?? 4 } })
      step.note = 'logged'
      return CONTINUE
    }
    case 'TRACE':
      p.nfTrace = true
      step.tracedAfter = true
      step.note = 'packet is now traced (nf_trace=1)'
      return CONTINUE
    case 'NOTRACK':
      if (ctx.ct.seen) { step.note = 'NOTRACK after conntrack has seen the packet has no effect'; return CONTINUE }
      ctx.ct.untracked = true
      step.note = 'connection tracking disabled for this packet (UNTRACKED)'
      return CONTINUE
    case 'CT':
      if (!t.notrack) return { k: 'unknown', reason: `CT ${t.args.join(' ')} is not modelled` }
      if (ctx.ct.seen) { step.note = 'CT --notrack after conntrack has seen the packet has no effect'; return CONTINUE }
      ctx.ct.untracked = true
      step.note = 'connection tracking disabled for this packet (UNTRACKED)'
      return CONTINUE
    case 'REJECT':
      if (ctx.hook !== 'INPUT' && ctx.hook !== 'FORWARD' && ctx.hook !== 'OUTPUT') return { k: 'unknown', reason: `REJECT is not valid in ${ctx.hook} (the kernel refuses to load it)` }
      if (t.rejectWith === 'tcp-reset' && p.proto !== 6) return { k: 'unknown', reason: 'REJECT --reject-with tcp-reset needs -p tcp' }
      return { k: 'reject', with: t.rejectWith }
    case 'QUEUE': return QUEUE_T
    case 'DNAT': case 'SNAT': case 'MASQUERADE': case 'REDIRECT':
      return runNat(ctx, t, step)
    case 'unknown':
      return { k: 'unknown', reason: `target ${t.name}${t.args.length > 0 ? ' ' + t.args.join(' ') : ''} is not modelled` }
    default:
      return { k: 'unknown', reason: `target ${t.kind} is not handled here` }
  }
}

function runNat (ctx: Ctx, t: Extract<Target, { kind: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT' }>, step: RuleStep): TargetResult {
  const manip = NAT_HOOK_MANIP[ctx.hook]
  const want: Manip = t.kind === 'DNAT' || t.kind === 'REDIRECT' ? 'DST' : 'SRC'
  if (ctx.table !== 'nat' || manip !== want || (t.kind === 'MASQUERADE' && ctx.hook !== 'POSTROUTING')) {
    return { k: 'unknown', reason: `${t.kind} is not valid in ${ctx.table} ${ctx.hook} (the kernel refuses to load it)` }
  }
  const e = ctx.ct.entry
  if (e === undefined) return ACCEPT_T
  const p = ctx.pkt
  let note = ''
  if (t.kind === 'DNAT' || t.kind === 'SNAT') {
    const r = t.ranges[0] ?? {}
    note = setupNat(ctx, e, want, { minAddr: r.minAddr, maxAddr: r.maxAddr, minPort: r.minPort, maxPort: r.maxPort, randomAll: t.random || (t.kind === 'SNAT' && t.randomFully), persistent: t.persistent })
  } else if (t.kind === 'MASQUERADE') {
    if (e.orig.src === 0) return ACCEPT_T
    const nh = ctx.nextHop !== 0 ? ctx.nextHop : p.dst
    const src = selectSourceAddr(ctx.host, p.outIface, nh)
    if (src === 0) return { k: 'drop', reason: `MASQUERADE: no address on ${p.outIface}` }
    note = `source ${u32ToIp(src)} selected on ${p.outIface} for next hop ${u32ToIp(nh)}`
    const n2 = setupNat(ctx, e, 'SRC', { minAddr: src, maxAddr: src, minPort: t.minPort, maxPort: t.maxPort, randomAll: t.random || t.randomFully, persistent: false })
    if (n2 !== '') note += '; ' + n2
  } else {
    let dst: number
    if (ctx.hook === 'OUTPUT') dst = 0x7f000001
    else {
      const i = ctx.host.ifaces.get(p.inIface)
      if (i === undefined || i.addrs.length === 0) return { k: 'drop', reason: `REDIRECT: ${p.inIface} has no address` }
      dst = i.addrs[0].addr
    }
    note = setupNat(ctx, e, 'DST', { minAddr: dst, maxAddr: dst, minPort: t.minPort, maxPort: t.maxPort, randomAll: t.random, persistent: false })
  }
  step.note = `${t.kind} binding: ${describeBinding(e, want)}${note !== '' ? ' (' + note + ')' : ''}`
  return ACCEPT_T
}

function describeBinding (e: { reply: { src: number, dst: number, sport: number, dport: number }, orig: { proto: number } }, m: Manip): string {
  const ports = e.orig.proto === 6 || e.orig.proto === 17 || e.orig.proto === 132
  if (m === 'DST') return `destination → ${u32ToIp(e.reply.src)}${ports ? ':' + e.reply.sport : ''}`
  return `source → ${u32ToIp(e.reply.dst)}${ports ? ':' + e.reply.dport : ''}`
}

/**
 * Walk `table`'s built-in chain for `hook`. Pushes rule steps onto ctx.steps.
 */
export function runTable (ctx: Ctx, table: PTable, hook: HookName): TableVerdict {
  const base = table.chains.get(hook)
  if (base === undefined || (ctx.backend === 'nft' && !base.nftHooked)) return ACCEPT_V
  ctx.traversal++
  ctx.hook = hook
  ctx.table = table.name
  const full = ctx.detail === 'full'
  const useIndex = !full && !ctx.pkt.fragment && ctx.pkt.hasPorts
  // the jump stack lives in module-level scratch arrays (the walk is synchronous and never nested)
  const stackChains = STACK_CHAINS
  const stackIdx = STACK_IDX
  let sp = 0
  const maxDepth = ctx.prepared.userChainCount + 1
  let chain = base
  let rules = rulesOf(base)
  let i = 0
  for (;;) {
    if (++ctx.ruleEvals > MAX_EVALS) {
      const s = pushStep(ctx, chain, 'rule', i + 1, i < rules.length ? ruleOf(chain, i) : undefined, 'unknown')
      return { v: 'UNKNOWN', step: s, reason: 'evaluation limit exceeded (rule loop?)' }
    }
    if (i >= rules.length) {
      const n = rules.length + 1
      count(ctx, chain.endId)
      if (chain.builtin) {
        const s = pushStep(ctx, chain, 'policy', n, undefined, true)
        const pol = chain.policy ?? 'ACCEPT'
        s.verdict = pol
        if (pol === 'DROP') return { v: 'DROP', step: s, reason: `policy DROP of ${table.name} ${chain.name}` }
        return ACCEPT_V
      }
      const s = pushStep(ctx, chain, 'return', n, undefined, true)
      s.verdict = 'RETURN'
      if (sp === 0) { chain = base; i = base.count } else { sp--; chain = stackChains[sp]; i = stackIdx[sp] + 1 }
      rules = rulesOf(chain)
      continue
    }
    if (useIndex) {
      const run = chain.runOf?.[i]
      if (run !== undefined) {
        const j = runLookup(run, i, ctx.pkt.dst, ctx.pkt.proto, ctx.pkt.dport)
        if (j !== i) { i = j; continue }
      }
    }
    const pr = rules[i] ?? ruleOf(chain, i)
    ctx.why = ''
    ctx.explain = full
    const m = matchRule(pr, ctx)
    if (m === MISS) {
      if (full) {
        const s = pushStep(ctx, chain, 'rule', i + 1, pr, false)
        s.why = ctx.why
      }
      i++
      continue
    }
    if (m === UNKNOWN) {
      const s = pushStep(ctx, chain, 'rule', i + 1, pr, 'unknown')
      s.why = ctx.why
      s.verdict = 'UNKNOWN'
      return { v: 'UNKNOWN', step: s, reason: `match outcome unknown: ${ctx.why}` }
    }
    count(ctx, pr.id)
    const s = pushStep(ctx, chain, 'rule', i + 1, pr, true)
    const t = pr.rule.target
    if (t === null) { s.verdict = 'CONTINUE'; i++; continue }
    switch (t.kind) {
      case 'ACCEPT': s.verdict = 'ACCEPT'; return ACCEPT_V
      case 'DROP': s.verdict = 'DROP'; return { v: 'DROP', step: s }
      case 'RETURN': {
        s.verdict = 'RETURN'
        if (sp === 0) { chain = base; i = base.count } else { sp--; chain = stackChains[sp]; i = stackIdx[sp] + 1 }
        rules = rulesOf(chain)
        continue
      }
      case 'jump': case 'goto': {
        const dest = destOf(pr)
        s.verdict = t.kind === 'jump' ? 'JUMP' : 'GOTO'
        s.jumpTo = t.chain
        if (dest === null) {
          s.verdict = 'UNKNOWN'
          return { v: 'UNKNOWN', step: s, reason: `chain ${t.chain} does not exist` }
        }
        if (t.kind === 'jump') {
          if (sp >= maxDepth) { s.note = 'jump stack overflow'; return { v: 'DROP', step: s, reason: 'jump stack overflow' } }
          stackChains[sp] = chain
          stackIdx[sp] = i
          sp++
        }
        chain = dest
        rules = rulesOf(chain)
        i = 0
        continue
      }
      default: {
        const r = runTarget(ctx, t, s)
        switch (r.k) {
          case 'continue': s.verdict = 'CONTINUE'; i++; continue
          case 'accept': s.verdict = 'ACCEPT'; return ACCEPT_V
          case 'drop': s.verdict = 'DROP'; if (r.reason !== undefined) s.note = r.reason; return { v: 'DROP', step: s, reason: r.reason }
          case 'reject':
            s.verdict = 'REJECT'
            s.note = r.with === 'tcp-reset'
              ? 'rejected with a TCP RST'
              : `rejected with ICMP ${r.with.slice(5)} (the kernel rate-limits ICMP errors per destination, net.ipv4.icmp_ratelimit: in bursts some senders see a timeout instead)`
            return { v: 'REJECT', with: r.with, step: s }
          case 'queue': s.verdict = 'QUEUE'; return { v: 'QUEUE', step: s }
          case 'unknown': s.verdict = 'UNKNOWN'; s.why = r.reason; return { v: 'UNKNOWN', step: s, reason: r.reason }
        }
      }
    }
  }
}
