import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultClusterSettings, defaultNode, defaultPod } from '../../src/cluster/defaults.ts'
import { fieldErrorMessage } from '../../src/cluster/errors.ts'
import type { ClusterSettings, Node, Pod } from '../../src/cluster/model.ts'
import { validateClusterSettings } from '../../src/cluster/validation/cluster.ts'
import { validateNode, validateNodeUpdate } from '../../src/cluster/validation/node.ts'
import { validatePod } from '../../src/cluster/validation/pod.ts'
import { settings } from './helpers.ts'

function node (name: string, ip: string | null, podCIDR?: string): Node {
  return defaultNode({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR === undefined ? {} : { podCIDR }, status: { addresses: ip === null ? [] : [{ type: 'InternalIP', address: ip }] } })
}

function pod (over: Partial<Pod['spec']> = {}, status: Partial<Pod['status']> = {}, name = 'nginx-1'): Pod {
  return defaultPod({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'nginx' } },
    spec: { nodeName: 'vortex-dev', containers: [{ name: 'nginx', image: 'nginx', ports: [{ name: 'http', containerPort: 80 } as never] }], ...over },
    status: { podIP: '10.244.0.113', ...status } as Pod['status']
  } as Pod)
}

const vortex = node('vortex-dev', '192.168.1.10', '10.244.0.0/24')
const msgs = (p: Pod, n?: Node) => validatePod(p, settings, n).map(fieldErrorMessage)

test('pods: valid seed pod; container port rules', () => {
  assert.deepEqual(msgs(pod(), vortex), [])
  const ports = pod({ containers: [{ name: 'c', ports: [
    { name: 'this-name-is-too-long', containerPort: 80, protocol: 'TCP' },
    { name: 'web', containerPort: 70000, protocol: 'TCP' },
    { name: 'web', containerPort: 81, protocol: 'HTTP' as never },
    { containerPort: 0, protocol: 'TCP' }
  ] }] })
  assert.deepEqual(msgs(ports, vortex), [
    'spec.containers[0].ports[0].name: Invalid value: "this-name-is-too-long": must be no more than 15 characters',
    'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.containers[0].ports[2].name: Duplicate value: "web"',
    'spec.containers[0].ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    'spec.containers[0].ports[3].containerPort: Required value'
  ])
  assert.deepEqual(msgs(pod({ containers: [] }), vortex), ['spec.containers: Required value'])
})

test('pods: phase enum, podIP syntax and podCIDR membership, hostNetwork takes the node IP', () => {
  assert.deepEqual(msgs(pod({}, { phase: 'Done' as never }), vortex), ['status.phase: Unsupported value: "Done": supported values: "Failed", "Pending", "Running", "Succeeded", "Unknown"'])
  assert.deepEqual(msgs(pod({}, { podIP: '10.244.0.0113' }), vortex), ['status.podIPs[0]: Invalid value: "10.244.0.0113": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'])
  assert.deepEqual(msgs(pod({}, { podIP: '10.244.1.5' }), vortex), ['status.podIPs[0]: Invalid value: "10.244.1.5": must be inside the podCIDR 10.244.0.0/24 of node "vortex-dev"'])
  assert.deepEqual(msgs(pod({}, { podIP: '10.1.1.5' })), ['status.podIPs[0]: Invalid value: "10.1.1.5": must be inside the cluster CIDR 10.244.0.0/16'])
  assert.deepEqual(msgs(pod({ hostNetwork: true }, { podIP: '192.168.1.10' }), vortex), [])
  assert.deepEqual(msgs(pod({ hostNetwork: true }, { podIP: '10.244.0.5' }), vortex), ['status.podIPs[0]: Invalid value: "10.244.0.5": must be an address of node "vortex-dev" (192.168.1.10) when `hostNetwork` is true'])
  assert.deepEqual(msgs(pod({}, {}, 'Bad_Pod'), vortex).length, 1)
})

test('nodes: InternalIP required and valid, podCIDR inside the cluster CIDR, immutable once set', () => {
  assert.deepEqual(validateNode(vortex, settings), [])
  assert.deepEqual(validateNode(node('n1', null), settings).map(fieldErrorMessage), ['status.addresses: Required value: an InternalIP address is required'])
  assert.deepEqual(validateNode(node('n1', '192.168.1.300'), settings).map(fieldErrorMessage), ['status.addresses[0].address: Invalid value: "192.168.1.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'])
  assert.deepEqual(validateNode(node('n1', '192.168.1.11', '10.0.0.0/24'), settings).map(fieldErrorMessage), ['spec.podCIDRs[0]: Invalid value: "10.0.0.0/24": must be inside the cluster CIDR 10.244.0.0/16'])
  assert.deepEqual(validateNode(node('n1', '192.168.1.11', '10.244.0.0/33'), settings).map(fieldErrorMessage), ['spec.podCIDRs[0]: Invalid value: "10.244.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'])
  const moved = node('vortex-dev', '192.168.1.10', '10.244.1.0/24')
  assert.deepEqual(validateNodeUpdate(vortex, moved, settings).map(fieldErrorMessage), ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'])
  assert.deepEqual(validateNodeUpdate(node('vortex-dev', '192.168.1.10'), vortex, settings), [])
})

test('cluster settings', () => {
  const s = (p: Omit<Partial<ClusterSettings>, 'kubeProxy'> & { kubeProxy?: Partial<ClusterSettings['kubeProxy']> }) =>
    validateClusterSettings({ ...defaultClusterSettings({ name: 'c1' }), ...p, kubeProxy: { ...defaultClusterSettings({ name: 'c1' }).kubeProxy, ...(p.kubeProxy ?? {}) } }).map(fieldErrorMessage)
  assert.deepEqual(s({}), [])
  assert.deepEqual(s({ serviceCIDR: '172.0.0.0/8' }), ['serviceCIDR: Invalid value: "172.0.0.0/8": specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12'])
  assert.deepEqual(s({ serviceCIDR: '10.96.0.1/12' }), ['serviceCIDR: Invalid value: "10.96.0.1/12": must be in canonical form ("10.96.0.0/12")'])
  assert.deepEqual(s({ clusterCIDR: '10.100.0.0/16' }), ['clusterCIDR: Invalid value: "10.100.0.0/16": must not overlap the service CIDR 10.96.0.0/12'])
  assert.deepEqual(s({ clusterCIDR: 'x' }), ['clusterCIDR: Invalid value: "x": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'])
  assert.deepEqual(s({ nodePortRange: { min: 32767, max: 30000 } }), ['nodePortRange: Invalid value: "32767-30000": the first port must not be greater than the last'])
  assert.deepEqual(s({ kubeProxy: { masqueradeBit: 32 } }), ['kubeProxy.masqueradeBit: Invalid value: 32: must be within the range [0, 31]'])
  assert.deepEqual(s({ kubeProxy: { profile: 'ancient' as never } }), ['kubeProxy.profile: Unsupported value: "ancient": supported values: "current", "legacy"'])
  assert.deepEqual(s({ name: 'Demo' }).length, 1)
})
