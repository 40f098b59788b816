/**
 * The fast save path (direct restore-line → save-line canonicalisation, cached per Service) must give
 * exactly what the engine's parseRuleset + renderRuleset give, for every conformance input in both
 * kube-proxy profiles, with and without filters, and across incremental re-renders.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { domainCluster, generateInput } from '../../bench/lib/cluster.ts'
import { generateNodeRules, saveView, saveViewEngine, KubeProxyRulesCache, nodeRuleset, nodeRulesetFull, type GenerateInput } from '../../src/cluster/kubeproxy/index.ts'
import { renderRuleset, ruleCount, type Rule } from '../../src/netfilter/index.ts'
import { lazyPartOf } from '../../src/netfilter/parse/lazy-rules.ts'
import { caseInput, loadCases } from './fixtures.ts'
import { demoInput } from './demo.ts'

const inputs: Array<[string, GenerateInput]> = [['demo', demoInput()]]
for (const c of loadCases().tests) {
  if (c.services == null || c.services.length === 0 || c.proxierConfig?.ipFamily === 'IPv6') continue
  const title = `${c.name}${c.subtest != null ? `/${c.subtest}` : ''}`
  const base = caseInput(c.services, c.endpointSlices ?? [], c.proxierConfig)
  inputs.push([`${title} current/unit-test`, base])
  inputs.push([`${title} current/real`, { ...base, options: { ...base.options, markStyle: 'kube-proxy', randomFully: true } }])
  inputs.push([`${title} legacy`, { ...base, settings: { ...base.settings, kubeProxy: { ...base.settings.kubeProxy, profile: 'legacy' } }, options: { ...base.options, markStyle: 'kube-proxy' } }])
}

test('fast save view equals the engine-rendered save view for every conformance input (both profiles)', () => {
  assert.ok(inputs.length > 60)
  for (const [name, input] of inputs) {
    const nr = generateNodeRules(input)
    assert.equal(saveView(nr, { date: 'D' }), saveViewEngine(nr, { date: 'D' }), name)
    for (const table of ['filter', 'nat', 'mangle']) {
      assert.equal(saveView(nr, { date: 'D', filter: { table } }), saveViewEngine(nr, { date: 'D', filter: { table } }), `${name} table ${table}`)
    }
    for (const svc of input.services) {
      const service = `${svc.metadata.namespace}/${svc.metadata.name}`
      assert.equal(saveView(nr, { filter: { service } }), saveViewEngine(nr, { filter: { service } }), `${name} service ${service}`)
    }
    for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'PREROUTING', 'INPUT']) {
      assert.equal(saveView(nr, { filter: { chain } }), saveViewEngine(nr, { filter: { chain } }), `${name} chain ${chain}`)
    }
  }
})

test('incremental re-render through the cache: only the changed Service is rebuilt, output equals a fresh render', () => {
  const c = loadCases().tests.find(t => t.name === 'TestOverallIPTablesRules')!
  const input = caseInput(c.services!, c.endpointSlices!)
  const cache = new KubeProxyRulesCache()
  const first = cache.render(input, 1)
  assert.equal(cache.lastRebuilt, input.services.length)
  const save1 = saveView(first, { date: 'D' }, cache)
  assert.equal(save1, saveViewEngine(first, { date: 'D' }))
  assert.equal(cache.render(input, 1), first, 'same generation → same result object')
  // change one Service (new object): add a second port
  const k = input.services.findIndex(s => s.metadata.name === 'svc1')
  const s = input.services[k]
  const changed = { ...input, services: input.services.map((x, i) => i !== k ? x : { ...s, spec: { ...s.spec, ports: [...s.spec.ports, { name: 'p81', protocol: 'UDP' as const, port: 81, targetPort: 81 }] } }) }
  const second = cache.render(changed, 2)
  assert.equal(cache.lastRebuilt, 1)
  assert.equal(second.restore, generateNodeRules(changed).restore)
  const save2 = saveView(second, { date: 'D' }, cache)
  assert.notEqual(save2, save1)
  assert.equal(save2, saveViewEngine(generateNodeRules(changed), { date: 'D' }))
  // delete a Service: its chains disappear from the incremental composition
  const removed = { ...changed, services: changed.services.filter(x => x.metadata.name !== 'svc4') }
  const third = cache.render(removed, 3)
  assert.equal(cache.lastRebuilt, 0)
  const save3 = saveView(third, { date: 'D' }, cache)
  assert.equal(save3, saveViewEngine(generateNodeRules(removed), { date: 'D' }))
  assert.ok(!save3.includes('KUBE-SVC-4SW47YFZTEDKD3PK'))
})

const strip = (rs: ReturnType<typeof nodeRulesetFull>): unknown =>
  [...rs.tables.values()].map(t => ({
    name: t.name,
    chains: [...t.chains.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      .map(c => ({ name: c.name, builtin: c.builtin, policy: c.policy, rules: c.rules.map(rule) }))
  }))

/**
 * A rule without its position, its provenance as plain data: the JSON text and each field read one
 * by one (nodeRuleset's provenance is worked out on first read, see lazy-provenance.ts).
 */
function rule ({ line: _l, provenance, ...r }: Rule): unknown {
  if (provenance === undefined) return r
  const fields = Object.fromEntries(['origin', 'service', 'servicePort', 'endpoint', 'field', 'note'].map(k => [k, provenance[k]]))
  return { ...r, provenance: JSON.parse(JSON.stringify(provenance)), fields }
}

test('nodeRuleset (assembled from cached per-Service parses) equals parsing the whole node document', () => {
  for (const [name, input] of inputs) {
    const nr = generateNodeRules(input)
    assert.deepEqual(strip(nodeRuleset(nr)), strip(nodeRulesetFull(nr)), name)
  }
  // across incremental renders, reusing the unchanged Services' parsed rules
  const c = loadCases().tests.find(t => t.name === 'TestOverallIPTablesRules')!
  const input = caseInput(c.services!, c.endpointSlices!)
  const cache = new KubeProxyRulesCache()
  const a = nodeRuleset(cache.render(input, 1))
  const changed = { ...input, services: input.services.filter(s => s.metadata.name !== 'svc3') }
  const nr2 = cache.render(changed, 2)
  const b = nodeRuleset(nr2)
  assert.deepEqual(strip(b), strip(nodeRulesetFull(generateNodeRules(changed))))
  const svc1 = (rs: typeof a): unknown => rs.tables.get('nat')!.chains.get('KUBE-SVC-XPGD46QRK7WJZT7O')!.rules[0]
  assert.equal(svc1(a), svc1(b), 'unchanged Service: same parsed rule objects reused')
  assert.equal(renderRuleset(b, { date: 'D' }), saveViewEngine(generateNodeRules(changed), { date: 'D' }))
})

test('nodeRuleset of a generated 200-Service node equals parsing the whole node document', () => {
  const cluster = domainCluster({ services: 200, endpoints: 3 })
  const nr = generateNodeRules({ ...generateInput(cluster), options: { nfacct: false } })
  assert.deepStrictEqual(strip(nodeRuleset(nr)), strip(nodeRulesetFull(nr)))
})

test('nodeRuleset builds a Service\'s own rules only when they are read, with their provenance', () => {
  const cluster = domainCluster({ services: 50, endpoints: 3 })
  const nr = generateNodeRules({ ...generateInput(cluster), options: { nfacct: false } })
  const nat = nodeRuleset(nr).tables.get('nat')!
  const seps = [...nat.chains.values()].filter(c => c.name.startsWith('KUBE-SEP-'))
  assert.equal(seps.length, 150)
  assert.ok(seps.every(c => lazyPartOf(c) !== undefined), 'endpoint chains not built by the assembly')
  const full = nodeRulesetFull(nr).tables.get('nat')!
  const one = seps[7]
  assert.equal(ruleCount(one), 2)
  assert.deepEqual(rule(one.rules[1]), rule(full.chains.get(one.name)!.rules[1]))
  assert.match(String(one.rules[1].provenance?.endpoint), /^10\./)
  assert.equal(seps.filter(c => lazyPartOf(c) === undefined).length, 1, 'reading one chain builds that chain only')
})
