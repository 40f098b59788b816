/**
 * Fuzzing cluster trace requests over HTTP (fast-check, seeded and bounded): random protocols,
 * addresses (the cluster's own node, pod, cluster, external and load-balancer IPs among random and
 * malformed ones), ports, sources, options, query strings and cluster names. Every answer is 200,
 * 400, 404 or 422 (never a 5xx, never anything else), errors are Status objects, and nothing is
 * written to the database (a trace only computes; session affinity lives in memory).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { build } from '../helper.ts'
import { dumpDatabase } from './db-dump.ts'
import type { App } from '../../src/api/app.ts'

const RUNS = Number(process.env.FUZZ_TRACE_RUNS ?? 200)
const SEED = Number(process.env.FUZZ_SEED ?? 20261126)


const C = '/api/v1/clusters/demo'

/** The seed note's cluster plus a second node, more pods and one service of each kind. */
async function richDemo (app: App): Promise<{ ips: string[], ports: number[] }> {
  const post = async (url: string, payload: object): Promise<any> => {
    const r = await app.inject({ method: 'POST', url: C + url, payload })
    assert.ok(r.statusCode === 201, `${url}: ${r.statusCode} ${r.body}`)
    return r.json()
  }
  await post('/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.33.11' }] } })
  for (let i = 0; i < 3; i++) {
    await post('/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `api-${i}`, labels: { app: 'api' } }, spec: { nodeName: i === 0 ? 'vortex-dev' : 'n2', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 9000, protocol: i === 2 ? 'UDP' : 'TCP' }] }] } })
  }
  await post('/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hostnet', labels: { app: 'hn' } }, spec: { nodeName: 'n2', hostNetwork: true, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 9100 }] }] } })
  const svc = async (name: string, spec: object): Promise<any> => await post('/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec })
  const out = [
    await svc('api', { selector: { app: 'api' }, sessionAffinity: 'ClientIP', ports: [{ name: 'tcp', port: 9000 }, { name: 'udp', port: 9000, protocol: 'UDP' }] }),
    await svc('api-local', { type: 'NodePort', externalTrafficPolicy: 'Local', selector: { app: 'api' }, ports: [{ port: 9000 }] }),
    await svc('api-lb', { type: 'LoadBalancer', selector: { app: 'api' }, externalIPs: ['203.0.113.7'], ports: [{ port: 443, targetPort: 9000 }] }),
    await svc('hn', { type: 'NodePort', selector: { app: 'hn' }, ports: [{ port: 9100 }] }),
    await svc('empty', { selector: { app: 'none' }, ports: [{ port: 81 }] })
  ]
  const ips = ['192.168.33.10', '192.168.33.11', '10.244.0.113', '10.244.1.2', '203.0.113.7', '127.0.0.1', '10.98.128.179']
  const ports = [80, 81, 443, 9000, 9100, 30136]
  for (const s of out) {
    if (typeof s.spec.clusterIP === 'string' && s.spec.clusterIP !== 'None') ips.push(s.spec.clusterIP)
    for (const p of s.spec.ports) if (typeof p.nodePort === 'number') ports.push(p.nodePort)
  }
  return { ips, ports }
}

test(`cluster traces over HTTP: ${RUNS} fuzzed requests, only 200/400/404/422, nothing written`, async (t) => {
  const { api, app } = await build(t, { seedDemo: true, limits: { maxTraceBranches: 64 } })
  const { ips, ports } = await richDemo(app)
  const before = await dumpDatabase(app)

  // mostly well-formed requests (so the fuzz reaches the engine), each possibly broken in one place
  const address = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ips) },
    { weight: 2, arbitrary: fc.ipV4() },
    { weight: 1, arbitrary: fc.constantFrom('0.0.0.0', '255.255.255.255', '10.96.0.0', '10.244.0.0', '224.0.0.1', '10.244.0.255', '192.168.33.255') }
  )
  const port = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ports) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 65535 }) })
  const source = fc.oneof(
    fc.record({ address, port, node: fc.constantFrom('vortex-dev', 'n2') }, { requiredKeys: ['address'] }),
    fc.record({ pod: fc.constantFrom('default/api-0', 'api-1', 'default/api-2', 'default/hostnet', 'default/nginx-0'), port }, { requiredKeys: ['pod'] }),
    fc.record({ node: fc.constantFrom('vortex-dev', 'n2'), port }, { requiredKeys: ['node'] })
  )
  const valid = fc.record({
    protocol: fc.constantFrom('TCP', 'TCP', 'UDP', 'SCTP', 'ICMP'),
    destination: fc.record({ address, port }),
    source,
    mode: fc.constantFrom('all', 'sample'),
    seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    reply: fc.boolean(),
    detail: fc.constantFrom('matched', 'full'),
    advanceSeconds: fc.double({ min: 0, max: 315360000, noNaN: true })
  }, { requiredKeys: ['protocol', 'destination', 'source'] })
  const junk = fc.oneof(
    fc.constantFrom('', ' 10.0.0.1', '999.1.1.1', '01.2.3.4', '::1', '10.0.0', 'tcp', 'GRE', 0, -1, 65536, 1.5, 2 ** 32, 1e12, null, true, 'nope', 'x/y/z', [], {}),
    fc.string({ maxLength: 12 }),
    fc.integer()
  )
  const PATHS = [['protocol'], ['destination', 'address'], ['destination', 'port'], ['source', 'address'], ['source', 'port'], ['source', 'node'], ['source', 'pod'],
    ['mode'], ['seed'], ['reply'], ['detail'], ['advanceSeconds'], ['options', 'maxBranches'], ['extra'], ['source', 'extra'], ['destination'], ['source']]
  const mutation = fc.option(fc.oneof(
    fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...PATHS), value: junk }),
    fc.record({ kind: fc.constant('drop' as const), path: fc.constantFrom(...PATHS) })
  ), { freq: 3 })
  const body = fc.tuple(valid, mutation).map(([b, m]) => {
    if (m == null) return b as Record<string, unknown>
    const copy = structuredClone(b) as Record<string, any>
    let cur = copy
    for (const k of m.path.slice(0, -1)) { if (cur[k] == null || typeof cur[k] !== 'object') cur[k] = {}; cur = cur[k] }
    const last = m.path[m.path.length - 1]
    if (m.kind === 'drop') delete cur[last]; else cur[last] = m.value
    return copy as Record<string, unknown>
  })
  const request = fc.record({
    body,
    cluster: fc.oneof({ weight: 12, arbitrary: fc.constant('demo') }, { weight: 1, arbitrary: fc.constantFrom('nope', 'DEMO', 'a%2Fb') }),
    query: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('', '?format=trace', '?format=json') }, { weight: 1, arbitrary: fc.constantFrom('?format=xml', '?unknown=1') }),
    accept: fc.constantFrom('application/json', 'text/plain', '*/*')
  })

  const seen = new Map<number, number>()
  await fc.assert(fc.asyncProperty(request, async ({ body, cluster, query, accept }) => {
    const res = await api.post(`/api/v1/clusters/${cluster}/traces${query}`).set('accept', accept).send(body)
    seen.set(res.status, (seen.get(res.status) ?? 0) + 1)
    assert.ok([200, 400, 404, 422].includes(res.status), `${res.status} for ${cluster}${query} ${JSON.stringify(body)}: ${res.text.slice(0, 400)}`)
    if (res.status !== 200) {
      assert.equal(res.body.kind, 'Status', res.text.slice(0, 200))
      assert.equal(res.body.code, res.status)
    } else if (res.type === 'application/json') {
      assert.equal(res.body.kind, 'Trace')
    } else {
      assert.equal(typeof res.text, 'string')
    }
    // affinity reads and resets also only compute (memory)
    if (body.mode === 'sample' && Number(body.seed) % 7 === 0) {
      assert.equal((await api.get(`${C}/traces/affinity`)).status, 200)
      assert.equal((await api.delete(`${C}/traces/affinity`)).status, 200)
    }
  }), { numRuns: RUNS, seed: SEED, includeErrorInReport: true })

  if (process.env.FUZZ_VERBOSE === '1') console.log('answers by status', [...seen])
  assert.equal(await dumpDatabase(app), before, 'traces wrote to the database')
  // the fuzz reached the engine, not only the schema validator
  assert.ok((seen.get(200) ?? 0) >= RUNS / 10, `answers by status: ${JSON.stringify([...seen])}`)
  assert.ok((seen.get(422) ?? 0) + (seen.get(400) ?? 0) > 0, `answers by status: ${JSON.stringify([...seen])}`)
  // the server is fine afterwards
  const ok = await api.post(`${C}/traces`).send({ protocol: 'TCP', source: { address: '192.168.33.1' }, destination: { address: '192.168.33.10', port: 30136 } })
  assert.equal(ok.status, 200)
})
