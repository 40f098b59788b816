/**
 * Fast path of the `save` view for large clusters. Turns each generated restore line directly into
 * its iptables-save form (for the option vocabulary kube-proxy uses; anything else falls back to the
 * engine), caches the result per Service fragment, and composes the document with chains sorted the
 * way iptables-save sorts them. Tests assert it is identical to the engine's parse + render.
 */
import { saveString } from '../../netfilter/quote.ts'
import { parseRuleset } from '../../netfilter/parse/ruleset.ts'
import { renderRule } from '../../netfilter/render/rule.ts'
import { BUILTIN_CHAINS } from '../../netfilter/model.ts'
import type { NodeRules } from './generate.ts'
import { kernelProbability } from './probability.ts'
import { tokenize } from './sort.ts'
import { TABLE_ORDER } from './document.ts'
import type { KpTable, RuleRecord, ServiceFragment } from './types.ts'

const CT_ORDER = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT']

function hexNum (s: string): string {
  return '0x' + Number.parseInt(s, s.startsWith('0x') ? 16 : 10).toString(16)
}

function markPair (s: string): [string, string] {
  const [v, m] = s.split('/')
  return [hexNum(v), m != null ? hexNum(m) : '0xffffffff']
}

function addr (a: string): string {
  return a.includes('/') ? a : a.includes(':') ? `${a}/128` : `${a}/32`
}

interface M { name: string, opts: string[], rname?: string, cmd?: string, seconds?: string, reap?: boolean }

/** iptables-save form of one restore rule line, or null if it uses an option outside the fast vocabulary. */
export function canonicalLine (text: string): string | null {
  const w = tokenize(text)
  if (w[0] !== '-A') return null
  const chain = w[1]
  let src = ''
  let dst = ''
  let proto = ''
  let protoName = ''
  const ms: M[] = []
  let target = ''
  let cur: M | null = null
  let neg = false
  for (let i = 2; i < w.length; i++) {
    const t = w[i]
    if (t === '!') { neg = true; continue }
    const n = neg ? ' !' : ''
    neg = false
    switch (t) {
      case '-s': src = `${n} -s ${addr(w[++i])}`; break
      case '-d': dst = `${n} -d ${addr(w[++i])}`; break
      case '-p': protoName = w[++i]; proto = `${n} -p ${protoName}`; break
      case '-m': cur = { name: w[++i], opts: [] }; ms.push(cur); break
      case '-j': {
        const tg = w[++i]
        const rest = w.slice(i + 1)
        i = w.length
        if (tg === 'REJECT' && rest.length === 0) target = ' -j REJECT --reject-with icmp-port-unreachable'
        else if (tg === 'MARK' && rest.length === 2) {
          if (rest[0] === '--or-mark') { const v = hexNum(rest[1]); target = ` -j MARK --set-xmark ${v}/${v}` } else if (rest[0] === '--xor-mark') target = ` -j MARK --set-xmark ${hexNum(rest[1])}/0x0`
          else if (rest[0] === '--set-xmark') { const [v, m] = markPair(rest[1]); target = ` -j MARK --set-xmark ${v}/${m}` } else return null
        } else if (tg === 'DNAT' && rest.length === 2 && rest[0] === '--to-destination') target = ` -j DNAT --to-destination ${rest[1]}`
        else if (tg === 'MASQUERADE' && (rest.length === 0 || (rest.length === 1 && rest[0] === '--random-fully'))) target = ` -j MASQUERADE${rest.length > 0 ? ' --random-fully' : ''}`
        else if (rest.length === 0 && /^[A-Z][A-Z0-9-]*$/.test(tg) && tg !== 'MARK' && tg !== 'DNAT' && tg !== 'MASQUERADE') target = ` -j ${tg}`
        else return null
        break
      }
      default: {
        if (cur == null) return null
        const m: M = cur
        switch (t) {
          case '--comment': if (m.name !== 'comment') return null; m.opts.push(` --comment ${saveString(w[++i])}`); break
          case '--dport': {
            // belongs to the explicitly loaded protocol match of the rule's protocol
            const pm = ms.find(x => x.name === protoName && (x.name === 'tcp' || x.name === 'udp' || x.name === 'sctp'))
            if (pm == null || protoName === '') return null
            pm.opts.push(`${n} --dport ${w[++i]}`)
            break
          }
          case '--src-type': case '--dst-type': if (m.name !== 'addrtype') return null; m.opts.push(`${n} ${t} ${w[++i]}`); break
          case '--mode': if (m.name !== 'statistic' || w[i + 1] !== 'random') return null; m.opts.push(' --mode random'); i++; break
          case '--probability': m.opts.push(`${n} --probability ${kernelProbability(w[++i])}`); break
          case '--name': m.rname = w[++i]; break
          case '--rcheck': m.cmd = 'rcheck'; break
          case '--set': m.cmd = 'set'; break
          case '--seconds': m.seconds = w[++i]; break
          case '--reap': m.reap = true; break
          case '--ctstate': {
            if (m.name !== 'conntrack') return null
            const states = w[++i].split(',')
            m.opts.push(`${n} --ctstate ${CT_ORDER.filter(s => states.includes(s)).join(',')}`)
            break
          }
          case '--mark': {
            if (m.name !== 'mark') return null
            const [v, mk] = markPair(w[++i])
            m.opts.push(`${n} --mark ${v}${mk === '0xffffffff' ? '' : '/' + mk}`)
            break
          }
          case '--nfacct-name': if (m.name !== 'nfacct') return null; m.opts.push(` --nfacct-name ${w[++i]}`); break
          case '--physdev-is-in': if (m.name !== 'physdev') return null; m.opts.push(`${n} --physdev-is-in`); break
          default: return null
        }
      }
    }
  }
  let out = `-A ${chain}${src}${dst}${proto}`
  for (const m of ms) {
    if (m.name === 'recent') {
      if (m.rname == null) return null
      if (m.cmd === 'rcheck') out += ` -m recent --rcheck${m.seconds != null ? ` --seconds ${m.seconds}` : ''}${m.reap === true ? ' --reap' : ''} --name ${m.rname} --mask 255.255.255.255 --rsource`
      else if (m.cmd === 'set') out += ` -m recent --set --name ${m.rname} --mask 255.255.255.255 --rsource`
      else return null
    } else out += ` -m ${m.name}${m.opts.join('')}`
  }
  return out + target
}

/** Engine fallback for one rule line (declares the chains it needs). */
function engineLine (table: KpTable, chain: string, text: string): string {
  const w = tokenize(text)
  const j = w.indexOf('-j')
  const decl = [chain, ...(j >= 0 && /^KUBE-/.test(w[j + 1]) ? [w[j + 1]] : [])]
  const builtins = BUILTIN_CHAINS[table] as string[]
  const doc = `*${table}\n${[...new Set(decl)].filter(c => !builtins.includes(c)).map(c => `:${c} - [0:0]\n`).join('')}${text}\nCOMMIT\n`
  const rs = parseRuleset(doc)
  const rule = rs.tables.get(table)!.chains.get(chain)!.rules[0]
  return renderRule(chain, rule)
}

export function saveLine (r: Pick<RuleRecord, 'table' | 'chain' | 'text'> & { prov?: RuleRecord['prov'] }): string {
  return canonicalLine(r.text) ?? engineLine(r.table, r.chain, r.text)
}

/** Calls `fn(chain, line)` for each line of a fragment's restore text (`-A CHAIN …\n` lines). */
export function eachLine (text: string, fn: (chain: string, line: string) => void): void {
  let at = 0
  while (at < text.length) {
    const nl = text.indexOf('\n', at)
    const line = text.slice(at, nl)
    fn(line.slice(3, line.indexOf(' ', 3)), line)
    at = nl + 1
  }
}

/**
 * Save lines of one fragment, memoised on the fragment (so shared by every node rendering it):
 * lines of chains it shares with others (KUBE-SERVICES, KUBE-NODEPORTS, filter chains) in order,
 * and the text of each chain it owns, in `natChains` order.
 */
interface FragSave {
  shared: Array<{ table: KpTable, chain: string, text: string }>
  own: string[]
}

const fragMemo = new WeakMap<ServiceFragment, FragSave>()

/** Forces V8 to flatten a concatenated (rope) string in place, so joining cached pieces is a plain copy. */
function flat (s: string): string {
  if (s.length > 0) s.charCodeAt(0)
  return s
}

function fragSave (f: ServiceFragment): FragSave {
  let fs = fragMemo.get(f)
  if (fs != null) return fs
  const owned = new Set(f.natChains)
  const shared: FragSave['shared'] = []
  const ownLines = new Map<string, string[]>()
  eachLine(f.filterText, (chain, text) => { shared.push({ table: 'filter', chain, text: flat(saveLine({ table: 'filter', chain, text }) + '\n') }) })
  eachLine(f.natText, (chain, text) => {
    const line = saveLine({ table: 'nat', chain, text }) + '\n'
    if (owned.has(chain)) {
      let a = ownLines.get(chain)
      if (a == null) ownLines.set(chain, a = [])
      a.push(line)
    } else shared.push({ table: 'nat', chain, text: flat(line) })
  })
  const own: string[] = []
  for (const c of f.natChains) {
    const a = ownLines.get(c)
    // a chain listed twice gets its text once
    if (a != null) ownLines.delete(c)
    own.push(a == null ? '' : a.join(''))
  }
  fs = { shared, own }
  fragMemo.set(f, fs)
  return fs
}

const byName = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

/**
 * Per-Service chains sharing a name prefix (`KUBE-SEP-AB…`), sorted by name, each with the fragment
 * save text that holds its lines (and its index there), and the bucket's cached chain lines.
 */
interface Bucket {
  chains: string[]
  owners: FragSave[]
  index: number[]
  lines: string | null
}

/** `KUBE-SEP-AB` for `KUBE-SEP-ABCD…`: kind prefix + 2 hash characters. */
function bucketKey (chain: string): string {
  const dash = chain.indexOf('-', 5)
  return dash < 0 ? chain : chain.slice(0, dash + 3)
}

/** First index whose value is >= v. */
function lowerBound (arr: string[], v: string): number {
  let lo = 0
  let hi = arr.length
  while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid] < v) lo = mid + 1; else hi = mid }
  return lo
}

function sortedInsert (arr: string[], v: string): void {
  const lo = lowerBound(arr, v)
  if (arr[lo] !== v) arr.splice(lo, 0, v)
}

function sortedRemove (arr: string[], v: string): void {
  const lo = lowerBound(arr, v)
  if (arr[lo] === v) arr.splice(lo, 1)
}

/**
 * Incremental state for composing the save text of one node across renders. Per-Service chains are
 * kept sorted in prefix buckets pointing at the fragments' memoised save text (one copy per fragment,
 * shared by the nodes), so after a change only the touched buckets are edited.
 */
export class SaveComposer {
  private frags = new Set<ServiceFragment>()
  private owner = new Map<string, ServiceFragment>()
  private buckets = new Map<string, Bucket>()
  private keys: string[] = []

  private addChain (c: string, f: ServiceFragment, fs: FragSave, k: number): void {
    this.owner.set(c, f)
    const key = bucketKey(c)
    let b = this.buckets.get(key)
    if (b == null) {
      this.buckets.set(key, b = { chains: [], owners: [], index: [], lines: null })
      sortedInsert(this.keys, key)
    }
    const i = lowerBound(b.chains, c)
    if (b.chains[i] === c) {
      // a chain name owned by two fragments: the later one's text, as on a full build
      b.owners[i] = fs
      b.index[i] = k
      return
    }
    b.chains.splice(i, 0, c)
    b.owners.splice(i, 0, fs)
    b.index.splice(i, 0, k)
    b.lines = null
  }

  private removeChain (c: string): void {
    this.owner.delete(c)
    const key = bucketKey(c)
    const b = this.buckets.get(key)
    if (b == null) return
    const i = lowerBound(b.chains, c)
    if (b.chains[i] !== c) return
    b.chains.splice(i, 1)
    b.owners.splice(i, 1)
    b.index.splice(i, 1)
    b.lines = null
    if (b.chains.length === 0) { this.buckets.delete(key); sortedRemove(this.keys, key) }
  }

  private update (fragments: ServiceFragment[]): void {
    const next = new Set(fragments)
    let changed = 0
    for (const f of this.frags) if (!next.has(f)) changed++
    if (this.frags.size === 0 || changed > 64) {
      // (re)build from scratch
      this.owner = new Map()
      const where = new Map<string, [FragSave, number]>()
      const byKey = new Map<string, string[]>()
      for (const f of fragments) {
        const fs = fragSave(f)
        f.natChains.forEach((c, k) => {
          if (!where.has(c)) {
            const key = bucketKey(c)
            let a = byKey.get(key)
            if (a == null) byKey.set(key, a = [])
            a.push(c)
          }
          where.set(c, [fs, k])
          this.owner.set(c, f)
        })
      }
      this.buckets = new Map()
      for (const [key, chains] of byKey) {
        chains.sort(byName)
        const owners: FragSave[] = []
        const index: number[] = []
        for (const c of chains) { const [fs, k] = where.get(c)!; owners.push(fs); index.push(k) }
        this.buckets.set(key, { chains, owners, index, lines: null })
      }
      this.keys = [...byKey.keys()].sort(byName)
      this.frags = next
      return
    }
    for (const f of this.frags) {
      if (next.has(f)) continue
      for (const c of f.natChains) if (this.owner.get(c) === f) this.removeChain(c)
    }
    for (const f of fragments) {
      if (this.frags.has(f)) continue
      const fs = fragSave(f)
      f.natChains.forEach((c, k) => { this.addChain(c, f, fs, k) })
    }
    this.frags = next
  }

  private bucketLines (b: Bucket): string {
    if (b.lines == null) b.lines = b.chains.map(c => `:${c} - [0:0]\n`).join('')
    return b.lines
  }

  /** Pushes the save text of the bucket's chains, in name order. */
  private pushBucketTexts (b: Bucket, out: string[]): void {
    const n = b.chains.length
    for (let i = 0; i < n; i++) {
      const t = b.owners[i].own[b.index[i]]
      if (t !== '') out.push(t)
    }
  }

  /** iptables-save text (`date` already in ctime form). */
  compose (nr: NodeRules, date: string): string {
    return this.chunks(nr, date).join('')
  }

  /** The same text as an array of pieces (cheap to produce after a change; join or stream them). */
  chunks (nr: NodeRules, date: string): string[] {
    this.update(nr.fragments)
    const out: string[] = []
    const fss = nr.fragments.map(f => fragSave(f))
    for (const t of TABLE_ORDER) {
      const builtins = BUILTIN_CHAINS[t] as string[]
      const restoreTop = t === 'filter' ? nr.top.filterChains : t === 'nat' ? nr.top.natChains : []
      const restoreSet = new Set(restoreTop)
      const staticChains = nr.static.chains.filter(c => c.table === t).map(c => c.chain)
      const statics = nr.static.rules.filter(r => r.table === t && !restoreSet.has(r.chain))
      const head = t === 'filter' ? nr.top.filterHead : t === 'nat' ? nr.top.natHead : []
      const tail = t === 'filter' ? nr.top.filterTail : t === 'nat' ? nr.top.natTail : []
      const keys = t === 'nat' ? this.keys : []
      if (staticChains.length === 0 && restoreTop.length === 0 && statics.length === 0 && keys.length === 0) continue
      const sharedText = new Map<string, string[]>()
      const push = (c: string, s: string): void => { let a = sharedText.get(c); if (a == null) sharedText.set(c, a = []); a.push(s) }
      for (const r of statics) push(r.chain, saveLine(r) + '\n')
      for (const r of head) push(r.chain, saveLine(r) + '\n')
      for (const fs of fss) for (const e of fs.shared) if (e.table === t) push(e.chain, e.text)
      for (const r of tail) push(r.chain, saveLine(r) + '\n')
      const sharedUsers = [...new Set([...staticChains, ...restoreTop])].filter(c => !builtins.includes(c) && !(t === 'nat' && this.owner.has(c))).sort(byName)
      out.push(`# Generated by iptables-save v1.8.9 (nf_tables) on ${date}\n*${t}\n`)
      for (const b of builtins) out.push(`:${b} ACCEPT [0:0]\n`)
      // chain lines: shared chains merged with the buckets in name order (a shared name never falls inside a bucket)
      let i = 0
      let j = 0
      while (i < sharedUsers.length || j < keys.length) {
        if (j >= keys.length || (i < sharedUsers.length && sharedUsers[i] < keys[j])) out.push(`:${sharedUsers[i++]} - [0:0]\n`)
        else out.push(this.bucketLines(this.buckets.get(keys[j++])!))
      }
      for (const b of builtins) { const a = sharedText.get(b); if (a != null) for (const x of a) out.push(x) }
      i = 0
      j = 0
      while (i < sharedUsers.length || j < keys.length) {
        if (j >= keys.length || (i < sharedUsers.length && sharedUsers[i] < keys[j])) {
          const a = sharedText.get(sharedUsers[i++])
          if (a != null) for (const x of a) out.push(x)
        } else this.pushBucketTexts(this.buckets.get(keys[j++])!, out)
      }
      out.push(`COMMIT\n# Completed on ${date}\n`)
    }
    return out
  }
}
