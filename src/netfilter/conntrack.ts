/**
 * Connection tracking as an explicit value the caller keeps between packets (§2). Entries hold the
 * original and reply tuples (the reply tuple already reflects NAT), status bits and the ct mark.
 * An entry is created unconfirmed by the first packet and inserted only when that packet passes its
 * last hook (confirm); a packet dropped earlier leaves nothing behind.
 */
import { u32ToIp } from './eval/ipv4.ts'

export interface Tuple { src: number, dst: number, proto: number, sport: number, dport: number }

export interface CtStatus {
  seenReply: boolean
  assured: boolean
  confirmed: boolean
  srcNat: boolean
  dstNat: boolean
  srcNatDone: boolean
  dstNatDone: boolean
}

export interface CtEntry {
  id: number
  orig: Tuple
  reply: Tuple
  status: CtStatus
  mark: number
  /** simplified protocol state, e.g. SYN_SENT / ESTABLISHED (tcp), or '' */
  protoState: string
  /** virtual time (seconds) of creation */
  created: number
}

/** The conntrack table. Keys are tuple strings of both directions. */
export interface Conntrack {
  byTuple: Map<string, CtEntry>
  nextId: number
}

export type CtDir = 'ORIGINAL' | 'REPLY'
export type CtInfo = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'ESTABLISHED_REPLY' | 'RELATED_REPLY'

export function createConntrack (): Conntrack {
  return { byTuple: new Map(), nextId: 1 }
}

export function tupleKey (t: Tuple): string {
  return `${t.proto}:${t.src}:${t.sport}>${t.dst}:${t.dport}`
}

export function invertTuple (t: Tuple): Tuple {
  return { src: t.dst, dst: t.src, proto: t.proto, sport: t.dport, dport: t.sport }
}

export function tupleToString (t: Tuple): string {
  return `${protoName(t.proto)} ${u32ToIp(t.src)}:${t.sport} -> ${u32ToIp(t.dst)}:${t.dport}`
}

function protoName (p: number): string {
  return p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 132 ? 'sctp' : p === 1 ? 'icmp' : String(p)
}

/**
 * A deep copy of a conntrack entry (Object.assign rather than `{ ...e, orig }`: on Node 20 a spread
 * that comes first in a literal is several times slower and makes V8 promote the young objects
 * around it; see bench/v8-spread.ts).
 */
export function copyEntry (e: CtEntry): CtEntry {
  return Object.assign({}, e, { orig: { ...e.orig }, reply: { ...e.reply }, status: { ...e.status } })
}

export function cloneConntrack (c: Conntrack): Conntrack {
  const copies = new Map<CtEntry, CtEntry>()
  const byTuple = new Map<string, CtEntry>()
  for (const [k, e] of c.byTuple) {
    let n = copies.get(e)
    if (n === undefined) {
      n = copyEntry(e)
      copies.set(e, n)
    }
    byTuple.set(k, n)
  }
  return { byTuple, nextId: c.nextId }
}

/** Distinct entries of the table (each once). */
export function conntrackEntries (c: Conntrack): CtEntry[] {
  return [...new Set(c.byTuple.values())].sort((a, b) => a.id - b.id)
}

/** Is this tuple already used as a *reply* tuple by another entry (nf_nat_used_tuple)? */
export function tupleTaken (c: Conntrack, replyTuple: Tuple, self: CtEntry): boolean {
  const e = c.byTuple.get(tupleKey(replyTuple))
  return e !== undefined && e !== self
}

export function confirmEntry (c: Conntrack, e: CtEntry): void {
  if (e.status.confirmed) return
  e.status.confirmed = true
  c.byTuple.set(tupleKey(e.orig), e)
  c.byTuple.set(tupleKey(e.reply), e)
}

/** Public, readable form of an entry (like one `conntrack -L` line). */
export function describeEntry (e: CtEntry): string {
  const flags: string[] = []
  if (!e.status.seenReply) flags.push('[UNREPLIED]')
  if (e.status.assured) flags.push('[ASSURED]')
  const o = e.orig; const r = e.reply
  return `${protoName(o.proto)} ${e.protoState !== '' ? e.protoState + ' ' : ''}src=${u32ToIp(o.src)} dst=${u32ToIp(o.dst)} sport=${o.sport} dport=${o.dport} ` +
    `src=${u32ToIp(r.src)} dst=${u32ToIp(r.dst)} sport=${r.sport} dport=${r.dport}${flags.length > 0 ? ' ' + flags.join(' ') : ''} mark=${e.mark} id=${e.id}`
}
