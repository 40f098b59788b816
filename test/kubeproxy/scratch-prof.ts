import { KubeProxyRulesCache, SaveComposer } from '../../src/cluster/kubeproxy/index.ts'
import { performance } from 'node:perf_hooks'
// reuse bench cluster generator
const mod = await import('../../bench/rules-input.ts')
const input = mod.cluster(Number(process.argv[2] ?? 3000))
const cache = new KubeProxyRulesCache()
let t = performance.now()
const nr = cache.render(input, 1)
console.log('render', performance.now() - t)
const comp = new SaveComposer()
t = performance.now(); let s = comp.compose(nr, 'D'); console.log('compose1', performance.now() - t, s.length)
for (let g = 2; g < 6; g++) {
  const k = 7 * g
  const svc = input.services[k]
  input.services[k] = { ...svc, metadata: { ...svc.metadata, resourceVersion: String(g) } }
  t = performance.now(); const nr2 = cache.render(input, g); const a = performance.now() - t
  t = performance.now(); s = comp.compose(nr2, 'D'); const b = performance.now() - t
  t = performance.now(); const x = s.charCodeAt(s.length >> 1); const c = performance.now() - t
  console.log('rerender', a.toFixed(1), 'compose', b.toFixed(1), 'flatten', c.toFixed(1), x)
}
