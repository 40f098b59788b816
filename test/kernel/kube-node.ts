/**
 * Programming a namespace the way kube-proxy programs a real node: first the static part (kubelet's
 * and kube-proxy's chains created with `iptables -N`, jump rules from the built-in chains in their
 * final order), then kube-proxy's restore data with `iptables-restore --noflush`, exactly as kube-proxy
 * feeds it. The kernel's `iptables-save` afterwards is what a user sees on the node.
 */
import type { Lab } from './netns.ts'
import { BUILTIN_CHAINS } from '../../src/netfilter/model.ts'
import type { TableName } from '../../src/netfilter/model.ts'

/** The parts of the generator's NodeRules the loader needs (see src/cluster/kubeproxy/generate.ts). */
export interface NodeRulesLike {
  static: { chains: Array<{ table: string, chain: string }>, rules: Array<{ table: string, chain: string, text: string }> }
  restore: string
}

const TARGETS = new Set(['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'MARK', 'CONNMARK', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'LOG', 'TRACE', 'NOTRACK', 'CT', 'QUEUE'])

/** Restore text of the static part: static chains, chains the static rules jump to, the static rules. */
export function staticRestore (nr: NodeRulesLike): string {
  const tables = new Map<string, { chains: string[], rules: string[] }>()
  const get = (t: string): { chains: string[], rules: string[] } => {
    let v = tables.get(t)
    if (v === undefined) { v = { chains: [], rules: [] }; tables.set(t, v) }
    return v
  }
  for (const c of nr.static.chains) if (!get(c.table).chains.includes(c.chain)) get(c.table).chains.push(c.chain)
  for (const r of nr.static.rules) {
    const t = get(r.table)
    const builtins = BUILTIN_CHAINS[r.table as TableName] as string[]
    if (!builtins.includes(r.chain) && !t.chains.includes(r.chain)) t.chains.push(r.chain)
    const m = / -[jg] (\S+)/.exec(r.text)
    if (m !== null && !TARGETS.has(m[1]) && !builtins.includes(m[1]) && !t.chains.includes(m[1])) t.chains.push(m[1])
    t.rules.push(r.text)
  }
  const out: string[] = []
  for (const [name, t] of tables) {
    out.push(`*${name}`, ...t.chains.map(c => `:${c} - [0:0]`), ...t.rules, 'COMMIT')
  }
  return out.join('\n') + '\n'
}

/** Loads a node's rules into `ns` as kube-proxy would on a clean node. */
export function loadNode (lab: Lab, ns: string, nr: NodeRulesLike): void {
  const skeleton = staticRestore(nr)
  if (skeleton.trim() !== '') lab.restore(ns, skeleton, ['--noflush'])
  lab.restore(ns, nr.restore, ['--noflush'])
}
