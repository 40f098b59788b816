import { buildApp } from '../../src/api/app.ts'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const dir = mkdtempSync(join(tmpdir(), 'kns-prof-'))
const app = await buildApp({ databaseUrl: 'file:' + join(dir, 'b.db'), docs: false, seedDemo: true })
await app.ready()
const docs: string[] = []
for (let i = 0; i < 100; i++) docs.push(`apiVersion: v1\nkind: Service\nmetadata: {name: s${i}}\nspec: {type: NodePort, selector: {app: nginx}, ports: [{port: ${1000 + i}, targetPort: 80}]}`)
const inj = async (query: string, variables?: unknown) => await app.inject({ method: 'POST', url: '/graphql', payload: { query, variables } })
await inj('mutation($m: String!) { applyManifests(cluster: "demo", manifests: $m) { kind } }', { m: docs.join('\n---\n') })
const qs: Record<string, string> = {
  names: '{ cluster(name: "demo") { services(namespace: "default") { items { metadata { name } } } } }',
  nodePorts: '{ cluster(name: "demo") { services(namespace: "default") { items { metadata { name } nodePorts { port } } } } }',
  endpoints: '{ cluster(name: "demo") { services(namespace: "default") { items { metadata { name } endpoints { addresses } } } } }',
  pods: '{ cluster(name: "demo") { services(namespace: "default") { items { metadata { name } endpoints { pod { metadata { name } } } } } } }',
  full: '{ cluster(name: "demo") { services(namespace: "default") { items { metadata { name } nodePorts { port } endpoints { pod { metadata { name } } } } } } }'
}
for (const [k, q] of Object.entries(qs)) {
  for (let i = 0; i < 5; i++) await inj(q)
  const t0 = performance.now()
  for (let i = 0; i < 30; i++) { const r = await inj(q); if (r.statusCode !== 200) throw new Error(r.body) }
  console.log(k, ((performance.now() - t0) / 30).toFixed(2), 'ms')
}
await app.close()
