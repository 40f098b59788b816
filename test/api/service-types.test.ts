/** Service types and fields through HTTP: headless, ExternalName, affinity, LB variants, releases on type change. */
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { base, sharedClusterApp, node, pod, svc, type Built } from '../helper.ts'

const S = base('c') + '/namespaces/default/services'

describe('service types', () => {
  const app = sharedClusterApp('c')
  let b: Built
  before(() => { b = app() })
  const ports = async (name: string): Promise<number[]> =>
    (await b.api.get(base('c') + '/nodeports')).body.items.filter((x: { service: string }) => x.service === name).map((x: { port: number }) => x.port).sort()

  it('headless (clusterIP None) holds no VIP; ExternalName has no clusterIP', async () => {
    const h = await b.api.post(S).send(svc('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] }))
    assert.equal(h.status, 201, JSON.stringify(h.body))
    assert.equal(h.body.spec.clusterIP, 'None')
    const e = await b.api.post(S).send(svc('ext', { type: 'ExternalName', externalName: 'example.com' }))
    assert.equal(e.status, 201, JSON.stringify(e.body))
    assert.equal(e.body.spec.clusterIP, undefined)
    assert.equal(e.body.spec.externalName, 'example.com')
  })

  it('ClientIP affinity defaults its timeout to 10800; networking fields round-trip', async () => {
    const r = await b.api.post(S).send(svc('aff', {
      sessionAffinity: 'ClientIP',
      selector: { app: 'a' },
      externalIPs: ['198.51.100.7'],
      internalTrafficPolicy: 'Local',
      publishNotReadyAddresses: true,
      ports: [{ name: 'http', port: 80, targetPort: 'web' }]
    }))
    assert.equal(r.status, 201, JSON.stringify(r.body))
    assert.deepEqual(r.body.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } })
    assert.deepEqual(r.body.spec.externalIPs, ['198.51.100.7'])
    assert.equal(r.body.spec.internalTrafficPolicy, 'Local')
    assert.equal(r.body.spec.publishNotReadyAddresses, true)
    assert.equal(r.body.spec.ports[0].targetPort, 'web')
  })

  it('LoadBalancer with allocateLoadBalancerNodePorts false holds no nodePort; sourceRanges kept', async () => {
    const r = await b.api.post(S).send(svc('lb-noports', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, loadBalancerSourceRanges: ['10.0.0.0/8'], ports: [{ port: 80 }] }))
    assert.equal(r.status, 201, JSON.stringify(r.body))
    assert.equal(r.body.spec.ports[0].nodePort, undefined)
    assert.deepEqual(r.body.spec.loadBalancerSourceRanges, ['10.0.0.0/8'])
    assert.deepEqual(await ports('lb-noports'), [])
  })

  it('LoadBalancer Local → Cluster releases the healthCheckNodePort; → ClusterIP releases all', async () => {
    const c = await b.api.post(S).send(svc('lbl', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'h', port: 80 }] }))
    assert.equal(c.status, 201, JSON.stringify(c.body))
    const hc = c.body.spec.healthCheckNodePort
    const np = c.body.spec.ports[0].nodePort
    assert.deepEqual(await ports('lbl'), [hc, np].sort())
    const toCluster = structuredClone(c.body)
    toCluster.spec.externalTrafficPolicy = 'Cluster'
    delete toCluster.spec.healthCheckNodePort
    const r1 = await b.api.put(S + '/lbl').send(toCluster)
    assert.equal(r1.status, 200, JSON.stringify(r1.body))
    assert.equal(r1.body.spec.healthCheckNodePort, undefined)
    assert.deepEqual(await ports('lbl'), [np])
    const toClusterIP = structuredClone(r1.body)
    toClusterIP.spec.type = 'ClusterIP'
    delete toClusterIP.spec.externalTrafficPolicy
    delete toClusterIP.spec.allocateLoadBalancerNodePorts
    for (const p of toClusterIP.spec.ports) delete p.nodePort
    const r2 = await b.api.put(S + '/lbl').send(toClusterIP)
    assert.equal(r2.status, 200, JSON.stringify(r2.body))
    assert.deepEqual(await ports('lbl'), [])
  })

  it('a terminating pod (deletionTimestamp) shows as terminating in its EndpointSlice', async () => {
    await b.api.post(base('c') + '/nodes').send(node('n1', '192.168.9.10'))
    const p = pod('t1', 'n1', { app: 'term' })
    ;(p.metadata as Record<string, unknown>).deletionTimestamp = '2026-01-01T00:00:00Z'
    assert.equal((await b.api.post(base('c') + '/namespaces/default/pods').send(p)).status, 201)
    await b.api.post(S).send(svc('term', { selector: { app: 'term' }, ports: [{ port: 80 }] }))
    const slices = (await b.api.get(base('c') + '/namespaces/default/endpointslices')).body.items
      .filter((s: { metadata: { labels: Record<string, string> } }) => s.metadata.labels['kubernetes.io/service-name'] === 'term')
    assert.equal(slices[0].endpoints[0].conditions.terminating, true)
    assert.equal(slices[0].endpoints[0].conditions.ready, false)
  })
})
