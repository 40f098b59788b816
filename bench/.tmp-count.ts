import { domainCluster, clusterIP, serviceName, serviceNamespace } from './lib/cluster.ts'
import { ClusterTraceRuntime } from '../src/cluster/trace/runtime.ts'
import { runTrace } from '../src/cluster/trace/index.ts'
const c = domainCluster({ services: 50, endpoints: 10 })
const rt = new ClusterTraceRuntime()
const r = runTrace(rt, { generation: 1, ...c }, 'b', { protocol: 'TCP', destination: { address: clusterIP(3), port: 80 }, source: { pod: `${serviceNamespace(7)}/${serviceName(7)}-0` }, mode: 'sample', seed: 1 } as any).response
for (const p of r.paths) { for (const h of p.hops) console.log('hop', h.node, h.steps.length, h.steps.filter(s => s.type === 'rule').length); for (const h of p.reply?.hops ?? []) console.log('reply hop', h.node, h.steps.length) }
console.log(JSON.stringify(r).length)
console.log(JSON.stringify(r.paths[0].hops[0].steps.slice(0, 6), null, 1))
