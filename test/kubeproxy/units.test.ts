import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  hash16, servicePortChain, endpointChain, probability, kernelProbability, parseIP, parseCIDR, joinHostPort,
  servicePortString, endpointsFor, categorize, servicePorts, goMark
} from '../../src/cluster/kubeproxy/index.ts'
import type { EndpointSlice, Service } from '../../src/cluster/model.ts'
import { loadCases } from './fixtures.ts'

test('hash16: sha256 → base32 → 16 chars, kube-proxy chain names', () => {
  assert.equal(hash16('default/k8s-nginx-node:tcp'), 'RD5DSC6PXE26GCYZ')
  assert.equal(servicePortChain('SVC', 'default/k8s-nginx-node:', 'TCP'), 'KUBE-SVC-RD5DSC6PXE26GCYZ')
  assert.equal(servicePortChain('SVC', 'default/k8s-nginx-node', 'tcp'), 'KUBE-SVC-HARQZ6CCS76PYYN7')
  assert.equal(servicePortChain('SVC', 'default/kubernetes:https', 'tcp'), 'KUBE-SVC-NPX46M4PTMTKRN6Y')
  assert.equal(servicePortChain('SVC', 'ns1/svc1:p80', 'tcp'), 'KUBE-SVC-XPGD46QRK7WJZT7O')
  assert.equal(servicePortChain('FW', 'ns1/svc1:p80', 'tcp'), 'KUBE-FW-XPGD46QRK7WJZT7O')
  assert.equal(endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.1:80'), 'KUBE-SEP-SXIVWICOYRO3J4NJ')
  assert.equal(servicePortChain('SVC', 'ns2/svc2:p8080', 'tcp'), 'KUBE-SVC-2VJB64SDSIJUP5T6')
  assert.match(hash16(''), /^[A-Z2-7]{16}$/)
})

test('service port strings per era', () => {
  assert.equal(servicePortString('default', 'web', '', 'legacy'), 'default/web:')
  assert.equal(servicePortString('default', 'web', '', 'current'), 'default/web')
  assert.equal(servicePortString('default', 'web', 'http', 'current'), 'default/web:http')
})

test('probabilities: %0.10f table of the conformance file, %0.5f legacy, Go tie-to-even, kernel printing', () => {
  for (const [n, s] of Object.entries(loadCases().probabilityTable)) assert.equal(probability(Number(n), 10), s)
  assert.equal(probability(3, 10), '0.3333333333')
  assert.equal(probability(3, 5), '0.33333')
  assert.equal(probability(2048, 10), '0.0004882812')
  assert.equal(probability(64, 5), '0.01562')
  assert.equal(kernelProbability('0.33333'), '0.33332999982')
  assert.equal(kernelProbability('0.3333333333'), '0.33333333349')
  assert.equal(kernelProbability('0.5000000000'), '0.50000000000')
  assert.equal(kernelProbability('0.2000000000'), '0.20000000019')
})

test('IP parsing: sloppy IPv4, canonical IPv6, CIDR network form, JoinHostPort', () => {
  assert.equal(parseIP('10.180.00.001')?.canonical, '10.180.0.1')
  assert.equal(parseIP('fd00:10:180:0:0:0:2:1')?.canonical, 'fd00:10:180::2:1')
  assert.equal(parseIP('2001:db8:0:0:1:0:0:1')?.canonical, '2001:db8::1:0:0:1')
  assert.equal(parseIP('::ffff:10.0.0.1')?.family, 'IPv4')
  assert.equal(parseIP('256.1.1.1'), null)
  assert.equal(parseCIDR(' 203.0.113.000/025')?.canonical, '203.0.113.0/25')
  assert.equal(parseCIDR('10.1.2.3/8')?.canonical, '10.0.0.0/8')
  assert.equal(joinHostPort('fd00::1', 80), '[fd00::1]:80')
  assert.equal(goMark(0x4000), '0x00004000')
})

const svc = (over: Partial<Service['spec']> = {}): Service => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n' },
  spec: { type: 'ClusterIP', clusterIP: '172.30.0.1', ports: [{ name: 'p', protocol: 'TCP', port: 80, targetPort: 80 }], sessionAffinity: 'None', ...over },
  status: { loadBalancer: {} }
})

test('endpoints: dedup, plain string order, ready/serving/terminating, local', () => {
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { name: 'a', namespace: 'n', labels: { 'kubernetes.io/service-name': 's' } },
    endpoints: [
      { addresses: ['10.1.1.1'], conditions: {}, nodeName: 'me' },
      { addresses: ['10.1.1.11'], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ['10.1.1.2'], conditions: { ready: false, serving: false, terminating: true } },
      { addresses: ['10.1.1.1'], conditions: { ready: false, terminating: true } }
    ],
    ports: [{ name: 'p', protocol: 'TCP', port: 11 }]
  }
  const [sp] = servicePorts(svc(), { profile: 'current', family: 'IPv4', lbIPModeEnabled: true })
  const eps = endpointsFor(sp, [slice], 'IPv4', 'me')
  assert.deepEqual(eps.map(e => e.str), ['10.1.1.11:11', '10.1.1.1:11', '10.1.1.2:11'])
  assert.equal(eps[1].ready, true, 'a later terminating duplicate does not replace')
  assert.equal(eps[1].isLocal, true)
  const c = categorize(sp, eps)
  assert.deepEqual(c.cluster.map(e => e.str), ['10.1.1.1:11'])
  // no ready endpoint → serving+terminating fallback; not-serving never used
  const c2 = categorize(sp, eps.filter(e => !e.ready))
  assert.deepEqual(c2.cluster.map(e => e.str), ['10.1.1.11:11'])
  // ITP Local: local list only
  const [spl] = servicePorts(svc({ internalTrafficPolicy: 'Local' }), { profile: 'current', family: 'IPv4', lbIPModeEnabled: true })
  const c3 = categorize(spl, eps)
  assert.deepEqual(c3.local.map(e => e.str), ['10.1.1.1:11'])
  assert.deepEqual(c3.cluster, [])
})

test('service model: ETP Local only for externally reachable types; health check only for LB; ipMode Proxy skipped', () => {
  const opts = { profile: 'current' as const, family: 'IPv4' as const, lbIPModeEnabled: true }
  assert.equal(servicePorts(svc({ externalTrafficPolicy: 'Local' }), opts)[0].externalPolicyLocal, false)
  assert.equal(servicePorts(svc({ type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 30000 }), opts)[0].healthCheckNodePort, 0)
  const lb = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30000 })
  lb.status.loadBalancer.ingress = [{ ip: '1.2.3.4', ipMode: 'Proxy' }, { ip: '1.2.3.5' }]
  const [sp] = servicePorts(lb, opts)
  assert.equal(sp.healthCheckNodePort, 30000)
  assert.deepEqual(sp.lbIPs, ['1.2.3.5'])
  assert.deepEqual(sp.lbIPIdx, [1])
  assert.deepEqual(servicePorts(lb, { ...opts, lbIPModeEnabled: false })[0].lbIPs, ['1.2.3.4', '1.2.3.5'])
  assert.deepEqual(servicePorts(svc({ clusterIP: 'None' }), opts), [])
  assert.deepEqual(servicePorts(svc({ type: 'ExternalName', externalName: 'x.example' }), opts), [])
})
