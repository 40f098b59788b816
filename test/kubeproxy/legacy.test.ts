/** The legacy (≈ v1.12–v1.16) profile's shapes, §7.1 of the reference, per service case. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateNodeRules, servicePortChain, endpointChain, type GenerateInput } from '../../src/cluster/kubeproxy/index.ts'
import { caseInput, type CaseService, type CaseSlice } from './fixtures.ts'

function legacy (services: CaseService[], slices: CaseSlice[]): GenerateInput {
  const base = caseInput(services, slices)
  return { ...base, settings: { ...base.settings, kubeProxy: { ...base.settings.kubeProxy, profile: 'legacy' } }, options: { ...base.options, markStyle: 'kube-proxy' } }
}

const svc = (over: Partial<CaseService>): CaseService => ({
  namespace: 'ns1', name: 'svc1', type: 'ClusterIP', clusterIP: '172.30.0.41', externalIPs: [], loadBalancerIngress: [], loadBalancerSourceRanges: [],
  externalTrafficPolicy: '', internalTrafficPolicy: null, healthCheckNodePort: 0, sessionAffinity: '', sessionAffinityTimeoutSeconds: null,
  ports: [{ name: '', port: 80, protocol: 'TCP', nodePort: 0 }], ...over
})
const slice = (eps: Array<[string, string | null]>): CaseSlice => ({
  namespace: 'ns1', serviceName: 'svc1', name: 'svc1-1', addressType: 'IPv4',
  endpoints: eps.map(([ip, node]) => ({ addresses: [ip], nodeName: node, conditions: { ready: null, serving: null, terminating: null } })),
  ports: [{ name: '', port: 80, protocol: 'TCP' }]
})
const lines = (input: GenerateInput, chain: string): string[] => generateNodeRules(input).rules.filter(r => r.chain === chain).map(r => r.text)

const SVC = servicePortChain('SVC', 'ns1/svc1:', 'tcp')
const XLB = servicePortChain('XLB', 'ns1/svc1:', 'tcp')
const FW = servicePortChain('FW', 'ns1/svc1:', 'tcp')
const SEP1 = endpointChain('ns1/svc1:', 'tcp', '10.180.0.1:80')
const SEP2 = endpointChain('ns1/svc1:', 'tcp', '10.180.0.2:80')

test('legacy clusterIP: masquerade rule then jump in KUBE-SERVICES, /32 addresses, %0.5f ladder, bare comments', () => {
  const input = legacy([svc({})], [slice([['10.180.0.2', null], ['10.180.0.1', null]])])
  assert.deepEqual(lines(input, 'KUBE-SERVICES'), [
    '-A KUBE-SERVICES -m comment --comment "ns1/svc1: cluster IP" -m tcp -p tcp -d 172.30.0.41/32 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
    `-A KUBE-SERVICES -m comment --comment "ns1/svc1: cluster IP" -m tcp -p tcp -d 172.30.0.41/32 --dport 80 -j ${SVC}`,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS'
  ])
  assert.deepEqual(lines(input, SVC), [
    `-A ${SVC} -m comment --comment ns1/svc1: -m statistic --mode random --probability 0.50000 -j ${SEP1}`,
    `-A ${SVC} -m comment --comment ns1/svc1: -j ${SEP2}`
  ])
  assert.deepEqual(lines(input, SEP1), [
    `-A ${SEP1} -m comment --comment ns1/svc1: -s 10.180.0.1/32 -j KUBE-MARK-MASQ`,
    `-A ${SEP1} -m comment --comment ns1/svc1: -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`
  ])
  assert.deepEqual(lines(input, 'KUBE-POSTROUTING'), ['-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -m mark --mark 0x00004000/0x00004000 -j MASQUERADE'])
})

test('legacy no endpoints: REJECT for cluster IP, external IPs and node ports in filter', () => {
  const input = legacy([svc({ type: 'NodePort', externalIPs: ['192.168.99.22'], ports: [{ name: '', port: 80, protocol: 'TCP', nodePort: 3001 }] })], [])
  const f = generateNodeRules(input).rules.filter(r => r.table === 'filter' && r.text.includes('REJECT')).map(r => r.text)
  assert.deepEqual(f, [
    '-A KUBE-SERVICES -m comment --comment "ns1/svc1: has no endpoints" -m tcp -p tcp -d 172.30.0.41/32 --dport 80 -j REJECT',
    '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1: has no endpoints" -m tcp -p tcp -d 192.168.99.22/32 --dport 80 -j REJECT',
    '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1: has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j REJECT'
  ])
})

test('legacy externalIP: masquerade, physdev/addrtype pair to the service chain', () => {
  const input = legacy([svc({ externalIPs: ['192.168.99.22'] })], [slice([['10.180.0.1', null]])])
  const ext = lines(input, 'KUBE-SERVICES').filter(l => l.includes('external IP'))
  const a = '-A KUBE-SERVICES -m comment --comment "ns1/svc1: external IP" -m tcp -p tcp -d 192.168.99.22/32 --dport 80'
  assert.deepEqual(ext, [
    `${a} -j KUBE-MARK-MASQ`,
    `${a} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ${SVC}`,
    `${a} -m addrtype --dst-type LOCAL -j ${SVC}`
  ])
})

test('legacy LoadBalancer with source ranges: KUBE-FW with masquerade, ranges, node-IP allowance and KUBE-MARK-DROP', () => {
  const input = legacy([svc({ type: 'LoadBalancer', loadBalancerIngress: [{ ip: '1.2.3.4' }], loadBalancerSourceRanges: ['192.168.0.0/24', '203.0.113.0/25'], ports: [{ name: '', port: 80, protocol: 'TCP', nodePort: 3001 }] })], [slice([['10.180.0.1', null]])])
  const c = '-m comment --comment "ns1/svc1: loadbalancer IP"'
  assert.deepEqual(lines(input, FW), [
    `-A ${FW} ${c} -j KUBE-MARK-MASQ`,
    `-A ${FW} ${c} -s 192.168.0.0/24 -j ${SVC}`,
    `-A ${FW} ${c} -s 203.0.113.0/25 -j ${SVC}`,
    `-A ${FW} ${c} -s 1.2.3.4/32 -j ${SVC}`,
    `-A ${FW} ${c} -j KUBE-MARK-DROP`
  ])
  assert.ok(lines(input, 'KUBE-SERVICES').includes(`-A KUBE-SERVICES ${c} -m tcp -p tcp -d 1.2.3.4/32 --dport 80 -j ${FW}`))
  assert.deepEqual(lines(input, 'KUBE-NODEPORTS'), [
    '-A KUBE-NODEPORTS -m comment --comment ns1/svc1: -m tcp -p tcp --dport 3001 -j KUBE-MARK-MASQ',
    `-A KUBE-NODEPORTS -m comment --comment ns1/svc1: -m tcp -p tcp --dport 3001 -j ${SVC}`
  ])
})

test('legacy externalTrafficPolicy Local: KUBE-XLB with pod redirect, local balancing, loopback masquerade on the node port', () => {
  const input = legacy([svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: '', port: 80, protocol: 'TCP', nodePort: 3001 }] })],
    [slice([['10.180.0.1', 'test-node'], ['10.180.0.2', 'other']])])
  assert.deepEqual(lines(input, XLB), [
    `-A ${XLB} -m comment --comment "Redirect pods trying to reach external loadbalancer VIP to clusterIP" -s 10.0.0.0/8 -j ${SVC}`,
    `-A ${XLB} -m comment --comment "Balancing rule 0 for ns1/svc1:" -j ${SEP1}`
  ])
  assert.deepEqual(lines(input, 'KUBE-NODEPORTS'), [
    '-A KUBE-NODEPORTS -m comment --comment ns1/svc1: -m tcp -p tcp --dport 3001 -s 127.0.0.0/8 -j KUBE-MARK-MASQ',
    `-A KUBE-NODEPORTS -m comment --comment ns1/svc1: -m tcp -p tcp --dport 3001 -j ${XLB}`
  ])
  // no local endpoint → drop mark
  const none = legacy([svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: '', port: 80, protocol: 'TCP', nodePort: 3001 }] })], [slice([['10.180.0.2', 'other']])])
  assert.ok(lines(none, XLB).includes(`-A ${XLB} -m comment --comment "ns1/svc1: has no local endpoints" -j KUBE-MARK-DROP`))
})

test('legacy ClientIP affinity: recent rcheck per endpoint, then the ladder; recent --set before DNAT', () => {
  const input = legacy([svc({ sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 10800 })], [slice([['10.180.0.1', null]])])
  assert.deepEqual(lines(input, SVC), [
    `-A ${SVC} -m comment --comment ns1/svc1: -m recent --name ${SEP1} --rcheck --seconds 10800 --reap -j ${SEP1}`,
    `-A ${SVC} -m comment --comment ns1/svc1: -j ${SEP1}`
  ])
  assert.ok(lines(input, SEP1).includes(`-A ${SEP1} -m comment --comment ns1/svc1: -m recent --name ${SEP1} --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80`))
})

test('legacy skeleton: kubelet KUBE-MARK-DROP / KUBE-FIREWALL, jump rules in the order of real v1.12 dumps, no canaries', () => {
  const nr = generateNodeRules(legacy([], []))
  assert.deepEqual(nr.static.rules.filter(r => r.table === 'filter' && ['INPUT', 'OUTPUT', 'FORWARD'].includes(r.chain)).map(r => r.text), [
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A INPUT -j KUBE-FIREWALL',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -j KUBE-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD'
  ])
  assert.ok(!nr.static.chains.some(c => c.chain.includes('CANARY')))
  assert.deepEqual(nr.static.chains.map(c => `${c.table}/${c.chain}`).sort(), ['filter/KUBE-FIREWALL', 'nat/KUBE-MARK-DROP'])
})
