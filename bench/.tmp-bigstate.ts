import { parseRuleset, prepareRuleset, createEngineState, createHost, evaluatePacket } from '../src/netfilter/index.ts'
import { buildKubeRuleset } from './lib/kube-ruleset.ts'
const EPS = 10
const prepared = prepareRuleset(parseRuleset(buildKubeRuleset(100, EPS)))
const host = createHost({ interfaces: [{ name: 'eth0', addresses: ['192.168.50.1/24'] }, { name: 'cni0', addresses: ['10.244.0.1/16'] }], routes: [{ dst: 'default', via: '192.168.50.254' }], ipForward: true })
const ip = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const svcIp = (i: number): number => ((10 << 24) | (96 << 16)) + 10 + i
const st = createEngineState({ seed: 1 })
for (let k = 0; k < 20000; k++) { const i = k % 100; evaluatePacket(prepared, host, { inIface: 'eth0', src: ip(0xc0a83200 + 2 + (k % 200)), dst: ip(svcIp(i)), proto: 'tcp', sport: 1024 + Math.floor(k / 200), dport: 80 + (i % 3), tcpFlags: ['SYN'] }, st) }
const K = Number(process.argv[2] ?? 20)
const c0 = process.cpuUsage()
let br = 0
for (let k = 0; k < K; k++) br += evaluatePacket(prepared, host, { inIface: 'eth0', src: '192.168.50.77', dst: ip(svcIp(k % 100)), proto: 'tcp', sport: 60000 + k, dport: 80 + (k % 3), tcpFlags: ['SYN'] }, st, { mode: 'all' }).branches.length
const d = process.cpuUsage(c0)
console.log(`all mode, state with ${st.conntrack.byTuple.size} conntrack keys: ${((d.user + d.system) / 1000 / K).toFixed(2)} ms CPU per call (${br / K} branches)`)
