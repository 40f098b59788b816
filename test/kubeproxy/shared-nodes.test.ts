/**
 * The render cache shares Service fragments (and through them parsed engine rules) between nodes of
 * one cluster. Every node's rules must still be exactly what a standalone render of that node gives,
 * for every conformance input (local traffic policies and source ranges make rules node-specific).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  generateNodeRules, KubeProxyRulesCache, nodeRuleset, nodeRulesetFull, saveView, type GenerateInput
} from '../../src/cluster/kubeproxy/index.ts'
import type { Node } from '../../src/cluster/model.ts'
import { caseInput, loadCases } from './fixtures.ts'
import { demoInput } from './demo.ts'

const inputs: Array<[string, GenerateInput]> = [['demo', demoInput()]]
for (const c of loadCases().tests) {
  if (c.services == null || c.services.length === 0 || c.proxierConfig?.ipFamily === 'IPv6') continue
  const title = `${c.name}${c.subtest != null ? `/${c.subtest}` : ''}`
  const base = caseInput(c.services, c.endpointSlices ?? [], c.proxierConfig)
  inputs.push([`${title} current`, base])
  inputs.push([`${title} legacy`, { ...base, settings: { ...base.settings, kubeProxy: { ...base.settings.kubeProxy, profile: 'legacy' } } }])
}

/** another node: other name, other address (endpoints on the first node are not local to it) */
function otherNode (n: Node): Node {
  return { ...n, metadata: { ...n.metadata, name: `${n.metadata.name}-b` }, status: { ...n.status, addresses: [{ type: 'InternalIP', address: '192.168.77.7' }] } }
}

const strip = (rs: ReturnType<typeof nodeRulesetFull>): unknown =>
  [...rs.tables.values()].map(t => ({
    name: t.name,
    chains: [...t.chains.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      .map(c => ({ name: c.name, builtin: c.builtin, policy: c.policy, rules: c.rules.map(({ line: _l, ...r }) => r) }))
  }))

test('nodes rendered through one cache equal standalone renders (restore, records, save view, ruleset)', () => {
  let shared = 0
  for (const [name, input] of inputs) {
    const cache = new KubeProxyRulesCache()
    const b = { ...input, node: otherNode(input.node) }
    const ra = cache.render(input, 1)
    const rb = cache.render(b, 1)
    for (const [label, nr, inp] of [['a', ra, input], ['b', rb, b]] as const) {
      const want = generateNodeRules(inp)
      assert.equal(nr.restore, want.restore, `${name} ${label} restore`)
      assert.equal(nr.restoreChunks().join(''), want.restore, `${name} ${label} restore pieces`)
      assert.deepEqual(nr.rules, want.rules, `${name} ${label} records`)
      assert.equal(saveView(nr, { date: 'D' }, cache), saveView(want, { date: 'D' }), `${name} ${label} save`)
      assert.deepEqual(strip(nodeRuleset(nr)), strip(nodeRuleset(want)), `${name} ${label} ruleset`)
      for (const f of nr.fragments) assert.equal(f.rules.map(r => r.text + '\n').join(''), f.filterText + f.natText, `${name} ${label} ${f.service} records = text`)
    }
    ra.fragments.forEach((f, i) => { if (rb.fragments[i] === f) shared++ })
  }
  assert.ok(shared > 20, `fragments shared between the two nodes: ${shared}`)
})

test('a shared fragment is parsed once: both nodes hold the same engine rule objects', () => {
  const input = demoInput()
  const cache = new KubeProxyRulesCache()
  const a = cache.render(input, 1)
  const b = cache.render({ ...input, node: otherNode(input.node) }, 1)
  const i = a.fragments.findIndex((f, k) => b.fragments[k] === f && f.natChains.length > 0)
  assert.ok(i >= 0, 'a shared fragment')
  const chain = a.fragments[i].natChains[0]
  const ca = nodeRuleset(a).tables.get('nat')!.chains.get(chain)!
  const cb = nodeRuleset(b).tables.get('nat')!.chains.get(chain)!
  assert.ok(ca.rules.length > 0)
  assert.equal(ca.rules[0], cb.rules[0])
})

test('dropping a node releases what only it used; the other node keeps rendering incrementally', () => {
  const input = demoInput()
  const cache = new KubeProxyRulesCache()
  cache.render(input, 1)
  const b = { ...input, node: otherNode(input.node) }
  cache.render(b, 1)
  cache.forget(input.node.metadata.name)
  const svc = input.services[0]
  const changed = { ...b, services: [{ ...svc, metadata: { ...svc.metadata, resourceVersion: 'x2', labels: { ...svc.metadata.labels, touched: 'yes' } } }, ...input.services.slice(1)] }
  const nr = cache.render(changed, 2)
  assert.ok(cache.lastRebuilt <= 1)
  assert.equal(nr.restore, generateNodeRules(changed).restore)
})

test('re-render after the services array was modified in place (a Service replaced by another name)', () => {
  const input = demoInput()
  const cache = new KubeProxyRulesCache()
  cache.render(input, 1)
  const svc = input.services[0]
  input.services[0] = { ...svc, metadata: { ...svc.metadata, name: 'zzz-renamed', uid: 'other', resourceVersion: '9' } }
  assert.equal(cache.render(input, 2).restore, generateNodeRules(input).restore)
  input.services.reverse()
  assert.equal(cache.render(input, 3).restore, generateNodeRules(input).restore)
})
