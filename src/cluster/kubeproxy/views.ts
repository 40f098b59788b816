/**
 * Views of one node's rules: `restore` (kube-proxy's iptables-restore input), `sorted` (kube-proxy's
 * test sorter form) and `save` (what iptables-save prints on the node; see save.ts), with filters by
 * table, chain and Service (by provenance, not substring), and the per-Service view.
 */
import type { NodeRules } from './generate.ts'
import { printDump, sortDump, tokenize, type DumpChain, type DumpTable } from './sort.ts'
import type { KpTable, RuleProvenance, RuleRecord } from './types.ts'

export type ViewFormat = 'save' | 'restore' | 'sorted' | 'json'

export interface ViewFilter {
  table?: string
  chain?: string
  /** `ns/name` */
  service?: string
}

export function hasFilter (f: ViewFilter): boolean {
  return f.table != null || f.chain != null || f.service != null
}

function commentOf (text: string): string | null {
  if (!text.includes('--comment')) return null
  const w = tokenize(text)
  const i = w.indexOf('--comment')
  return i >= 0 ? (w[i + 1] ?? null) : null
}

/** The restore data as dump tables, rules carrying their RuleRecord. */
export function restoreTables (nr: NodeRules): DumpTable[] {
  const mk = (name: KpTable, chainNames: string[], rules: RuleRecord[]): DumpTable => {
    const chains: DumpChain[] = []
    const index = new Map<string, DumpChain>()
    for (const c of chainNames) {
      if (index.has(c)) continue
      const dc: DumpChain = { name: c, rules: [], deleted: false }
      chains.push(dc)
      index.set(c, dc)
    }
    for (const r of rules) index.get(r.chain)?.rules.push({ chain: r.chain, raw: r.text, comment: commentOf(r.text), prov: r })
    return { name, chains }
  }
  const filterRules = nr.rules.filter(r => r.table === 'filter')
  const natRules = nr.rules.filter(r => r.table === 'nat')
  return [
    mk('filter', nr.top.filterChains, filterRules),
    mk('nat', [...nr.top.natChains, ...nr.fragments.flatMap(f => f.natChains)], natRules)
  ]
}

const sortedCache = new WeakMap<NodeRules, DumpTable[]>()

export function sortedTables (nr: NodeRules): DumpTable[] {
  let s = sortedCache.get(nr)
  if (s == null) sortedCache.set(nr, s = sortDump(restoreTables(nr)))
  return s
}

export function ruleMatchesFilter (table: string, chain: string, prov: RuleProvenance | undefined, f: ViewFilter): boolean {
  if (f.table != null && f.table !== table) return false
  if (f.chain != null && f.chain !== chain) return false
  if (f.service != null && prov?.service !== f.service) return false
  return true
}

/** Filtered dump text: a table filter alone keeps whole tables; chain/service filters print rule lines only (like grep). */
function filteredDump (tables: DumpTable[], f: ViewFilter): string {
  if (!hasFilter(f)) return printDump(tables)
  if (f.chain == null && f.service == null) return printDump(tables.filter(t => t.name === f.table))
  const out: string[] = []
  for (const t of tables) {
    if (f.table != null && t.name !== f.table) continue
    for (const c of t.chains) {
      for (const r of c.rules) {
        const rec = r.prov as RuleRecord | undefined
        if (ruleMatchesFilter(t.name, c.name, rec?.prov, f)) out.push(r.raw + '\n')
      }
    }
  }
  return out.join('')
}

export function restoreView (nr: NodeRules, f: ViewFilter = {}): string {
  if (!hasFilter(f)) return nr.restore
  if (f.chain == null && f.service == null) {
    // keep kube-proxy's emission order inside the table
    const lines = nr.restore.split('\n')
    const start = lines.indexOf(`*${f.table}`)
    if (start < 0) return ''
    const end = lines.indexOf('COMMIT', start)
    return lines.slice(start, end + 1).join('\n') + '\n'
  }
  const out: string[] = []
  for (const r of nr.rules) if (ruleMatchesFilter(r.table, r.chain, r.prov, f)) out.push(r.text + '\n')
  return out.join('')
}

export function sortedView (nr: NodeRules, f: ViewFilter = {}): string {
  return filteredDump(sortedTables(nr), f)
}

/** Chains and rules (restore text + provenance) of one Service on one node. */
export interface ServiceChainView {
  table: KpTable
  chain: string
  /** true for the Service's own chains (SVC/SVL/EXT/FW/SEP/XLB), false for shared chains */
  owned: boolean
  rules: Array<{ text: string, provenance: RuleProvenance }>
}

export function serviceRules (nr: NodeRules, service: string): ServiceChainView[] {
  const frag = nr.fragments.find(f => f.service === service)
  if (frag == null) return []
  const owned = new Set(frag.natChains)
  const out = new Map<string, ServiceChainView>()
  for (const c of frag.natChains) out.set(`nat/${c}`, { table: 'nat', chain: c, owned: true, rules: [] })
  for (const r of [...frag.filterRules, ...frag.natRules]) {
    const key = `${r.table}/${r.chain}`
    let v = out.get(key)
    if (v == null) out.set(key, v = { table: r.table, chain: r.chain, owned: r.table === 'nat' && owned.has(r.chain), rules: [] })
    v.rules.push({ text: r.text, provenance: r.prov })
  }
  return [...out.values()]
}
