import { test } from 'node:test'
import assert from 'node:assert/strict'
import { clusterIPBandOffset, nodePortBandOffset, planAllocation, randomScanWithOffset, type AllocationInput } from '../../src/cluster/allocation.ts'
import { defaultClusterSettings, defaultService } from '../../src/cluster/defaults.ts'
import { StatusError } from '../../src/cluster/errors.ts'
import { parseCIDR } from '../../src/cluster/ip.ts'
import type { Service } from '../../src/cluster/model.ts'
import { validateService, validateServiceUpdate } from '../../src/cluster/validation/service.ts'
import { settings, svc, seq } from './helpers.ts'

function plan (p: Partial<AllocationInput> & { svc: Service }) {
  return planAllocation({ settings, usedNodePorts: new Set(), usedClusterIPs: new Set(), random: seq(0), ...p })
}

function thrown (fn: () => unknown): StatusError {
  try { fn() } catch (e) { if (e instanceof StatusError) return e; throw e }
  assert.fail('expected a StatusError')
}

test('band sizes follow KEP-3070 and KEP-3668', () => {
  assert.equal(nodePortBandOffset(2768), 86)
  assert.equal(nodePortBandOffset(12768), 128)
  assert.equal(nodePortBandOffset(16), 0)
  assert.equal(nodePortBandOffset(100), 16)
  const cases: Array<[string, number]> = [['10.96.0.0/12', 256], ['10.0.0.0/16', 256], ['10.0.0.0/22', 64], ['10.0.0.0/24', 16], ['10.0.0.0/26', 16], ['10.0.0.0/28', 0]]
  for (const [c, want] of cases) assert.equal(clusterIPBandOffset(parseCIDR(c)!), want, c)
})

test('random scan: upper band from a random start with wrap, then lower band', () => {
  const free = (taken: number[]) => (i: number) => !taken.includes(i)
  assert.equal(randomScanWithOffset(10, 4, free([]), seq(0)), 4)
  assert.equal(randomScanWithOffset(10, 4, free([9]), seq(0.99)), 4) // start at 9 (taken), wraps to 4
  assert.equal(randomScanWithOffset(10, 4, free([4, 5, 6, 7, 8, 9]), seq(0, 0.5)), 2)
  assert.equal(randomScanWithOffset(10, 4, free([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), seq(0)), -1)
})

test('NodePort create: dynamic pick comes from the dynamic band 30086-32767 first', () => {
  const p = plan({ svc: svc({ type: 'NodePort' }), random: seq(0, 0) })
  assert.equal(p.svc.spec.ports[0].nodePort, 30086)
  assert.equal(p.svc.spec.clusterIP, '10.96.1.1') // first of the dynamic ClusterIP band
  assert.deepEqual(p.svc.spec.clusterIPs, ['10.96.1.1'])
  assert.deepEqual(p.svc.spec.ipFamilies, ['IPv4'])
  assert.equal(p.svc.spec.ipFamilyPolicy, 'SingleStack')
  assert.deepEqual(p.nodePorts, [{ port: 30086, protocols: ['TCP'], field: 'spec.ports[0].nodePort' }])
  assert.deepEqual(p.clusterIPs, ['10.96.1.1'])
  const hi = plan({ svc: svc({ type: 'NodePort' }), random: seq(1 - 1e-12, 1 - 1e-12) })
  assert.equal(hi.svc.spec.ports[0].nodePort, 32767)
  assert.equal(hi.svc.spec.clusterIP, '10.111.255.254')
})

test('dynamic band full → static band; both full → 500 range is full', () => {
  const small = defaultClusterSettings({ name: 's', nodePortRange: { min: 30000, max: 30099 } }) // size 100 → offset 16
  const used = new Set<number>()
  for (let p = 30016; p <= 30099; p++) used.add(p)
  const p = planAllocation({ svc: svc({ type: 'NodePort' }), settings: small, usedNodePorts: used, usedClusterIPs: new Set(), random: seq(0.5, 0.5) })
  assert.equal(p.svc.spec.ports[0].nodePort, 30008)
  for (let q = 30000; q < 30016; q++) used.add(q)
  const e = thrown(() => planAllocation({ svc: svc({ type: 'NodePort' }), settings: small, usedNodePorts: used, usedClusterIPs: new Set(), random: seq(0.5) }))
  assert.equal(e.code, 500)
  assert.equal(e.message, 'Internal error occurred: failed to allocate a nodePort: range is full')
})

test('requested nodePort: in use → 422 already allocated; out of range → 422 with the range', () => {
  const e = thrown(() => plan({ svc: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 } as never] }, 'web-dup'), usedNodePorts: new Set([30080]) }))
  assert.equal(e.code, 422)
  assert.equal(e.message, 'Service "web-dup" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated')
  assert.deepEqual(e.status.details?.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 30080: provided port is already allocated', field: 'spec.ports[0].nodePort' }])
  const r = thrown(() => plan({ svc: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 } as never] }, 'nginx') }))
  assert.equal(r.message, 'Service "nginx" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767')
})

test('allocation comes before validation: a bad nodePort beats a bad name', () => {
  const bad = svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 } as never] }, 'Bad_Name')
  const e = thrown(() => plan({ svc: bad, usedNodePorts: new Set([30080]) }))
  assert.match(e.message, /provided port is already allocated/)
  assert.doesNotMatch(e.message, /metadata\.name/)
})

test('TCP and UDP of one port number share a nodePort; different numbers asking the same one collide in the allocator', () => {
  const dns = svc({ type: 'NodePort', ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] as never })
  const p = plan({ svc: dns, random: seq(0.25) })
  assert.equal(p.svc.spec.ports[0].nodePort, p.svc.spec.ports[1].nodePort)
  assert.deepEqual(p.nodePorts, [{ port: p.svc.spec.ports[0].nodePort, protocols: ['TCP', 'UDP'], field: 'spec.ports[0].nodePort' }])
  assert.deepEqual(validateService(p.svc, settings), [])
  const req = svc({ type: 'NodePort', ports: [{ name: 'a', port: 53, protocol: 'TCP' }, { name: 'b', port: 53, protocol: 'UDP', nodePort: 30053 }] as never })
  const q = plan({ svc: req })
  assert.deepEqual(q.svc.spec.ports.map(x => x.nodePort), [30053, 30053])
  const clash = svc({ type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 81, nodePort: 30080 }] as never })
  const e = thrown(() => plan({ svc: clash }))
  assert.equal(e.message, 'Service "web" is invalid: spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated')
})

test('LoadBalancer: allocateLoadBalancerNodePorts=false allocates only requested ports; Local gets a healthCheckNodePort', () => {
  const lb = svc({ type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 31000 }] as never })
  const p = plan({ svc: lb })
  assert.equal(p.svc.spec.ports[0].nodePort, undefined)
  assert.equal(p.svc.spec.ports[1].nodePort, 31000)
  assert.deepEqual(p.nodePorts.map(n => n.port), [31000])
  const local = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' })
  const q = plan({ svc: local, random: seq(0, 0, 0) })
  assert.equal(q.svc.spec.ports[0].nodePort, 30086)
  assert.equal(q.svc.spec.healthCheckNodePort, 30087)
  assert.deepEqual(q.nodePorts.map(n => [n.port, n.field]), [[30086, 'spec.ports[0].nodePort'], [30087, 'spec.healthCheckNodePort']])
  assert.deepEqual(validateService(q.svc, settings), [])
  const taken = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30081 })
  const e = thrown(() => plan({ svc: taken, usedNodePorts: new Set([30081]) }))
  assert.equal(e.code, 500)
  assert.equal(e.message, 'Internal error occurred: failed to allocate requested HealthCheck NodePort 30081: provided port is already allocated')
})

test('ClusterIP: requested IP in use / outside / network address; headless and ExternalName get none', () => {
  const used = thrown(() => plan({ svc: svc({ clusterIP: '10.96.0.42' }, 'gw'), usedClusterIPs: new Set(['10.96.0.42']) }))
  assert.equal(used.message, 'Service "gw" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.42"]: failed to allocate IP 10.96.0.42: provided IP is already allocated')
  const out = thrown(() => plan({ svc: svc({ clusterIP: '10.0.0.5' }) }))
  assert.match(out.message, /failed to allocate IP 10\.0\.0\.5: the provided network does not match the current range$/)
  const net = thrown(() => plan({ svc: svc({ clusterIP: '10.96.0.0' }) }))
  assert.match(net.message, /the provided IP \(10\.96\.0\.0\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12$/)
  const bcast = thrown(() => plan({ svc: svc({ clusterIP: '10.111.255.255' }) }))
  assert.match(bcast.message, /not in the valid range/)
  const ok = plan({ svc: svc({ clusterIP: '10.98.128.179', type: 'NodePort', ports: [{ port: 80, nodePort: 30136 }] as never }, 'k8s-nginx-node') })
  assert.deepEqual(ok.svc.spec.clusterIPs, ['10.98.128.179'])
  assert.deepEqual(ok.allocatedClusterIPs, ['10.98.128.179'])
  const headless = plan({ svc: svc({ clusterIP: 'None' }) })
  assert.deepEqual(headless.clusterIPs, [])
  assert.deepEqual(headless.svc.spec.clusterIPs, ['None'])
  const selectorless = plan({ svc: svc({ clusterIP: 'None', selector: undefined }) })
  assert.equal(selectorless.svc.spec.ipFamilyPolicy, 'RequireDualStack')
  assert.deepEqual(selectorless.svc.spec.ipFamilies, ['IPv4', 'IPv6'])
  const ext = plan({ svc: svc({ type: 'ExternalName', externalName: 'example.com' }) })
  assert.deepEqual(ext.clusterIPs, [])
  assert.equal(ext.svc.spec.clusterIP, undefined)
  const bad = thrown(() => plan({ svc: svc({ clusterIP: '10.96.0.300' }) }))
  assert.equal(bad.message, 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')
  const v6 = thrown(() => plan({ svc: svc({ clusterIP: 'fd00::1' }) }))
  assert.equal(v6.message, 'Service "web" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster')
  const dual = thrown(() => plan({ svc: svc({ ipFamilyPolicy: 'RequireDualStack' }) }))
  assert.equal(dual.message, 'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services')
})

test('ClusterIP dynamic choice avoids network/broadcast and uses the static band when the dynamic one is full', () => {
  const s24 = defaultClusterSettings({ name: 's', serviceCIDR: '10.0.0.0/24' }) // usable .1-.254, static .1-.16
  const used = new Set<string>()
  for (let i = 17; i <= 254; i++) used.add(`10.0.0.${i}`)
  const p = planAllocation({ svc: svc({}), settings: s24, usedNodePorts: new Set(), usedClusterIPs: used, random: seq(0, 0) })
  assert.equal(p.svc.spec.clusterIP, '10.0.0.1')
  for (let i = 1; i <= 16; i++) used.add(`10.0.0.${i}`)
  const e = thrown(() => planAllocation({ svc: svc({}), settings: s24, usedNodePorts: new Set(), usedClusterIPs: used, random: seq(0) }))
  assert.equal(e.code, 500)
  assert.equal(e.message, 'Internal error occurred: failed to allocate a serviceIP: range is full')
})

test('update keeps allocations refilled from the old object and releases what is gone', () => {
  const created = plan({ svc: svc({ type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] as never }), random: seq(0.1, 0.2, 0.3) })
  const old = created.svc
  const used = new Set(created.nodePorts.map(n => n.port))
  const ips = new Set(created.clusterIPs)
  // re-apply the original manifest (no clusterIP, no nodePorts)
  const again = plan({ svc: svc({ type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] as never }), old, usedNodePorts: used, usedClusterIPs: ips })
  assert.deepEqual(again.svc.spec.ports.map(p => p.nodePort), old.spec.ports.map(p => p.nodePort))
  assert.equal(again.svc.spec.clusterIP, old.spec.clusterIP)
  assert.deepEqual(again.allocatedNodePorts, [])
  assert.deepEqual(again.releasedNodePorts, [])
  assert.deepEqual(validateServiceUpdate(old, again.svc, settings), [])
  // drop one port: its nodePort is released
  const drop = plan({ svc: svc({ type: 'NodePort', ports: [{ name: 'http', port: 80 }] as never }), old, usedNodePorts: used, usedClusterIPs: ips })
  assert.deepEqual(drop.releasedNodePorts, [old.spec.ports[1].nodePort])
  // changing the clusterIP is rejected by update validation
  const moved = plan({ svc: svc({ clusterIP: '10.96.5.5', type: 'NodePort', ports: [{ name: 'http', port: 80 }] as never }), old, usedNodePorts: used, usedClusterIPs: ips })
  assert.deepEqual(validateServiceUpdate(old, moved.svc, settings).map(e => `${e.field}: ${e.detail}`), ['spec.clusterIPs[0]: may not change once set'])
})

test('type change NodePort → ClusterIP clears and releases nodePorts; ClusterIP → NodePort adds them', () => {
  const created = plan({ svc: svc({ type: 'NodePort' }), random: seq(0.5, 0.5) })
  const old = created.svc
  const round = structuredClone(old) // what a client GETs and PUTs back with a new type
  round.spec.type = 'ClusterIP'
  const p = plan({ svc: defaultService(round), old, usedNodePorts: new Set(created.nodePorts.map(n => n.port)), usedClusterIPs: new Set(created.clusterIPs) })
  assert.equal(p.svc.spec.ports[0].nodePort, undefined)
  assert.equal(p.svc.spec.externalTrafficPolicy, undefined)
  assert.deepEqual(p.nodePorts, [])
  assert.deepEqual(p.releasedNodePorts, [old.spec.ports[0].nodePort])
  assert.equal(p.svc.spec.clusterIP, old.spec.clusterIP)
  assert.deepEqual(validateServiceUpdate(old, p.svc, settings), [])
  const back = structuredClone(p.svc)
  back.spec.type = 'NodePort'
  const q = plan({ svc: defaultService(back), old: p.svc, random: seq(0), usedClusterIPs: new Set(p.clusterIPs) })
  assert.equal(q.svc.spec.ports[0].nodePort, 30086)
  assert.deepEqual(q.allocatedNodePorts, [30086])
  assert.equal(q.svc.spec.externalTrafficPolicy, 'Cluster')
  // to ExternalName: VIP and nodePorts released, fields cleared
  const ext = structuredClone(old)
  ext.spec.type = 'ExternalName'
  ext.spec.externalName = 'example.com'
  const r = plan({ svc: defaultService(ext), old })
  assert.equal(r.svc.spec.clusterIP, undefined)
  assert.equal(r.svc.spec.ipFamilies, undefined)
  assert.deepEqual(r.releasedClusterIPs, old.spec.clusterIPs)
  assert.deepEqual(validateServiceUpdate(old, r.svc, settings), [])
  // ExternalName → ClusterIP allocates a new VIP
  const s = plan({ svc: svc({ type: 'ClusterIP' }), old: r.svc, random: seq(0) })
  assert.deepEqual(s.allocatedClusterIPs, ['10.96.1.1'])
})

test('LB Local → Cluster releases the healthCheckNodePort; changing it while Local is immutable', () => {
  const created = plan({ svc: svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' }), random: seq(0, 0) })
  const old = created.svc
  const toCluster = structuredClone(old)
  toCluster.spec.externalTrafficPolicy = 'Cluster'
  const p = plan({ svc: defaultService(toCluster), old, usedNodePorts: new Set(created.nodePorts.map(n => n.port)) })
  assert.equal(p.svc.spec.healthCheckNodePort, undefined)
  assert.deepEqual(p.releasedNodePorts, [old.spec.healthCheckNodePort])
  const changed = structuredClone(old)
  changed.spec.healthCheckNodePort = 31999
  const q = plan({ svc: defaultService(changed), old, usedNodePorts: new Set(created.nodePorts.map(n => n.port)) })
  assert.deepEqual(validateServiceUpdate(old, q.svc, settings).map(e => `${e.field}: ${e.type}: ${e.detail}`), ['spec.healthCheckNodePort: FieldValueForbidden: field is immutable'])
})

test('500 sequential auto-allocations give distinct ports and IPs quickly', () => {
  const ports = new Set<number>()
  const ips = new Set<string>()
  let r = 7
  const rnd = () => { r = (r * 1103515245 + 12345) % 2147483648; return r / 2147483648 }
  const t0 = performance.now()
  for (let i = 0; i < 500; i++) {
    const p = planAllocation({ svc: svc({ type: 'NodePort' }, `s${i}`), settings, usedNodePorts: ports, usedClusterIPs: ips, random: rnd })
    for (const n of p.nodePorts) { assert.ok(!ports.has(n.port)); ports.add(n.port) }
    for (const ip of p.clusterIPs) { assert.ok(!ips.has(ip)); ips.add(ip) }
  }
  assert.equal(ports.size, 500)
  assert.equal(ips.size, 500)
  assert.ok(performance.now() - t0 < 5000)
})
