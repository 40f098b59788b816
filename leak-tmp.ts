import { parseRuleset, prepareRuleset, createEngineState, createHost, evaluatePacket } from './src/netfilter/index.ts'
import { buildKubeRuleset, ip } from './bench/lib/kube-ruleset.ts'
const S = 2000
const prepared = prepareRuleset(parseRuleset(buildKubeRuleset(S, 5)))
const host = createHost({ interfaces: [{ name: 'eth0', addresses: ['192.168.50.1/24'] }, { name: 'cni0', addresses: ['10.244.0.1/16'] }], routes: [{ dst: 'default', via: '192.168.50.254' }], ipForward: true })
const svcIp = (i: number): number => ((10 << 24) | (96 << 16)) + 10 + i
const g = (globalThis as any).gc
const go = (n: number, off: number): void => { for (let k = 0; k < n; k++) { const i = (k * 7919) % S; evaluatePacket(prepared, host, { inIface: 'eth0', src: '192.168.50.2', dst: ip(svcIp(i)), proto: 'tcp', sport: 1024 + ((k + off) % 60000), dport: 80 + (i % 3) }, createEngineState({ seed: k })) } }
go(S, 0); g(); const h0 = process.memoryUsage().heapUsed
go(5000, 1); g(); const h1 = process.memoryUsage().heapUsed
go(5000, 2); g(); const h2 = process.memoryUsage().heapUsed
console.log('heap after warm-up', (h0 / 1e6).toFixed(1), 'MB; +5000 traces', ((h1 - h0) / 1e6).toFixed(2), 'MB; +5000 more', ((h2 - h1) / 1e6).toFixed(2), 'MB')
const c0 = process.cpuUsage(); go(5000, 3); const c = process.cpuUsage(c0)
console.log('CPU per warm trace µs', ((c.user + c.system) / 5000).toFixed(1))
