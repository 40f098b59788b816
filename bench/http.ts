/**
 * HTTP figures on a 1,000-service cluster served in-process (buildApp, temp SQLite, 127.0.0.1):
 * applying the cluster as one manifest, trace throughput and latency percentiles with autocannon at
 * 10 and 50 connections, GraphQL nested query latency, and create-service latency (single and 100
 * concurrent) on the loaded cluster. Each section reports on its own; a failing one is skipped.
 *
 *   npx tsx bench/http.ts [--services 1000] [--endpoints 5] [--seconds 5] [--only trace,graphql,create]
 *
 * `--only` runs the named sections only (the manifest apply always runs: it builds the cluster).
 */
import { clusterBody, clusterIP, manifest, manifestList, nodeCount, nodeIP, nodePortOf, serviceName, serviceNamespace } from './lib/cluster.ts'
import { emit, flags, gcPauses, mainThreadCpuMs, median, percentile, skip } from './lib/figures.ts'
import { call, load, startServer, type LoadRequest } from './lib/http.ts'
import { TracePool } from '../src/cluster/trace/pool/pool.ts'

const f = flags()
const N = Number(f.get('services') ?? 1000)
const M = Number(f.get('endpoints') ?? 5)
const SECONDS = Number(f.get('seconds') ?? 5)
const ONLY = f.has('only') ? new Set((f.get('only') ?? '').split(',')) : undefined
const shape = `${N.toLocaleString('en-US')} svc × ${M} ep`
const fix = (x: number, d = 1): number => Number(x.toFixed(d))

const server = await startServer()
const { url } = server
const CLUSTER = `${url}/api/v1/clusters/bench`

async function section (id: string, label: string, fn: () => Promise<void>): Promise<void> {
  const part = id.split('.')[1]
  if (ONLY != null && part !== 'apply' && !ONLY.has(part)) return
  try {
    await fn()
  } catch (e) {
    console.log(`${label}: failed: ${(e as Error).stack ?? String(e)}`)
    skip(id, label, `failed: ${(e as Error).message.slice(0, 200)}`)
  }
}

// ---- the cluster, applied as one manifest ----------------------------------------------------------
const m = manifest({ services: N, endpoints: M })
const nodes = nodeCount({ services: N, endpoints: M })
const objects = m.nodes.length + m.services.length + m.pods.length
let ready = false
await section(`http.apply.${N}`, `apply a ${N}-service manifest`, async () => {
  const c = await call(`${url}/api/v1/clusters`, 'POST', clusterBody('bench'))
  if (c.status !== 201) throw new Error(`create cluster: ${c.status} ${c.text.slice(0, 300)}`)
  const body = manifestList(m)
  const cpu0 = mainThreadCpuMs()
  const r = await call(`${CLUSTER}/manifests`, 'POST', body)
  const cpuMs = mainThreadCpuMs() - cpu0
  if (r.status !== 200) throw new Error(`manifests: ${r.status} ${r.text.slice(0, 300)}`)
  ready = true
  emit({ id: `http.apply.${N}`, label: `apply a ${N.toLocaleString('en-US')}-service manifest in one request (${objects.toLocaleString('en-US')} objects)`, value: fix(r.ms / 1000, 2), unit: 's', services: N, cpuMs: Math.round(cpuMs), note: `${nodes} nodes, ${m.pods.length} pods, ${(body.length / 1048576).toFixed(1)} MiB JSON, one transaction; ${(objects / (r.ms / 1000)).toFixed(0)} objects/s (KWOK anchor: 20 objects/s); main thread CPU ${(cpuMs / 1000).toFixed(2)} s` })
})
if (!ready) {
  await server.close()
  process.exit(0)
}

// ---- traces --------------------------------------------------------------------------------------
const TRACE = '/api/v1/clusters/bench/traces'
const podOf = (i: number): string => `${serviceNamespace(i)}/${serviceName(i)}-0`
const traceBody = (i: number, j: number, seed: number): string =>
  JSON.stringify({ protocol: 'TCP', destination: { address: clusterIP(i), port: 80 }, source: { pod: podOf(j) }, mode: 'sample', seed })

await section(`http.trace.${N}`, 'trace load', async () => {
  // warm every node's rules (rendered, parsed, prepared once per node per cluster generation)
  const t0 = performance.now()
  for (let k = 0; k < nodes; k++) {
    const r = await call(`${url}${TRACE}`, 'POST', JSON.stringify({ protocol: 'TCP', destination: { address: nodeIP(k), port: nodePortOf(0) }, source: { address: '203.0.113.7' }, mode: 'sample' }))
    if (r.status !== 200) throw new Error(`trace: ${r.status} ${r.text.slice(0, 300)}`)
  }
  console.log(`warm-up: ${nodes} nodes' rules prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const requests: LoadRequest[] = Array.from({ length: 128 }, (_, n) => ({ method: 'POST', path: TRACE, body: traceBody((n * 53) % N, (n * 29 + 7) % N, n) }))
  // sustained throughput is measured once the trace path is compiled: a few seconds of the same load
  // first (not counted), as a server that has been up for a while would be
  const warm = await load(url, requests, 10, Math.min(3, SECONDS))
  console.log(`warm-up load: ${warm.total} traces, not counted`)
  // traces run in the app's trace workers (KUBENETSIM_TRACE_WORKERS; by default cores − 1) or, with
  // none, on the main thread: both threads' CPU is counted
  const workers = server.app.traces instanceof TracePool ? server.app.traces.size : 0
  const workerCpu = async (): Promise<number> => (await server.app.traces.idle()).threadCpuMs ?? 0
  for (const conns of [10, 50]) {
    const cpu0 = mainThreadCpuMs()
    const w0 = await workerCpu()
    const stopGc = gcPauses()
    const r = await load(url, requests, conns, SECONDS)
    const cpuPerReq = (mainThreadCpuMs() - cpu0) / Math.max(1, r.total)
    const gc = stopGc()
    const wPerReq = ((await workerCpu()) - w0) / Math.max(1, r.total)
    const gcNote = `GC on the main thread: ${gc.minor} young (${gc.minorMs.toFixed(0)} ms), ${gc.major} old (${gc.majorMs.toFixed(0)} ms), longest pause ${gc.maxMs.toFixed(1)} ms`
    const bad = r.non2xx + r.errors + r.timeouts
    const cpuNote = workers > 0
      ? `server CPU per trace: main thread ${cpuPerReq.toFixed(2)} ms + ${workers} trace worker${workers > 1 ? 's' : ''} ${wPerReq.toFixed(2)} ms`
      : `server thread CPU ${cpuPerReq.toFixed(2)} ms per trace (traces on the main thread) → at most ${Math.round(1000 / cpuPerReq)}/s on one idle core`
    emit({ id: `http.trace-rps.c${conns}.${N}`, label: `traces/s over HTTP, ${conns} connections (${shape}, sample, with reply)`, value: Math.round(r.rps), unit: 'req/s', services: N, target: { op: '>=', value: 2000 }, note: `${r.total} requests in ${SECONDS} s${bad > 0 ? `, ${bad} failed` : ''}; ${cpuNote}` })
    emit({ id: `http.trace-p99.c${conns}.${N}`, label: `trace latency p99, ${conns} connections (${shape})`, value: r.p99, unit: 'ms', services: N, target: { op: '<=', value: 20 }, note: `p50 ${r.p50} ms, p90 ${r.p90} ms, max ${r.max} ms; ${gcNote}` })
  }
})

// ---- GraphQL nested query ----------------------------------------------------------------------------
await section(`http.graphql.${N}`, 'GraphQL nested query', async () => {
  const probe = await call(`${url}/graphql`, 'POST', { query: '{ __typename }' })
  if (probe.status === 404) { skip(`http.graphql.${N}`, 'GraphQL nested query', '/graphql is not registered'); return }
  const ns = serviceNamespace(3)
  const query = `query Nested($ns: String) { cluster(name: "bench") { services(namespace: $ns) { items {
    metadata { name } spec { clusterIP ports { port targetPort nodePort } }
    endpoints { addresses conditions { ready } pod { metadata { name } status { podIP } node { metadata { name } status { addresses { address } } } } }
  } } } }`
  const body = { query, variables: { ns } }
  const first = await call(`${url}/graphql`, 'POST', body)
  const parsed = JSON.parse(first.text) as { data?: { cluster?: { services?: { items?: unknown[] } } }, errors?: unknown[] }
  if (first.status !== 200 || parsed.errors != null) throw new Error(`graphql: ${first.status} ${first.text.slice(0, 300)}`)
  const count = parsed.data?.cluster?.services?.items?.length ?? 0
  const seq: number[] = []
  let cpu0 = 0
  for (let n = 0; n < 60; n++) {
    if (n === 10) cpu0 = mainThreadCpuMs()
    const r = await call(`${url}/graphql`, 'POST', body)
    if (r.status !== 200) throw new Error(`graphql: ${r.status}`)
    if (n >= 10) seq.push(r.ms)
  }
  const cpuPer = (mainThreadCpuMs() - cpu0) / seq.length
  emit({ id: `http.graphql-nested.${N}`, label: `GraphQL nested query: a namespace's services → endpoints → pod → node (${shape})`, value: fix(median(seq), 2), unit: 'ms', services: N, cpuMs: fix(cpuPer, 2), note: `${count} services × ${M} endpoints per answer, ${(first.text.length / 1024).toFixed(0)} KiB; p99 ${percentile(seq, 99).toFixed(1)} ms sequential; main thread CPU ${cpuPer.toFixed(1)} ms per query (client included)` })
  const r = await load(url, [{ method: 'POST', path: '/graphql', body: JSON.stringify(body) }], 10, Math.max(2, Math.round(SECONDS / 2)))
  emit({ id: `http.graphql-rps.${N}`, label: `GraphQL nested queries/s, 10 connections (${shape})`, value: Math.round(r.rps), unit: 'req/s', services: N, note: `p50 ${r.p50} ms, p99 ${r.p99} ms` })
})

// ---- create-service on the loaded cluster ------------------------------------------------------------
await section(`http.create.${N}`, 'create-service', async () => {
  const svc = (name: string): Record<string, unknown> => ({ metadata: { name }, spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, protocol: 'TCP' }] } })
  const path = `${CLUSTER}/namespaces/bench-new/services`
  const single: number[] = []
  for (let i = 0; i < 60; i++) {
    const r = await call(path, 'POST', svc(`single-${i}`))
    if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text.slice(0, 300)}`)
    if (i >= 10) single.push(r.ms)
  }
  emit({ id: `http.create-single.${N}`, label: `create one Service (NodePort, allocations) on a ${N.toLocaleString('en-US')}-service cluster, median`, value: fix(median(single), 2), unit: 'ms', services: N, note: `p99 ${percentile(single, 99).toFixed(1)} ms over ${single.length} sequential creates` })
  const walls: number[] = []
  const each: number[] = []
  const cpu0 = mainThreadCpuMs()
  for (let b = 0; b < 3; b++) {
    const t0 = performance.now()
    const rs = await Promise.all(Array.from({ length: 100 }, async (_, i) => await call(path, 'POST', svc(`batch-${b}-${i}`))))
    walls.push(performance.now() - t0)
    const bad = rs.filter(r => r.status !== 201)
    if (bad.length > 0) throw new Error(`${bad.length} concurrent creates failed, e.g. ${bad[0].status} ${bad[0].text.slice(0, 200)}`)
    each.push(...rs.map(r => r.ms))
  }
  const cpuPerBatch = (mainThreadCpuMs() - cpu0) / walls.length
  const wall = median(walls)
  emit({ id: `http.create-100.${N}`, label: `100 concurrent Service creates, whole batch (${N.toLocaleString('en-US')}-service cluster)`, value: fix(wall, 0), unit: 'ms', services: N, cpuMs: Math.round(cpuPerBatch), note: `${(100 / (wall / 1000)).toFixed(0)} creates/s; per request p50 ${percentile(each, 50).toFixed(0)} ms, p99 ${percentile(each, 99).toFixed(0)} ms; main thread CPU ${cpuPerBatch.toFixed(0)} ms per batch` })
})

await server.close()
