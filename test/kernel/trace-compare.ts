/**
 * Turning both sides of a trace comparison into the same comparable sequence.
 *
 * Kernel side: `xtables-monitor --trace` events grouped into journeys (one skb's consecutive events,
 * all hooks). Engine side: the structured steps of `evaluatePacket(..., { backend: 'nft' })`,
 * filtered the way nf_tables reports them: a matched rule is reported once nftrace is set (so the
 * TRACE rule itself is reported), a base chain's end as `policy:VERDICT`, and — on kernel 6.18 — no
 * event for falling off the end of a user chain. Each base-chain traversal starts with a header of
 * the packet fields both sides know (IN, OUT, SRC, DST, SPORT, DPORT, MARK); ids, MACs, lengths,
 * TTL/TOS and nf_tables handles are left aside (handles are translated to rule positions).
 */
import type { MonitorPacket } from './kernel-tools.ts'

export interface Journey {
  id: string
  /** the first PACKET line's fields (the packet as it entered the first traced base chain) */
  first: Record<string, string>
  flags: string[]
  /** comparable lines: `PACKET ...` headers and `table:chain:rule:N:VERDICT` events */
  lines: string[]
}

function header (f: Record<string, string>): string {
  const parts = [`IN=${f.IN ?? ''}`, `OUT=${f.OUT ?? ''}`, `SRC=${f.SRC}`, `DST=${f.DST}`]
  if (f.SPORT !== undefined) parts.push(`SPORT=${f.SPORT}`, `DPORT=${f.DPORT}`)
  if (f.MARK !== undefined) parts.push(`MARK=${f.MARK}`)
  return 'PACKET ' + parts.join(' ')
}

/**
 * Groups monitor packets into journeys: consecutive traversals with the same trace id, split when the
 * same raw base chain is traversed again (a retransmission reusing the id). A packet that leaves
 * through `lo` and comes back in on `lo` (loopback re-injection) gets a new trace id in the kernel;
 * the engine models it as one evaluation, so such a continuation is appended to its journey.
 */
export function kernelJourneys (packets: MonitorPacket[]): Journey[] {
  const out: Journey[] = []
  let seenRaw = new Set<string>()
  for (const p of packets) {
    let j = out[out.length - 1]
    const firstEv = p.events[0]
    const rawKey = firstEv !== undefined && firstEv.table === 'raw' ? firstEv.chain : undefined
    const again = rawKey !== undefined && seenRaw.has(rawKey)
    if (j === undefined || j.id !== p.id || again) {
      const prevLast = j !== undefined ? lastHeader(j) : undefined
      const cont = j !== undefined && p.fields.IN === 'lo' && prevLast !== undefined && prevLast.OUT === 'lo' &&
        prevLast.SRC === p.fields.SRC && prevLast.DST === p.fields.DST && prevLast.SPORT === p.fields.SPORT &&
        prevLast.DPORT === p.fields.DPORT && !j.lines.some(l => l.startsWith('PACKET IN=lo '))
      if (cont && j !== undefined) {
        j.id = p.id
      } else {
        j = { id: p.id, first: p.fields, flags: p.flags, lines: [] }
        out.push(j)
      }
      seenRaw = new Set()
    }
    if (rawKey !== undefined) seenRaw.add(rawKey)
    if (Object.keys(p.fields).length > 0) j.lines.push(header(p.fields))
    for (const e of p.events) {
      if (e.kind === 'rule') j.lines.push(`${e.table}:${e.chain}:rule:${e.ruleNum ?? `handle0x${(e.handle ?? 0).toString(16)}`}:${e.verdict}`)
      else if (e.kind === 'policy') j.lines.push(`${e.table}:${e.chain}:policy:${e.verdict}`)
      else j.lines.push(`${e.table}:${e.chain}:return`)
    }
  }
  return out
}

function lastHeader (j: Journey): Record<string, string> | undefined {
  for (let i = j.lines.length - 1; i >= 0; i--) {
    if (j.lines[i].startsWith('PACKET ')) {
      const f: Record<string, string> = {}
      for (const tok of j.lines[i].slice(7).split(' ')) {
        const eq = tok.indexOf('=')
        const v = tok.slice(eq + 1)
        if (v !== '') f[tok.slice(0, eq)] = v
      }
      return f
    }
  }
  return undefined
}

/** Minimal view of the engine's RuleStep / snapshot we rely on (see src/netfilter/eval/context.ts). */
interface SnapshotLike { in: string, out: string, src: string, dst: string, proto: number, sport?: number, dport?: number, mark: number }
interface StepLike {
  type: string
  table?: string
  chain?: string
  kind?: 'rule' | 'return' | 'policy'
  n?: number
  matched?: boolean | 'unknown'
  verdict?: string
  jumpTo?: string
  traced?: boolean
  tracedAfter?: boolean
  traversal?: number
  packet?: SnapshotLike
}

function snapHeader (s: SnapshotLike): string {
  const f: Record<string, string> = { SRC: s.src, DST: s.dst }
  if (s.in !== '') f.IN = s.in
  if (s.out !== '') f.OUT = s.out
  if (s.sport !== undefined && (s.proto === 6 || s.proto === 17 || s.proto === 132)) { f.SPORT = String(s.sport); f.DPORT = String(s.dport) }
  if (s.mark !== 0) f.MARK = '0x' + (s.mark >>> 0).toString(16)
  return header(f)
}

function engineVerdict (s: StepLike): string {
  const v = s.verdict ?? 'CONTINUE'
  if (v === 'JUMP') return `JUMP:${s.jumpTo ?? '?'}`
  if (v === 'GOTO') return `GOTO:${s.jumpTo ?? '?'}`
  // an xt REJECT target returns NF_DROP: nf_tables reports the rule's verdict as DROP
  if (v === 'REJECT') return 'DROP'
  return v
}

/** The engine's steps as the nf_tables tracer would report them. */
export function engineLines (steps: StepLike[]): string[] {
  const lines: string[] = []
  let lastTraversal: number | undefined
  for (const s of steps) {
    if (s.type !== 'rule' || s.matched !== true) continue
    let report = false
    if (s.kind === 'rule') report = s.tracedAfter === true
    else if (s.kind === 'policy') report = s.traced === true
    if (!report) continue
    if (s.traversal !== lastTraversal && s.packet !== undefined) {
      lines.push(snapHeader(s.packet))
      lastTraversal = s.traversal
    }
    if (s.kind === 'rule') lines.push(`${s.table}:${s.chain}:rule:${s.n}:${engineVerdict(s)}`)
    else lines.push(`${s.table}:${s.chain}:policy:${s.verdict}`)
  }
  return lines
}

/** An engine Packet describing the journey's first PACKET line. */
export function journeyPacket (j: Journey, proto: 'tcp' | 'udp'): Record<string, unknown> {
  const f = j.first
  const pkt: Record<string, unknown> = { src: f.SRC, dst: f.DST, proto }
  if (f.SPORT !== undefined) { pkt.sport = Number(f.SPORT); pkt.dport = Number(f.DPORT) }
  if (proto === 'tcp') pkt.tcpFlags = j.flags.filter(x => ['SYN', 'ACK', 'FIN', 'RST', 'PSH', 'URG'].includes(x))
  if (f.IN !== undefined) pkt.inIface = f.IN
  if (f.MARK !== undefined) pkt.mark = parseInt(f.MARK, 16)
  if (f.TTL !== undefined) pkt.ttl = Number(f.TTL)
  if (f.ID !== undefined) pkt.id = Number(f.ID)
  if (f.LEN !== undefined) pkt.length = Number(f.LEN)
  return pkt
}

/** First index where two line lists differ, as a readable report. */
export function linesDiff (kernel: string[], ours: string[]): string | null {
  const n = Math.max(kernel.length, ours.length)
  for (let i = 0; i < n; i++) {
    if (kernel[i] !== ours[i]) {
      return `step ${i + 1}: kernel ${JSON.stringify(kernel[i] ?? '<end>')} vs ours ${JSON.stringify(ours[i] ?? '<end>')}\n  kernel: ${kernel.join(' | ')}\n  ours:   ${ours.join(' | ')}`
    }
  }
  return null
}

/** The first SYN journey and the first SYN-ACK journey after it (retransmissions left out). */
export function handshake (js: Journey[]): Journey[] {
  const syn = js.findIndex(j => j.flags.includes('SYN') && !j.flags.includes('ACK'))
  if (syn < 0) return []
  const synAck = js.findIndex((j, i) => i > syn && j.flags.includes('SYN') && j.flags.includes('ACK'))
  return synAck < 0 ? [js[syn]] : [js[syn], js[synAck]]
}

export interface TraceSession {
  evaluate: (packet: Record<string, unknown>, opts?: Record<string, unknown>) => any
  newState: (seed?: number) => void
  /** continue from a branch's state (all mode) */
  setState?: (state: unknown) => void
}

/** Length of the longest common subsequence: picks the engine branch closest to the kernel's. */
function lcs (a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0)
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1])
    prev = cur
  }
  return prev[b.length]
}

/**
 * Compares one node's handshake journeys with the engine on that node (fresh state, SYN then SYN-ACK).
 * The engine runs in `all` mode and the branch that took the kernel's random choices (statistic) is
 * the one compared and continued from. The port a `--random-fully` MASQUERADE picks differs between
 * kernel and engine; when the SYN-ACK is addressed to the engine's masquerade address on a port other
 * than the SYN's original source port, that port is the kernel's pick and is replaced by the engine's.
 */
export function compareHandshake (journeys: Journey[], session: TraceSession, opts: { ignoreEngine?: RegExp } = {}): { compared: number, problem: string | null } {
  // analysis aid (kernel-diff --ignore-unhooked): drop engine events of chains the kernel never hooked
  const filt = (ls: string[]): string[] => {
    if (opts.ignoreEngine === undefined) return ls
    const kept = ls.filter(l => !opts.ignoreEngine!.test(l))
    return kept.filter((l, i) => !(l.startsWith('PACKET ') && (kept[i + 1] === undefined || kept[i + 1].startsWith('PACKET '))))
  }
  session.newState(1)
  const hs = handshake(journeys)
  let synAfter: { src?: string, sport?: number } | undefined
  let synSport: string | undefined
  const problems: string[] = []
  for (const j of hs) {
    const isReply = j.flags.includes('ACK')
    let kernelLines = j.lines
    const pkt = journeyPacket(j, 'tcp')
    if (isReply && synAfter?.sport !== undefined && j.first.DST === synAfter.src && j.first.DPORT !== synSport && j.first.DPORT !== String(synAfter.sport)) {
      const kPort = j.first.DPORT
      const ePort = String(synAfter.sport)
      pkt.dport = synAfter.sport
      kernelLines = kernelLines.map(l => l.replace(new RegExp(`DPORT=${kPort}\\b`), `DPORT=${ePort}`))
    }
    const res = session.evaluate(pkt, { origin: j.first.IN === undefined ? 'local' : 'ingress', mode: session.setState !== undefined ? 'all' : 'sample' })
    const branches: any[] = Array.isArray(res.branches) && res.branches.length > 0 ? res.branches : [res]
    let best = branches[0]
    let bestLines = filt(engineLines(best.steps))
    for (const b of branches) {
      const ls = filt(engineLines(b.steps))
      if (linesDiff(kernelLines, ls) === null) { best = b; bestLines = ls; break }
      if (lcs(kernelLines, ls) > lcs(kernelLines, bestLines)) { best = b; bestLines = ls }
    }
    if (session.setState !== undefined && best.state !== undefined) session.setState(best.state)
    if (!isReply) {
      synAfter = { src: best.packetAfter?.src, sport: best.packetAfter?.sport }
      synSport = j.first.SPORT
    }
    const d = linesDiff(kernelLines, bestLines)
    if (d !== null) problems.push(`${isReply ? 'SYN-ACK' : 'SYN'} ${JSON.stringify(pkt)}: ${d}`)
  }
  return { compared: hs.length, problem: problems.length > 0 ? problems.join('\n') : null }
}
