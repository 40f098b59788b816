/**
 * A port of the packet tracer of kube-proxy's unit tests (§8 of the reference), used to check that
 * generated rules give the outcomes kube-proxy's own tests expect. Deliberately approximate in the
 * same ways: no conntrack/marks/recent, statistic rules collect every endpoint, string --dport.
 */
import { tokenize } from '../../src/cluster/kubeproxy/index.ts'
import { cidrContains, parseCIDR, parseIP } from '../../src/cluster/kubeproxy/index.ts'

interface TRule {
  words: string[]
  neg: Map<string, boolean>
  val: Map<string, string>
}

export type FakeTables = Map<string, Map<string, TRule[]>>

const KEYS = ['-s', '-d', '-p', '--src-type', '--dst-type', '--dport', '-j', '--to-destination', '--probability', '--rcheck', '--mark', '--ctstate']

function parseRule (words: string[]): TRule {
  const neg = new Map<string, boolean>()
  const val = new Map<string, string>()
  for (let i = 2; i < words.length; i++) {
    const w = words[i]
    if (!KEYS.includes(w)) continue
    const negated = words[i - 1] === '!'
    neg.set(w, negated)
    val.set(w, w === '--rcheck' ? '' : (words[i + 1] ?? ''))
  }
  return { words, neg, val }
}

/** Loads dumps (restore data, static rules) into the tracer's table → chain → rules state. */
export function loadTables (...dumps: string[]): FakeTables {
  const tables: FakeTables = new Map()
  for (const dump of dumps) {
    let t: Map<string, TRule[]> | undefined
    for (const line of dump.split('\n')) {
      if (line.startsWith('*')) {
        const name = line.slice(1).trim()
        t = tables.get(name)
        if (t == null) tables.set(name, t = new Map())
      } else if (line.startsWith(':')) {
        const name = line.slice(1).split(' ')[0]
        t!.set(name, [])
      } else if (line.startsWith('-A ')) {
        const words = tokenize(line)
        if (!t!.has(words[1])) t!.set(words[1], [])
        t!.get(words[1])!.push(parseRule(words))
      }
    }
  }
  return tables
}

function addrMatches (spec: string, ip: string): boolean {
  if (spec.includes('/')) {
    const c = parseCIDR(spec)
    const p = parseIP(ip)
    return c != null && p != null && cidrContains(c, p)
  }
  const a = parseIP(spec)
  const b = parseIP(ip)
  return a != null && b != null && a.canonical === b.canonical
}

interface Pkt { src: string, proto: string, dst: string, dport: string, local: Set<string> }

function matches (r: TRule, p: Pkt): boolean {
  if (r.val.has('--rcheck') || r.val.has('--mark') || r.val.has('--ctstate')) return false
  const check = (key: string, ok: (v: string) => boolean): boolean => {
    if (!r.val.has(key)) return true
    return ok(r.val.get(key)!) !== r.neg.get(key)
  }
  const typeOf = (ip: string): string => p.local.has(ip) ? 'LOCAL' : 'not-matched'
  return check('-s', v => addrMatches(v, p.src)) &&
    check('--src-type', v => v === typeOf(p.src)) &&
    check('-p', v => v === p.proto) &&
    check('-d', v => addrMatches(v, p.dst)) &&
    check('--dst-type', v => v === typeOf(p.dst)) &&
    check('--dport', v => v === p.dport)
}

function runChain (t: FakeTables, table: string, chain: string, p: Pkt, out: { outputs: string[], masq: boolean }): boolean {
  const rules = t.get(table)?.get(chain)
  if (rules == null) return false
  for (const r of rules) {
    const j = r.val.get('-j')
    if (j == null) continue
    if (!matches(r, p)) continue
    if (j === 'KUBE-MARK-MASQ') { out.masq = true; continue }
    if (j === 'ACCEPT' || j === 'REJECT' || j === 'DROP') { out.outputs.push(j); return true }
    if (j === 'DNAT') { out.outputs.push(r.val.get('--to-destination') ?? ''); return true }
    const terminated = runChain(t, table, j, p, out)
    if (terminated && !r.val.has('--probability')) return true
  }
  return false
}

/** kube-proxy's tracePacket: outputs joined with ', ' and whether KUBE-MARK-MASQ was hit. */
export function tracePacket (t: FakeTables, src: string, protocol: string, dst: string, dport: number, nodeIPs: string[]): { output: string, masq: boolean } {
  const local = new Set(['127.0.0.1', '::1', ...nodeIPs])
  const p: Pkt = { src, proto: protocol.toLowerCase(), dst, dport: String(dport), local }
  const out = { outputs: [] as string[], masq: false }
  runChain(t, 'nat', 'PREROUTING', p, out)
  if (out.outputs.length > 0) p.dst = out.outputs[0].split(':')[0]
  for (const c of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) runChain(t, 'filter', c, p, out)
  return { output: out.outputs.join(', '), masq: out.masq }
}
