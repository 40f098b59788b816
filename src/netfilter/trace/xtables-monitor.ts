/**
 * iptables-nft `xtables-monitor --trace` lines (§6.2): a `PACKET:` line before the first event of
 * each base-chain traversal, one ` TRACE:` line per rule verdict (including the TRACE rule itself),
 * `policy:<VERDICT>` at the end of a base chain, and no event for falling off a user chain (kernel
 * 6.18 behaviour seen in the captures). Rule handles are those iptables-nft allocates.
 */
import type { RuleStep, Step } from '../eval/context.ts'
import type { PacketSnapshot } from '../packet.ts'
import { hashWords } from '../rng.ts'

export interface XtablesMonitorOptions {
  /** trace id (8 hex digits); default: a hash of the first packet */
  id?: string
}

function macParts (mac: string | undefined): { src: string, dst: string, proto: string } {
  const b = (mac ?? '00:00:00:00:00:00:00:00:00:00:00:00:08:00').split(':').map(x => parseInt(x, 16))
  const h = (xs: number[]): string => xs.map(x => x.toString(16)).join(':')
  return { dst: h(b.slice(0, 6)), src: h(b.slice(6, 12)), proto: ((b[12] << 8) | b[13]).toString(16).padStart(4, '0') }
}

function packetLine (id: string, s: PacketSnapshot): string {
  let o = `PACKET: 2 ${id} `
  if (s.in !== '') o += `IN=${s.in} `
  if (s.out !== '') o += `OUT=${s.out} `
  if (s.in !== '') {
    const m = macParts(s.in === 'lo' ? undefined : s.mac)
    o += `MACSRC=${m.src} MACDST=${m.dst} MACPROTO=${m.proto} `
  }
  o += `SRC=${s.src} DST=${s.dst} LEN=${s.length} TOS=0x${(s.tos).toString(16)} TTL=${s.ttl} ID=${s.id} `
  if (s.df) o += 'DF '
  if (s.sport !== undefined && !s.fragment) {
    o += `SPORT=${s.sport} DPORT=${s.dport} `
    if (s.proto === 6) {
      const f = s.tcpFlags ?? 0
      if (f & 0x02) o += 'SYN '
      if (f & 0x10) o += 'ACK '
      if (f & 0x01) o += 'FIN '
      if (f & 0x04) o += 'RST '
      if (f & 0x08) o += 'PSH '
      if (f & 0x20) o += 'URG '
    }
  }
  if (s.mark !== 0) o += `MARK=0x${s.mark.toString(16)} `
  return o
}

function verdictText (s: RuleStep): string {
  switch (s.verdict) {
    case 'JUMP': return `JUMP:${s.jumpTo ?? ''}`
    case 'GOTO': return `GOTO:${s.jumpTo ?? ''}`
    case 'RETURN': return '0xfffffffb'
    case 'REJECT': return 'DROP'
    case undefined: return 'CONTINUE'
    default: return s.verdict
  }
}

export function defaultTraceId (steps: Step[]): string {
  const first = steps.find((s): s is RuleStep => s.type === 'rule')
  if (first === undefined) return '00000000'
  const p = first.packet
  return hashWords(...p.src.split('.').map(Number), ...p.dst.split('.').map(Number), p.sport ?? 0, p.dport ?? 0, p.id).toString(16).padStart(8, '0')
}

export function renderXtablesMonitorTraceLines (steps: Step[], opts: XtablesMonitorOptions = {}): string[] {
  const id = opts.id ?? defaultTraceId(steps)
  const out: string[] = []
  let lastTraversal = -1
  for (const s of steps) {
    if (s.type !== 'rule' || s.matched !== true) continue
    let line: string | null = null
    if (s.kind === 'rule' && s.tracedAfter) {
      line = ` TRACE: 2 ${id} ${s.table}:${s.chain}:rule:0x${(s.handle ?? 0).toString(16)}:${verdictText(s)}  -4 -t ${s.table} ${s.ruleText ?? ''}`
    } else if (s.kind === 'policy' && s.traced) {
      line = ` TRACE: 2 ${id} ${s.table}:${s.chain}:policy:${s.verdict ?? 'ACCEPT'} `
    }
    if (line === null) continue
    if (s.traversal !== lastTraversal) {
      out.push(packetLine(id, s.packet))
      lastTraversal = s.traversal
    }
    out.push(line)
  }
  return out
}

/** xtables-monitor --trace rendering (lines joined with '\n'). */
export function renderXtablesMonitorTrace (result: { steps: Step[] }, opts: XtablesMonitorOptions = {}): string {
  const lines = renderXtablesMonitorTraceLines(result.steps, opts)
  return lines.length === 0 ? '' : lines.join('\n') + '\n'
}
