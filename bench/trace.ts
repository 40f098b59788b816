/**
 * Cluster traces over HTTP on a 1,000-service / 5,000-pod cluster (20 nodes, current kube-proxy),
 * built through the API (one POST /manifests): the first trace per node (rules generated, parsed and
 * prepared once per cluster generation), the median of sequential `sample` traces, autocannon
 * throughput at 10 connections, and `all` mode on a 10-endpoint service. Prints figures.
 * Traces run on the app's trace workers (the app's default: cores − 1, 1 to 4; `--workers 0`: on the main thread);
 * CPU figures are the whole process (main thread + trace workers; autocannon runs in a child
 * process), split into main thread and trace threads in the notes.
 *
 *   npx tsx bench/trace.ts [--services 1000] [--endpoints 5] [--seconds 10] [--connections 10] [--workers 2]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request as httpRequest, Agent } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { spawn } from 'node:child_process'
import { buildApp } from '../src/api/app.ts'
import { clusterBody, clusterIP, manifest, manifestList, nodeCount, nodeIP, nodeName, nodePortOf, serviceName, serviceNamespace } from './lib/cluster.ts'
import { emit, flags, mainThreadCpuMs, median, percentile } from './lib/figures.ts'

const f = flags()
const N = Number(f.get('services') ?? 1000)
const M = Number(f.get('endpoints') ?? 5)
const SECONDS = Number(f.get('seconds') ?? 10)
const CONNECTIONS = Number(f.get('connections') ?? 10)
const WORKERS = f.get('workers') !== undefined ? Number(f.get('workers')) : undefined

const dir = mkdtempSync(join(tmpdir(), 'kubenetsim-bench-trace-'))
const app = await buildApp({ databaseUrl: 'file:' + join(dir, 'bench.db'), docs: false, limits: { bodyLimit: 64 * 1024 * 1024, maxClusterObjects: 0 }, ...(WORKERS !== undefined ? { traceWorkers: WORKERS } : {}) })
await app.listen({ port: 0, host: '127.0.0.1' })
const { port } = app.server.address() as AddressInfo
const agent = new Agent({ keepAlive: true, maxSockets: 1 })

function call (method: string, path: string, body?: string, type = 'application/json'): Promise<{ status: number, ms: number, text: string }> {
  const t0 = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {}
    if (body !== undefined) { headers['content-type'] = type; headers['content-length'] = Buffer.byteLength(body) }
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, text: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** CPU milliseconds (user + system) this process used since `from`. */
const cpuMs = (from: NodeJS.CpuUsage): number => { const d = process.cpuUsage(from); return (d.user + d.system) / 1000 }

/** CPU milliseconds of the main thread and of the trace threads so far (after the trace threads drained their queues). */
async function split (): Promise<{ main: number, workers: number }> {
  const { threadCpuMs } = await app.traces.idle()
  return { main: mainThreadCpuMs(), workers: threadCpuMs ?? 0 }
}
const perReq = (a: { main: number, workers: number }, b: { main: number, workers: number }, n: number): string =>
  `main thread ${((b.main - a.main) / n).toFixed(3)} ms + trace threads ${((b.workers - a.workers) / n).toFixed(3)} ms`

// ---- the cluster ---------------------------------------------------------------------------------
const m = manifest({ services: N, endpoints: M })
const nodes = nodeCount({ services: N, endpoints: M })
// one extra service with 10 endpoints spread over the nodes, for the `all`-mode figure
const TEN_IP = '10.111.0.10'
m.services.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ten', namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: TEN_IP, selector: { app: 'ten' }, ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }] } })
for (let e = 0; e < 10; e++) {
  m.pods.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `ten-${e}`, namespace: 'default', labels: { app: 'ten' } }, spec: { nodeName: nodeName(e % nodes), containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] }, status: { phase: 'Running' } })
}
const tc0 = performance.now()
let r = await call('POST', '/api/v1/clusters', JSON.stringify(clusterBody('bench')))
if (r.status !== 201) throw new Error(`cluster: ${r.status} ${r.text}`)
r = await call('POST', '/api/v1/clusters/bench/manifests', manifestList(m))
if (r.status !== 200) throw new Error(`manifests: ${r.status} ${r.text.slice(0, 500)}`)
console.log(`cluster: ${N} services, ${m.pods.length} pods, ${nodes} nodes, applied in ${((performance.now() - tc0) / 1000).toFixed(1)} s`)

const TRACE = '/api/v1/clusters/bench/traces'
const podOf = (i: number, e: number): string => `${serviceNamespace(i)}/${serviceName(i)}-${e}`
/** a pod of service j → the cluster IP of service i (sample mode, with the reply) */
const sampleBody = (i: number, j: number, seed: number): string => JSON.stringify({ protocol: 'TCP', destination: { address: clusterIP(i), port: 80 }, source: { pod: podOf(j, 0) }, mode: 'sample', seed })

// ---- baseline: the trivial GET /healthz, to see how loaded the machine is ----------------------------
const hz: number[] = []
for (let n = 0; n < 200; n++) await call('GET', '/healthz')
const hzCpu0 = process.cpuUsage()
for (let n = 0; n < 1000; n++) hz.push((await call('GET', '/healthz')).ms)
const hzCpu = cpuMs(hzCpu0) / hz.length
console.log(`baseline GET /healthz: median ${median(hz).toFixed(3)} ms, CPU ${hzCpu.toFixed(3)} ms per request, load average ${loadavg()[0].toFixed(1)}`)

// ---- first trace per node (cold: rules rendered, parsed, prepared once per node per generation) ----
const cold: number[] = []
for (let k = 0; k < nodes; k++) {
  const j = Math.min(N - 1, Math.floor(k * 250 / M)) // a service whose first pod lives on node k
  const res = await call('POST', TRACE, sampleBody(k % N, j, 1))
  if (res.status !== 200) throw new Error(`trace: ${res.status} ${res.text.slice(0, 300)}`)
  cold.push(res.ms)
}
// every node again (the reply or a crossing may have needed a node not warmed yet)
for (let k = 0; k < nodes; k++) await call('POST', TRACE, JSON.stringify({ protocol: 'TCP', destination: { address: nodeIP(k), port: nodePortOf(0) }, source: { address: '203.0.113.7' }, mode: 'sample' }))
console.log(`first trace per node (rules for ${N} services generated + parsed + prepared): median ${median(cold).toFixed(0)} ms, max ${Math.max(...cold).toFixed(0)} ms`)
// the other trace workers prepare the same nodes in the background: let them finish before measuring
const tw0 = performance.now()
await app.traces.idle()
console.log(`trace workers: ${WORKERS ?? 'default'}; all warm ${((performance.now() - tw0) / 1000).toFixed(1)} s after the cold traces`)

// ---- sequential sample traces ----------------------------------------------------------------------
const sample = JSON.parse((await call('POST', TRACE, sampleBody(7, 11, 3))).text)
console.log(`example: ${sample.summary}; ${sample.paths[0].hops.length} hop(s), reply ${sample.paths[0].reply?.summary}`)
const seq: number[] = []
for (let n = 0; n < 200; n++) await call('POST', TRACE, sampleBody((n * 37) % N, (n * 101) % N, n))
const seqSplit0 = await split()
const seqCpu0 = process.cpuUsage()
for (let n = 200; n < 2200; n++) {
  const res = await call('POST', TRACE, sampleBody((n * 37) % N, (n * 101) % N, n))
  if (res.status !== 200) throw new Error(`trace: ${res.status} ${res.text.slice(0, 300)}`)
  seq.push(res.ms)
}
const seqCpu = cpuMs(seqCpu0) / seq.length
const seqSplit = perReq(seqSplit0, await split(), seq.length)
emit({ id: `trace.sample.http.${N}`, label: `sample trace over HTTP, sequential (${N} svc / ${m.pods.length} pods, with reply)`, value: Number(median(seq).toFixed(3)), unit: 'ms', services: N, target: { op: '<=', value: 2 }, note: `p95 ${percentile(seq, 95).toFixed(2)} ms, p99 ${percentile(seq, 99).toFixed(2)} ms, n=${seq.length}; CPU ${seqCpu.toFixed(3)} ms per request (server + in-process client: ${seqSplit}); load average ${loadavg()[0].toFixed(1)}` })

// ---- all mode on the 10-endpoint service ---------------------------------------------------------------
const allBody = JSON.stringify({ protocol: 'TCP', destination: { address: TEN_IP, port: 80 }, source: { pod: podOf(3, 0) } })
const allRes = JSON.parse((await call('POST', TRACE, allBody)).text)
const psum = allRes.outcomes.reduce((s: number, o: { probability: number }) => s + o.probability, 0)
console.log(`all mode on ${TEN_IP}: ${allRes.outcomes.length} outcomes, ${allRes.paths.length} paths, probabilities sum to ${psum}`)
const all: number[] = []
for (let n = 0; n < 30; n++) await call('POST', TRACE, allBody)
const allSplit0 = await split()
const allCpu0 = process.cpuUsage()
for (let n = 0; n < 300; n++) {
  const res = await call('POST', TRACE, allBody)
  if (res.status !== 200) throw new Error(`trace: ${res.status}`)
  all.push(res.ms)
}
const allCpu = cpuMs(allCpu0) / all.length
const allSplit = perReq(allSplit0, await split(), all.length)
emit({ id: `trace.sample.cpu.${N}`, label: 'sample trace: CPU per HTTP request (load-independent)', value: Number(seqCpu.toFixed(3)), unit: 'ms', services: N, target: { op: '<=', value: 2 }, note: `server + in-process client: ${seqSplit}` })
emit({ id: `trace.all.cpu.${N}`, label: 'all-mode trace of a 10-endpoint service: CPU per HTTP request (load-independent)', value: Number(allCpu.toFixed(3)), unit: 'ms', services: N, target: { op: '<=', value: 5 }, note: `server + in-process client: ${allSplit}` })
emit({ id: `trace.all.http.${N}`, label: `all-mode trace of a 10-endpoint service over HTTP (${N} svc, with replies)`, value: Number(median(all).toFixed(3)), unit: 'ms', services: N, target: { op: '<=', value: 5 }, note: `p95 ${percentile(all, 95).toFixed(2)} ms, ${allRes.paths.length} paths, response ${(JSON.stringify(allRes).length / 1024).toFixed(0)} KiB; CPU ${allCpu.toFixed(3)} ms per request` })

// ---- autocannon throughput -----------------------------------------------------------------------------
const requests = Array.from({ length: 64 }, (_, n) => ({ method: 'POST' as const, path: TRACE, headers: { 'content-type': 'application/json' }, body: sampleBody((n * 53) % N, (n * 29) % N, n) }))
// autocannon (programmatic API) runs in a child process, so this process's CPU time is the server's
interface AcResult { requests: { average: number, total: number }, latency: { p50: number, p99: number }, non2xx: number, errors: number }
function cannon (opts: Record<string, unknown>): Promise<AcResult> {
  return new Promise<AcResult>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', `
      const autocannon = require('autocannon')
      let opts = ''
      process.stdin.on('data', c => { opts += c })
      process.stdin.on('end', () => autocannon(JSON.parse(opts)).then(r => process.stdout.write(JSON.stringify({ requests: r.requests, latency: r.latency, non2xx: r.non2xx, errors: r.errors }))))
    `], { stdio: ['pipe', 'pipe', 'inherit'], cwd: process.cwd() })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.on('error', reject)
    child.on('close', (code) => { if (code === 0) resolve(JSON.parse(out) as AcResult); else reject(new Error(`autocannon exited with ${code}`)) })
    child.stdin.end(JSON.stringify({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: SECONDS, ...opts }))
  })
}
const hzAc = await cannon({ requests: [{ method: 'GET', path: '/healthz' }] })
console.log(`baseline autocannon GET /healthz: ${Math.round(hzAc.requests.average)} req/s (p50 ${hzAc.latency.p50} ms)`)
const acSplit0 = await split()
const acCpu0 = process.cpuUsage()
const result = await cannon({ requests })
const acCpu = cpuMs(acCpu0) / Math.max(1, result.requests.total)
const acSplit = perReq(acSplit0, await split(), Math.max(1, result.requests.total))
const non2xx = result.non2xx + result.errors
emit({ id: `trace.sample.throughput.${N}`, label: `sample traces/s over HTTP, autocannon ${CONNECTIONS} connections, ${SECONDS} s`, value: Math.round(result.requests.average), unit: 'req/s', services: N, target: { op: '>=', value: 2000 }, note: `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${non2xx} errors/non-2xx, total ${result.requests.total}; server CPU ${acCpu.toFixed(3)} ms per request (${acSplit}); load average ${loadavg()[0].toFixed(1)}; same run GET /healthz: ${Math.round(hzAc.requests.average)} req/s` })
emit({ id: `trace.sample.cpu-capacity.${N}`, label: 'sample traces/s one core sustains (1000 / server CPU ms per request under autocannon)', value: Math.round(1000 / acCpu), unit: 'req/s', services: N, target: { op: '>=', value: 2000 }, note: `load-independent estimate: the machine was shared during the run; both cores of this machine (main thread + trace workers): ${Math.round(2000 / acCpu)}/s` })

agent.destroy()
await app.close()
rmSync(dir, { recursive: true, force: true })
