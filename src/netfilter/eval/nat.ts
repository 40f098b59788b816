/**
 * Conntrack lookup/creation at the conntrack hooks and the NAT engine (§2.1–2.4): binding a manip
 * (`nf_nat_setup_info` with address/port selection), null bindings, and `nf_nat_packet` rewriting
 * later packets and replies from the conntrack tuples.
 */
import type { Ctx, PktCt } from './context.ts'
import type { Conntrack, CtEntry, Tuple } from '../conntrack.ts'
import { invertTuple, tupleKey, tupleToString } from '../conntrack.ts'
import { nextU32, hashWords } from '../rng.ts'
import { snapshot, touch } from '../packet.ts'
import type { Pkt } from '../packet.ts'
import { u32ToIp } from './ipv4.ts'

export type Manip = 'SRC' | 'DST'

export function pktTuple (p: Pkt): Tuple {
  if (p.proto === 1) {
    // ICMP echo: the id plays the port; requests and replies map to each other
    const isReply = p.icmpType === 0
    return isReply ? { src: p.src, dst: p.dst, proto: 1, sport: 0, dport: p.icmpId } : { src: p.src, dst: p.dst, proto: 1, sport: p.icmpId, dport: 0 }
  }
  if (p.hasPorts) return { src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport }
  return { src: p.src, dst: p.dst, proto: p.proto, sport: 0, dport: 0 }
}

function tcpNewValid (flags: number, loose: boolean): { ok: boolean, why: string, state: string } {
  const rst = (flags & 0x04) !== 0; const syn = (flags & 0x02) !== 0; const fin = (flags & 0x01) !== 0; const ack = (flags & 0x10) !== 0
  if (rst) return { ok: false, why: 'RST without a connection', state: '' }
  if (syn) return ack ? { ok: false, why: 'SYN/ACK without a connection', state: '' } : { ok: true, why: '', state: 'SYN_SENT' }
  if (fin) return { ok: false, why: 'FIN without a connection', state: '' }
  if (ack) return loose ? { ok: true, why: '', state: 'ESTABLISHED' } : { ok: false, why: 'mid-stream ACK with nf_conntrack_tcp_loose=0', state: '' }
  return { ok: false, why: 'TCP packet without flags', state: '' }
}

/** nf_conntrack_in at PREROUTING/OUTPUT (priority −200). */
export function conntrackIn (ctx: Ctx, forced?: string): void {
  const c = ctx.ct
  if (c.seen || c.untracked) {
    if (c.untracked) c.seen = true
    return
  }
  c.seen = true
  const p = ctx.pkt
  const st = ctx.state
  if (forced !== undefined) {
    c.forced = true
    if (forced === 'INVALID' || forced === 'UNTRACKED') {
      c.untracked = forced === 'UNTRACKED'
      ctx.steps.push({ type: 'conntrack', hook: ctx.hook, message: `conntrack state forced to ${forced}`, data: { ctstate: forced } })
      return
    }
    const t = pktTuple(p)
    const e: CtEntry = {
      id: 0,
      orig: t,
      reply: invertTuple(t),
      status: { seenReply: forced === 'ESTABLISHED', assured: false, confirmed: false, srcNat: false, dstNat: false, srcNatDone: forced === 'ESTABLISHED', dstNatDone: forced === 'ESTABLISHED' },
      mark: 0,
      protoState: '',
      created: st.now
    }
    c.entry = e
    c.info = forced === 'NEW' ? 'NEW' : forced === 'RELATED' ? 'RELATED' : 'ESTABLISHED'
    c.unconfirmed = false
    ctx.steps.push({ type: 'conntrack', hook: ctx.hook, message: `conntrack state forced to ${forced} (what-if, not recorded)`, data: { ctstate: forced } })
    return
  }
  const t = pktTuple(p)
  const found = st.conntrack.byTuple.get(tupleKey(t))
  if (found !== undefined) {
    const isOrig = tupleKey(found.orig) === tupleKey(t)
    c.entry = found
    if (isOrig) c.info = found.status.seenReply ? 'ESTABLISHED' : 'NEW'
    else {
      c.info = 'ESTABLISHED_REPLY'
      found.status.seenReply = true
      if (found.protoState === 'SYN_SENT') found.protoState = 'SYN_RECV'
    }
    if (isOrig && found.protoState === 'SYN_RECV' && (p.tcpFlags & 0x10) !== 0) { found.protoState = 'ESTABLISHED'; found.status.assured = true }
    ctx.steps.push({ type: 'conntrack', hook: ctx.hook, message: `conntrack: ${c.info} (entry ${found.id}, ${isOrig ? 'original' : 'reply'} direction)`, data: { ctinfo: c.info, entry: found.id } })
    return
  }
  if (p.proto === 1 && ICMP_ERRORS.has(p.icmpType)) {
    const inner = p.embedded
    const rel = inner === undefined ? undefined : st.conntrack.byTuple.get(tupleKey({ src: inner.dst, dst: inner.src, proto: inner.proto, sport: inner.dport, dport: inner.sport }))
    if (inner === undefined || rel === undefined) {
      ctx.steps.push({ type: 'conntrack', hook: ctx.hook, message: `conntrack: INVALID (ICMP error ${p.icmpType}/${p.icmpCode} ${inner === undefined ? 'without a quoted header' : 'not related to a known connection'})`, data: { ctstate: 'INVALID' } })
      return
    }
    // the quoted packet went one way, the error comes back the other way
    const innerRev = tupleKey({ src: inner.dst, dst: inner.src, proto: inner.proto, sport: inner.dport, dport: inner.sport })
    c.entry = rel
    c.info = innerRev === tupleKey(rel.reply) ? 'RELATED_REPLY' : 'RELATED'
    ctx.steps.push({ type: 'conntrack', hook: ctx.hook, message: `conntrack: RELATED (ICMP error for entry ${rel.id}, ${c.info === 'RELATED_REPLY' ? 'reply' : 'original'} direction)`, data: { ctinfo: c.info, entry: rel.id } })
    return
  }
  let protoState = ''
  if (p.proto === 6) {
    const v = tcpNewValid(p.tcpFlags, ctx.host.tcpLoose)
    if (!v.ok) {
      ctx.steps.push({ type: 'conntrack', hook: ctx.hook, message: `conntrack: INVALID (${v.why})`, data: { ctstate: 'INVALID' } })
      return
    }
    protoState = v.state
  } else if (p.proto === 1) {
    if (p.icmpType !== 8 && p.icmpType !== 13 && p.icmpType !== 15 && p.icmpType !== 17) {
      ctx.steps.push({ type: 'conntrack', hook: ctx.hook, message: `conntrack: INVALID (ICMP type ${p.icmpType} does not start or belong to a known connection)`, data: { ctstate: 'INVALID' } })
      return
    }
  }
  const e: CtEntry = {
    id: st.conntrack.nextId++,
    orig: t,
    reply: invertTuple(t),
    status: { seenReply: false, assured: false, confirmed: false, srcNat: false, dstNat: false, srcNatDone: false, dstNatDone: false },
    mark: 0,
    protoState,
    created: st.now
  }
  if (p.proto === 1) e.reply = { src: t.dst, dst: t.src, proto: 1, sport: 0, dport: t.sport }
  c.entry = e
  c.info = 'NEW'
  c.unconfirmed = true
  ctx.steps.push({ type: 'conntrack', hook: ctx.hook, message: `conntrack: NEW (new entry ${e.id}: ${tupleToString(t)})`, data: { ctinfo: 'NEW', entry: e.id } })
}

const ICMP_ERRORS = new Set([3, 4, 5, 11, 12])

export function isReplyDir (c: PktCt): boolean {
  return c.info === 'ESTABLISHED_REPLY' || c.info === 'RELATED_REPLY'
}

/** Is the manip already bound (NAT done, or null binding) for this connection? */
export function manipDone (e: CtEntry, m: Manip): boolean {
  return m === 'SRC' ? e.status.srcNatDone : e.status.dstNatDone
}

/** Current original-direction tuple after the manips bound so far. */
function currentOrig (e: CtEntry): Tuple {
  const t = invertTuple(e.reply)
  if (e.orig.proto === 1) return Object.assign({}, t, { sport: e.reply.dport, dport: 0 })
  return t
}

function setReplyFrom (e: CtEntry, cur: Tuple): void {
  e.reply = e.orig.proto === 1 ? { src: cur.dst, dst: cur.src, proto: 1, sport: 0, dport: cur.sport } : invertTuple(cur)
}

export interface NatRangeSpec {
  minAddr?: number
  maxAddr?: number
  minPort?: number
  maxPort?: number
  randomAll: boolean
  persistent: boolean
}

/**
 * `nf_nat_setup_info`: bind `manip` for the packet's (unconfirmed) connection to a tuple chosen
 * from `range` (§2.3). Returns a note describing the choice.
 */
export function setupNat (ctx: Ctx, e: CtEntry, manip: Manip, range: NatRangeSpec): string {
  const cur = currentOrig(e)
  const next: Tuple = { src: cur.src, dst: cur.dst, proto: cur.proto, sport: cur.sport, dport: cur.dport }
  let notes = ''
  if (range.minAddr !== undefined) {
    const max = range.maxAddr ?? range.minAddr
    let a = range.minAddr
    if (max > range.minAddr) {
      const count = max - range.minAddr + 1
      const h = range.persistent ? hashWords(cur.src) : hashWords(cur.src, cur.dst)
      a = range.minAddr + (h % count)
      notes = `address ${u32ToIp(a)} chosen from ${u32ToIp(range.minAddr)}-${u32ToIp(max)} by a deterministic hash`
    }
    if (manip === 'SRC') next.src = a; else next.dst = a
  }
  const src = manip === 'SRC'
  const hasPorts = cur.proto === 6 || cur.proto === 17 || cur.proto === 132
  const specified = range.minPort !== undefined
  const conntrack = ctx.state.conntrack
  if (hasPorts) {
    let done = false
    if (!range.randomAll) {
      if (specified) {
        const pmin = range.minPort!; const pmax = range.maxPort ?? pmin
        const port = src ? next.sport : next.dport
        if (port >= pmin && port <= pmax && (pmin === pmax || !replyTaken(conntrack, next, e))) done = true
      } else if (!src || !replyTaken(conntrack, next, e)) done = true
    }
    if (!done && !(!src && !specified)) {
      let min: number; let size: number
      if (specified) { min = range.minPort!; size = (range.maxPort ?? min) - min + 1 } else {
        const orig = src ? cur.sport : cur.dport
        if (orig < 1024) {
          if (orig < 512) { min = 1; size = 511 } else { min = 600; size = 424 }
        } else { min = 1024; size = 65535 - 1024 + 1 }
      }
      const off = (range.randomAll || src) ? nextU32(ctx.state.rng) : 0
      for (let i = 0; i < size; i++) {
        const port = min + ((off + i) % size)
        if (src) next.sport = port; else next.dport = port
        if (i === size - 1 || !replyTaken(conntrack, next, e)) break
      }
      if (range.randomAll || src) {
        const note = `port ${src ? next.sport : next.dport} picked by the seeded PRNG${range.randomAll ? ' (random)' : ''}`
        notes = notes === '' ? note : notes + '; ' + note
      }
    }
  }
  setReplyFrom(e, next)
  const changed = next.src !== cur.src || next.dst !== cur.dst || next.sport !== cur.sport || next.dport !== cur.dport
  if (src) { e.status.srcNatDone = true; if (changed) e.status.srcNat = true } else { e.status.dstNatDone = true; if (changed) e.status.dstNat = true }
  return notes
}

/**
 * Would `t` as the connection's new original tuple clash with another entry, i.e. is its reply
 * tuple already taken (`nf_nat_used_tuple`)? The key is built directly, without the inverted tuple.
 */
function replyTaken (c: Conntrack, t: Tuple, self: CtEntry): boolean {
  const key = t.proto === 1 ? `1:${t.dst}:0>${t.src}:${t.sport}` : `${t.proto}:${t.dst}:${t.dport}>${t.src}:${t.sport}`
  const other = c.byTuple.get(key)
  return other !== undefined && other !== self
}

/** `nf_nat_alloc_null_binding`. */
export function nullBinding (e: CtEntry, manip: Manip): void {
  if (manip === 'SRC') e.status.srcNatDone = true; else e.status.dstNatDone = true
}

/**
 * `nf_nat_packet`: rewrite the packet from the conntrack tuples for this hook's manip type.
 * Returns true when the packet changed.
 */
export function natPacket (ctx: Ctx, manip: Manip): boolean {
  const c = ctx.ct
  const e = c.entry
  if (e === undefined) return false
  const reply = isReplyDir(c)
  // original direction: SRC hooks apply SNAT, DST hooks apply DNAT; replies the other way round
  const bit = manip === 'SRC' ? (reply ? e.status.dstNat : e.status.srcNat) : (reply ? e.status.srcNat : e.status.dstNat)
  if (!bit) return false
  const p = ctx.pkt
  const target = reply ? e.orig : e.reply // packet must look like the inverse of the other direction
  const before = snapshot(p)
  let changed = false
  if (p.proto === 1 && p.embedded !== undefined) {
    // ICMP error: translate the outer addresses (the quoted header is left as received)
    if (manip === 'SRC') { if (p.src !== target.dst) { p.src = target.dst; changed = true } } else if (p.dst !== target.src) { p.dst = target.src; changed = true }
  } else if (p.proto === 1) {
    if (manip === 'SRC') { if (p.src !== target.dst) { p.src = target.dst; changed = true } } else if (p.dst !== target.src) { p.dst = target.src; changed = true }
    const id = reply ? e.orig.sport : e.reply.dport
    if (p.icmpId !== id) { p.icmpId = id; changed = true }
  } else if (manip === 'SRC') {
    if (p.src !== target.dst || (p.hasPorts && p.sport !== target.dport)) { p.src = target.dst; if (p.hasPorts) p.sport = target.dport; changed = true }
  } else if (p.dst !== target.src || (p.hasPorts && p.dport !== target.sport)) {
    p.dst = target.src; if (p.hasPorts) p.dport = target.sport; changed = true
  }
  if (changed) {
    touch(p)
    const after = snapshot(p)
    const what = manip === 'SRC'
      ? (reply ? 'reply: source restored (un-DNAT)' : 'source rewritten (SNAT)')
      : (reply ? 'reply: destination restored (un-SNAT)' : 'destination rewritten (DNAT)')
    ctx.steps.push({ type: 'nat', hook: ctx.hook, message: `conntrack NAT ${what}: ${fmt(before)} ⇒ ${fmt(after)}`, packet: before, after, data: { manip, entry: e.id } })
  }
  return changed
}

function fmt (s: { src: string, dst: string, sport?: number, dport?: number }): string {
  return s.sport !== undefined ? `${s.src}:${s.sport} > ${s.dst}:${s.dport}` : `${s.src} > ${s.dst}`
}
