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
