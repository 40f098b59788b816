import { domainCluster, clusterIP, serviceName, serviceNamespace } from './lib/cluster.ts'
import { ClusterTraceRuntime } from '../src/cluster/trace/runtime.ts'
import { runTrace } from '../src/cluster/trace/index.ts'
const N = Number(process.argv[2] ?? 200), M = Number(process.argv[3] ?? 10), K = Number(process.argv[4] ?? 2000)
const c = domainCluster({ services: N, endpoints: M })
const rt = new ClusterTraceRuntime()
const inputs = { generation: 1, ...c }
const podOf = (i: number): string => `${serviceNamespace(i)}/${serviceName(i)}-0`
const body = (i: number, j: number, seed: number, mode: 'sample' | 'all') => ({ protocol: 'TCP', destination: { address: clusterIP(i), port: 80 }, source: { pod: podOf(j) }, mode, seed })
for (let n = 0; n < 300; n++) runTrace(rt, inputs, 'b', body((n * 37) % N, (n * 101) % N, n, 'all') as any)
let c0 = process.cpuUsage()
for (let n = 0; n < K; n++) JSON.stringify(runTrace(rt, inputs, 'b', body((n * 37) % N, (n * 101) % N, n, 'sample') as any).response)
let d = process.cpuUsage(c0)
console.log(`sample runTrace+stringify: ${((d.user + d.system) / K).toFixed(1)} µs CPU`)
c0 = process.cpuUsage()
const KA = Math.max(50, K / 10)
let paths = 0
for (let n = 0; n < KA; n++) { const r = runTrace(rt, inputs, 'b', body((n * 37) % N, (n * 101) % N, n, 'all') as any).response; paths += r.paths.length; JSON.stringify(r) }
d = process.cpuUsage(c0)
console.log(`all runTrace+stringify: ${((d.user + d.system) / KA).toFixed(1)} µs CPU (${(paths / KA).toFixed(1)} paths)`)
