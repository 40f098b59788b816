// The benchmark suite's own building blocks: the kube-proxy-shaped cluster generator, the figure
// protocol between children and bench/run.ts, the growth table and the PNG encoder.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inflateSync } from 'node:zlib'
import { clusterIP, domainCluster, generateInput, manifest, manifestList, nodeCount, withOneChange } from '../../bench/lib/cluster.ts'
import { FIGURE_PREFIX, parseOutput, percentile, verdict, type Figure } from '../../bench/lib/figures.ts'
import { growthMarkdown, growthRows, GROWTH_SERIES } from '../../bench/lib/growth.ts'
import { lineDiff } from '../../bench/lib/netns.ts'
import { plotGrowth } from '../../bench/lib/plot.ts'
import { generateNodeRules, KubeProxyRulesCache } from '../../src/cluster/kubeproxy/index.ts'

test('the bench cluster has N services × M ready endpoints, derived by the real EndpointSlice logic', () => {
  const c = domainCluster({ services: 12, endpoints: 3, podsPerNode: 10 })
  assert.equal(c.services.length, 12)
  assert.equal(c.pods.length, 36)
  assert.equal(c.nodes.length, nodeCount({ services: 12, endpoints: 3, podsPerNode: 10 }))
  assert.equal(c.nodes.length, 4)
  const eps = c.endpointSlices.flatMap(s => s.endpoints)
  assert.equal(eps.length, 36)
  assert.ok(eps.every(e => e.conditions.ready === true))
  // every pod IP is an endpoint, once
  assert.deepEqual(new Set(eps.map(e => e.addresses[0])), new Set(c.pods.map(p => p.status.podIP)))
  assert.equal(c.services[5].spec.clusterIP, clusterIP(5))
})

test('its ClusterIP rules follow kube-proxy\'s published count: nat = 5 + 2·S + 3·E', () => {
  const S = 7
  const M = 4
  const c = domainCluster({ services: S, endpoints: M, nodePortEvery: 0 })
  const nr = generateNodeRules({ ...generateInput(c), options: { nfacct: false } })
  const nat = nr.restore.slice(nr.restore.indexOf('*nat')).split('\n').filter(l => l.startsWith('-A ')).length
  assert.equal(nat, 5 + 2 * S + 3 * S * M)
})

test('withOneChange changes exactly one service, and the rule cache rebuilds only that one', () => {
  const c = domainCluster({ services: 30, endpoints: 2 })
  const d = withOneChange(c, 10)
  assert.notEqual(d.services[10], c.services[10])
  assert.equal(d.services.filter((s, i) => s !== c.services[i]).length, 1)
  const cache = new KubeProxyRulesCache()
  cache.render(generateInput(c), 1)
  cache.render(generateInput(d), 2)
  assert.equal(cache.lastRebuilt, 1)
})

test('the manifest is one JSON List with nodes, services and pods', () => {
  const m = manifest({ services: 3, endpoints: 2 })
  const list = JSON.parse(manifestList(m)) as { kind: string, items: Array<{ kind: string }> }
  assert.equal(list.kind, 'List')
  assert.deepEqual(list.items.map(i => i.kind).filter((k, i, a) => a.indexOf(k) === i), ['Node', 'Service', 'Pod'])
  assert.equal(list.items.length, 1 + 3 + 6)
})

test('figure lines round-trip through parseOutput; verdicts follow the target', () => {
  const f: Figure = { id: 'x.y.1000x10', label: 'x', value: 12, unit: 'ms', target: { op: '<=', value: 10 } }
  const out = parseOutput(`hello\n${FIGURE_PREFIX}${JSON.stringify(f)}\n@@skip {"id":"k","label":"k","reason":"not root"}\n`)
  assert.deepEqual(out.figures, [f])
  assert.equal(out.skips[0].reason, 'not root')
  assert.deepEqual(out.log, ['hello'])
  assert.equal(verdict(f), 'MISS')
  assert.equal(verdict({ ...f, value: 10 }), 'PASS')
  assert.equal(verdict({ ...f, target: { op: '>=', value: 2000 }, value: 2500 }), 'PASS')
  assert.equal(verdict({ ...f, target: undefined }), '')
})

test('percentile is nearest-rank', () => {
  const xs = Array.from({ length: 100 }, (_, i) => 100 - i)
  assert.equal(percentile(xs, 50), 50)
  assert.equal(percentile(xs, 99), 99)
  assert.equal(percentile(xs, 100), 100)
  assert.equal(percentile([7], 99), 7)
})

test('lineDiff counts repeated lines as a multiset', () => {
  assert.deepEqual(lineDiff(['a', 'b', 'b'], ['b', 'a', 'c']), { onlyA: ['b'], onlyB: ['c'] })
})

test('growth rows, the n^k column, and the plot is a PNG of the stated size', () => {
  const figs: Figure[] = [1000, 10000].flatMap(n => [
    { id: `rules.render.${n}x10`, label: '', value: n / 10, unit: 'ms', cpuMs: n / 20 },
    { id: `kernel.restore.${n}x10`, label: '', value: n, unit: 'ms' }
  ])
  figs.push({ id: 'rules.render.10000x5', label: '', value: 1, unit: 'ms' })
  const rows = growthRows(figs)
  assert.deepEqual(rows.map(r => r.services), [1000, 10000])
  const md = growthMarkdown(rows)
  assert.match(md, /\| 10,000 \| 1,000 \(500\) \| 10,000 \|/)
  assert.match(md, /n\^1\.00 \| n\^1\.00/)
  const png = plotGrowth(rows, GROWTH_SERIES)
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10])
  assert.equal(png.toString('ascii', 12, 16), 'IHDR')
  const w = png.readUInt32BE(16)
  const h = png.readUInt32BE(20)
  const idat = png.indexOf('IDAT')
  const raw = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)))
  assert.equal(raw.length, (w * 3 + 1) * h)
  // some pixel is not white (something was drawn)
  assert.ok(raw.some((b, i) => i % (w * 3 + 1) !== 0 && b !== 255))
})
