import { domainCluster, clusterIP, serviceName, serviceNamespace } from './lib/cluster.ts'
import { ClusterTraceRuntime } from '../src/cluster/trace/runtime.ts'
import { runTrace } from '../src/cluster/trace/index.ts'
import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'
const N = 200, M = 10, K = Number(process.argv[3] ?? 3000)
const mode = process.argv[2] as 'sample' | 'all'
const c = domainCluster({ services: N, endpoints: M })
const rt = new ClusterTraceRuntime()
const inputs = { generation: 1, ...c }
const podOf = (i: number): string => `${serviceNamespace(i)}/${serviceName(i)}-0`
const body = (i: number, j: number, seed: number, mode: 'sample' | 'all') => ({ protocol: 'TCP', destination: { address: clusterIP(i), port: 80 }, source: { pod: podOf(j) }, mode, seed })
for (let n = 0; n < 300; n++) runTrace(rt, inputs, 'b', body((n * 37) % N, (n * 101) % N, n, 'all') as any)
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.start')
const c0 = process.cpuUsage()
for (let n = 0; n < K; n++) JSON.stringify(runTrace(rt, inputs, 'b', body((n * 37) % N, (n * 101) % N, n, mode) as any).response)
const d = process.cpuUsage(c0)
const { profile } = await s.post('Profiler.stop')
writeFileSync(`/tmp/perfw/${mode}.cpuprofile`, JSON.stringify(profile))
console.log(`${mode}: ${((d.user + d.system) / K).toFixed(1)} µs CPU per runTrace+stringify`)
