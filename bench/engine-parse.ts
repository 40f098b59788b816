/**
 * Parse/render benchmark for the netfilter engine: builds a kube-proxy-shaped nat+filter ruleset
 * (default 10,000 services × 5 endpoints = 50,000 endpoints, ~300k lines) and prints the median
 * parse and render times of several runs. The parse is eager (`lazy: false`), as for
 * POST /api/v1/netfilter/canonical: rendering reads every rule anyway.
 *
 *   npx tsx bench/engine-parse.ts [services] [endpointsPerService] [runs]
 */

import { parseRuleset } from '../src/netfilter/parse/ruleset.ts'
import { renderRuleset } from '../src/netfilter/render/ruleset.ts'

const services = Number(process.argv[2] ?? 10000)
const perService = Number(process.argv[3] ?? 5)
const runs = Number(process.argv[4] ?? 5)

function ip (n: number, base: number): string {
  const v = (base + n) >>> 0
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

function hashName (prefix: string, n: number): string {
  return prefix + n.toString(36).toUpperCase().padStart(16, 'X')
}

function generate (): string {
  const decl: string[] = []
  const rules: string[] = []
  const svcBase = (10 << 24) + (96 << 16)
  const podBase = (10 << 24) + (244 << 16)
  let ep = 0
  for (let s = 0; s < services; s++) {
    const svc = hashName('KUBE-SVC-', s)
    const ext = hashName('KUBE-EXT-', s)
    const name = `ns${s % 100}/svc${s}:http`
    const cip = ip(s, svcBase)
    const nodePort = 30000 + (s % 2700)
    decl.push(`:${svc} - [0:0]`, `:${ext} - [0:0]`)
    rules.push(`-A KUBE-SERVICES -m comment --comment "${name} cluster IP" -m tcp -p tcp -d ${cip} --dport 80 -j ${svc}`)
    rules.push(`-A KUBE-NODEPORTS -m comment --comment ${name} -m tcp -p tcp --dport ${nodePort} -j ${ext}`)
    rules.push(`-A ${ext} -m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`)
    rules.push(`-A ${ext} -j ${svc}`)
    rules.push(`-A ${svc} -m comment --comment "${name} cluster IP" -m tcp -p tcp -d ${cip} --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`)
    for (let e = 0; e < perService; e++, ep++) {
      const sep = hashName('KUBE-SEP-', ep)
      const pod = ip(ep, podBase)
      decl.push(`:${sep} - [0:0]`)
      const left = perService - e
      const prob = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : ''
      rules.push(`-A ${svc} -m comment --comment "${name} -> ${pod}:8080"${prob} -j ${sep}`)
      rules.push(`-A ${sep} -m comment --comment ${name} -s ${pod} -j KUBE-MARK-MASQ`)
      rules.push(`-A ${sep} -m comment --comment ${name} -m tcp -p tcp -j DNAT --to-destination ${pod}:8080`)
    }
  }
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]',
    ':KUBE-FORWARD - [0:0]',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-SERVICES - [0:0]', ':KUBE-NODEPORTS - [0:0]', ':KUBE-POSTROUTING - [0:0]', ':KUBE-MARK-MASQ - [0:0]',
    ...decl,
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ...rules,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    'COMMIT',
    ''
  ].join('\n')
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** how slow is this machine right now: 1e6 small allocations (≈50–100 ms on an idle 2-core box) */
function calibrate (): number {
  const t = performance.now()
  const keep: Array<{ a: number, b: number[] }> = []
  for (let i = 0; i < 1e6; i++) keep.push({ a: i, b: [i] })
  return performance.now() - t + keep.length * 0
}

const text = generate()
const lines = text.split('\n').length - 1
console.log(`ruleset: ${services} services, ${services * perService} endpoints, ${lines} lines, ${(text.length / 1e6).toFixed(1)} MB`)
const parseTimes: number[] = []
const renderTimes: number[] = []
const parseCpu: number[] = []
const renderCpu: number[] = []
let rules = 0
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
for (let r = 0; r < runs; r++) {
  const c0 = cpuMs()
  const t0 = performance.now()
  const rs = parseRuleset(text, { lazy: false })
  const t1 = performance.now()
  const c1 = cpuMs()
  const out = renderRuleset(rs)
  const t2 = performance.now()
  const c2 = cpuMs()
  parseTimes.push(t1 - t0)
  renderTimes.push(t2 - t1)
  parseCpu.push(c1 - c0)
  renderCpu.push(c2 - c1)
  rules = 0
  for (const t of rs.tables.values()) for (const c of t.chains.values()) rules += c.rules.length
  if (out.length === 0) throw new Error('empty render')
}
const fmt = (xs: number[]): string => xs.map(t => t.toFixed(0)).join(', ')
console.log(`rules: ${rules}`)
console.log(`parse  median wall ${median(parseTimes).toFixed(0)} ms, cpu ${median(parseCpu).toFixed(0)} ms  (wall runs: ${fmt(parseTimes)})`)
console.log(`render median wall ${median(renderTimes).toFixed(0)} ms, cpu ${median(renderCpu).toFixed(0)} ms  (wall runs: ${fmt(renderTimes)})`)
console.log(`calibration: 1e6 small allocations took ${calibrate().toFixed(0)} ms`)
console.log(`(cpu = process CPU time incl. GC threads; wall time is inflated when other processes share the 2 cores; load ${(await import('node:os')).loadavg()[0].toFixed(1)})`)
