// Benchmark: kube-proxy-shaped node ruleset (10,000 services / 50,000 endpoints by default),
// parse + prepare time and per-packet trace latency (sample mode, matched detail).
// Usage: npx tsx bench/engine-eval.ts [services] [endpointsPerService] [packets] [--eager]
// The text is parsed as parseRuleset parses it by default: lazily (rules built per chain when a trace
// first reads them, see src/netfilter/parse/lazy-rules.ts). With --eager every rule is built by the
// parse (`lazy: false`). The first visit of a service pays for building its chains in lazy mode.
import { performance } from 'node:perf_hooks'
import { parseRuleset, prepareRuleset, createEngineState, createHost, evaluatePacket } from '../src/netfilter/index.ts'
import { buildKubeRuleset } from './lib/kube-ruleset.ts'

const EAGER = process.argv.includes('--eager')
const args = process.argv.slice(2).filter(a => a !== '--eager')
const SERVICES = Number(args[0] ?? 10000)
const EPS = Number(args[1] ?? 5)
const PACKETS = Number(args[2] ?? 20000)

const ip = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const svcIp = (i: number): number => ((10 << 24) | (96 << 16)) + 10 + i

function pct (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}

const text = buildKubeRuleset(SERVICES, EPS)
const lines = text.split('\n').length
const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000
let t0 = performance.now()
let c0 = process.cpuUsage()
const rs = parseRuleset(text, EAGER ? { lazy: false } : {})
const parseMs = performance.now() - t0
const parseCpu = cpuMs(process.cpuUsage(c0))
t0 = performance.now()
c0 = process.cpuUsage()
const prepared = prepareRuleset(rs)
const prepareMs = performance.now() - t0
const prepareCpu = cpuMs(process.cpuUsage(c0))
const host = createHost({
  interfaces: [{ name: 'eth0', addresses: ['192.168.50.1/24'] }, { name: 'cni0', addresses: ['10.244.0.1/16'] }],
  routes: [{ dst: 'default', via: '192.168.50.254' }],
  ipForward: true
})
// one trace = one request: a fresh engine state (empty conntrack) per packet, like the HTTP API.
// Pass 1 visits every service once (cold: chains materialised and rule texts rendered on first use),
// pass 2 visits them again (warm).
const shared = createEngineState({ seed: 1 })
const cold: number[] = []
const warm: number[] = []
let dnat = 0
const loopCpu0 = process.cpuUsage()
const loopT0 = performance.now()
for (let k = 0; k < PACKETS; k++) {
  const i = (k * 7919) % SERVICES
  const pkt = { inIface: 'eth0', src: '192.168.50.2', dst: ip(svcIp(i)), proto: 'tcp' as const, sport: 1024 + (k % 60000), dport: 80 + (i % 3), tcpFlags: ['SYN'] }
  const s = performance.now()
  const r = evaluatePacket(prepared, host, pkt, createEngineState({ seed: k }), { mode: 'sample', detail: 'matched' })
  ;(k < SERVICES ? cold : warm).push((performance.now() - s) * 1000)
  if (r.outcome.kind === 'EGRESS' && r.packetAfter.dport === 8080) dnat++
}
const loopCpu = cpuMs(process.cpuUsage(loopCpu0))
const loopWall = performance.now() - loopT0
const full: number[] = []
for (let k = 0; k < (process.env.NO_FULL !== undefined ? 0 : 200); k++) {
  const i = (k * 104729) % SERVICES
  const s = performance.now()
  evaluatePacket(prepared, host, { inIface: 'eth0', src: '192.168.50.3', dst: ip(svcIp(i)), proto: 'tcp', sport: 2000 + k, dport: 80 + (i % 3) }, shared, { detail: 'full' })
  full.push((performance.now() - s) * 1000)
}
console.log(`ruleset: ${SERVICES} services, ${SERVICES * EPS} endpoints, ${lines} lines, ${prepared.ruleCount} rules, ${prepared.indexedRuns} indexed runs`)
console.log(`mode: ${EAGER ? 'eager (every rule built by the parse)' : 'lazy (the default for a text this large: rules built when first read)'}`)
console.log(`parse: ${parseMs.toFixed(0)} ms wall (${parseCpu.toFixed(0)} ms CPU), prepare: ${prepareMs.toFixed(0)} ms wall (${prepareCpu.toFixed(0)} ms CPU)`)
console.log(`load average at start: ${(await import('node:os')).loadavg()[0].toFixed(1)} (2 cores shared)`)
console.log(`trace loop: ${(loopCpu * 1000 / PACKETS).toFixed(1)} µs CPU per trace on average incl. GC (${(loopWall * 1000 / PACKETS).toFixed(1)} µs wall)`)
console.log(`trace (sample, matched), first visit of a service: median ${pct(cold, 0.5).toFixed(1)} µs, p99 ${pct(cold, 0.99).toFixed(1)} µs over ${cold.length} packets`)
if (warm.length > 0) console.log(`trace (sample, matched), warm: median ${pct(warm, 0.5).toFixed(1)} µs, p99 ${pct(warm, 0.99).toFixed(1)} µs over ${warm.length} packets (${dnat}/${PACKETS} DNATed)`)
if (full.length > 0) console.log(`trace (sample, full detail): median ${pct(full, 0.5).toFixed(0)} µs, p99 ${pct(full, 0.99).toFixed(0)} µs over ${full.length} packets`)
