/** Canonical `-A CHAIN …` line of one rule, as iptables-save v1.8.9 prints it. */

import type { AddrMatch, Rule } from '../model.ts'
import { formatIPv4, formatMask } from '../addr.ts'
import { protocolName } from '../protocols.ts'
import { renderMatch } from './matches.ts'
import { renderTarget } from './targets.ts'

function addr (flag: string, a: AddrMatch | undefined): string {
  if (a === undefined || (a.addr === 0 && a.mask === 0 && !a.invert)) return ''
  return `${a.invert ? ' !' : ''} ${flag} ${formatIPv4(a.addr)}/${formatMask(a.mask)}`
}

/** The `-A CHAIN …` line for `rule` (no counters prefix, no newline). */
export function renderRule (chain: string, rule: Rule): string {
  let s = `-A ${chain}`
  s += addr('-s', rule.source)
  s += addr('-d', rule.destination)
  if (rule.inIface !== undefined && !(rule.inIface.name === '+' && !rule.inIface.invert)) {
    s += `${rule.inIface.invert ? ' !' : ''} -i ${rule.inIface.name}`
  }
  if (rule.outIface !== undefined && !(rule.outIface.name === '+' && !rule.outIface.invert)) {
    s += `${rule.outIface.invert ? ' !' : ''} -o ${rule.outIface.name}`
  }
  if (rule.protocol !== undefined && rule.protocol.proto !== 0) {
    s += `${rule.protocol.invert ? ' !' : ''} -p ${protocolName(rule.protocol.proto)}`
  }
  if (rule.fragment !== undefined) s += `${rule.fragment.invert ? ' !' : ''} -f`
  for (const m of rule.matches) s += renderMatch(m)
  s += renderTarget(rule.target)
  return s
}
