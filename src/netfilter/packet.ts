/**
 * Packet model for the evaluator (IPv4). The public `Packet` uses dotted-quad strings and is what
 * callers build and what trace snapshots show; internally the evaluator works on `Pkt` (numbers).
 */
import { ipToU32, u32ToIp } from './eval/ipv4.ts'

export const PROTO_NUM: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, sctp: 132 }
export const PROTO_NAME: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp' }

/** TCP flag bits as the kernel numbers them. */
export const TCP_FLAG_BITS: Record<string, number> = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 }

/** Conntrack states a caller may force for a what-if trace. */
export type ForcedCtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED'

/** A packet as the caller describes it. Unspecified fields get kernel-typical defaults. */
export interface Packet {
  family?: 'ipv4'
  /** source address; for locally generated packets may be omitted (routing picks it) */
  src?: string
  dst: string
  /** 'tcp' | 'udp' | 'sctp' | 'icmp' or an IP protocol number */
  proto: 'tcp' | 'udp' | 'sctp' | 'icmp' | number
  sport?: number
  dport?: number
  /** TCP flags: names (`['SYN']`) or the flag byte; default SYN for tcp */
  tcpFlags?: string[] | number
  icmpType?: number
  icmpCode?: number
  /** ICMP echo identifier (used as the conntrack "port") */
  icmpId?: number
  /** for ICMP errors (types 3, 4, 5, 11, 12): the quoted header of the packet that caused it; makes the error RELATED to its connection */
  icmpEmbedded?: { src: string, dst: string, proto: Packet['proto'], sport?: number, dport?: number }
  /** input interface: set for packets arriving at the host (PREROUTING); absent for locally generated */
  inIface?: string
  /** skb->mark (default 0) */
  mark?: number
  ttl?: number
  /** IP total length (default 60 for tcp, 28 for udp/icmp) */
  length?: number
  tos?: number
  id?: number
  df?: boolean
  /** non-first fragment (`-f` matches; port matches never do) */
  fragment?: boolean
  /** force the conntrack classification (what-if), bypassing the conntrack table */
  ctState?: ForcedCtState
  /** link-layer header for log rendering: `dst:src:type` 14 bytes as in the kernel's MAC= field */
  mac?: string
  /** socket owner for locally generated packets (shown as UID=/GID= in TRACE lines) */
  uid?: number
  gid?: number
  /** TCP details used only for log rendering */
  seq?: number
  ack?: number
  window?: number
}

/** The packet as seen at one point of the trace (public, immutable). */
export interface PacketSnapshot {
  in: string
  out: string
  src: string
  dst: string
  proto: number
  sport?: number
  dport?: number
  tcpFlags?: number
  icmpType?: number
  icmpCode?: number
  icmpId?: number
  mark: number
  ttl: number
  length: number
  tos: number
  id: number
  df: boolean
  fragment: boolean
  mac?: string
  uid?: number
  gid?: number
  seq?: number
  ack?: number
  window?: number
}

/** Internal mutable packet. */
export interface Pkt {
  src: number
  dst: number
  proto: number
  sport: number
  dport: number
  hasPorts: boolean
  tcpFlags: number
  icmpType: number
  icmpCode: number
  icmpId: number
  embedded?: { src: number, dst: number, proto: number, sport: number, dport: number }
  inIface: string
  outIface: string
  mark: number
  ttl: number
  length: number
  tos: number
  id: number
  df: boolean
  fragment: boolean
  mac?: string
  uid?: number
  gid?: number
  seq?: number
  ack?: number
  window?: number
  /** locally generated (OUTPUT path) – affects UID/GID and MAC printing */
  local: boolean
  nfTrace: boolean
  version: number
  snap?: PacketSnapshot
}

export function protoNumber (p: Packet['proto']): number {
  if (typeof p === 'number') return p
  const n = PROTO_NUM[p]
  if (n === undefined) throw new Error(`unknown protocol '${String(p)}'`)
  return n
}

export function parseTcpFlags (f: Packet['tcpFlags']): number {
  if (f === undefined) return TCP_FLAG_BITS.SYN
  if (typeof f === 'number') return f & 0xff
  let v = 0
  for (const name of f) {
    const b = TCP_FLAG_BITS[name.toUpperCase()]
    if (b === undefined) throw new Error(`unknown TCP flag '${name}'`)
    v |= b
  }
  return v
}

function checkedPort (v: number | undefined, name: string): number {
  if (v === undefined) return 0
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new Error(`invalid ${name} ${v}`)
  return v
}

/**
 * The internal packet as a class: every field is set in the constructor in one order, so all
 * packets share one shape (the evaluator reads and writes them on every rule).
 */
class MutablePkt implements Pkt {
  src: number
  dst: number
  proto: number
  sport: number
  dport: number
  hasPorts: boolean
  tcpFlags: number
  icmpType: number
  icmpCode: number
  icmpId: number
  embedded: Pkt['embedded']
  inIface: string
  outIface = ''
  mark: number
  ttl: number
  length: number
  tos: number
  id: number
  df: boolean
  fragment: boolean
  mac: string | undefined
  uid: number | undefined
  gid: number | undefined
  seq: number | undefined
  ack: number | undefined
  window: number | undefined
  local: boolean
  nfTrace = false
  version = 0
  snap: PacketSnapshot | undefined = undefined

  constructor (p: Packet, local: boolean) {
    const proto = protoNumber(p.proto)
    const hasPorts = proto === 6 || proto === 17 || proto === 132
    this.src = p.src === undefined ? 0 : ipToU32(p.src)
    this.dst = ipToU32(p.dst)
    this.proto = proto
    this.sport = hasPorts ? checkedPort(p.sport, 'sport') : 0
    this.dport = hasPorts ? checkedPort(p.dport, 'dport') : 0
    this.hasPorts = hasPorts
    this.tcpFlags = proto === 6 ? parseTcpFlags(p.tcpFlags) : 0
    this.icmpType = p.icmpType ?? 8
    this.icmpCode = p.icmpCode ?? 0
    this.icmpId = p.icmpId ?? 0
    this.embedded = p.icmpEmbedded === undefined ? undefined : {
      src: ipToU32(p.icmpEmbedded.src),
      dst: ipToU32(p.icmpEmbedded.dst),
      proto: protoNumber(p.icmpEmbedded.proto),
      sport: checkedPort(p.icmpEmbedded.sport, 'embedded sport'),
      dport: checkedPort(p.icmpEmbedded.dport, 'embedded dport')
    }
    this.inIface = local ? '' : (p.inIface ?? '')
    this.mark = (p.mark ?? 0) >>> 0
    this.ttl = p.ttl ?? 64
    this.length = p.length ?? (proto === 6 ? 60 : 28)
    this.tos = p.tos ?? 0
    this.id = p.id ?? 0
    this.df = p.df ?? true
    this.fragment = p.fragment ?? false
    this.mac = p.mac
    this.uid = p.uid
    this.gid = p.gid
    this.seq = p.seq
    this.ack = p.ack
    this.window = p.window
    this.local = local
  }
}

/** Convert a caller packet into the internal form (validates addresses and ports). */
export function toPkt (p: Packet, local: boolean): Pkt {
  return new MutablePkt(p, local)
}

/** Snapshot (cached until the packet changes; call `touch` after every mutation). */
export function snapshot (p: Pkt): PacketSnapshot {
  if (p.snap !== undefined) return p.snap
  const s: PacketSnapshot = {
    in: p.inIface,
    out: p.outIface,
    src: u32ToIp(p.src),
    dst: u32ToIp(p.dst),
    proto: p.proto,
    mark: p.mark,
    ttl: p.ttl,
    length: p.length,
    tos: p.tos,
    id: p.id,
    df: p.df,
    fragment: p.fragment
  }
  if (p.hasPorts) { s.sport = p.sport; s.dport = p.dport }
  if (p.proto === 6) s.tcpFlags = p.tcpFlags
  if (p.proto === 1) { s.icmpType = p.icmpType; s.icmpCode = p.icmpCode; s.icmpId = p.icmpId }
  if (p.mac !== undefined) s.mac = p.mac
  if (p.local && p.uid !== undefined) { s.uid = p.uid; s.gid = p.gid ?? p.uid }
  if (p.seq !== undefined) s.seq = p.seq
  if (p.ack !== undefined) s.ack = p.ack
  if (p.window !== undefined) s.window = p.window
  p.snap = s
  return s
}

export function touch (p: Pkt): void {
  p.version++
  p.snap = undefined
}

export function clonePkt (p: Pkt): Pkt {
  return { ...p, snap: undefined }
}

/** Turn a snapshot back into a caller packet (e.g. to send a reply or chain to the next host). */
export function snapshotToPacket (s: PacketSnapshot): Packet {
  const p: Packet = { src: s.src, dst: s.dst, proto: s.proto, mark: s.mark, ttl: s.ttl, length: s.length, tos: s.tos, id: s.id, df: s.df }
  if (s.sport !== undefined) { p.sport = s.sport; p.dport = s.dport }
  if (s.tcpFlags !== undefined) p.tcpFlags = s.tcpFlags
  if (s.icmpType !== undefined) { p.icmpType = s.icmpType; p.icmpCode = s.icmpCode; p.icmpId = s.icmpId }
  if (s.fragment) p.fragment = true
  return p
}

export function tcpFlagNames (f: number): string[] {
  const out: string[] = []
  for (const [n, b] of Object.entries(TCP_FLAG_BITS)) if ((f & b) !== 0) out.push(n)
  return out
}
