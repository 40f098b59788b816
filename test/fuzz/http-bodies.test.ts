/**
 * Fuzzing the HTTP surface with fast-check (bounded runs): Service/Pod/Node bodies as JSON and YAML,
 * GraphQL mutation inputs and cluster trace requests. Never a 5xx; a rejected write leaves the
 * database exactly as it was (compared row by row before and after).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import YAML from 'yaml'
import { build } from '../helper.ts'
import { dumpDatabase } from './db-dump.ts'

const RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 60)
const SEED = Number(process.env.FUZZ_SEED ?? 20261126)


const BASE: Record<string, object> = {
  services: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', selector: { app: 'a' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } },
  pods: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'a' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] } },
  nodes: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { podCIDR: '10.244.9.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.9.1' }] } }
}

const PATHS: Record<string, string[][]> = {
  services: [['metadata', 'name'], ['spec', 'type'], ['spec', 'ports'], ['spec', 'clusterIP'], ['spec', 'selector'], ['spec', 'externalTrafficPolicy'], ['spec', 'sessionAffinity'], ['kind'], ['apiVersion'], ['metadata']],
  pods: [['metadata', 'name'], ['metadata', 'labels'], ['spec', 'nodeName'], ['spec', 'containers'], ['spec', 'hostNetwork'], ['status'], ['kind']],
  nodes: [['metadata', 'name'], ['spec', 'podCIDR'], ['status', 'addresses'], ['spec'], ['kind']]
}

const weird = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('', 'None', '10.96.0.1', '999.1.1.1', 'LoadBalancer', 'ExternalName', 'Local', 'ClientIP', '-1', 'a'.repeat(300), '10.244.0.0/33'),
  fc.integer({ min: -70000, max: 70000 }),
  fc.array(fc.record({ port: fc.integer({ min: -5, max: 70000 }), nodePort: fc.option(fc.integer({ min: 29990, max: 32800 }), { nil: undefined }), protocol: fc.constantFrom('TCP', 'UDP', 'SCTP', 'tcp', 'X') }, { requiredKeys: ['port'] }), { maxLength: 4 })
)

function setPath (obj: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(obj) as Record<string, unknown>
  let cur: Record<string, unknown> = copy
  for (const k of path.slice(0, -1)) {
    if (cur[k] == null || typeof cur[k] !== 'object') cur[k] = {}
    cur = cur[k] as Record<string, unknown>
  }
  cur[path[path.length - 1]] = value
  return copy
}

const resource = fc.constantFrom('services', 'pods', 'nodes')
const body = resource.chain(r => fc.tuple(
  fc.constant(r),
  fc.array(fc.tuple(fc.constantFrom(...PATHS[r]), weird), { maxLength: 3 }),
  fc.constantFrom('json', 'yaml', 'raw'),
  fc.string({ maxLength: 60 })
))

test(`REST: ${RUNS} fuzzed Service/Pod/Node bodies (JSON and YAML): no 5xx, rejected writes change nothing`, async (t) => {
  const { api, app } = await build(t)
  await api.post('/api/v1/clusters').send({ metadata: { name: 'f' } })
  await api.post('/api/v1/clusters/f/nodes').send({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } })
  let before = await dumpDatabase(app)
  let ok = 0
  let rejected = 0
  await fc.assert(fc.asyncProperty(body, async ([r, edits, format, junk]) => {
    const obj = edits.reduce<unknown>((o, [p, v]) => setPath(o, p, v), BASE[r])
    const url = r === 'nodes' ? '/api/v1/clusters/f/nodes' : `/api/v1/clusters/f/namespaces/default/${r}`
    const [type, text] = format === 'json' ? ['application/json', JSON.stringify(obj)] : format === 'yaml' ? ['application/yaml', YAML.stringify(obj)] : [junk.length % 2 === 0 ? 'application/json' : 'application/yaml', junk]
    const res = await api.post(url).set('content-type', type).send(text)
    assert.ok(res.status < 500, `${res.status} for ${text}: ${res.text}`)
    assert.equal(res.body.kind !== undefined, true, 'a Kubernetes object or Status')
    const after = await dumpDatabase(app)
    if (res.status >= 400) {
      assert.equal(res.body.kind, 'Status')
      assert.equal(after, before, `rejected ${res.status} changed the database`)
      rejected++
    } else {
      ok++
      // clean up so names can be reused; the delete must succeed
      const name = (res.body as { metadata: { name: string } }).metadata.name
      const del = await api.delete(`${url}/${encodeURIComponent(name)}`)
      assert.equal(del.status, 200)
      before = await dumpDatabase(app)
    }
  }), { numRuns: RUNS, seed: SEED })
  assert.ok(rejected > 0, `rejections seen (${ok} accepted, ${rejected} rejected)`)
})

test(`GraphQL and traces: ${RUNS} fuzzed inputs each, no 5xx and no internal errors`, async (t) => {
  const { api } = await build(t)
  await api.post('/api/v1/clusters').send({ metadata: { name: 'f' } })
  await api.post('/api/v1/clusters/f/nodes').send({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } })
  await api.post('/api/v1/clusters/f/namespaces/default/services').send(BASE.services)
  await fc.assert(fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('createService', 'createPod', 'createNode'), async (input, m) => {
    const arg = m === 'createService' ? 'service' : m === 'createPod' ? 'pod' : 'node'
    const ns = m === 'createNode' ? '' : ', namespace: "default"'
    const res = await api.post('/graphql').send({ query: `mutation($v: JSON!) { ${m}(cluster: "f"${ns}, ${arg}: $v) { metadata { name } } }`, variables: { v: input } })
    assert.ok(res.status < 500, `${res.status}: ${res.text}`)
    for (const e of res.body.errors ?? []) assert.ok((e.extensions?.httpStatus ?? 400) < 500, JSON.stringify(e))
  }), { numRuns: RUNS, seed: SEED })
  const addr = fc.oneof(fc.ipV4(), fc.constantFrom('10.96.0.1', '127.0.0.1', '192.168.9.1'), fc.string({ maxLength: 16 }))
  const trace = fc.record({
    protocol: fc.constantFrom('TCP', 'UDP', 'SCTP', 'ICMP', 'tcp'),
    destination: fc.record({ address: addr, port: fc.integer({ min: -1, max: 70000 }) }, { requiredKeys: ['address'] }),
    source: fc.record({ address: addr, port: fc.integer({ min: 0, max: 65535 }), node: fc.constantFrom('n1', 'nx', ''), pod: fc.constantFrom('default/p', 'p', 'x/y') }, { requiredKeys: [] }),
    mode: fc.constantFrom('all', 'sample', 'x'),
    seed: fc.integer({ min: -1, max: 2 ** 32 }),
    reply: fc.boolean(),
    detail: fc.constantFrom('matched', 'full'),
    advanceSeconds: fc.double({ min: -1, max: 1e9, noNaN: true })
  }, { requiredKeys: ['protocol', 'destination', 'source'] })
  let answered = 0
  await fc.assert(fc.asyncProperty(trace, async (payload) => {
    const res = await api.post('/api/v1/clusters/f/traces').send(payload)
    assert.ok(res.status < 500, `${res.status} for ${JSON.stringify(payload)}: ${res.text}`)
    if (res.status === 200) answered++
  }), { numRuns: RUNS, seed: SEED })
})
