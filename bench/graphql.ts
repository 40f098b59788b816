// GraphQL vs REST latency for the same answers, on the demo cluster plus N services (in-process app
// over real HTTP on a temp SQLite file): a service read, the seed service with endpoints/pods/NodePort
// rows, a nested query over every service, and a sample trace. Prints medians; asserts nothing.
// Usage: npx tsx bench/graphql.ts [iterations=300] [services=100]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildApp } from '../src/api/app.ts'

const iterations = Number(process.argv[2] ?? 300)
const services = Number(process.argv[3] ?? 100)
const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-bench-gql-'))
const app = await buildApp({ databaseUrl: 'file:' + join(dir, 'bench.db'), docs: false, seedDemo: true })
await app.listen({ port: 0, host: '127.0.0.1' })
const { port } = app.server.address() as AddressInfo

function call (method: string, path: string, body?: unknown): Promise<{ status: number, ms: number, text: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body)
  const t0 = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, res => {
      let text = ''
      res.on('data', (c: Buffer) => { text += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, text }))
    })
    req.on('error', reject)
    req.end(data)
  })
}

const gql = async (query: string, variables?: unknown): Promise<{ status: number, ms: number, text: string }> => await call('POST', '/graphql', { query, variables })

const docs: string[] = []
for (let i = 0; i < services; i++) {
  docs.push(`apiVersion: v1\nkind: Service\nmetadata: {name: s${i}}\nspec: {type: NodePort, selector: {app: nginx}, ports: [{port: ${1000 + i}, targetPort: 80}]}`)
}
const applied = await gql('mutation($m: String!) { applyManifests(cluster: "demo", manifests: $m) { kind } }', { m: docs.join('\n---\n') })
if (applied.status !== 200 || applied.text.includes('"errors"')) throw new Error(applied.text)

async function median (name: string, fn: () => Promise<{ status: number, ms: number, text: string }>): Promise<void> {
  const ms: number[] = []
  for (let i = 0; i < iterations; i++) {
    const r = await fn()
    if (r.status !== 200 || r.text.startsWith('{"errors"') || r.text.includes('"errors":[')) throw new Error(`${name}: ${r.status} ${r.text.slice(0, 300)}`)
    ms.push(r.ms)
  }
  ms.sort((a, b) => a - b)
  console.log(`${name.padEnd(58)} median ${ms[Math.floor(ms.length / 2)].toFixed(2)} ms   p95 ${ms[Math.floor(ms.length * 0.95)].toFixed(2)} ms`)
}

const svc = '/api/v1/clusters/demo/namespaces/default/services/k8s-nginx-node'
const tracePacket = { protocol: 'TCP', destination: { address: '192.168.33.10', port: 30136 }, source: { address: '192.168.33.1' } }
console.log(`${iterations} iterations, demo cluster + ${services} NodePort services over its 3 pods`)
await median('REST GET service', async () => await call('GET', svc))
await median('GraphQL service (same fields)', async () => await gql('{ service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") { apiVersion kind metadata { name namespace uid resourceVersion creationTimestamp } spec { type clusterIP clusterIPs ports { protocol port targetPort nodePort } selector sessionAffinity externalTrafficPolicy internalTrafficPolicy } status { loadBalancer { ingress { ip } } } } }'))
await median('GraphQL seed service + endpoints', async () => await gql('{ service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") { spec { clusterIP } endpoints { addresses } } }'))
await median('GraphQL seed service + NodePort rows', async () => await gql('{ service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") { spec { clusterIP } nodePorts { port } } }'))
await median('GraphQL seed service + endpoints/pods/NodePort rows', async () => await gql('{ service(cluster: "demo", namespace: "default", name: "k8s-nginx-node") { spec { clusterIP } endpoints { addresses pod { metadata { name } node { metadata { name } } } } nodePorts { port } } }'))
await median(`GraphQL all ${services + 1} services + endpoints + pods + NodePorts`, async () => await gql('{ cluster(name: "demo") { services(namespace: "default") { items { metadata { name } nodePorts { port } endpoints { pod { metadata { name } } } } } } }'))
await median('REST POST trace (all mode, seed NodePort)', async () => await call('POST', '/api/v1/clusters/demo/traces', { ...tracePacket, mode: 'all' }))
await median('GraphQL trace (all mode, summary + outcomes)', async () => await gql('query($p: TracePacketInput!) { trace(cluster: "demo", packet: $p, options: { mode: all }) { summary outcomes { outcome probability pod } } }', { p: tracePacket }))
await app.close()
rmSync(dir, { recursive: true, force: true })
