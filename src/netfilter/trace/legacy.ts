/**
 * iptables-legacy `-j TRACE` kernel log lines (§6.1): one `TRACE: table:chain:kind:n <packet dump>`
 * line per entry hit while nf_trace was set (so the TRACE rule itself appears only when the packet
 * was already traced), with the unconditional-standard-verdict quirk (printed as policy/return).
 */
import type { Step } from '../eval/context.ts'
import { dumpPacket } from './log-format.ts'

export interface LegacyRenderOptions {
  /** include `-j LOG` lines (default true: they appear in the same kernel log) */
  includeLog?: boolean
}

/** The trace lines of one or more evaluation results, in order. */
export function renderLegacyTraceLines (steps: Step[], opts: LegacyRenderOptions = {}): string[] {
  const out: string[] = []
  for (const s of steps) {
    if (s.type === 'rule') {
      if (!s.traced || s.matched !== true) continue
      out.push(`TRACE: ${s.table}:${s.chain}:${s.printedKind}:${s.n} ${dumpPacket(s.packet, { tcpSequence: true, uid: true })}`)
    } else if (s.type === 'log' && (opts.includeLog ?? true)) {
      out.push(s.message)
    }
  }
  return out
}

/** Legacy TRACE rendering of an evaluation result (lines joined with '\n'). */
export function renderLegacyTrace (result: { steps: Step[] }, opts: LegacyRenderOptions = {}): string {
  const lines = renderLegacyTraceLines(result.steps, opts)
  return lines.length === 0 ? '' : lines.join('\n') + '\n'
}
