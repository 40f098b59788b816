/** Services through HTTP: allocation rules, verbatim errors, optimistic concurrency, nothing changed on error. */
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { base, sharedClusterApp, nodePortSvc, svc, type Built } from '../helper.ts'

const S = base('c') + '/namespaces/default/services'

describe('services', () => {
  const app = sharedClusterApp('c')
  let b: Built
  before(() => { b = app() })

  const table = async (): Promise<Array<[number, string, string]>> =>
    (await b.api.get(base('c') + '/nodeports')).body.items.map((x: { port: number, service: string, protocols: string[] }) => [x.port, x.service, x.protocols.join(',')])

  it('ClusterIP service: defaults and a VIP from the service CIDR; metadata stamped', async () => {
    const r = await b.api.post(S).send(svc('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }))
    assert.equal(r.status, 201)
    assert.equal(r.body.spec.type, 'ClusterIP')
    assert.equal(r.body.spec.ports[0].protocol, 'TCP')
    assert.equal(r.body.spec.ports[0].targetPort, 80)
    assert.match(r.body.spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/)
    assert.deepEqual(r.body.spec.clusterIPs, [r.body.spec.clusterIP])
    assert.equal(r.body.metadata.namespace, 'default')
    assert.match(r.body.metadata.uid, /^[0-9a-f-]{36}$/)
    assert.match(r.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.match(r.body.metadata.resourceVersion, /^\d+$/)
    const g = await b.api.get(S + '/web')
    assert.deepEqual(g.body, r.body)
  })

  it('NodePort: explicit port kept, auto port in the range, table lists holders', async () => {
    const a = await b.api.post(S).send(nodePortSvc('np-a', 30080))
    assert.equal(a.status, 201)
    assert.equal(a.body.spec.ports[0].nodePort, 30080)
    const auto = await b.api.post(S).send(nodePortSvc('np-b'))
    assert.equal(auto.status, 201)
    const p = auto.body.spec.ports[0].nodePort
    assert.ok(p >= 30086 && p <= 32767, `dynamic band first, got ${p}`)
    const t = await table()
    assert.deepEqual(t.filter(x => x[1] === 'np-a' || x[1] === 'np-b').sort(), [[30080, 'np-a', 'TCP'], [p, 'np-b', 'TCP']].sort())
  })

  it('a taken nodePort is the API server\'s 422, verbatim, and changes nothing', async () => {
    const before = await table()
    const rvBefore = (await b.api.get(S)).body.metadata.resourceVersion
    const r = await b.api.post(S).send(nodePortSvc('web-dup', 30080))
    assert.equal(r.status, 422)
    assert.deepEqual(r.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Service "web-dup" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
      reason: 'Invalid',
      details: { name: 'web-dup', kind: 'Service', causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 30080: provided port is already allocated', field: 'spec.ports[0].nodePort' }] },
      code: 422
    })
    assert.deepEqual(await table(), before)
    assert.equal((await b.api.get(S + '/web-dup')).status, 404)
    assert.equal((await b.api.get(S)).body.metadata.resourceVersion, rvBefore)
  })

  it('a nodePort out of range is the verbatim 422', async () => {
    const r = await b.api.post(S).send(nodePortSvc('nginx', 80))
    assert.equal(r.status, 422)
    assert.equal(r.body.message, 'Service "nginx" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767')
    assert.equal(r.body.details.causes[0].field, 'spec.ports[0].nodePort')
  })

  it('TCP and UDP of the same port share one nodePort (one allocation row)', async () => {
    const r = await b.api.post(S).send(svc('dns', { type: 'NodePort', selector: { app: 'dns' }, ports: [{ name: 'dns-udp', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }))
    assert.equal(r.status, 201)
    const [u, t] = r.body.spec.ports
    assert.equal(u.nodePort, t.nodePort)
    const rows = (await table()).filter(x => x[1] === 'dns')
    assert.deepEqual(rows, [[u.nodePort, 'dns', 'UDP,TCP']])
  })

  it('LoadBalancer + Local gets a healthCheckNodePort; status.loadBalancer.ingress is settable', async () => {
    const r = await b.api.post(S).send({
      ...svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'lb' }, ports: [{ port: 443 }] }),
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } }
    })
    assert.equal(r.status, 201)
    const hc = r.body.spec.healthCheckNodePort
    assert.ok(hc >= 30000 && hc <= 32767)
    assert.notEqual(hc, r.body.spec.ports[0].nodePort)
    assert.equal(r.body.status.loadBalancer.ingress[0].ip, '203.0.113.10')
    const rows = (await table()).filter(x => x[1] === 'lb').map(x => x[0]).sort()
    assert.deepEqual(rows, [hc, r.body.spec.ports[0].nodePort].sort())
  })

  it('a taken ClusterIP is the verbatim 422', async () => {
    const web = (await b.api.get(S + '/web')).body
    const r = await b.api.post(S).send(svc('ip-dup', { clusterIP: web.spec.clusterIP, ports: [{ port: 80 }] }))
    assert.equal(r.status, 422)
    assert.equal(r.body.details.causes[0].field, 'spec.clusterIPs')
    assert.match(r.body.message, new RegExp(`failed to allocate IP ${web.spec.clusterIP.replace(/\./g, '\\.')}: provided IP is already allocated`))
  })

  it('AlreadyExists is a 409 after allocation, and the allocation is rolled back', async () => {
    const before = await table()
    const r = await b.api.post(S).send(nodePortSvc('np-a', 30999))
    assert.equal(r.status, 409)
    assert.equal(r.body.reason, 'AlreadyExists')
    assert.equal(r.body.message, 'services "np-a" already exists')
    assert.deepEqual(r.body.details, { name: 'np-a', kind: 'services' })
    assert.deepEqual(await table(), before, 'port 30999 was not kept')
  })

  it('validation errors list every cause in one 422', async () => {
    const r = await b.api.post(S).send(svc('Bad_Name', { ports: [{ port: 0 }] }))
    assert.equal(r.status, 422)
    assert.equal(r.body.reason, 'Invalid')
    const fields = r.body.details.causes.map((c: { field: string }) => c.field)
    assert.ok(fields.includes('metadata.name'), JSON.stringify(fields))
    assert.ok(fields.includes('spec.ports[0].port'), JSON.stringify(fields))
    assert.match(r.body.message, /^Service "Bad_Name" is invalid: \[/)
  })

  it('unknown fields and wrong types are rejected, not dropped', async () => {
    const u = await b.api.post(S).send(svc('strict', { ports: [{ port: 80 }], foo: 1 }))
    assert.equal(u.status, 400)
    assert.match(u.body.message, /unknown field "spec\.foo"/)
    const w = await b.api.post(S).send(svc('strict', { ports: [{ port: '80' }] }))
    assert.ok(w.status === 400 || w.status === 422, String(w.status))
    assert.equal(w.body.kind, 'Status')
    assert.match(w.body.message, /spec\.ports(\[0\])?\.port/)
    assert.equal((await b.api.get(S + '/strict')).status, 404)
  })

  it('PUT: optimistic concurrency on resourceVersion, kept nodePort, unconditional without resourceVersion', async () => {
    const cur = (await b.api.get(S + '/np-a')).body
    const upd = structuredClone(cur)
    upd.metadata.labels = { v: '2' }
    delete upd.spec.ports[0].nodePort // omitted nodePort is kept (matched by port name)
    const ok = await b.api.put(S + '/np-a').send(upd)
    assert.equal(ok.status, 200)
    assert.equal(ok.body.spec.ports[0].nodePort, 30080)
    assert.equal(ok.body.metadata.uid, cur.metadata.uid)
    assert.ok(Number(ok.body.metadata.resourceVersion) > Number(cur.metadata.resourceVersion))

    const stale = await b.api.put(S + '/np-a').send({ ...upd, metadata: { ...upd.metadata, labels: { v: '3' } } })
    assert.equal(stale.status, 409)
    assert.equal(stale.body.reason, 'Conflict')
    assert.equal(stale.body.message, 'Operation cannot be fulfilled on services "np-a": the object has been modified; please apply your changes to the latest version and try again')
    assert.deepEqual((await b.api.get(S + '/np-a')).body.metadata.labels, { v: '2' })

    const blind = structuredClone(upd)
    delete blind.metadata.resourceVersion
    blind.metadata.labels = { v: '4' }
    const r = await b.api.put(S + '/np-a').send(blind)
    assert.equal(r.status, 200)
    assert.deepEqual(r.body.metadata.labels, { v: '4' })
  })

  it('PUT on a missing service creates it (201); name mismatch is 400', async () => {
    const c = await b.api.put(S + '/made-by-put').send(svc('made-by-put', { ports: [{ port: 81 }] }))
    assert.equal(c.status, 201)
    const m = await b.api.put(S + '/other').send(svc('made-by-put', { ports: [{ port: 81 }] }))
    assert.equal(m.status, 400)
    assert.equal(m.body.reason, 'BadRequest')
  })

  it('type change NodePort → ClusterIP releases the nodePort', async () => {
    await b.api.post(S).send(nodePortSvc('flip', 30777))
    const cur = (await b.api.get(S + '/flip')).body
    cur.spec.type = 'ClusterIP'
    delete cur.spec.externalTrafficPolicy
    for (const p of cur.spec.ports) delete p.nodePort
    const r = await b.api.put(S + '/flip').send(cur)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.spec.ports[0].nodePort, undefined)
    assert.ok(!(await table()).some(x => x[0] === 30777))
    assert.equal((await b.api.post(S).send(nodePortSvc('reuse', 30777))).status, 201)
  })

  it('DELETE returns the object and releases its ports; a second DELETE is 404', async () => {
    const d = await b.api.delete(S + '/reuse')
    assert.equal(d.status, 200)
    assert.equal(d.body.metadata.name, 'reuse')
    assert.ok(!(await table()).some(x => x[0] === 30777))
    const again = await b.api.delete(S + '/reuse')
    assert.equal(again.status, 404)
    assert.equal(again.body.message, 'services "reuse" not found')
  })

  it('generateName makes a name', async () => {
    const r = await b.api.post(S).send({ metadata: { generateName: 'gen-' }, spec: { ports: [{ port: 80 }] } })
    assert.equal(r.status, 201)
    assert.match(r.body.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
  })

  it('resourceVersion on create is rejected; namespace mismatch is 400', async () => {
    const rv = await b.api.post(S).send(svc('rv', { ports: [{ port: 80 }] }, { resourceVersion: '5' }))
    assert.equal(rv.status, 400)
    assert.equal(rv.body.message, 'resourceVersion should not be set on objects to be created')
    const ns = await b.api.post(S).send(svc('ns', { ports: [{ port: 80 }] }, { namespace: 'other' }))
    assert.equal(ns.status, 400)
    assert.equal(ns.body.message, 'the namespace of the provided object does not match the namespace sent on the request')
  })

  it('lists are Kubernetes lists, per namespace', async () => {
    const l = await b.api.get(S)
    assert.equal(l.body.kind, 'ServiceList')
    assert.equal(l.body.apiVersion, 'v1')
    assert.match(l.body.metadata.resourceVersion, /^\d+$/)
    assert.ok(l.body.items.length > 3)
    const other = await b.api.get(base('c') + '/namespaces/other/services')
    assert.deepEqual(other.body.items, [])
  })

  it('unknown cluster is a 404 Status', async () => {
    const r = await b.api.get(base('nope') + '/namespaces/default/services')
    assert.equal(r.status, 404)
    assert.equal(r.body.kind, 'Status')
    assert.equal(r.body.message, 'clusters.kubenetsim.io "nope" not found')
  })
})
