/** POST .../manifests: multi-document YAML and JSON Lists, create-or-update, all or nothing. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { base, build, newCluster } from '../helper.ts'

const GOOD = `apiVersion: v1
kind: Node
metadata:
  name: worker-1
status:
  addresses:
  - type: InternalIP
    address: 192.168.7.10
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: web}
spec:
  nodeName: worker-1
  containers:
  - name: web
    image: nginx
    ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
    nodePort: 30200
`

describe('manifests', () => {
  it('applies multi-document YAML (created), then re-applies (configured)', async (t) => {
    const { api } = await build(t)
    await newCluster(api, 'c')
    const r = await api.post(base('c') + '/manifests').set('content-type', 'application/yaml').send(GOOD)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.kind, 'List')
    assert.deepEqual(r.body.results.map((x: { document: number, kind: string, name: string, action: string }) => [x.document, x.kind, x.name, x.action]),
      [[1, 'Node', 'worker-1', 'created'], [2, 'Pod', 'web-1', 'created'], [3, 'Service', 'web', 'created']])
    assert.equal(r.body.items[1].status.podIP, '10.244.0.2')
    const again = await api.post(base('c') + '/manifests').set('content-type', 'application/yaml').send(GOOD.replace('image: nginx', 'image: nginx:2'))
    assert.equal(again.status, 200)
    assert.deepEqual(again.body.results.map((x: { action: string }) => x.action), ['configured', 'configured', 'configured'])
    assert.equal(again.body.items[2].spec.ports[0].nodePort, 30200)
    const table = await api.get(base('c') + '/nodeports')
    assert.deepEqual(table.body.items.map((x: { port: number, service: string }) => [x.port, x.service]), [[30200, 'web']])
  })

  it('accepts a JSON List', async (t) => {
    const { api } = await build(t)
    await newCluster(api, 'c')
    const list = { apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'team' }, spec: { ports: [{ port: 80 }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b', namespace: 'team' }, spec: { ports: [{ port: 81 }] } }
    ] }
    const r = await api.post(base('c') + '/manifests').send(list)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const l = await api.get(base('c') + '/namespaces/team/services')
    assert.deepEqual(l.body.items.map((s: { metadata: { name: string } }) => s.metadata.name), ['a', 'b'])
  })

  it('one bad document: nothing is written, and the error names the document', async (t) => {
    const { api, app } = await build(t)
    await newCluster(api, 'c')
    await api.post(base('c') + '/namespaces/default/services').send({ metadata: { name: 'holder' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30300 }] } })
    const rv = (await api.get('/api/v1/clusters/c')).body.metadata.resourceVersion
    const counts = async (): Promise<number[]> => await Promise.all([app.store.prisma.node.count(), app.store.prisma.pod.count(), app.store.prisma.service.count(), app.store.prisma.nodePortAllocation.count(), app.store.prisma.clusterIPAllocation.count()])
    const before = await counts()
    const bad = GOOD + `---
apiVersion: v1
kind: Service
metadata:
  name: clash
spec:
  type: NodePort
  ports:
  - port: 80
    nodePort: 30300
`
    const r = await api.post(base('c') + '/manifests').set('content-type', 'application/yaml').send(bad)
    assert.equal(r.status, 422)
    assert.equal(r.body.kind, 'Status')
    assert.match(r.body.message, /^error when applying document 4 \(Service "default\/clash"\): Service "clash" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30300: provided port is already allocated$/)
    assert.equal(r.body.details.causes[0].field, 'spec.ports[0].nodePort')
    assert.deepEqual(await counts(), before)
    assert.equal((await api.get('/api/v1/clusters/c')).body.metadata.resourceVersion, rv)

    const unknownKind = await api.post(base('c') + '/manifests').set('content-type', 'application/yaml').send(GOOD + '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n')
    assert.equal(unknownKind.status, 400)
    assert.match(unknownKind.body.message, /document 4/)
    assert.deepEqual(await counts(), before)
  })

  it('malformed YAML and JSON are 400s saying where', async (t) => {
    const { api } = await build(t)
    await newCluster(api, 'c')
    const y = await api.post(base('c') + '/manifests').set('content-type', 'application/yaml').send('kind: Service\nmetadata:\n  name: [x\n')
    assert.equal(y.status, 400)
    assert.equal(y.body.reason, 'BadRequest')
    assert.match(y.body.message, /line \d+/)
    const j = await api.post(base('c') + '/manifests').set('content-type', 'application/json').send('{"kind": "List", "items": [}')
    assert.equal(j.status, 400)
    assert.match(j.body.message, /line 1/)
  })

  it('too many objects is a 413', async (t) => {
    const { api } = await build(t, { limits: { maxManifestObjects: 2 } })
    await newCluster(api, 'c')
    const r = await api.post(base('c') + '/manifests').set('content-type', 'application/yaml').send(GOOD)
    assert.equal(r.status, 413)
    assert.equal(r.body.reason, 'RequestEntityTooLarge')
  })
})

describe('manifests with generateName', () => {
  it('create a new object each time', async (t) => {
    const { api } = await build(t)
    await newCluster(api, 'c')
    const doc = 'apiVersion: v1\nkind: Service\nmetadata:\n  generateName: job-\nspec:\n  ports: [{port: 80}]\n'
    const a = await api.post(base('c') + '/manifests').set('content-type', 'application/yaml').send(doc)
    const b = await api.post(base('c') + '/manifests').set('content-type', 'application/yaml').send(doc)
    assert.equal(a.status, 200, JSON.stringify(a.body))
    assert.match(a.body.results[0].name, /^job-[a-z0-9]{5}$/)
    assert.notEqual(a.body.results[0].name, b.body.results[0].name)
    assert.equal((await api.get(base('c') + '/namespaces/default/services')).body.items.length, 2)
  })
})
