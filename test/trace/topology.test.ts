/**
 * The cluster network model: each node is an engine host (eth0 with the node IP, cni0 with the
 * pod-CIDR gateway, lo), routed host-gateway style, with ip_forward and route_localnet on; the
 * address book says who owns an address. Checked with the engine's own routing functions.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { routeInput, routeOutput, addrType, parseIPv4 } from '../../src/netfilter/index.ts'
import { buildClusterNet, describeAddress, knownDestination, nodeForAddress, podAt } from '../../src/cluster/trace/topology.ts'
import type { ClusterSettings, Node, Pod } from '../../src/cluster/model.ts'

const settings: ClusterSettings = {
  name: 't',
  serviceCIDR: '10.96.0.0/12',
  clusterCIDR: '10.244.0.0/16',
  nodePortRange: { min: 30000, max: 32767 },
  kubeProxy: { profile: 'current', masqueradeAll: false, nodePortAddresses: [], localhostNodePorts: true, masqueradeBit: 14 }
}
const node = (name: string, ip: string, cidr: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR: cidr }, status: { addresses: [{ type: 'InternalIP', address: ip }] } })
const pod = (name: string, nodeName: string, ip: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, containers: [{ name: 'c' }] }, status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] } })

const net = buildClusterNet({
  settings,
  // the second node sits in another /24: reached by a host route on eth0
  nodes: [node('b', '172.16.5.9', '10.244.2.0/24'), node('a', '192.168.0.11', '10.244.1.0/24')],
  pods: [pod('p1', 'a', '10.244.1.10'), pod('p2', 'b', '10.244.2.10')],
  services: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [], sessionAffinity: 'None' }, status: { loadBalancer: {} } }]
})
const ip = (s: string): number => parseIPv4(s) as number

test('nodes are hosts with eth0, cni0 (.1 of the pod CIDR) and lo, forwarding on', () => {
  assert.deepEqual(net.nodeNames, ['a', 'b'])
  const a = net.nodes.get('a')!
  assert.equal(a.gateway, '10.244.1.1')
  assert.equal(a.host.ipForward, true)
  assert.equal(a.host.routeLocalnet, true)
  assert.equal(addrType(a.host, ip('192.168.0.11')), 'LOCAL')
  assert.equal(addrType(a.host, ip('10.244.1.1')), 'LOCAL')
  assert.equal(addrType(a.host, ip('127.0.0.1')), 'LOCAL')
  assert.equal(addrType(a.host, ip('10.244.1.10')), 'UNICAST')
})

test('host-gateway routing: own pod CIDR on cni0, other pod CIDRs via the node IPs, default out of eth0', () => {
  const a = net.nodes.get('a')!.host
  assert.deepEqual(routeInput(a, ip('203.0.113.2'), ip('10.244.1.10'), 'eth0'), { kind: 'forward', dev: 'cni0', gateway: 0 })
  assert.deepEqual(routeInput(a, ip('10.244.1.10'), ip('10.244.2.10'), 'cni0'), { kind: 'forward', dev: 'eth0', gateway: ip('172.16.5.9') })
  const out = routeOutput(a, 0, ip('10.96.0.10'))
  assert.equal(out.kind, 'ok')
  if (out.kind === 'ok') {
    assert.equal(out.dev, 'eth0')
    assert.equal(out.src, ip('192.168.0.11'))
    assert.equal(out.gateway, ip('192.168.0.1'), 'a cluster IP follows the default route')
  }
  assert.deepEqual(routeInput(a, ip('10.244.1.10'), ip('172.16.5.9'), 'cni0'), { kind: 'forward', dev: 'eth0', gateway: 0 })
})

test('the address book', () => {
  assert.equal(podAt(net, '10.244.2.10')?.key, 'default/p2')
  assert.equal(nodeForAddress(net, '10.244.2.10'), 'b')
  assert.equal(nodeForAddress(net, '10.244.2.99'), 'b', 'an unused pod-CIDR address still routes to its node')
  assert.equal(nodeForAddress(net, '10.96.0.10'), undefined)
  assert.equal(describeAddress(net, '10.96.0.10'), 'cluster IP of default/s')
  assert.equal(describeAddress(net, '10.244.1.1'), 'cni0 gateway of a')
  assert.ok(knownDestination(net, '10.96.0.77'), 'inside the service CIDR')
  assert.ok(knownDestination(net, '127.0.0.1'))
  assert.ok(!knownDestination(net, '8.8.8.8'))
})
