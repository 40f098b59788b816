/**
 * The three packet paths (§1.2–1.8): hooks in priority order over the tables present in the
 * ruleset, conntrack in/confirm, nat hooks (only while the manip is unbound), routing decisions,
 * re-routing after DNAT/mangle in OUTPUT (OUTPUT chains keep the original OUT device), and
 * loopback re-injection for local → local traffic.
 */
import type { HookName, TableName } from '../model.ts'
import type { Ctx, RuleStep } from './context.ts'
import { runTable, ACCEPT_V } from './walk.ts'
import type { TableVerdict } from './walk.ts'
import { conntrackIn, manipDone, natPacket, nullBinding } from './nat.ts'
import type { Manip } from './nat.ts'
import { routeInput, routeOutput } from '../host.ts'
import { snapshot, touch } from '../packet.ts'
import type { PacketSnapshot } from '../packet.ts'
import { confirmEntry } from '../conntrack.ts'
import { u32ToIp } from './ipv4.ts'

export interface RuleRef { hook: HookName, table: TableName, chain: string, n: number, ruleText?: string }

export type Outcome =
  /** accepted at the last hook and delivered to a local socket */
  | { kind: 'DELIVERED', packet: PacketSnapshot }
  /** leaves the host through `outIface` towards `nextHop` (forwarded, or locally generated) */
  | { kind: 'EGRESS', outIface: string, nextHop: string, forwarded: boolean, packet: PacketSnapshot }
  | { kind: 'DROPPED', at?: RuleRef, hook?: HookName, reason: string, packet: PacketSnapshot }
  | { kind: 'REJECTED', with: string, at: RuleRef, packet: PacketSnapshot }
  | { kind: 'NO_ROUTE', errno: string, reason: string, packet: PacketSnapshot }
  | { kind: 'QUEUED', at: RuleRef, packet: PacketSnapshot }
  /** a match or target the engine does not model decided the fate: no guess is made */
  | { kind: 'UNKNOWN', at: RuleRef, reason: string, packet: PacketSnapshot }

export type Backend = 'legacy' | 'nft'

const HOOK_TABLES: Record<HookName, TableName[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat']
}
const HOOK_TABLES_NFT_INPUT: TableName[] = ['mangle', 'filter', 'nat', 'security']

const MANIP: Record<HookName, Manip | undefined> = { PREROUTING: 'DST', OUTPUT: 'DST', INPUT: 'SRC', POSTROUTING: 'SRC', FORWARD: undefined }

function ref (s: RuleStep): RuleRef {
  return { hook: s.hook, table: s.table, chain: s.chain, n: s.n, ...(s.ruleText !== undefined ? { ruleText: s.ruleText } : {}) }
}

type HookResult = { ok: true } | { ok: false, outcome: Outcome }
const HOOK_OK: HookResult = Object.freeze({ ok: true as const })

function verdictOutcome (ctx: Ctx, v: TableVerdict): Outcome | null {
  if (v.v === 'ACCEPT') return null
  const packet = snapshot(ctx.pkt)
  switch (v.v) {
    case 'DROP': return { kind: 'DROPPED', ...(v.step !== undefined ? { at: ref(v.step) } : {}), hook: ctx.hook, reason: v.reason ?? (v.step !== undefined ? `dropped by ${v.step.table} ${v.step.chain} ${v.step.kind} ${v.step.n}` : 'dropped'), packet }
    case 'REJECT': return { kind: 'REJECTED', with: v.with, at: ref(v.step), packet }
    case 'QUEUE': return { kind: 'QUEUED', at: ref(v.step), packet }
    case 'UNKNOWN': return { kind: 'UNKNOWN', at: ref(v.step), reason: v.reason, packet }
  }
}

export interface PathOptions { backend: Backend, forcedCt?: string }

function natHook (ctx: Ctx, hook: HookName): TableVerdict {
  const manip = MANIP[hook]!
  const table = ctx.prepared.tables.get('nat')!
  const e = ctx.ct.entry
  ctx.hook = hook
  ctx.table = 'nat'
  if (e === undefined) return ACCEPT_V
  const info = ctx.ct.info
  if ((info === 'NEW' || info === 'RELATED' || info === 'RELATED_REPLY') && !manipDone(e, manip)) {
    const v = runTable(ctx, table, hook)
    if (v.v !== 'ACCEPT') return v
    if (!manipDone(e, manip)) {
      nullBinding(e, manip)
      ctx.steps.push({ type: 'nat', hook, table: 'nat', message: `no ${manip === 'DST' ? 'DNAT' : 'SNAT'} rule matched: null binding (this connection is never ${manip === 'DST' ? 'DNATed' : 'SNATed'} later)`, data: { manip, binding: 'null' } })
    }
  }
  ctx.hook = hook
  natPacket(ctx, manip)
  return ACCEPT_V
}

function runHook (ctx: Ctx, hook: HookName, opts: PathOptions, routing?: OutputRouting): HookResult {
  const order = hook === 'INPUT' && opts.backend === 'nft' ? HOOK_TABLES_NFT_INPUT : HOOK_TABLES[hook]
  for (const t of order) {
    if (t === 'mangle' && (hook === 'PREROUTING' || hook === 'OUTPUT')) {
      // conntrack (priority −200) runs after raw (−300) and before mangle (−150)
      ctx.hook = hook
      conntrackIn(ctx, opts.forcedCt)
    }
    const table = ctx.prepared.tables.get(t)
    if (table !== undefined) {
      const v = t === 'nat' ? natHook(ctx, hook) : runTable(ctx, table, hook)
      const o = verdictOutcome(ctx, v)
      if (o !== null) return { ok: false, outcome: o }
    }
    if (routing !== undefined) {
      const o = routing.afterTable(t)
      if (o !== null) return { ok: false, outcome: o }
    }
  }
  if (hook === 'PREROUTING' || hook === 'OUTPUT') { ctx.hook = hook; conntrackIn(ctx, opts.forcedCt) }
  return HOOK_OK
}

function confirm (ctx: Ctx): void {
  const c = ctx.ct
  if (c.entry !== undefined && c.unconfirmed && !c.forced) {
    confirmEntry(ctx.state.conntrack, c.entry)
    c.unconfirmed = false
    ctx.steps.push({ type: 'confirm', hook: ctx.hook, message: `conntrack entry ${c.entry.id} confirmed`, data: { entry: c.entry.id } })
  }
}

function deliverLocal (ctx: Ctx, opts: PathOptions): Outcome {
  const r = runHook(ctx, 'INPUT', opts)
  if (!r.ok) return r.outcome
  confirm(ctx)
  return { kind: 'DELIVERED', packet: snapshot(ctx.pkt) }
}

/** A packet arriving on `pkt.inIface`. */
export function ingressPath (ctx: Ctx, opts: PathOptions): Outcome {
  const p = ctx.pkt
  const h = ctx.host
  const inIf = h.ifaces.get(p.inIface)
  if (inIf === undefined || !inIf.up) {
    return { kind: 'DROPPED', reason: inIf === undefined ? `unknown input interface '${p.inIface}'` : `input interface ${p.inIface} is down`, packet: snapshot(p) }
  }
  const pre = runHook(ctx, 'PREROUTING', opts)
  if (!pre.ok) return pre.outcome
  const r = routeInput(h, p.src, p.dst, p.inIface)
  if (r.kind === 'drop') {
    ctx.steps.push({ type: 'route', hook: 'PREROUTING', message: `routing: ${r.reason} → dropped`, packet: snapshot(p), data: { decision: 'drop', errno: r.errno } })
    if (r.errno === 'EINVAL') return { kind: 'DROPPED', hook: 'PREROUTING', reason: r.reason, packet: snapshot(p) }
    return { kind: 'NO_ROUTE', errno: r.errno, reason: r.reason, packet: snapshot(p) }
  }
  if (r.kind === 'local') {
    ctx.steps.push({ type: 'route', hook: 'PREROUTING', message: `routing: ${u32ToIp(p.dst)} is local → INPUT`, data: { decision: 'local' } })
    return deliverLocal(ctx, opts)
  }
  ctx.steps.push({ type: 'route', hook: 'PREROUTING', message: `routing: forward ${u32ToIp(p.dst)} via ${r.gateway !== 0 ? u32ToIp(r.gateway) + ' ' : ''}dev ${r.dev}`, data: { decision: 'forward', dev: r.dev } })
  if (p.ttl <= 1) {
    ctx.steps.push({ type: 'ttl', hook: 'FORWARD', message: 'TTL exceeded in transit: dropped (ICMP time exceeded sent)' })
    return { kind: 'DROPPED', reason: 'TTL exceeded', packet: snapshot(p) }
  }
  p.ttl--
  p.outIface = r.dev
  touch(p)
  ctx.nextHop = r.gateway !== 0 ? r.gateway : p.dst
  ctx.forwarded = true
  const fwd = runHook(ctx, 'FORWARD', opts)
  if (!fwd.ok) return fwd.outcome
  const post = runHook(ctx, 'POSTROUTING', opts)
  if (!post.ok) return post.outcome
  confirm(ctx)
  return { kind: 'EGRESS', outIface: p.outIface, nextHop: u32ToIp(ctx.nextHop), forwarded: true, packet: snapshot(p) }
}

/**
 * Re-routing of locally generated packets (`ip_route_me_harder`): the routing key (addresses, mark,
 * TOS) is noted after raw; when mangle or DNAT changed it, the route is looked up again.
 */
class OutputRouting {
  private src = 0
  private dst = 0
  private mark = 0
  private tos = 0

  constructor (private readonly ctx: Ctx, public dev: string, public local: boolean) {
    this.note()
  }

  private note (): void {
    const p = this.ctx.pkt
    this.src = p.src
    this.dst = p.dst
    this.mark = p.mark
    this.tos = p.tos
  }

  private changed (): boolean {
    const p = this.ctx.pkt
    return p.src !== this.src || p.dst !== this.dst || p.mark !== this.mark || p.tos !== this.tos
  }

  /** called after each table of the OUTPUT hook */
  afterTable (t: TableName): Outcome | null {
    if (t === 'raw') { this.note(); return null }
    if ((t === 'mangle' || t === 'nat') && this.changed()) {
      const o = this.reroute(t === 'mangle' ? 'mangle OUTPUT changes' : 'DNAT')
      this.note()
      return o
    }
    return null
  }

  private reroute (why: string): Outcome | null {
    const ctx = this.ctx
    const p = ctx.pkt
    const rr = routeOutput(ctx.host, p.src, p.dst)
    if (rr.kind === 'error') {
      ctx.steps.push({ type: 'reroute', hook: 'OUTPUT', message: `re-route after ${why} failed: ${rr.reason} → dropped inside the hook`, data: { errno: rr.errno } })
      return { kind: 'DROPPED', hook: 'OUTPUT', reason: `re-route after ${why} failed: ${rr.reason}`, packet: snapshot(p) }
    }
    if (rr.dev !== this.dev) ctx.steps.push({ type: 'reroute', hook: 'OUTPUT', message: `re-route after ${why}: now dev ${rr.dev} (OUTPUT chains still see OUT=${p.outIface}; POSTROUTING sees ${rr.dev})`, data: { dev: rr.dev } })
    this.dev = rr.dev
    this.local = rr.local
    ctx.nextHop = rr.gateway !== 0 ? rr.gateway : p.dst
    return null
  }
}

/** A packet generated by a local process. */
export function localPath (ctx: Ctx, opts: PathOptions): Outcome {
  const p = ctx.pkt
  const h = ctx.host
  const r = routeOutput(h, p.src, p.dst)
  if (r.kind === 'error') {
    ctx.steps.push({ type: 'route', hook: 'OUTPUT', message: `routing: ${r.reason}`, data: { decision: 'error', errno: r.errno } })
    return { kind: 'NO_ROUTE', errno: r.errno, reason: r.reason, packet: snapshot(p) }
  }
  if (p.src === 0) p.src = r.src
  p.outIface = r.dev
  touch(p)
  ctx.nextHop = r.gateway !== 0 ? r.gateway : p.dst
  ctx.steps.push({ type: 'route', hook: 'OUTPUT', message: `routing: ${u32ToIp(p.dst)} ${r.local ? 'is local → lo' : `via ${r.gateway !== 0 ? u32ToIp(r.gateway) + ' ' : ''}dev ${r.dev}`}, source ${u32ToIp(p.src)}`, data: { decision: r.local ? 'local' : 'output', dev: r.dev } })
  const routing = new OutputRouting(ctx, r.dev, r.local)
  const out = runHook(ctx, 'OUTPUT', opts, routing)
  if (!out.ok) return out.outcome
  p.outIface = routing.dev
  touch(p)
  const post = runHook(ctx, 'POSTROUTING', opts)
  if (!post.ok) return post.outcome
  confirm(ctx)
  if (!routing.local) return { kind: 'EGRESS', outIface: p.outIface, nextHop: u32ToIp(ctx.nextHop), forwarded: false, packet: snapshot(p) }
  // loopback: the skb (with its conntrack, mark and nf_trace) is received again on lo
  const lo = p.outIface
  p.inIface = lo
  p.outIface = ''
  p.local = false
  touch(p)
  ctx.steps.push({ type: 'loopback', message: `looped back through ${lo}: re-enters PREROUTING (conntrack and NAT bindings kept, nat chains skipped)`, packet: snapshot(p) })
  const pre = runHook(ctx, 'PREROUTING', opts)
  if (!pre.ok) return pre.outcome
  return deliverLocal(ctx, opts)
}
