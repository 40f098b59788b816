/**
 * The whole state of a node's kube-proxy tables as one restore document: built-in chains, static
 * chains (canaries, kubelet), the restore data's chains, static jump rules, then the restore rules.
 * Loading it into an empty host gives what kube-proxy leaves on a clean node. Each rule line's
 * provenance is kept by line number so it can be attached to the parsed engine rules.
 */
import { BUILTIN_CHAINS } from '../../netfilter/model.ts'
import type { NodeRules } from './generate.ts'
import type { KpTable, RuleProvenance, RuleRecord } from './types.ts'

export interface NodeDocument {
  text: string
  /** provenance by 1-based line number */
  provenance: Map<number, RuleProvenance>
}

export const TABLE_ORDER: KpTable[] = ['mangle', 'filter', 'nat']

export function tableChains (nr: NodeRules, table: KpTable): string[] {
  const out: string[] = []
  for (const c of nr.static.chains) if (c.table === table) out.push(c.chain)
  if (table === 'filter') out.push(...nr.top.filterChains)
  if (table === 'nat') {
    out.push(...nr.top.natChains)
    for (const f of nr.fragments) out.push(...f.natChains)
  }
  return [...new Set(out)]
}

export function tableRules (nr: NodeRules, table: KpTable): RuleRecord[] {
  const restoreChains = new Set(table === 'filter' ? nr.top.filterChains : table === 'nat' ? nr.top.natChains : [])
  // static rules in chains that the restore data declares are flushed by it (noflush + chain line)
  const statics = nr.static.rules.filter(r => r.table === table && !restoreChains.has(r.chain))
  return [...statics, ...nr.rules.filter(r => r.table === table)]
}

export function nodeDocument (nr: NodeRules): NodeDocument {
  const lines: string[] = []
  const provenance = new Map<number, RuleProvenance>()
  for (const t of TABLE_ORDER) {
    const chains = tableChains(nr, t)
    const rules = tableRules(nr, t)
    if (chains.length === 0 && rules.length === 0) continue
    lines.push(`*${t}`)
    for (const b of BUILTIN_CHAINS[t]) lines.push(`:${b} ACCEPT [0:0]`)
    for (const c of chains) lines.push(`:${c} - [0:0]`)
    for (const r of rules) {
      lines.push(r.text)
      provenance.set(lines.length, r.prov)
    }
    lines.push('COMMIT')
  }
  return { text: lines.join('\n') + '\n', provenance }
}
