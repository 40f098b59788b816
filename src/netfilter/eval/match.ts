/**
 * Rule matching with kernel semantics (§3.2, §5.1). The fixed IP-header part is checked first,
 * then `-m` matches left to right with short-circuit. Results are ternary: 1 match, 0 miss,
 * 2 unknown (a module the engine does not model). On a miss with `ctx.explain`, `ctx.why` says
 * which part failed and why in readable form.
 */
import type { AddrMatch, IfaceMatch, Inv, Match, PortRange, Rule } from '../model.ts'
import type { Ctx } from './context.ts'
import { u32ToIp, formatAddrMask } from './ipv4.ts'
import { addrType, ADDR_TYPES } from '../host.ts'
import { PROTO_NAME, tcpFlagNames } from '../packet.ts'
import type { RecentEntry, RecentTable } from './state.ts'
import type { PRule } from './prepare.ts'

export const MISS = 0
export const HIT = 1
export const UNKNOWN = 2
export type Tri = 0 | 1 | 2

const bang = (inv: boolean): string => inv ? '! ' : ''

export function ifaceMatches (m: IfaceMatch, dev: string): boolean {
  const n = m.name
  let r: boolean
  if (n.endsWith('+')) r = dev.startsWith(n.slice(0, -1))
  else r = dev === n
  return r !== m.invert
}

function addrOk (m: AddrMatch, a: number): boolean {
  return ((((a & m.mask) >>> 0) === (m.addr >>> 0)) !== m.invert)
}

function protoName (p: number): string { return PROTO_NAME[p] ?? String(p) }

function addrWhy (opt: string, m: AddrMatch, a: number): string {
  return m.invert ? `! ${opt} ${formatAddrMask(m.addr, m.mask)} but ${u32ToIp(a)} is inside` : `${opt} ${formatAddrMask(m.addr, m.mask)} ≠ ${u32ToIp(a)}`
}

/** IP header part (`ip_packet_match`). */
function ipPart (r: Rule, ctx: Ctx): boolean {
  const p = ctx.pkt
  if (r.source !== undefined && !addrOk(r.source, p.src)) {
    if (ctx.explain) ctx.why = addrWhy('-s', r.source, p.src)
    return false
  }
  if (r.destination !== undefined && !addrOk(r.destination, p.dst)) {
    if (ctx.explain) ctx.why = addrWhy('-d', r.destination, p.dst)
    return false
  }
  if (r.inIface !== undefined && !ifaceMatches(r.inIface, p.inIface)) {
    if (ctx.explain) ctx.why = `${bang(r.inIface.invert)}-i ${r.inIface.name} ${r.inIface.invert ? 'but' : '≠'} ${p.inIface === '' ? '(no input device)' : p.inIface}`
    return false
  }
  if (r.outIface !== undefined && !ifaceMatches(r.outIface, p.outIface)) {
    if (ctx.explain) ctx.why = `${bang(r.outIface.invert)}-o ${r.outIface.name} ${r.outIface.invert ? 'but' : '≠'} ${p.outIface === '' ? '(no output device)' : p.outIface}`
    return false
  }
  if (r.protocol !== undefined && r.protocol.proto !== 0 && ((p.proto === r.protocol.proto) === r.protocol.invert)) {
    if (ctx.explain) ctx.why = `${bang(r.protocol.invert)}-p ${protoName(r.protocol.proto)} ${r.protocol.invert ? 'but' : '≠'} ${protoName(p.proto)}`
    return false
  }
  if (r.fragment !== undefined && (p.fragment === r.fragment.invert)) {
    if (ctx.explain) ctx.why = `${bang(r.fragment.invert)}-f: packet is ${p.fragment ? 'a non-first fragment' : 'not a non-first fragment'}`
    return false
  }
  return true
}

function rangeText (r: PortRange): string { return r.min === r.max ? String(r.min) : `${r.min}:${r.max}` }

function portOk (m: Inv<PortRange>, port: number, opt: string, ctx: Ctx): boolean {
  const inr = port >= m.value.min && port <= m.value.max
  if (inr !== m.invert) return true
  if (ctx.explain) ctx.why = m.invert ? `! ${opt} ${rangeText(m.value)} but port is ${port}` : `${opt} ${rangeText(m.value)} ≠ ${port}`
  return false
}

function stateBits (ctx: Ctx): string[] {
  const c = ctx.ct
  if (c.entry === undefined) return [c.untracked ? 'UNTRACKED' : 'INVALID']
  const out: string[] = []
  const info = c.info
  if (info === 'NEW') out.push('NEW')
  else if (info === 'ESTABLISHED' || info === 'ESTABLISHED_REPLY') out.push('ESTABLISHED')
  else out.push('RELATED')
  return out
}

function ctStateText (ctx: Ctx, withNat: boolean): string {
  const s = stateBits(ctx)
  if (withNat && ctx.ct.entry !== undefined) {
    if (ctx.ct.entry.status.srcNat) s.push('SNAT')
    if (ctx.ct.entry.status.dstNat) s.push('DNAT')
  }
  return s.join(',')
}

/** Is `s` (upper case) one of the packet's conntrack states (`stateBits`, plus SNAT/DNAT with `withNat`)? */
function hasState (ctx: Ctx, s: string, withNat: boolean): boolean {
  const c = ctx.ct
  if (c.entry === undefined) return s === (c.untracked ? 'UNTRACKED' : 'INVALID')
  const info = c.info
  const base = info === 'NEW' ? 'NEW' : info === 'ESTABLISHED' || info === 'ESTABLISHED_REPLY' ? 'ESTABLISHED' : 'RELATED'
  if (s === base) return true
  return withNat && ((s === 'SNAT' && c.entry.status.srcNat) || (s === 'DNAT' && c.entry.status.dstNat))
}

function stateMatch (want: Inv<string[]>, ctx: Ctx, withNat: boolean, opt: string): boolean {
  let hit = false
  for (const x of want.value) if (hasState(ctx, x.toUpperCase(), withNat)) { hit = true; break }
  if (hit !== want.invert) return true
  if (ctx.explain) ctx.why = `${bang(want.invert)}${opt} ${want.value.map(x => x.toUpperCase()).join(',')} ${want.invert ? 'but' : '≠'} ${ctStateText(ctx, withNat)}`
  return false
}

/** Record why a match failed (only when explaining) and report the miss. */
function failWhy (ctx: Ctx, w: string): boolean {
  if (ctx.explain) ctx.why = w
  return false
}

function matchConntrack (m: Extract<Match, { kind: 'conntrack' }>, ctx: Ctx): boolean {
  if (m.ctstate !== undefined && !stateMatch(m.ctstate, ctx, true, '--ctstate')) return false
  const e = ctx.ct.entry
  if (e === undefined) {
    if (m.ctstate !== undefined) return true
    if (ctx.explain) ctx.why = `no conntrack entry (${ctStateText(ctx, false)}): conntrack criteria cannot match`
    return false
  }
  if (m.ctdir !== undefined) {
    const dir = ctx.ct.info === 'ESTABLISHED_REPLY' || ctx.ct.info === 'RELATED_REPLY' ? 'REPLY' : 'ORIGINAL'
    if (dir !== m.ctdir) return failWhy(ctx, `--ctdir ${m.ctdir} ≠ ${dir}`)
  }
  if (m.ctproto !== undefined && ((e.orig.proto === m.ctproto.value) === m.ctproto.invert)) return failWhy(ctx, `${bang(m.ctproto.invert)}--ctproto ${m.ctproto.value} vs ${e.orig.proto}`)
  if (m.ctorigsrc !== undefined && !addrOk(m.ctorigsrc, e.orig.src)) return failWhy(ctx, addrWhy('--ctorigsrc', m.ctorigsrc, e.orig.src))
  if (m.ctorigdst !== undefined && !addrOk(m.ctorigdst, e.orig.dst)) return failWhy(ctx, addrWhy('--ctorigdst', m.ctorigdst, e.orig.dst))
  if (m.ctreplsrc !== undefined && !addrOk(m.ctreplsrc, e.reply.src)) return failWhy(ctx, addrWhy('--ctreplsrc', m.ctreplsrc, e.reply.src))
  if (m.ctrepldst !== undefined && !addrOk(m.ctrepldst, e.reply.dst)) return failWhy(ctx, addrWhy('--ctrepldst', m.ctrepldst, e.reply.dst))
  if (m.ctorigsrcport !== undefined && !portOk(m.ctorigsrcport, e.orig.sport, '--ctorigsrcport', ctx)) return false
  if (m.ctorigdstport !== undefined && !portOk(m.ctorigdstport, e.orig.dport, '--ctorigdstport', ctx)) return false
  if (m.ctreplsrcport !== undefined && !portOk(m.ctreplsrcport, e.reply.sport, '--ctreplsrcport', ctx)) return false
  if (m.ctrepldstport !== undefined && !portOk(m.ctrepldstport, e.reply.dport, '--ctrepldstport', ctx)) return false
  if (m.ctstatus !== undefined) {
    const st: string[] = []
    if (e.status.seenReply) st.push('SEEN_REPLY')
    if (e.status.assured) st.push('ASSURED')
    if (e.status.confirmed) st.push('CONFIRMED')
    const w = m.ctstatus.value.map(x => x.toUpperCase())
    const hit = w.some(x => st.includes(x)) || (w.includes('NONE') && st.length === 0)
    if (hit === m.ctstatus.invert) return failWhy(ctx, `${bang(m.ctstatus.invert)}--ctstatus ${w.join(',')} vs ${st.join(',') || 'NONE'}`)
  }
  return true
}

function recentRing (hitcount: number | undefined): number {
  const base = 32
  if (hitcount === undefined || hitcount <= base) return base
  let n = 1
  while (n < hitcount) n <<= 1
  return n
}

const RECENT_LIST_TOT = 100

function matchRecent (m: Extract<Match, { kind: 'recent' }>, ctx: Ctx): Tri {
  const p = ctx.pkt
  const st = ctx.state
  const now = st.now
  let ttl = p.ttl
  if (ctx.forwarded) ttl = (ttl + 1) & 255
  const addr = ((m.side === 'rdest' ? p.dst : p.src) & m.mask) >>> 0
  let ret = m.invert
  let t: RecentTable | undefined = st.recent.get(m.name)
  if (ctx.dry) return UNKNOWN
  if (t === undefined) { t = { name: m.name, entries: new Map(), lruSeq: 0 }; st.recent.set(m.name, t) }
  let e: RecentEntry | undefined = t.entries.get(addr)
  if (e !== undefined && m.rttl && e.ttl !== 0 && ttl !== 0 && e.ttl !== ttl) e = undefined
  const ring = recentRing(m.hitcount)
  const explainMiss = (w: string): void => { if (ctx.explain) ctx.why = w }
  if (e === undefined) {
    if (m.command !== 'set') {
      explainMiss(`${bang(m.invert)}--${m.command}: ${u32ToIp(addr)} not in list ${m.name}`)
      return ret ? HIT : MISS
    }
    if (t.entries.size >= RECENT_LIST_TOT) {
      let oldest: RecentEntry | undefined
      for (const x of t.entries.values()) if (oldest === undefined || x.lru < oldest.lru) oldest = x
      if (oldest !== undefined) t.entries.delete(oldest.addr)
    }
    t.entries.set(addr, { addr, ttl, stamps: [now], index: 1, nstamps: 1, lru: ++t.lruSeq })
    ret = !ret
    if (!ret) explainMiss(`! --set: ${u32ToIp(addr)} added to ${m.name}`)
    return ret ? HIT : MISS
  }
  if (m.command === 'set') ret = !ret
  else if (m.command === 'remove') { t.entries.delete(e.addr); ret = !ret } else {
    const limit = now - (m.seconds ?? 0)
    let hits = 0
    for (let i = 0; i < e.nstamps; i++) {
      if (m.seconds !== undefined && m.seconds > 0 && e.stamps[i] < limit) continue
      if (m.hitcount === undefined || m.hitcount === 0 || ++hits >= m.hitcount) { ret = !ret; break }
    }
    if (m.reap && m.seconds !== undefined) {
      let oldest: RecentEntry | undefined
      for (const x of t.entries.values()) if (oldest === undefined || x.lru < oldest.lru) oldest = x
      if (oldest !== undefined && oldest !== e) {
        const last = oldest.stamps[(oldest.index - 1 + oldest.stamps.length) % oldest.stamps.length]
        if (last < limit) t.entries.delete(oldest.addr)
      }
    }
    if (!ret) explainMiss(`${bang(m.invert)}--${m.command}${m.seconds !== undefined ? ` --seconds ${m.seconds}` : ''}${m.hitcount !== undefined ? ` --hitcount ${m.hitcount}` : ''}: ${u32ToIp(addr)} has ${hits} hit(s) in window`)
  }
  if (m.command === 'set' || (m.command === 'update' && ret)) {
    e.index %= ring
    e.stamps[e.index++] = now
    if (e.index > e.nstamps) e.nstamps = e.index
    e.lru = ++t.lruSeq
    e.ttl = ttl
  }
  return ret ? HIT : MISS
}

/** The first type name addrtype does not know, if any. */
function unknownAddrType (spec: Inv<string[]> | undefined): string | undefined {
  if (spec === undefined) return undefined
  for (const t of spec.value) if (!(ADDR_TYPES as readonly string[]).includes(t.toUpperCase())) return t
  return undefined
}

function addrTypeOk (ctx: Ctx, spec: Inv<string[]>, a: number, opt: string, d: string | undefined): boolean {
  const ty = addrType(ctx.host, a, d)
  let hit = false
  for (const x of spec.value) if (x.toUpperCase() === ty) { hit = true; break }
  if (hit !== spec.invert) return true
  if (ctx.explain) ctx.why = `${bang(spec.invert)}${opt} ${spec.value.map(x => x.toUpperCase()).join(',')} ${spec.invert ? 'but' : '≠'} ${u32ToIp(a)} is ${ty}${d !== undefined ? ` (limited to ${d})` : ''}`
  return false
}

function matchOne (m: Match, ctx: Ctx, pr: PRule): Tri {
  const p = ctx.pkt
  switch (m.kind) {
    case 'comment': return HIT
    case 'tcp': case 'udp': case 'sctp': {
      const want = m.kind === 'tcp' ? 6 : m.kind === 'udp' ? 17 : 132
      if (p.proto !== want) { if (ctx.explain) ctx.why = `-m ${m.kind}: packet is ${protoName(p.proto)}`; return MISS }
      if (p.fragment) { if (ctx.explain) ctx.why = `-m ${m.kind}: non-first fragment has no ports`; return MISS }
      if (m.sport !== undefined && !portOk(m.sport, p.sport, '--sport', ctx)) return MISS
      if (m.dport !== undefined && !portOk(m.dport, p.dport, '--dport', ctx)) return MISS
      if (m.kind === 'tcp') {
        if (m.tcpFlags !== undefined) {
          const ok = ((p.tcpFlags & m.tcpFlags.value.mask) === m.tcpFlags.value.comp) !== m.tcpFlags.invert
          if (!ok) {
            { if (ctx.explain) ctx.why = `${bang(m.tcpFlags!.invert)}--tcp-flags ${tcpFlagNames(m.tcpFlags!.value.mask).join(',') || 'NONE'} ${tcpFlagNames(m.tcpFlags!.value.comp).join(',') || 'NONE'} ≠ flags ${tcpFlagNames(p.tcpFlags).join(',') || 'NONE'}`; return MISS }
          }
        }
        if (m.tcpOption !== undefined) { ctx.why = '--tcp-option: TCP options are not modelled'; return UNKNOWN }
      }
      return HIT
    }
    case 'icmp': {
      if (p.proto !== 1) { if (ctx.explain) ctx.why = `-m icmp: packet is ${protoName(p.proto)}`; return MISS }
      if (p.fragment) { if (ctx.explain) ctx.why = '-m icmp: non-first fragment'; return MISS }
      const v = m.icmpType.value
      const hit = v === 'any' ? true : (p.icmpType === v.type && p.icmpCode >= v.codeMin && p.icmpCode <= v.codeMax)
      if (hit !== m.icmpType.invert) return HIT
      { if (ctx.explain) ctx.why = `${bang(m.icmpType.invert)}--icmp-type ${v === 'any' ? 'any' : `${v.type}${v.codeMin === 0 && v.codeMax === 255 ? '' : '/' + v.codeMin}`} ${m.icmpType.invert ? 'but' : '≠'} ${p.icmpType}/${p.icmpCode}`; return MISS }
    }
    case 'multiport': {
      if (!p.hasPorts || p.fragment) { if (ctx.explain) ctx.why = '-m multiport: packet has no ports'; return MISS }
      for (const r of m.ports) {
        const s = p.sport >= r.min && p.sport <= r.max
        const d = p.dport >= r.min && p.dport <= r.max
        const hit = m.direction === 'src' ? s : m.direction === 'dst' ? d : (s || d)
        if (hit) {
          if (!m.invert) return HIT
          { if (ctx.explain) ctx.why = `! multiport ${m.direction} ${m.ports.map(rangeText).join(',')} but port matches`; return MISS }
        }
      }
      if (m.invert) return HIT
      { if (ctx.explain) ctx.why = `multiport --${m.direction === 'src' ? 'sports' : m.direction === 'dst' ? 'dports' : 'ports'} ${m.ports.map(rangeText).join(',')} ∌ ${m.direction === 'src' ? p.sport : m.direction === 'dst' ? p.dport : `${p.sport}/${p.dport}`}`; return MISS }
    }
    case 'addrtype': {
      const dev = m.limitIfaceIn === true ? p.inIface : m.limitIfaceOut === true ? p.outIface : ''
      const d = dev === '' ? undefined : dev
      const bad = unknownAddrType(m.srcType) ?? unknownAddrType(m.dstType)
      if (bad !== undefined) { ctx.why = `addrtype: unknown type ${bad}`; return UNKNOWN }
      if (m.srcType !== undefined && !addrTypeOk(ctx, m.srcType, p.src, '--src-type', d)) return MISS
      if (m.dstType !== undefined && !addrTypeOk(ctx, m.dstType, p.dst, '--dst-type', d)) return MISS
      return HIT
    }
    case 'statistic': {
      if (m.mode === 'random') {
        if (ctx.dry) return UNKNOWN
        const drawn = ctx.decide(m.probability, pr)
        const hit = drawn !== m.invert
        if (!hit && ctx.explain) ctx.why = `statistic random ${m.invert ? '! ' : ''}--probability ${(m.probability / 2147483648).toFixed(11)}: draw ${drawn ? 'below' : 'above'} threshold`
        return hit ? HIT : MISS
      }
      if (ctx.dry) return UNKNOWN
      const every = m.every - 1
      const st = ctx.state.nth
      const old = st.get(pr.id) ?? (every - m.packet)
      const nv = old >= every ? 0 : old + 1
      st.set(pr.id, nv)
      const hit = (nv === 0) !== m.invert
      if (!hit && ctx.explain) ctx.why = `statistic nth --every ${m.every} --packet ${m.packet}: counter at ${nv}`
      return hit ? HIT : MISS
    }
    case 'mark': {
      const hit = ((p.mark & m.mask) >>> 0) === (m.value >>> 0)
      if (hit !== m.invert) return HIT
      { if (ctx.explain) ctx.why = `${bang(m.invert)}--mark 0x${m.value.toString(16)}${m.mask >>> 0 === 0xffffffff ? '' : '/0x' + (m.mask >>> 0).toString(16)} ${m.invert ? 'but' : '≠'} mark 0x${p.mark.toString(16)}`; return MISS }
    }
    case 'connmark': {
      const e = ctx.ct.entry
      if (e === undefined) { if (ctx.explain) ctx.why = '-m connmark: packet has no conntrack entry'; return MISS }
      const hit = ((e.mark & m.mask) >>> 0) === (m.value >>> 0)
      if (hit !== m.invert) return HIT
      { if (ctx.explain) ctx.why = `${bang(m.invert)}connmark --mark 0x${m.value.toString(16)}/0x${(m.mask >>> 0).toString(16)} ${m.invert ? 'but' : '≠'} ctmark 0x${e.mark.toString(16)}`; return MISS }
    }
    case 'conntrack': {
      if (!matchConntrack(m, ctx)) return MISS
      if (m.ctexpire !== undefined && ctx.ct.entry !== undefined) { ctx.why = '--ctexpire: conntrack timeouts are not modelled'; return UNKNOWN }
      return HIT
    }
    case 'state': return stateMatch(m.state, ctx, false, '--state') ? HIT : MISS
    case 'recent': return matchRecent(m, ctx)
    case 'physdev': {
      // not bridged: true iff every used option is inverted
      const opts: Array<[Inv<unknown> | undefined, string]> = [[m.physdevIn, '--physdev-in'], [m.physdevOut, '--physdev-out'], [m.isIn, '--physdev-is-in'], [m.isOut, '--physdev-is-out'], [m.isBridged, '--physdev-is-bridged']]
      for (const [o, name] of opts) if (o !== undefined && !o.invert) { if (ctx.explain) ctx.why = `${name}: packet is not bridged`; return MISS }
      return HIT
    }
    case 'unknown':
      // xt_nfacct: counts and returns "not over quota"; kube-proxy's accounting objects have no quota
      if (m.module === 'nfacct') return HIT
      ctx.why = `-m ${m.module} ${m.args.join(' ')} is not modelled`.replace(/ +$/, '')
      return UNKNOWN
  }
  return UNKNOWN
}

/**
 * Does the rule match? Short-circuit like the kernel. After an unknown match the remaining matches
 * are still checked without side effects: a later definite miss makes the rule a miss (Kleene AND),
 * otherwise the rule is unknown.
 */
export function matchRule (pr: PRule, ctx: Ctx): Tri {
  const r = pr.rule
  if (!ipPart(r, ctx)) return MISS
  const ms = r.matches
  let unknown = false
  let unknownWhy = ''
  for (let i = 0; i < ms.length; i++) {
    const res = matchOne(ms[i], ctx, pr)
    if (res === MISS) {
      if (unknown) ctx.dry = false
      return MISS
    }
    if (res === UNKNOWN && !unknown) {
      unknown = true
      unknownWhy = ctx.why !== '' ? ctx.why : `-m ${ms[i].kind} undecidable`
      ctx.dry = true
    }
  }
  if (unknown) {
    ctx.dry = false
    ctx.why = unknownWhy
    return UNKNOWN
  }
  return HIT
}
