import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateNodeRules, sortIPTablesRules } from '../../src/cluster/kubeproxy/index.ts'
import { caseInput, loadCases, readConformance } from './fixtures.ts'

const cases = loadCases()

for (const c of cases.tests.filter(t => t.kind === 'full-ruleset')) {
  test(`${c.name}${c.subtest != null ? ` (${c.subtest})` : ''}: sorted ruleset matches ${c.expectedRulesFile} byte for byte`, () => {
    const nr = generateNodeRules(caseInput(c.services ?? [], c.endpointSlices ?? [], c.proxierConfig))
    const expected = readConformance(c.expectedRulesFile!)
    const actual = sortIPTablesRules(nr.restore)
    assert.equal(actual, expected)
  })
}

test('TestSortIPTablesRules: the sorter turns the input into the output byte for byte', () => {
  const input = readConformance('kube-proxy-TestSortIPTablesRules-input.txt')
  const output = readConformance('kube-proxy-TestSortIPTablesRules-output.txt')
  assert.notEqual(input, output)
  assert.equal(sortIPTablesRules(input), output)
})

const chainLines = (rules: Array<{ table: string, chain: string, text: string }>, table: string, chain: string): string =>
  rules.filter(r => r.table === table && r.chain === chain).map(r => r.text + '\n').join('')

test('TestDropInvalidRule: KUBE-FORWARD with/without nfacct, omitted INVALID drop when tcp_be_liberal', () => {
  const c = cases.tests.find(t => t.name === 'TestDropInvalidRule')!
  for (const k of c.cases!) {
    const nr = generateNodeRules(caseInput([], [], {}, { conntrackTCPLiberal: k.config.conntrackTCPLiberal, nfAcctCounters: k.config.nfAcctCounters }))
    assert.equal(chainLines(nr.rules, k.table, k.chain), k.expected, JSON.stringify(k.config))
  }
})

test('TestMasqueradeRule: KUBE-POSTROUTING with and without --random-fully', () => {
  const c = cases.tests.find(t => t.name === 'TestMasqueradeRule')!
  for (const k of c.cases!) {
    const nr = generateNodeRules(caseInput([], [], {}, { hasRandomFully: k.config.hasRandomFully }))
    assert.equal(chainLines(nr.rules, k.table, k.chain), k.expected, JSON.stringify(k.config))
  }
})

test('TestLoadBalancerIngressRouteTypeProxy: ipMode Proxy ingress IPs are skipped when the feature is on', () => {
  const c = cases.tests.find(t => t.name === 'TestLoadBalancerIngressRouteTypeProxy')!
  for (const k of c.cases!) {
    const svc = {
      namespace: 'ns1', name: 'svc1', type: 'LoadBalancer', clusterIP: k.clusterIP, externalIPs: [],
      loadBalancerIngress: [{ ip: k.lbIP, ipMode: k.ipMode }], loadBalancerSourceRanges: [], externalTrafficPolicy: '',
      internalTrafficPolicy: null, healthCheckNodePort: 0, sessionAffinity: '', sessionAffinityTimeoutSeconds: null,
      ports: [{ name: 'p80', port: 80, protocol: 'TCP' as const, nodePort: 3001 }]
    }
    const slice = {
      namespace: 'ns1', serviceName: 'svc1', name: 'svc1-1', addressType: 'IPv4' as const,
      endpoints: [{ addresses: ['10.180.0.1'], nodeName: null, conditions: { ready: null, serving: null, terminating: null } }],
      ports: [{ name: 'p80', port: 80, protocol: 'TCP' as const }]
    }
    const nr = generateNodeRules(caseInput([svc], [slice], {}, { ipModeEnabled: k.ipModeEnabled }))
    const has = nr.rules.some(r => r.table === 'nat' && r.chain === 'KUBE-SERVICES' && r.text.includes(` -d ${k.lbIP} `))
    assert.equal(has, k.expectRule, JSON.stringify(k))
  }
})
