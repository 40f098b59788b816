/**
 * The staged (bulk) manifest path against the reference path: the same documents applied one at a
 * time straight against the transaction (`staged: false`) and through the StagedRepo must give the
 * same answers, the same errors and the same rows (objects, allocations, pod IPs, the nodes' last
 * pod IP), with randomness, uids and clocks made deterministic. Rows written by the bulk statements
 * are read back here through the Prisma models, which also checks bulk.ts against the schema.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { Store } from '../../src/store/index.ts'
import { actionEnv, applyManifestObjectsTx, createCluster, type ApplyResult } from '../../src/cluster/actions/index.ts'
import { StatusError } from '../../src/cluster/errors.ts'
import { tempDatabaseUrl } from '../helper.ts'

type Doc = Record<string, unknown>

const node = (name: string, ip: string, podCIDR?: string): Doc =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR === undefined ? {} : { podCIDR }, status: { addresses: [{ type: 'InternalIP', address: ip }] } })
const pod = (name: string, nodeName: string | undefined, labels: Record<string, string>, extra: { podIP?: string, hostNetwork?: boolean, namespace?: string, generateName?: boolean, resourceVersion?: string } = {}): Doc => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { ...(extra.generateName === true ? { generateName: name } : { name }), labels, ...(extra.namespace === undefined ? {} : { namespace: extra.namespace }), ...(extra.resourceVersion === undefined ? {} : { resourceVersion: extra.resourceVersion }) },
  spec: { ...(nodeName === undefined ? {} : { nodeName }), ...(extra.hostNetwork === true ? { hostNetwork: true } : {}), containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 8080 }] }] },
  status: { phase: 'Running', ...(extra.podIP === undefined ? {} : { podIP: extra.podIP }), conditions: [{ type: 'Ready', status: 'True' }] }
})
const service = (name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): Doc =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, ...meta }, spec })

const FIRST: Doc[] = [
  service('web', { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] }),
  pod('web-1', 'n1', { app: 'web' }),
  node('n1', '192.168.9.11'),
  node('n2', '192.168.9.12', '10.244.7.0/24'),
  pod('web-2', 'n1', { app: 'web' }),
  pod('web-3', 'n2', { app: 'web' }, { podIP: '10.244.7.50' }),
  pod('agent', 'n2', { app: 'agent' }, { hostNetwork: true }),
  pod('loose', undefined, { app: 'x' }),
  pod('ghost', 'no-such-node', { app: 'x' }),
  pod('api-', 'n2', { app: 'api' }, { generateName: true, namespace: 'team' }),
  service('api', { type: 'NodePort', selector: { app: 'api' }, ports: [{ name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }, { namespace: 'team' }),
  service('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'web' }, ports: [{ port: 8080 }] }),
  service('headless', { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] }),
  service('ext', { type: 'ExternalName', externalName: 'example.com' }),
  service('gen', { selector: { app: 'web' }, ports: [{ port: 81 }] }, { generateName: 'gen-' }),
  // the same name twice: the second document updates what the first created
  service('twice', { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] }),
  service('twice', { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] }),
  pod('twice-pod', 'n1', { app: 'web' }),
  pod('twice-pod', 'n2', { app: 'web' })
]
// gen above has a name and a generateName: it is named. A nameless one:
FIRST.push({ apiVersion: 'v1', kind: 'Service', metadata: { generateName: 'anon-' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 82 }] } })

const SECOND: Doc[] = [
  // a changed port list (a new nodePort is allocated, the old one kept), a type change (the nodePort released)
  service('web', { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'a', port: 80, targetPort: 8080, nodePort: 30080 }, { name: 'b', port: 81 }] }),
  service('twice', { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 80 }] }),
  // the released port is taken again in the same request
  service('taker', { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] }),
  // moved to another node: a new IP; the old one is free for the next pod
  pod('web-1', 'n2', { app: 'web' }),
  pod('web-4', 'n1', { app: 'web' }),
  pod('web-2', 'n1', { app: 'web', tier: 'front' }),
  node('n3', '192.168.9.13'),
  pod('web-5', 'n3', { app: 'web' }),
  node('n1', '192.168.9.11'),
  pod('agent', 'n2', { app: 'agent' }, { hostNetwork: true })
]

const FAILING: Array<[string, Doc[]]> = [
  ['a NodePort held by another service', [service('dup-port', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })]],
  ['a ClusterIP held by another service', [service('dup-ip', { clusterIP: 'HOLDER', ports: [{ port: 80 }] })]],
  ['a pod IP held by another pod', [pod('dup-ip', 'n2', { app: 'x' }, { podIP: '10.244.7.50' })]],
  ['a podCIDR held by another node', [node('n9', '192.168.9.19', '10.244.7.0/24')]],
  ['a stale resourceVersion', [pod('web-3', 'n2', { app: 'web' }, { podIP: '10.244.7.50', resourceVersion: '1' })]],
  ['an invalid service after good documents', [node('n8', '192.168.9.18'), pod('ok', 'n8', { app: 'ok' }), service('bad', { ports: [{ port: 70000 }] })]]
]

/** A seeded PRNG, uids and a clock that replay the same sequence for each run. */
function deterministic (): void {
  let s = 12345
  let n = 0
  actionEnv.random = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
  actionEnv.uid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`
  actionEnv.now = () => new Date('2026-01-01T00:00:00Z')
}

async function apply (store: Store, cluster: string, docs: Doc[], staged: boolean): Promise<ApplyResult | { error: unknown }> {
  deterministic()
  try {
    return await store.write(async ctx => {
      const c = await ctx.repo.findCluster(cluster)
      assert.ok(c != null)
      return await applyManifestObjectsTx(ctx, c, docs.map((obj, doc) => ({ doc, obj: structuredClone(obj) })), { staged })
    })
  } catch (e) {
    if (e instanceof StatusError) return { error: e.status }
    throw e
  }
}

/** Every row of the cluster as the Prisma models read it (ids left out: they differ between clusters). */
async function dump (store: Store, cluster: string): Promise<unknown> {
  const p = store.prisma
  const c = await p.cluster.findUniqueOrThrow({ where: { name: cluster } })
  const where = { clusterId: c.id }
  const byName = { orderBy: [{ namespace: 'asc' as const }, { name: 'asc' as const }] }
  return {
    resourceVersion: c.resourceVersion,
    nodes: (await p.node.findMany({ where, orderBy: { name: 'asc' } })).map(({ id, clusterId, object, ...r }) => ({ ...r, object: JSON.parse(object) })),
    pods: (await p.pod.findMany({ where, ...byName })).map(({ id, clusterId, object, ...r }) => ({ ...r, object: JSON.parse(object) })),
    services: (await p.service.findMany({ where, ...byName })).map(({ id, clusterId, object, ...r }) => ({ ...r, object: JSON.parse(object) })),
    nodePorts: (await p.nodePortAllocation.findMany({ where, orderBy: { port: 'asc' }, select: { port: true, protocols: true, field: true, service: { select: { namespace: true, name: true } } } })),
    clusterIPs: (await p.clusterIPAllocation.findMany({ where, orderBy: { ip: 'asc' }, select: { ip: true, service: { select: { namespace: true, name: true } } } })),
    podIPs: (await p.podIPAllocation.findMany({ where, orderBy: { ip: 'asc' }, select: { ip: true, pod: { select: { namespace: true, name: true } } } }))
  }
}

describe('staged manifest writes equal the one-document-at-a-time path', () => {
  let store: Store
  let dir: string
  const saved = { ...actionEnv }
  before(async () => {
    const t = tempDatabaseUrl()
    dir = t.dir
    store = await Store.open({ databaseUrl: t.databaseUrl })
    for (const name of ['ref', 'bulk']) await createCluster(store, { metadata: { name } })
  })
  after(async () => {
    Object.assign(actionEnv, saved)
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const both = async (docs: Doc[]): Promise<{ ref: unknown, bulk: unknown }> => {
    const ref = await apply(store, 'ref', docs, false)
    const bulk = await apply(store, 'bulk', docs, true)
    assert.deepEqual(bulk, ref)
    assert.deepEqual(await dump(store, 'bulk'), await dump(store, 'ref'))
    return { ref, bulk }
  }

  it('creates: same answer, same rows', async () => {
    const { bulk } = await both(FIRST)
    const r = bulk as ApplyResult
    assert.ok(!('error' in r), JSON.stringify(r))
    assert.equal(r.items.length, FIRST.length)
    assert.deepEqual(r.results.filter(x => x.name === 'twice').map(x => x.action), ['created', 'configured'])
  })

  it('updates and new objects: same answer, same rows', async () => {
    const { bulk } = await both(SECOND)
    assert.ok(!('error' in (bulk as object)), JSON.stringify(bulk))
    const d = await dump(store, 'bulk') as { nodePorts: Array<{ service: { name: string } }> }
    assert.ok(d.nodePorts.some(p => p.service.name === 'taker'))
  })

  it('re-applying everything unchanged: same answer, same rows', async () => {
    const { bulk } = await both([...FIRST.filter(d => (d.metadata as { name?: string }).name !== undefined), ...SECOND])
    assert.ok(!('error' in (bulk as object)), JSON.stringify(bulk))
  })

  for (const [label, docs0] of FAILING) {
    it(`fails the same way on ${label}, and writes nothing`, async () => {
      const d = await dump(store, 'ref') as { services: Array<{ name: string, clusterIP: string }> }
      const holder = d.services.find(s => s.name === 'web')?.clusterIP
      const docs = JSON.parse(JSON.stringify(docs0).replaceAll('HOLDER', holder ?? '')) as Doc[]
      const before = await dump(store, 'ref')
      const { ref } = await both(docs)
      assert.ok('error' in (ref as object), `${label}: ${JSON.stringify(ref)}`)
      assert.deepEqual(await dump(store, 'ref'), before)
    })
  }

  it('a pod moved to another node frees its IP for a later document of the same request', async () => {
    const d = await dump(store, 'ref') as { pods: Array<{ name: string, podIP: string }> }
    const web5 = d.pods.find(p => p.name === 'web-5')?.podIP
    assert.ok(web5 !== undefined)
    const { bulk } = await both([pod('web-5', 'n1', { app: 'web' }), pod('newcomer', 'n3', { app: 'web' }, { podIP: web5 })])
    assert.deepEqual((bulk as ApplyResult).results.map(r => r.action), ['configured', 'created'])
  })
})
