import { KubeProxyRulesCache, SaveComposer } from '../../src/cluster/kubeproxy/index.ts'
import { cluster } from '../../bench/rules-input.ts'
const input = cluster(Number(process.argv[2] ?? 10000))
const cache = new KubeProxyRulesCache()
const comp = new SaveComposer()
const nr = cache.render(input, 1)
comp.compose(nr, 'D')
const cpu = (f: () => void): string => { const c = process.cpuUsage(); const t = performance.now(); f(); const d = process.cpuUsage(c); return `${(performance.now() - t).toFixed(0)}/${((d.user + d.system) / 1000).toFixed(0)}` }
for (let g = 2; g < 7; g++) {
  const k = 7 * g
  const svc = input.services[k]
  input.services[k] = { ...svc, metadata: { ...svc.metadata, resourceVersion: String(g) } }
  let nr2: any
  const a = cpu(() => { nr2 = cache.render(input, g) })
  let ch: string[] = []
  const b = cpu(() => { ch = comp.chunks(nr2, 'D') })
  const c = cpu(() => { ch.join('') })
  console.log('render', a, 'chunks', b, 'join', c, 'heapMB', (process.memoryUsage().heapUsed / 1e6).toFixed(0))
}
