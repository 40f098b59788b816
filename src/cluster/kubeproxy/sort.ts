/**
 * The canonical form kube-proxy's own tests compare (`sortIPTablesRules` in proxier_test.go, §2):
 * tables by name; chains KUBE-NODEPORTS, KUBE-SERVICES, other KUBE-* chains, then the rest, each group
 * by name; rules grouped per chain in their original order, except a stable sort of KUBE-NODEPORTS and
 * KUBE-SERVICES by the service name in their comment, with the nodeports capture rule last in nat.
 */

export interface DumpRule {
  chain: string
  raw: string
  /** value of `--comment`, null when absent */
  comment: string | null
  /** producer annotation carried through sorting (not printed) */
  prov?: unknown
}

export interface DumpChain {
  name: string
  rules: DumpRule[]
  deleted: boolean
}

export interface DumpTable {
  name: string
  chains: DumpChain[]
}

/**
 * Splits a rule line into words the way iptables-restore does (double quotes group, `\` escapes
 * inside; a closing quote ends the word). Plain runs are sliced, not built a character at a time:
 * the save view tokenizes every line of a node.
 */
export function tokenize (line: string): string[] {
  const out: string[] = []
  const n = line.length
  let i = 0
  while (i < n) {
    let c = line.charCodeAt(i)
    if (c === 32 || c === 9) { i++; continue }
    const start = i
    while (i < n && (c = line.charCodeAt(i)) !== 32 && c !== 9 && c !== 34) i++
    if (i >= n || c !== 34) { out.push(line.slice(start, i)); continue }
    // a quote: the word goes on inside the quotes, up to the closing one
    let cur = line.slice(start, i)
    i++
    let seg = i
    while (i < n) {
      c = line.charCodeAt(i)
      if (c === 92 && i + 1 < n) { cur += line.slice(seg, i) + line[i + 1]; i += 2; seg = i; continue }
      if (c === 34) break
      i++
    }
    out.push(cur + line.slice(seg, i))
    if (i < n) i++
  }
  return out
}

function commentOf (words: string[]): string | null {
  const i = words.indexOf('--comment')
  return i >= 0 && i + 1 < words.length ? words[i + 1] : null
}

/** Parses an iptables-restore/-save style dump (kube-proxy's ParseIPTablesDump). */
export function parseDump (text: string): DumpTable[] {
  const tables: DumpTable[] = []
  let table: DumpTable | null = null
  let index = new Map<string, DumpChain>()
  const lines = text.split('\n')
  lines.forEach((line, n) => {
    if (line === '' || line.startsWith('#')) return
    if (line.startsWith('*')) {
      table = { name: line.slice(1).trim(), chains: [] }
      index = new Map()
      tables.push(table)
      return
    }
    if (table == null) throw new Error(`line ${n + 1}: data outside a table`)
    const t: DumpTable = table
    if (line === 'COMMIT') { table = null; return }
    const find = (name: string): DumpChain | undefined => index.get(name)
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0]
      if (find(name) == null) {
        const c: DumpChain = { name, rules: [], deleted: false }
        t.chains.push(c)
        index.set(name, c)
      }
      return
    }
    const words = tokenize(line)
    if (words[0] === '-X') {
      const c = find(words[1])
      if (c == null) throw new Error(`line ${n + 1}: -X of unknown chain ${words[1]}`)
      c.deleted = true
      return
    }
    if (words[0] !== '-A' || words.length < 2) throw new Error(`line ${n + 1}: unsupported line ${line}`)
    const c = find(words[1])
    if (c == null) throw new Error(`line ${n + 1}: rule for unknown chain ${words[1]}`)
    c.rules.push({ chain: words[1], raw: line, comment: commentOf(words) })
  })
  return tables
}

function serviceName (r: DumpRule): string {
  const c = r.comment!
  let end = c.length
  const sp = c.indexOf(' ')
  const colon = c.indexOf(':')
  if (sp >= 0) end = Math.min(end, sp)
  if (colon >= 0) end = Math.min(end, colon)
  return c.slice(0, end)
}

function chainLess (a: string, b: string): boolean {
  if (a === 'KUBE-NODEPORTS') return true
  if (b === 'KUBE-NODEPORTS') return false
  if (a === 'KUBE-SERVICES') return true
  if (b === 'KUBE-SERVICES') return false
  const ka = a.startsWith('KUBE-')
  const kb = b.startsWith('KUBE-')
  if (ka && !kb) return true
  if (!ka && kb) return false
  return a < b
}

const LAST = 'must be the last rule'

function ruleLess (table: string, chain: string, a: DumpRule, b: DumpRule): boolean {
  if (table === 'nat' && chain === 'KUBE-SERVICES') {
    if (a.comment?.includes(LAST) === true) return false
    if (b.comment?.includes(LAST) === true) return true
  }
  if (a.comment == null || b.comment == null) return false
  return serviceName(a) < serviceName(b)
}

export function sortDump (tables: DumpTable[]): DumpTable[] {
  const out = [...tables].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  return out.map(t => {
    const chains = [...t.chains].sort((a, b) => a.name === b.name ? 0 : chainLess(a.name, b.name) ? -1 : 1)
      .map(c => {
        if (c.name !== 'KUBE-NODEPORTS' && c.name !== 'KUBE-SERVICES') return c
        // Array.prototype.sort is stable, like Go's sort.SliceStable for this comparator
        const rules = [...c.rules].sort((x, y) => ruleLess(t.name, c.name, x, y) ? -1 : ruleLess(t.name, c.name, y, x) ? 1 : 0)
        return { ...c, rules }
      })
    return { name: t.name, chains }
  })
}

export function printDump (tables: DumpTable[]): string {
  const out: string[] = []
  for (const t of tables) {
    out.push(`*${t.name}`)
    for (const c of t.chains) out.push(`:${c.name} - [0:0]`)
    for (const c of t.chains) for (const r of c.rules) out.push(r.raw)
    for (const c of t.chains) if (c.deleted) out.push(`-X ${c.name}`)
    out.push('COMMIT')
  }
  return out.map(l => l + '\n').join('')
}

/** kube-proxy's test sorter: restore text in, canonical sorted text out. */
export function sortIPTablesRules (text: string): string {
  return printDump(sortDump(parseDump(text)))
}
