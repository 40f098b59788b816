/**
 * The kernel's packet dump used by LOG and legacy TRACE lines (`nf_log_syslog.c dump_ipv4_packet`):
 * exact field order and formats; every item is followed by one space.
 */
import type { HookName } from '../model.ts'
import type { PacketSnapshot } from '../packet.ts'

const LOOPBACK_MAC = '00:00:00:00:00:00:00:00:00:00:00:00:08:00'

function hex2 (n: number): string { return n.toString(16).toUpperCase().padStart(2, '0') }

export interface DumpOptions {
  /** print SEQ=/ACK= (TRACE always; LOG with --log-tcp-sequence) */
  tcpSequence: boolean
  /** print UID=/GID= when the packet has a local socket (TRACE always; LOG with --log-uid) */
  uid: boolean
}

/** `IN=.. OUT=.. [MAC=..] SRC=.. ... [MARK=0x..] ` */
export function dumpPacket (s: PacketSnapshot, o: DumpOptions): string {
  let out = `IN=${s.in} OUT=${s.out} `
  if (s.in !== '') out += `MAC=${s.in === 'lo' ? LOOPBACK_MAC : (s.mac ?? LOOPBACK_MAC)} `
  out += `SRC=${s.src} DST=${s.dst} LEN=${s.length} TOS=0x${hex2(s.tos & 0x1e)} PREC=0x${hex2(s.tos & 0xe0)} TTL=${s.ttl} ID=${s.id} `
  if (s.df) out += 'DF '
  if (s.fragment) out += 'FRAG:1 '
  if (s.proto === 6) {
    out += 'PROTO=TCP '
    if (!s.fragment) {
      out += `SPT=${s.sport ?? 0} DPT=${s.dport ?? 0} `
      if (o.tcpSequence) out += `SEQ=${s.seq ?? 0} ACK=${s.ack ?? 0} `
      out += `WINDOW=${s.window ?? 64240} RES=0x00 `
      const f = s.tcpFlags ?? 0
      if (f & 0x80) out += 'CWR '
      if (f & 0x40) out += 'ECE '
      if (f & 0x20) out += 'URG '
      if (f & 0x10) out += 'ACK '
      if (f & 0x08) out += 'PSH '
      if (f & 0x04) out += 'RST '
      if (f & 0x02) out += 'SYN '
      if (f & 0x01) out += 'FIN '
      out += 'URGP=0 '
    }
  } else if (s.proto === 17) {
    out += 'PROTO=UDP '
    if (!s.fragment) out += `SPT=${s.sport ?? 0} DPT=${s.dport ?? 0} LEN=${Math.max(0, s.length - 20)} `
  } else if (s.proto === 1) {
    out += 'PROTO=ICMP '
    if (!s.fragment) {
      out += `TYPE=${s.icmpType ?? 0} CODE=${s.icmpCode ?? 0} `
      if (s.icmpType === 0 || s.icmpType === 8) out += `ID=${s.icmpId ?? 0} SEQ=${s.seq ?? 0} `
    }
  } else {
    out += `PROTO=${s.proto} `
  }
  if (o.uid && s.uid !== undefined) out += `UID=${s.uid} GID=${s.gid ?? s.uid} `
  if (s.mark !== 0) out += `MARK=0x${s.mark.toString(16)} `
  return out
}

/** A `-j LOG` line (prefix verbatim, no space added). */
export function renderLogLine (prefix: string, s: PacketSnapshot, _hook: HookName, flags: string[]): string {
  const has = (f: string): boolean => flags.some(x => x.includes(f))
  return prefix + dumpPacket(s, { tcpSequence: has('tcp-sequence'), uid: has('uid') })
}
