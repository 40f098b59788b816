// Measures create-service latency over HTTP against an in-process app on a temp SQLite file:
// sequential single creates, then batches of 100 concurrent creates. Prints figures; asserts nothing.
// Usage: npx tsx bench/create-service.ts [singles=200] [batches=5]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg, cpus } from 'node:os'
import { buildApp } from '../src/api/app.ts'

const singles = Number(process.argv[2] ?? 200)
const batches = Number(process.argv[3] ?? 5)
const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-bench-'))
const app = await buildApp({ databaseUrl: 'file:' + join(dir, 'bench.db'), docs: false })
await app.listen({ port: 0, host: '127.0.0.1' })
const { port } = app.server.address() as AddressInfo

function post (path: string, body: unknown): Promise<{ status: number, ms: number }> {
  const data = JSON.stringify(body)
  const t0 = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, res => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6 }))
    })
    req.on('error', reject)
    req.end(data)
  })
}

const svc = (name: string) => ({ metadata: { name }, spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }] } })
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))] }
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)} ms, p95 ${pct(xs, 95).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`

await post('/api/v1/clusters', { metadata: { name: 'bench' } })
const path = '/api/v1/clusters/bench/namespaces/default/services'
for (let i = 0; i < 20; i++) await post(path, svc(`warm-${i}`))

// process CPU (user + system, ms) per create: the steadier figure on a shared machine
const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000
let cpu = process.cpuUsage()
const single: number[] = []
for (let i = 0; i < singles; i++) {
  const r = await post(path, svc(`single-${i}`))
  if (r.status !== 201) throw new Error(`status ${r.status}`)
  single.push(r.ms)
}
console.log(`single create (sequential, n=${singles}): ${fmt(single)}; CPU ${(cpuMs(process.cpuUsage(cpu)) / singles).toFixed(2)} ms per create`)
cpu = process.cpuUsage()

const each: number[] = []
const walls: number[] = []
for (let b = 0; b < batches; b++) {
  const t0 = process.hrtime.bigint()
  const rs = await Promise.all(Array.from({ length: 100 }, async (_, i) => await post(path, svc(`batch-${b}-${i}`))))
  walls.push(Number(process.hrtime.bigint() - t0) / 1e6)
  if (rs.some(r => r.status !== 201)) throw new Error('a concurrent create failed')
  each.push(...rs.map(r => r.ms))
}
console.log(`100 concurrent creates (x${batches}): per request ${fmt(each)}; whole batch ${(walls.reduce((a, b) => a + b, 0) / walls.length).toFixed(1)} ms on average (${(100 / (walls.reduce((a, b) => a + b, 0) / walls.length) * 1000).toFixed(0)} creates/s); CPU ${(cpuMs(process.cpuUsage(cpu)) / (100 * batches)).toFixed(2)} ms per create`)

console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map(x => x.toFixed(1)).join(' ')}`)
await app.close()
rmSync(dir, { recursive: true, force: true })
