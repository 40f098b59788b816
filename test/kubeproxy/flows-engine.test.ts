/**
 * Conformance, part 2: every IPv4 flow of kube-proxy-flow-cases.json run through the netfilter
 * engine (kernel semantics, `all` mode = every random branch) on the generated rules of a node shaped
 * like kube-proxy's fake test node. The engine's exact answer must agree with kube-proxy's tracer on
 * the set of reachable endpoints, REJECT / DROP / ACCEPT, and masquerade.
 *
 * Where the engine is more exact than kube-proxy's tracer:
 * - masquerade is asserted as the real thing: MASQUERADE applied in nat POSTROUTING (the tracer only
 *   notes a jump to KUBE-MARK-MASQ); the two agree on every flow.
 * - every random branch is enumerated with its kernel-quantised probability; the tracer just collects
 *   all endpoints of a statistic ladder. We assert the set of DNAT targets over all branches and that
 *   the branch probabilities sum to 1.
 * - localhost → NodePort flows cross the `-d 127.0.0.0/8 … -m nfacct` rule; nfacct only counts, and
 *   we also check those flows on the variant without nfacct counters (kube-proxy then omits that rule).
 * - IPv6 flows (TestNodePorts ipv6 subtests, 15 flows) are not run: the engine is IPv4-only; they are
 *   covered by the tracer-port test (flows-kptracer.test.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateNodeRules, nodeDocument } from '../../src/cluster/kubeproxy/index.ts'
import { caseInput, loadCases, readConformance, type CaseService, type CaseSlice, type Flow, type FlowCase } from './fixtures.ts'
import { expectedOf, prepareEngine, quoteFakeComments, runEngineFlow } from './engine-flows.ts'

const cases = loadCases()

function docFor (c: FlowCase, services: CaseService[], slices: CaseSlice[], nfacct = true): string {
  const input = caseInput(services, slices, c.proxierConfig, nfacct ? {} : { nfAcctCounters: {} })
  return nodeDocument(generateNodeRules(input)).text
}

let flowCount = 0
let nfacctFlows = 0
for (const c of cases.tests) {
  if (c.kind !== 'flows' && c.kind !== 'static-rules') continue
  if (c.proxierConfig?.ipFamily === 'IPv6') continue
  const title = `${c.name}${c.subtest != null ? ` (${c.subtest})` : ''}`
  test(`${title}: engine outcomes agree with kube-proxy's tracer`, () => {
    let services = c.services ?? []
    let slices = c.endpointSlices ?? []
    const check = (flows: Flow[] | undefined): void => {
      // TestTracePacket's fixture stores multi-word comments unquoted (FakeIPTables); quote them for a real parser
      const doc = c.kind === 'static-rules' ? quoteFakeComments(readConformance(c.rulesFile!)) : docFor(c, services, slices)
      const { prepared } = prepareEngine(doc)
      for (const f of flows ?? []) {
        flowCount++
        const r = runEngineFlow(prepared, f)
        const e = expectedOf(f)
        const label = `flow "${f.name}" (${f.sourceIP} → ${f.destIP}:${f.destPort})`
        if (f.sourceIP === '127.0.0.1' && c.kind === 'flows') {
          nfacctFlows++
          const { prepared: p2 } = prepareEngine(docFor(c, services, slices, false))
          const r2 = runEngineFlow(p2, f)
          assert.deepEqual({ endpoints: r2.endpoints, verdicts: r2.verdicts, masq: r2.masq }, { ...e, masq: f.masq }, `${label} without nfacct`)
        }
        assert.deepEqual({ endpoints: r.endpoints, verdicts: r.verdicts, masq: r.masq }, { ...e, masq: f.masq }, label)
        assert.equal(r.markMasq || !r.masq, true, `${label}: masquerade implies KUBE-MARK-MASQ`)
        // every branch probability is kernel-quantised and they sum to 1
        const sum = r.branches.reduce((a, b) => a + b.probability, 0)
        assert.ok(Math.abs(sum - 1) < 1e-9, `${label}: branch probabilities sum to ${sum}`)
      }
    }
    check(c.flows)
    for (const step of c.thenSteps ?? []) {
      if (step.action === 'deleteService') services = services.filter(s => `${s.namespace}/${s.name}` !== step.service)
      else slices = slices.filter(s => `${s.namespace}/${s.name}` !== step.endpointSlice)
      check(step.flows)
    }
  })
}

test('all 231 IPv4 flows ran through the engine (246 minus 15 IPv6)', () => {
  assert.equal(flowCount, 231)
  assert.equal(nfacctFlows, 16, 'localhost → NodePort flows also checked without nfacct')
})
