// Bounded load run: the real server (child process, 127.0.0.1) with concurrent writers (service
// creates/deletes, pod creates/deletes) and readers (service lists, rule views, node iptables, traces)
// on one cluster. Stops by itself after the duration; prints requests, status codes, 5xx, latency
// percentiles, server RSS at start and end, and the invariants checked in SQLite after a clean stop.
// Usage: npx tsx scripts/load.ts [seconds=60] [writers=4] [readers=4] [port=18531]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkInvariants, migratedCopy, startServer, waitExit } from './crash-lib.ts'

const seconds = Number(process.argv[2] ?? 60)
const writers = Number(process.argv[3] ?? 4)
const readers = Number(process.argv[4] ?? 4)
const port = Number(process.argv[5] ?? 18531)

function rssMiB (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m == null ? NaN : Math.round(Number(m[1]) / 1024)
}

const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-load-'))
const dbPath = join(dir, 'load.db')
await migratedCopy(dbPath)
const s = await startServer('file:' + dbPath, port)
const pid = s.child.pid ?? 0
const B = s.base + '/api/v1/clusters/l'
const json = { 'content-type': 'application/json' }
const post = async (url: string, body: unknown): Promise<Response> => await fetch(url, { method: 'POST', headers: json, body: JSON.stringify(body) })

await post(s.base + '/api/v1/clusters', { metadata: { name: 'l' } })
for (const [i, n] of ['n1', 'n2'].entries()) {
  const r = await post(B + '/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: n }, spec: { podCIDR: `10.244.${i}.0/24` }, status: { addresses: [{ type: 'InternalIP', address: `192.168.33.${10 + i}` }] } })
  if (r.status !== 201) throw new Error(`node ${n}: ${r.status} ${await r.text()}`)
}
for (let i = 0; i < 6; i++) await post(B + '/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${i}`, labels: { app: 'web' } }, spec: { nodeName: i % 2 === 0 ? 'n1' : 'n2', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] } })
const fixed = await (await post(B + '/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } })).json() as { spec: { clusterIP: string } }

const rssStart = rssMiB(pid)
const codes = new Map<number, number>()
const lat: number[] = []
let errors = 0
const stopAt = Date.now() + seconds * 1000

const perOp = new Map<string, number>()

async function timed (f: () => Promise<Response>, op = '?'): Promise<void> {
  const t0 = performance.now()
  try {
    const r = await f()
    await r.arrayBuffer()
    codes.set(r.status, (codes.get(r.status) ?? 0) + 1)
    perOp.set(`${op} ${r.status}`, (perOp.get(`${op} ${r.status}`) ?? 0) + 1)
  } catch {
    errors++
  }
  lat.push(performance.now() - t0)
}

async function writer (w: number): Promise<void> {
  let i = 0
  while (Date.now() < stopAt) {
    const name = `load-${w}-${i++ % 25}`
    const type = i % 2 === 0 ? 'NodePort' : 'ClusterIP'
    await timed(async () => await post(B + '/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } }), 'create-service')
    if (i % 3 === 0) await timed(async () => await fetch(`${B}/namespaces/default/services/load-${w}-${(i + 7) % 25}`, { method: 'DELETE' }), 'delete-service')
    if (i % 5 === 0) {
      const pod = `p-${w}-${i % 10}`
      await timed(async () => await post(B + '/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, labels: { app: 'web' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } }), 'create-pod')
      await timed(async () => await fetch(`${B}/namespaces/default/pods/p-${w}-${(i + 5) % 10}`, { method: 'DELETE' }), 'delete-pod')
    }
  }
}

async function reader (r: number): Promise<void> {
  let i = 0
  while (Date.now() < stopAt) {
    switch ((i++ + r) % 4) {
      case 0: await timed(async () => await fetch(B + '/namespaces/default/services'), 'list-services'); break
      case 1: await timed(async () => await fetch(B + '/namespaces/default/services/web/rules'), 'service-rules'); break
      case 2: await timed(async () => await fetch(B + `/nodes/n${1 + (i % 2)}/iptables`), 'node-iptables'); break
      default: await timed(async () => await post(B + '/traces', { protocol: 'TCP', destination: { address: fixed.spec.clusterIP, port: 80 }, source: { node: 'n1' } }), 'trace')
    }
  }
}

const t0 = Date.now()
await Promise.all([...Array.from({ length: writers }, async (_, w) => { await writer(w) }), ...Array.from({ length: readers }, async (_, r) => { await reader(r) })])
const elapsed = (Date.now() - t0) / 1000
const rssEnd = rssMiB(pid)
s.child.kill('SIGTERM')
const exit = await waitExit(s.child)
const inv = checkInvariants(dbPath, 'load')
rmSync(dir, { recursive: true, force: true })

lat.sort((a, b) => a - b)
const pct = (p: number): number => Math.round(lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0)
const total = lat.length
const fiveXX = [...codes].filter(([c]) => c >= 500).reduce((n, [, k]) => n + k, 0)
console.log(`load: ${seconds} s, ${writers} writers + ${readers} readers on one cluster, loopback`)
console.log(`requests: ${total} in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(1)}/s); status codes: ${JSON.stringify(Object.fromEntries([...codes].sort()))}; network errors: ${errors}`)
console.log(`per operation: ${JSON.stringify(Object.fromEntries([...perOp].sort()))}`)
console.log(`latency ms: p50 ${pct(0.5)}, p90 ${pct(0.9)}, p99 ${pct(0.99)}, max ${Math.round(lat[lat.length - 1] ?? 0)}`)
console.log(`server RSS: start ${rssStart} MiB, end ${rssEnd} MiB`)
console.log(`invariants after SIGTERM (exit ${JSON.stringify(exit)}): ${inv.services} services, ${inv.nodePorts} NodePorts, ${inv.clusterIPs} ClusterIPs; violations: ${inv.violations.length === 0 ? 'none' : inv.violations.join('; ')}`)
const ok = fiveXX === 0 && errors === 0 && inv.violations.length === 0 && exit.code === 0
console.log(ok ? 'load: OK (zero 5xx, zero invariant violations)' : `load: FAILED (${fiveXX} 5xx, ${errors} network errors, ${inv.violations.length} violations)`)
process.exit(ok ? 0 : 1)
