import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultNode, defaultPod } from '../../src/cluster/defaults.ts'
import { deriveAllEndpointSlices, deriveEndpointSlices } from '../../src/cluster/endpoints.ts'
import type { Node, Pod, Service } from '../../src/cluster/model.ts'
import { svc } from './helpers.ts'

const nodes: Node[] = [defaultNode({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } }, spec: { podCIDR: '10.244.0.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.10' }] } })]

function pod (name: string, ip: string | undefined, opts: { labels?: Record<string, string>, ready?: boolean, phase?: string, deleting?: boolean, node?: string, ports?: Array<{ name?: string, containerPort: number, protocol?: string }>, ns?: string, hostname?: string, subdomain?: string } = {}): Pod {
  return defaultPod({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: opts.ns ?? 'default', uid: `uid-${name}`, labels: opts.labels ?? { app: 'web' }, ...(opts.deleting === true ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: opts.node ?? 'n1', hostname: opts.hostname, subdomain: opts.subdomain, containers: [{ name: 'c', ports: opts.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: opts.phase ?? 'Running', ...(ip === undefined ? {} : { podIP: ip }), conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] }
  } as never)
}

const web = (extra: Partial<Service['spec']> = {}) => svc({ ports: [{ name: 'http', port: 80, targetPort: 'http' }] as never, ...extra }, 'web', { uid: 'svc-uid-1', labels: { team: 'a' } })

test('slice shape, labels, owner reference, conditions and ordering', () => {
  const pods = [pod('b', '10.244.0.10'), pod('a', '10.244.0.9', { ready: false }), pod('t', '10.244.0.11', { deleting: true }), pod('h', '10.244.0.12', { hostname: 'h0', subdomain: 'web' })]
  const s = { ...web(), spec: { ...web().spec, clusterIP: '10.96.1.1', clusterIPs: ['10.96.1.1'] } }
  const [slice, ...rest] = deriveEndpointSlices(s, pods, nodes)
  assert.equal(rest.length, 0)
  assert.match(slice.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
  assert.equal(slice.metadata.generateName, 'web-')
  assert.deepEqual(slice.metadata.labels, { team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' })
  assert.deepEqual(slice.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid-1', controller: true, blockOwnerDeletion: true }])
  assert.equal(slice.addressType, 'IPv4')
  assert.deepEqual(slice.ports, [{ name: 'http', protocol: 'TCP', port: 8080 }])
  assert.deepEqual(slice.endpoints.map(e => [e.addresses[0], e.conditions]), [
    ['10.244.0.9', { ready: false, serving: false, terminating: false }],
    ['10.244.0.10', { ready: true, serving: true, terminating: false }],
    ['10.244.0.11', { ready: false, serving: true, terminating: true }],
    ['10.244.0.12', { ready: true, serving: true, terminating: false }]
  ])
  assert.deepEqual(slice.endpoints[1], { addresses: ['10.244.0.10'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1', zone: 'z1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } })
  assert.equal(slice.endpoints[3].hostname, 'h0')
  // deterministic
  assert.deepEqual(deriveEndpointSlices(s, [...pods].reverse(), nodes), [slice])
})

test('skipped pods: other phases, no IP, missing node, other namespace, label mismatch', () => {
  const pods = [
    pod('ok', '10.244.0.2'), pod('done', '10.244.0.3', { phase: 'Succeeded' }), pod('failed', '10.244.0.4', { phase: 'Failed' }),
    pod('noip', undefined), pod('lost', '10.244.0.5', { node: 'gone' }), pod('other', '10.244.0.6', { ns: 'kube-system' }), pod('db', '10.244.0.7', { labels: { app: 'db' } }),
    pod('pending', '10.244.0.8', { phase: 'Pending', ready: false })
  ]
  const [slice] = deriveEndpointSlices(web(), pods, nodes)
  assert.deepEqual(slice.endpoints.map(e => e.targetRef?.name), ['ok', 'pending'])
  const [pnra] = deriveEndpointSlices(web({ publishNotReadyAddresses: true }), pods, nodes)
  assert.deepEqual(pnra.endpoints.map(e => [e.targetRef?.name, e.conditions.ready]), [['ok', true], ['lost', true], ['pending', true]])
})

test('named targetPort resolves per pod; pods resolving differently land in different slices; unresolved ports are omitted', () => {
  const pods = [
    pod('p1', '10.244.0.2', { ports: [{ name: 'http', containerPort: 8080 }] }),
    pod('p2', '10.244.0.3', { ports: [{ name: 'http', containerPort: 9090 }] }),
    pod('p3', '10.244.0.4', { ports: [{ name: 'http', containerPort: 8080, protocol: 'UDP' }] })
  ]
  const slices = deriveEndpointSlices(web(), pods, nodes)
  const byPorts = new Map(slices.map(s => [JSON.stringify(s.ports), s.endpoints.map(e => e.targetRef?.name)]))
  assert.deepEqual(byPorts.get(JSON.stringify([{ name: 'http', protocol: 'TCP', port: 8080 }])), ['p1'])
  assert.deepEqual(byPorts.get(JSON.stringify([{ name: 'http', protocol: 'TCP', port: 9090 }])), ['p2'])
  assert.deepEqual(byPorts.get('null'), ['p3'])
  assert.equal(new Set(slices.map(s => s.metadata.name)).size, 3)
})

test('placeholder slice when nothing matches; no slices for ExternalName or selector-less services; headless label', () => {
  const [ph, ...none] = deriveEndpointSlices(web(), [], nodes)
  assert.equal(none.length, 0)
  assert.deepEqual(ph.endpoints, [])
  assert.equal(ph.ports, null)
  assert.deepEqual(deriveEndpointSlices(svc({ type: 'ExternalName', externalName: 'x.example' }), [pod('a', '10.244.0.2')], nodes), [])
  assert.deepEqual(deriveEndpointSlices(svc({ selector: undefined }), [pod('a', '10.244.0.2')], nodes), [])
  assert.deepEqual(deriveEndpointSlices(svc({ selector: {} }), [pod('a', '10.244.0.2')], nodes), [])
  const [h] = deriveEndpointSlices(svc({ clusterIP: 'None', clusterIPs: ['None'], ports: [] }, 'web'), [pod('a', '10.244.0.2')], nodes)
  assert.equal(h.metadata.labels?.['service.kubernetes.io/headless'], '')
  assert.equal(h.ports, null)
  assert.equal(h.endpoints.length, 1)
})

test('more than 100 endpoints are split into slices of at most 100', () => {
  const pods: Pod[] = []
  for (let i = 0; i < 250; i++) pods.push(pod(`p${i}`, `10.244.${Math.floor(i / 200)}.${(i % 200) + 2}`, { node: 'n1' }))
  const slices = deriveEndpointSlices(web(), pods, nodes)
  assert.deepEqual(slices.map(s => s.endpoints.length), [100, 100, 50])
  assert.equal(new Set(slices.map(s => s.metadata.name)).size, 3)
  assert.equal(slices[0].endpoints[0].addresses[0], '10.244.0.2')
})

test('deriveAllEndpointSlices: the same slices, in the same order, as deriveEndpointSlices per service over all pods', () => {
  const pods = [
    pod('a1', '10.244.0.20', { labels: { app: 'a', tier: 'x' } }),
    pod('a2', '10.244.0.21', { labels: { app: 'a', tier: 'y' } }),
    pod('a3', '10.244.0.22', { labels: { app: 'a', tier: 'x' }, ns: 'other' }),
    pod('b1', '10.244.0.23', { labels: { app: 'b' }, ready: false }),
    pod('n1', '10.244.0.24', { labels: {} }),
    pod('z1', '10.244.0.25', { labels: { app: 'a', tier: 'x' }, hostname: 'h', subdomain: 'ax' }),
    pod('gone', '10.244.0.26', { labels: { app: 'a' }, node: 'nowhere' })
  ]
  const services = [
    svc({ selector: { app: 'a' } }, 'all-a', { uid: 'u1' }),
    svc({ selector: { app: 'a', tier: 'x' } }, 'ax', { uid: 'u2' }),
    svc({ selector: { tier: 'x', app: 'a' } }, 'ax2', { uid: 'u3', namespace: 'other' }),
    svc({ selector: { app: 'b' } }, 'b', { uid: 'u4' }),
    svc({ selector: { app: 'missing' } }, 'none', { uid: 'u5' }),
    svc({ selector: { app: 'a', tier: 'nope' } }, 'none2', { uid: 'u6' }),
    svc({ selector: undefined }, 'manual', { uid: 'u7' }),
    svc({ type: 'ExternalName', externalName: 'x.example' }, 'ext', { uid: 'u8' }),
    svc({ selector: { app: 'a' }, publishNotReadyAddresses: true }, 'pnra', { uid: 'u9' })
  ]
  const all = deriveAllEndpointSlices(services, pods, nodes)
  const one = services.flatMap(s => deriveEndpointSlices(s, pods, nodes))
  assert.equal(JSON.stringify(all), JSON.stringify(one))
  assert.deepEqual(all.map(s => s.endpoints.map(e => e.targetRef?.name)), [['a1', 'a2', 'z1'], ['a1', 'z1'], ['a3'], ['b1'], [], [], ['a1', 'a2', 'z1', 'gone']])
  // key order as the API prints it, for the usual endpoint and for one with a hostname
  assert.deepEqual(Object.keys(all[0].endpoints[0]), ['addresses', 'conditions', 'nodeName', 'zone', 'targetRef'])
  assert.deepEqual(Object.keys(all[1].endpoints[1]), ['addresses', 'conditions', 'nodeName', 'zone', 'hostname', 'targetRef'])
})

test('endpoint conditions are shared, frozen objects', () => {
  const pods = [pod('a', '10.244.0.2'), pod('b', '10.244.0.3'), pod('c', '10.244.0.4', { ready: false })]
  const [slice] = deriveEndpointSlices(web(), pods, nodes)
  const [a, b, c] = slice.endpoints
  assert.equal(a.conditions, b.conditions)
  assert.notEqual(a.conditions, c.conditions)
  assert.ok(Object.isFrozen(a.conditions))
  assert.throws(() => { (a.conditions as { ready: boolean }).ready = false }, TypeError)
  assert.equal(JSON.stringify(c.conditions), '{"ready":false,"serving":false,"terminating":false}')
})
