// Heap after forced GC while cycling service create/delete, traces and iptables reads in-process
// (60 cycles a round): a plateau means the RSS growth of a load run is V8's lazy heap growth, not a leak.
// Usage: node --expose-gc --import tsx scripts/heap-probe.ts [rounds]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/api/app.ts'
const dir = mkdtempSync(join(tmpdir(), 'kns-heap-'))
const rounds = Number(process.argv[2] ?? 8)
if (typeof (globalThis as { gc?: unknown }).gc !== 'function') throw new Error('run with: node --expose-gc --import tsx scripts/heap-probe.ts [rounds]')
const app = await buildApp({ databaseUrl: `file:${dir}/p-${Date.now()}.db`, logger: false, seedDemo: false } as never)
await app.ready()
const inj = async (method: string, url: string, payload?: unknown) => await app.inject({ method: method as 'GET', url, payload: payload as object })
const B = '/api/v1/clusters/l'
await inj('POST', '/api/v1/clusters', { metadata: { name: 'l' } })
for (let i = 1; i <= 2; i++) await inj('POST', B + '/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: `n${i}` }, spec: { podCIDR: `10.244.${i}.0/24` }, status: { addresses: [{ type: 'InternalIP', address: `192.168.33.${10 + i}` }] } })
for (let i = 0; i < 6; i++) await inj('POST', B + '/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${i}`, labels: { app: 'web' } }, spec: { nodeName: i % 2 === 0 ? 'n1' : 'n2', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] } })
const fixed = (await inj('POST', B + '/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } })).json()
const g = (globalThis as { gc?: () => void }).gc!
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < 60; i++) {
    const name = `s-${round}-${i}`
    await inj('POST', B + '/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } })
    await inj('POST', B + '/traces', { protocol: 'TCP', destination: { address: fixed.spec.clusterIP, port: 80 }, source: { node: 'n1' } })
    await inj('GET', B + '/nodes/n1/iptables')
    await inj('DELETE', B + '/namespaces/default/services/' + name)
  }
  g(); g()
  const m = process.memoryUsage()
  console.log(`round ${round}: heapUsed ${(m.heapUsed / 2 ** 20).toFixed(1)} MiB, rss ${(m.rss / 2 ** 20).toFixed(0)} MiB`)
}
await app.close()
