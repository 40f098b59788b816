/**
 * Kernel-style text of a cluster trace: per node the `TRACE: table:chain:rule|return|policy:N <packet>`
 * lines iptables-legacy writes to the kernel log (as if every packet were traced), each followed by a
 * one-line explanation; routing, conntrack and NAT events as comments; outcomes and replies in words.
 */
import { dumpPacket, type Prepared } from '../../netfilter/index.ts'
import { explainStep } from './explain.ts'
import { fmtP, outcomeLine, type TraceResponse } from './result.ts'
import type { Hop, Path } from './types.ts'

function hopLines (p: Prepared, h: Hop, out: string[]): void {
  out.push(`## node ${h.node}: ${h.entry === 'OUTPUT' ? 'a host process sends it (starts in OUTPUT)' : `arrives on ${h.inIface} (starts in PREROUTING)`}`)
  for (const s of h.steps) {
    if (s.type === 'rule') {
      if (s.matched === true) {
        out.push(`TRACE: ${s.table}:${s.chain}:${s.printedKind}:${s.n} ${dumpPacket(s.packet, { tcpSequence: true, uid: true })}`)
        out.push(`#   ${explainStep(p, s)}`)
      } else {
        out.push(`#   ${s.matched === 'unknown' ? 'unknown' : 'miss'} ${s.table}:${s.chain}:rule:${s.n}  ${s.why ?? ''}`.trimEnd())
      }
    } else if (s.type === 'route' || s.type === 'reroute' || s.type === 'loopback' || s.type === 'nat' || s.type === 'conntrack' || s.type === 'ttl' || s.type === 'drop') {
      out.push(`#   ${s.message}`)
    } else if (s.type === 'log') {
      out.push(s.message)
    }
  }
  const o = h.outcome
  if (o.kind === 'EGRESS') out.push(`#   leaves ${h.node} on ${o.outIface} towards ${o.nextHop}: ${o.packet.src}${o.packet.sport !== undefined ? ':' + o.packet.sport : ''} -> ${o.packet.dst}${o.packet.dport !== undefined ? ':' + o.packet.dport : ''}`)
}

export function renderTraceText (resp: TraceResponse, paths: Path[], prepared: (n: string) => Prepared): string {
  const out: string[] = []
  const r = resp.request
  const src = r.source
  const who = src.kind === 'external'
    ? `an external client ${src.address}:${src.port} entering ${src.node}`
    : src.kind === 'pod' ? `pod ${src.pod ?? ''} (${src.address ?? ''}:${src.port}) on ${src.node}` : `a host process on ${src.node}${src.address !== undefined ? ` (${src.address}:${src.port})` : ''}`
  out.push(`# kubenetsim trace of cluster ${resp.metadata.cluster} (generation ${resp.metadata.generation}, kube-proxy ${resp.metadata.profile} profile)`)
  out.push(`# ${r.protocol} from ${who} to ${r.destination.address}${r.destination.port !== undefined ? ':' + r.destination.port : ''} (${r.destination.is})`)
  out.push(`# mode ${r.mode}${r.seed !== undefined ? ` seed ${r.seed}` : ''}, simulated clock ${r.clock.now}s`)
  out.push('#')
  out.push(`# ${resp.outcomes.length === 1 ? 'outcome' : `${resp.outcomes.length} possible outcomes`}:`)
  for (const o of resp.outcomes) {
    out.push(`#   p=${fmtP(o.probability)}  ${outcomeLine(o)}`)
    out.push(`#     why: ${o.reason}`)
    if (o.reply !== undefined) out.push(`#     reply: ${o.reply.summary}`)
  }
  paths.forEach((p, i) => {
    out.push('')
    out.push(`### path ${i + 1} of ${paths.length} (p=${fmtP(p.probability)}): ${outcomeLine(resp.paths[i].outcome)}`)
    for (const h of p.hops) hopLines(prepared(h.node), h, out)
    out.push(`## => ${resp.paths[i].outcome.reason}`)
    if (p.reply !== undefined) {
      out.push('### reply')
      for (const h of p.reply.hops) hopLines(prepared(h.node), h, out)
      out.push(`## => ${p.reply.summary}`)
    }
  })
  return out.join('\n') + '\n'
}
