/**
 * Conformance, part 1: every flow of kube-proxy-flow-cases.json traced through the generated rules
 * with a port of kube-proxy's own test tracer gives exactly the outcome kube-proxy's tests expect.
 * (The netfilter-engine run of the same flows is in flows-engine.test.ts.)
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateNodeRules, staticDump } from '../../src/cluster/kubeproxy/index.ts'
import { caseInput, loadCases, readConformance, TEST_NODE_IPS, type CaseService, type CaseSlice, type FlowCase } from './fixtures.ts'
import { loadTables, tracePacket, type FakeTables } from './kp-tracer.ts'

const cases = loadCases()

function tablesFor (c: FlowCase, services: CaseService[], slices: CaseSlice[]): FakeTables {
  const nr = generateNodeRules(caseInput(services, slices, c.proxierConfig))
  return loadTables(staticDump(nr.static), nr.restore)
}

let flowCount = 0
for (const c of cases.tests) {
  if (c.kind !== 'flows' && c.kind !== 'static-rules') continue
  const title = `${c.name}${c.subtest != null ? ` (${c.subtest})` : ''}`
  test(`${title}: kube-proxy tracer outcomes`, () => {
    const nodeIPs = c.tracerNodeIPs ?? TEST_NODE_IPS
    let services = c.services ?? []
    let slices = c.endpointSlices ?? []
    let tables = c.kind === 'static-rules' ? loadTables(readConformance(c.rulesFile!)) : tablesFor(c, services, slices)
    const check = (flows: FlowCase['flows']): void => {
      for (const f of flows ?? []) {
        const r = tracePacket(tables, f.sourceIP, f.protocol, f.destIP, f.destPort, nodeIPs)
        assert.deepEqual(r, { output: f.output, masq: f.masq }, `flow "${f.name}"`)
        flowCount++
      }
    }
    check(c.flows)
    for (const step of c.thenSteps ?? []) {
      if (step.action === 'deleteService') services = services.filter(s => `${s.namespace}/${s.name}` !== step.service)
      else slices = slices.filter(s => `${s.namespace}/${s.name}` !== step.endpointSlice)
      tables = tablesFor(c, services, slices)
      check(step.flows)
    }
    for (const a of c.chainAssertions ?? []) {
      const nr = generateNodeRules(caseInput(services, slices, c.proxierConfig))
      const lines = nr.rules.filter(r => r.table === a.table && r.chain === a.chain).map(r => r.text + '\n').join('')
      assert.equal(lines, a.expected, `${a.table} ${a.chain}`)
    }
  })
}

test('all 246 flows were checked', () => {
  assert.equal(flowCount, 246)
})
